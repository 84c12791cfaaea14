from pathlib import Path

import pytest

from dedup.models import DedupHistory
from dedup.services.dedupe import dedupe_apply, dedupe_plan
from dedup.services.recover import dedup_history_recover
from quality.models import FileQuality, LibraryFile
from tests.conftest import LIBRARY_DBS
from tests.dedup.helpers import pending_history_make, sha256, tree_checksum
from tests.factories import dedup_history_make

pytestmark = pytest.mark.django_db(databases=LIBRARY_DBS)


@pytest.fixture
def applied(dedup_library):
    lib = dedup_library
    digests = {name: sha256(lib.path(name)) for name in ("a2", "a3", "b_wav")}
    result = dedupe_apply(groups=dedupe_plan(min_confidence=0.5).groups)
    assert len(result.quarantined) == 3
    return lib, digests, result.session_id


def test_apply_then_recover_restores_the_same_bytes_at_the_same_path(applied):
    lib, digests, session = applied
    outcomes = dedup_history_recover(session=session)
    assert [o.recovered for o in outcomes] == [True, True, True]
    for name, digest in digests.items():
        path = lib.path(name)
        assert sha256(path) == digest
        row = LibraryFile.objects.get(file_path=str(path))
        assert row.file_content_hash == lib.rows[name].file_content_hash
        assert FileQuality.objects.filter(library_file=row).exists()  # re-analysed
    for history in DedupHistory.objects.all():
        assert history.can_recover is False
        assert "recovered to" in history.notes.splitlines()[-1]
    assert not [p for p in (lib.root / "quarantine").rglob("*") if p.is_file() and
                not p.name.startswith(".")]  # fmt: skip
    again = dedup_history_recover(session=session)
    assert not any(o.recovered for o in again)


def test_recover_never_overwrites_and_can_restore_elsewhere(applied, tmp_path):
    lib, digests, _ = applied
    history = DedupHistory.objects.get(file_path=str(lib.path("a2")))
    lib.path("a2").write_bytes(b"a new file the user put there")
    (outcome,) = dedup_history_recover(ids=[history.id])
    assert not outcome.recovered and "already exists" in outcome.detail
    assert lib.path("a2").read_bytes() == b"a new file the user put there"

    (outcome,) = dedup_history_recover(ids=[history.id], to=tmp_path / "restored")
    assert outcome.recovered
    restored = tmp_path / "restored" / lib.path("a2").relative_to(tmp_path / "music")
    assert Path(outcome.restored_to) == restored and sha256(restored) == digests["a2"]


def test_path_traversal_in_recovery_path_is_refused(applied, tmp_path):
    lib, _, _ = applied
    history = DedupHistory.objects.get(file_path=str(lib.path("a3")))
    victim = lib.path("a1")
    before = tree_checksum(tmp_path / "music")
    history.recovery_path = str(tmp_path / "quarantine" / ".." / "music" / victim.relative_to(
        tmp_path / "music"))  # fmt: skip
    history.save()
    (outcome,) = dedup_history_recover(ids=[history.id])
    assert not outcome.recovered and "outside the quarantine directory" in outcome.detail
    assert tree_checksum(tmp_path / "music") == before
    assert DedupHistory.objects.get(id=history.id).can_recover is True


def test_pending_rows_and_unknown_ids_are_refused(dedup_library, dedup_settings):
    row = dedup_library.rows["a2"]
    pending = pending_history_make(row, recovery_path=dedup_settings.QUARANTINE_DIR / "x.wav")
    unrecoverable = dedup_history_make(can_recover=False)
    outcomes = {o.history_id: o for o in dedup_history_recover(
        ids=[pending.id, unrecoverable.id, 999_999])}  # fmt: skip
    assert "dedupe --resume" in outcomes[pending.id].detail
    assert "not recoverable" in outcomes[unrecoverable.id].detail
    assert outcomes[999_999].detail == "no such history row"
    assert not any(o.recovered for o in outcomes.values())


def test_original_outside_the_roots_needs_to(applied, dedup_settings, tmp_path):
    _, _, session = applied
    dedup_settings.LIBRARY_ROOTS = [tmp_path / "other"]
    outcomes = dedup_history_recover(session=session)
    assert all("use --to" in o.detail or "--to DIR" in o.detail for o in outcomes)
