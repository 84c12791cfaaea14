import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from dedup.models import DedupHistory, DeletedBy, DeletionReason, MatchedBy
from dedup.selectors import PENDING_NOTE_PREFIX
from dedup.services.dedupe import (
    Settled,
    dedupe_apply,
    dedupe_plan,
    dedupe_resume,
    pending_settle,
)
from dedup.services.files import DedupRefused, quarantine_path_for
from quality.hashing import content_hash_sampled
from quality.models import FileQuality, LibraryFile
from tests.conftest import LIBRARY_DBS
from tests.dedup.helpers import (
    bytes_write,
    library_db_checksum,
    library_row_for,
    pending_history_make,
    sha256,
    tree_checksum,
)

pytestmark = pytest.mark.django_db(databases=LIBRARY_DBS)


def test_plan_is_read_only_and_defaults_to_exact_copies(dedup_library, tmp_path):
    before = (tree_checksum(tmp_path), library_db_checksum())
    plan = dedupe_plan(min_confidence=0.9)
    assert [g.matched_by for g in plan.groups] == [MatchedBy.CONTENT_HASH]
    assert plan.files == 2
    assert plan.report.files == 3  # the same-recording match waits for an explicit choice
    assert (tree_checksum(tmp_path), library_db_checksum()) == before


def test_apply_quarantines_and_writes_every_history_column(dedup_library, dedup_settings):
    lib = dedup_library
    originals = {name: (lib.path(name), sha256(lib.path(name))) for name in ("a2", "a3", "b_wav")}
    rows = {name: lib.rows[name] for name in originals}
    plan = dedupe_plan(min_confidence=0.5)
    result = dedupe_apply(groups=plan.groups)

    assert len(result.quarantined) == 3 and not result.skipped
    assert not LibraryFile.objects.filter(id__in=[r.id for r in rows.values()]).exists()
    assert not FileQuality.objects.filter(library_file_id=rows["b_wav"].id).exists()  # cascade
    history = {h.original_library_id: h for h in DedupHistory.objects.all()}
    assert len(history) == 3
    assert {h.deletion_session_id for h in history.values()} == {result.session_id}
    for name, (path, digest) in originals.items():
        row, entry = rows[name], history[rows[name].id]
        assert not path.exists()
        quarantined = Path(entry.recovery_path)
        assert quarantined == quarantine_path_for(session_id=result.session_id, file_path=str(path))
        assert quarantined.is_relative_to(dedup_settings.QUARANTINE_DIR / result.session_id)
        assert sha256(quarantined) == digest
        assert (entry.file_path, entry.filename, entry.file_size, entry.file_format) == (
            row.file_path, row.filename, row.file_size, row.file_format,
        )  # fmt: skip
        assert (entry.artist, entry.title, entry.album, entry.year, entry.duration) == (
            row.artist, row.title, row.album, row.year, row.duration,
        )  # fmt: skip
        assert (entry.metadata_hash, entry.file_content_hash) == (
            row.metadata_hash, row.file_content_hash,
        )  # fmt: skip
        assert entry.can_recover is True
        assert entry.deleted_by == DeletedBy.SYSTEM
        assert entry.deleted_at is not None
        assert not entry.notes.startswith(PENDING_NOTE_PREFIX)
    for name in ("a2", "a3"):
        entry = history[rows[name].id]
        assert (entry.deletion_reason, entry.matched_by, entry.confidence_score) == (
            DeletionReason.EXACT_DUPLICATE, MatchedBy.CONTENT_HASH, 1.0,
        )  # fmt: skip
        assert (entry.kept_file_id, entry.kept_file_path) == (
            lib.rows["a1"].id, lib.rows["a1"].file_path,
        )  # fmt: skip
        assert entry.quality_score is None
    b = history[rows["b_wav"].id]
    assert (b.deletion_reason, b.matched_by, b.kept_file_id) == (
        DeletionReason.LOWER_QUALITY, MatchedBy.METADATA_HASH, lib.rows["b_flac"].id,
    )  # fmt: skip
    assert (b.quality_score, b.bitrate, b.sample_rate) == (40.0, 192, 44100)
    assert 0.5 <= b.confidence_score < 0.9
    assert lib.path("a1").exists() and lib.path("b_flac").exists()


def test_a_changed_keeper_stops_its_group(dedup_library):
    lib = dedup_library
    plan = dedupe_plan(min_confidence=0.9)
    with lib.path("a1").open("ab") as handle:
        handle.write(b"retagged")
    result = dedupe_apply(groups=plan.groups)
    assert not result.quarantined
    assert all("group stopped" in o.detail and "changed" in o.detail for o in result.skipped)
    assert lib.path("a2").exists() and lib.path("a3").exists()
    assert not DedupHistory.objects.exists()


def test_a_missing_keeper_stops_its_group(dedup_library):
    lib = dedup_library
    plan = dedupe_plan(min_confidence=0.9)
    lib.path("a1").unlink()
    result = dedupe_apply(groups=plan.groups)
    assert [o.detail.startswith("group stopped") for o in result.outcomes] == [True, True]
    assert "missing" in result.outcomes[0].detail
    assert lib.path("a2").exists() and lib.path("a3").exists()
    assert LibraryFile.objects.filter(id=lib.rows["a2"].id).exists()
    assert not DedupHistory.objects.exists()


def test_a_keeper_dropped_from_the_index_stops_its_group(dedup_library):
    lib = dedup_library
    plan = dedupe_plan(min_confidence=0.9)
    LibraryFile.objects.filter(id=lib.rows["a1"].id).delete()
    result = dedupe_apply(groups=plan.groups)
    assert not result.quarantined
    assert lib.path("a2").exists() and lib.path("a3").exists()


def test_a_file_changed_since_indexing_is_skipped_not_moved(dedup_library):
    lib = dedup_library
    plan = dedupe_plan(min_confidence=0.9)
    with lib.path("a2").open("r+b") as handle:
        handle.write(b"X")
    result = dedupe_apply(groups=plan.groups)
    (skipped,) = result.skipped
    assert skipped.removal.candidate.id == lib.rows["a2"].id
    assert "changed since it was indexed" in skipped.detail
    assert lib.path("a2").exists() and not lib.path("a3").exists()


def test_a_difference_the_sampled_hash_cannot_see_is_caught_before_the_move(dedup_settings):
    music = dedup_settings.LIBRARY_ROOTS[0]
    data = bytes(range(256)) * 2400  # 600 KiB: samples at 0, 300 KiB and the last 64 KiB
    keeper = library_row_for(bytes_write(music / "k.flac", data), artist="K", title="T")
    copy = library_row_for(bytes_write(music / "c.flac", data), artist="K", title="T")
    plan = dedupe_plan(min_confidence=0.9)
    assert [g.matched_by for g in plan.groups] == [MatchedBy.CONTENT_HASH]
    changed = bytearray(data)
    changed[200 * 1024] ^= 0xFF
    Path(copy.file_path).write_bytes(bytes(changed))
    assert content_hash_sampled(path=Path(copy.file_path)) == copy.file_content_hash

    result = dedupe_apply(groups=plan.groups)
    (skipped,) = result.skipped
    assert "not byte-identical" in skipped.detail
    assert Path(copy.file_path).exists() and Path(keeper.file_path).exists()
    assert not DedupHistory.objects.exists()


def test_files_outside_the_library_roots_are_never_touched(dedup_library, dedup_settings, tmp_path):
    dedup_settings.LIBRARY_ROOTS = [tmp_path / "elsewhere"]
    before = tree_checksum(tmp_path / "music")
    result = dedupe_apply(groups=dedupe_plan(min_confidence=0.5).groups)
    assert not result.quarantined
    assert all("outside MUSICQUALITY_LIBRARY_ROOTS" in o.detail for o in result.skipped)
    assert tree_checksum(tmp_path / "music") == before


def test_apply_refuses_to_run_without_library_roots(dedup_library, dedup_settings):
    dedup_settings.LIBRARY_ROOTS = []
    with pytest.raises(DedupRefused, match="MUSICQUALITY_LIBRARY_ROOTS"):
        dedupe_apply(groups=dedupe_plan(min_confidence=0.9).groups)


def test_a_symlinked_duplicate_is_left_alone(dedup_library):
    lib = dedup_library
    plan = dedupe_plan(min_confidence=0.9)
    target = lib.path("a2")
    moved = target.with_name("real.wav")
    target.rename(moved)
    target.symlink_to(moved)
    result = dedupe_apply(groups=plan.groups)
    assert any("symbolic link" in o.detail for o in result.skipped)
    assert target.is_symlink()


# --- settling interrupted moves ---------------------------------------------------------


@dataclass
class Pending:
    row: LibraryFile
    source: Path
    destination: Path
    history: DedupHistory


@pytest.fixture
def pending(dedup_library, dedup_settings) -> Pending:
    """The state right after step 2 of the protocol for ``a2``: intent written, not moved."""
    row = dedup_library.rows["a2"]
    destination = quarantine_path_for(session_id="s-1", file_path=row.file_path)
    history = pending_history_make(row, recovery_path=destination)
    return Pending(row, Path(row.file_path), destination, history)


def test_settle_undoes_a_move_that_never_happened(pending):
    pending.destination.parent.mkdir(parents=True)
    partial = pending.destination.with_name(pending.destination.name + ".musicquality-partial")
    partial.write_bytes(b"half a copy")
    assert pending_settle(pending.history) is Settled.UNDONE
    assert pending.source.exists() and not partial.exists()
    assert not DedupHistory.objects.exists()
    assert LibraryFile.objects.filter(id=pending.row.id).exists()


def test_settle_completes_a_move_that_happened(pending):
    pending.destination.parent.mkdir(parents=True)
    pending.source.rename(pending.destination)
    assert pending_settle(pending.history) is Settled.COMPLETED
    pending.history.refresh_from_db()
    assert pending.history.can_recover is True and not pending.history.notes.startswith(
        PENDING_NOTE_PREFIX
    )
    assert not LibraryFile.objects.filter(id=pending.row.id).exists()


@pytest.mark.parametrize("how", ["hard link", "verified copy"])
def test_settle_completes_when_both_names_hold_the_same_bytes(pending, how):
    pending.destination.parent.mkdir(parents=True)
    if how == "hard link":
        os.link(pending.source, pending.destination)
    else:
        shutil.copyfile(pending.source, pending.destination)
    digest = sha256(pending.destination)
    assert pending_settle(pending.history) is Settled.COMPLETED
    assert not pending.source.exists() and sha256(pending.destination) == digest


def test_settle_keeps_both_when_the_original_changed(pending):
    pending.destination.parent.mkdir(parents=True)
    shutil.copyfile(pending.source, pending.destination)
    with pending.source.open("ab") as handle:
        handle.write(b"edited by the user meanwhile")
    assert pending_settle(pending.history) is Settled.KEPT_BOTH
    assert pending.source.exists() and pending.destination.exists()
    assert LibraryFile.objects.filter(id=pending.row.id).exists()


def test_settle_reports_a_file_found_nowhere(pending):
    pending.source.unlink()
    assert pending_settle(pending.history) is Settled.MISSING
    pending.history.refresh_from_db()
    assert "neither" in pending.history.notes and pending.history.can_recover is False


def test_settle_refuses_a_pending_row_pointing_outside_quarantine(pending, tmp_path):
    pending.history.recovery_path = str(
        tmp_path / "quarantine" / ".." / "music" / "Alpha" / "x.wav"
    )
    pending.history.save()
    assert pending_settle(pending.history) is Settled.REFUSED
    assert pending.source.exists()


def test_resume_settles_every_pending_row(pending):
    pending.destination.parent.mkdir(parents=True)
    pending.source.rename(pending.destination)
    result = dedupe_resume()
    assert [s for _, s in result.settled] == [Settled.COMPLETED]
    assert dedupe_resume().settled == []


def test_apply_settles_pending_rows_before_new_work(pending):
    result = dedupe_apply(groups=[])
    assert [s for _, s in result.resumed.settled] == [Settled.UNDONE]


def test_the_intact_copy_is_kept_over_a_truncated_one(dedup_settings, tmp_path):
    """The truncated copy is preferred by every other rule (--prefer its folder); the
    analysis flags it, so it has no score and ranks below the intact copy."""
    from dataclasses import replace

    from quality.services.analysis import file_quality_analyze_all
    from quality.services.demo import DemoTrack, tags_write
    from quality.services.encoding import EncodeSpec, audio_encode
    from quality.services.scanning import library_scan

    music = tmp_path / "music"
    (music / "intact").mkdir(parents=True)
    (music / "preferred").mkdir()
    intact = audio_encode(
        path=music / "intact" / "song.mp3",
        spec=EncodeSpec("m", "mp3", "libmp3lame", bit_rate=192_000),
        seconds=4.0,
    )
    tags_write(path=intact, track=replace(DemoTrack("Artist", "Song", "Album", 2001, None)))
    stub = music / "preferred" / "song.mp3"
    stub.write_bytes(intact.read_bytes()[: intact.stat().st_size * 6 // 10])
    library_scan(roots=[music], workers=1)
    analysis = file_quality_analyze_all(workers=1)
    assert analysis.errors_by_kind == {"truncated": 1}
    assert not FileQuality.objects.filter(library_file__file_path=str(stub)).exists()

    plan = dedupe_plan(min_confidence=0.8, prefer=[music / "preferred"])
    (group,) = plan.groups
    assert group.keeper.file_path == str(intact)
    result = dedupe_apply(groups=plan.groups)
    assert [o.removal.candidate.file_path for o in result.quarantined] == [str(stub)]
    assert intact.is_file() and not stub.exists()
