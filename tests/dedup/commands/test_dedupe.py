import io

import pytest
from django.core.management import CommandError, call_command

from dedup.models import DedupHistory
from tests.conftest import LIBRARY_DBS
from tests.dedup.helpers import library_db_checksum, tree_checksum

pytestmark = pytest.mark.django_db(transaction=True, databases=LIBRARY_DBS)


class Terminal(io.StringIO):
    """Typed answers, as if from a terminal (a real TTY is not available under pytest)."""

    def isatty(self) -> bool:
        return True


def run(*args, stdin=None) -> str:
    out = io.StringIO()
    call_command("dedupe", *args, stdout=out, stdin=stdin or io.StringIO())
    return out.getvalue()


def test_dry_run_is_the_default_and_changes_nothing(dedup_library, tmp_path):
    before = (tree_checksum(tmp_path), library_db_checksum())
    text = run("--min-confidence", "0.5")
    assert (tree_checksum(tmp_path), library_db_checksum()) == before
    assert "2 groups, 3 files to move into quarantine" in text
    assert "Dry run: nothing changed" in text
    assert not (tmp_path / "quarantine").exists()


def test_default_confidence_leaves_same_recording_matches_alone(dedup_library):
    text = run()
    assert "1 groups, 2 files to move into quarantine" in text
    assert "1 more below confidence 0.9" in text


def test_apply_without_library_roots_is_refused(dedup_library, dedup_settings, tmp_path):
    dedup_settings.LIBRARY_ROOTS = []
    before = tree_checksum(tmp_path)
    with pytest.raises(CommandError, match="needs MUSICQUALITY_LIBRARY_ROOTS"):
        run("--apply", "--yes")
    assert tree_checksum(tmp_path) == before


def test_a_quarantine_folder_that_cannot_be_made_is_one_line_and_nothing_moves(
    dedup_library, dedup_settings, tmp_path
):
    """It was a traceback from ``mkdir`` (as root a read-only folder is writable, so the
    folder is asked for under a regular file)."""
    blocker = tmp_path / "not-a-folder"
    blocker.write_bytes(b"")
    dedup_settings.QUARANTINE_DIR = blocker / "quarantine"
    before = (tree_checksum(tmp_path), library_db_checksum())
    with pytest.raises(
        CommandError,
        match=rf"^the quarantine folder {blocker / 'quarantine'} cannot be made or written "
        r"\(Not a directory\): set MUSICQUALITY_QUARANTINE_DIR to a writable folder",
    ):
        run("--apply", "--yes")
    assert (tree_checksum(tmp_path), library_db_checksum()) == before
    assert not DedupHistory.objects.exists()


def test_apply_without_yes_and_without_a_terminal_is_refused(dedup_library, tmp_path):
    before = tree_checksum(tmp_path)
    with pytest.raises(CommandError, match="add --yes"):
        run("--apply")
    assert tree_checksum(tmp_path) == before


def test_apply_asks_and_a_no_changes_nothing(dedup_library, tmp_path):
    before = (tree_checksum(tmp_path), library_db_checksum())
    with pytest.raises(CommandError, match="not confirmed"):
        run("--apply", stdin=Terminal("n\n"))
    assert (tree_checksum(tmp_path), library_db_checksum()) == before


def test_apply_asks_and_a_yes_moves_the_files(dedup_library):
    lib = dedup_library
    text = run("--apply", stdin=Terminal("y\n"))
    assert "Move 2 files" in text
    assert "2 files moved into" in text and "0 skipped" in text
    assert not lib.path("a2").exists() and not lib.path("a3").exists()
    session = DedupHistory.objects.values_list("deletion_session_id", flat=True).distinct()
    assert f"manage.py recover --session {session.get()}" in text


def test_apply_yes_with_explicit_confidence_takes_metadata_matches(dedup_library):
    text = run("--apply", "--yes", "--min-confidence", "0.5")
    assert "3 files moved" in text
    assert not dedup_library.path("b_wav").exists()


def test_resume_with_nothing_pending(dedup_library):
    assert "no interrupted run to finish" in run("--resume")


def test_min_confidence_must_be_between_0_and_1(dedup_library):
    with pytest.raises(CommandError, match="min-confidence"):
        run("--min-confidence", "2")
