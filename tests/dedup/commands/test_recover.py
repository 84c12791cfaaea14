import io

import pytest
from django.core.management import CommandError, call_command

from dedup.models import DedupHistory
from dedup.services.dedupe import dedupe_apply, dedupe_plan
from tests.conftest import LIBRARY_DBS
from tests.dedup.helpers import library_db_checksum, sha256, tree_checksum

pytestmark = pytest.mark.django_db(transaction=True, databases=LIBRARY_DBS)


def run(*args) -> str:
    out = io.StringIO()
    call_command("recover", *args, stdout=out)
    return out.getvalue()


def run_apply(*args) -> str:
    return run(*args, "--apply")


@pytest.fixture
def session(dedup_library):
    return dedupe_apply(groups=dedupe_plan(min_confidence=0.9).groups).session_id


def test_recover_a_session(dedup_library, session):
    lib = dedup_library
    text = run_apply("--session", session)
    assert "2 recovered, 0 not recovered" in text
    assert sha256(lib.path("a2")) == sha256(lib.path("a1"))
    assert not DedupHistory.objects.filter(can_recover=True).exists()


def test_dry_run_is_the_default_and_changes_nothing(dedup_library, session, tmp_path):
    before = (tree_checksum(tmp_path), library_db_checksum())
    text = run("--session", session)
    assert "Dry run: nothing changed" in text
    assert f"-> {dedup_library.path('a2')} (recoverable)" in text
    assert (tree_checksum(tmp_path), library_db_checksum()) == before


def test_a_dry_run_of_unknown_rows_fails_as_the_applied_run_does(dedup_library, session):
    """Not "Dry run: nothing changed" and success: the ids or session are wrong."""
    with pytest.raises(CommandError, match="no dedup_history rows for session not-a-session"):
        run("--session", "not-a-session")
    out = io.StringIO()
    with pytest.raises(CommandError, match=r"nothing to recover \(2 not found: see above\)"):
        call_command("recover", "998", "999", stdout=out)
    assert out.getvalue().splitlines() == ["#998: no such history row", "#999: no such history row"]
    known = DedupHistory.objects.values_list("id", flat=True).first()
    text = run(str(known), "999")  # one known row: the dry run goes on, naming the other
    assert "#999: no such history row" in text and "Dry run: nothing changed" in text


def test_nothing_to_recover_is_an_error(dedup_library, session):
    with pytest.raises(CommandError, match="give dedup_history ids or --session"):
        run_apply()
    with pytest.raises(CommandError, match="no dedup_history rows"):
        run_apply("--session", "not-a-session")
    ids = [str(i) for i in DedupHistory.objects.values_list("id", flat=True)]
    dedup_library.path("a2").write_bytes(b"occupied")
    dedup_library.path("a3").write_bytes(b"occupied")
    with pytest.raises(CommandError, match="no file recovered"):
        run_apply(*ids)


def _within(seconds: float, target, *args):
    """Run ``target`` in a thread; fail the test when it is still running after ``seconds``
    (a read blocked on a FIFO), releasing it by opening the FIFOs for writing."""
    import threading

    outcome: dict = {}

    def call():
        try:
            outcome["value"] = target(*args)
        except BaseException as error:  # handed back to the test
            outcome["error"] = error

    thread = threading.Thread(target=call, daemon=True)
    thread.start()
    thread.join(seconds)
    return thread.is_alive(), outcome


def test_a_fifo_in_place_of_a_quarantined_file_is_reported_not_waited_for(dedup_library, session):
    import os

    rows = list(DedupHistory.objects.filter(deletion_session_id=session).order_by("id"))
    fifo_row, other = rows[0], rows[1]
    quarantined = fifo_row.recovery_path
    os.unlink(quarantined)
    os.mkfifo(quarantined)
    try:
        hung, outcome = _within(60, run_apply, "--session", session)
        if hung:
            with open(quarantined, "wb"):
                pass  # let the blocked reader go
            pytest.fail("recover blocked on a FIFO")
        text = outcome.get("value") or str(outcome.get("error"))
        assert f"#{fifo_row.pk}" in text and "not a regular file" in text, text
        fifo_row.refresh_from_db()
        other.refresh_from_db()
        assert fifo_row.can_recover is True  # not recovered, still recoverable once fixed
        assert other.can_recover is False  # the other one was recovered
        assert os.path.exists(quarantined)  # nothing removed
    finally:
        if os.path.lexists(quarantined):
            os.unlink(quarantined)
