from pathlib import Path

import pytest

from dedup.models import DeletionReason, MatchedBy
from dedup.services.find import duplicates_find
from tests.conftest import LIBRARY_DBS
from tests.dedup.helpers import sha256

pytestmark = pytest.mark.django_db(databases=LIBRARY_DBS)


def names_by_id(lib):
    return {row.id: name for name, row in lib.rows.items()}


def group_names(lib, group):
    names = names_by_id(lib)
    return {names[group.keeper.id]} | {names[r.candidate.id] for r in group.removals}


def test_exact_and_same_recording_groups_on_a_generated_library(dedup_library):
    lib = dedup_library
    report = duplicates_find()
    exact = [g for g in report.groups if g.matched_by == MatchedBy.CONTENT_HASH]
    recording = [g for g in report.groups if g.matched_by == MatchedBy.METADATA_HASH]
    assert [group_names(lib, g) for g in exact] == lib.exact_groups
    assert [group_names(lib, g) for g in recording] == lib.recording_groups

    (a,) = exact
    assert a.keeper.id == lib.rows["a1"].id  # no scores: the oldest index is kept
    assert all(r.reason == DeletionReason.EXACT_DUPLICATE and r.confidence == 1.0
               for r in a.removals)  # fmt: skip
    (b,) = recording
    assert b.keeper.id == lib.rows["b_flac"].id
    (removal,) = b.removals
    assert removal.reason == DeletionReason.LOWER_QUALITY
    assert removal.confidence == pytest.approx(0.5 + 0.2 + 0.15 * (1 - 0.4 / 2))

    grouped = set().union(*(group_names(lib, g) for g in report.groups))
    assert not grouped & lib.never_grouped
    assert report.files == 3
    assert report.bytes_reclaimable == sum(
        lib.path(name).stat().st_size for name in ("a2", "a3", "b_wav")
    )


def test_sampled_hash_collision_is_not_an_exact_duplicate(dedup_library):
    report = duplicates_find()
    unconfirmed = {c.id for c in report.unconfirmed}
    assert unconfirmed == {dedup_library.rows["c_128k_1"].id, dedup_library.rows["c_128k_2"].id}


def test_without_confirmation_the_collision_is_only_a_suggestion(dedup_library):
    report = duplicates_find(confirm=False)
    ids = {dedup_library.rows["c_128k_1"].id, dedup_library.rows["c_128k_2"].id}
    (suggested,) = [g for g in report.groups if not g.confirmed and ids <= (
        {g.keeper.id} | {r.candidate.id for r in g.removals})]  # fmt: skip
    assert suggested.matched_by == MatchedBy.CONTENT_HASH


def test_prefer_dir_changes_the_keeper_of_equal_copies(dedup_library):
    lib = dedup_library
    report = duplicates_find(prefer=(lib.root / "music" / "Backup",))
    (exact,) = [g for g in report.groups if g.matched_by == MatchedBy.CONTENT_HASH]
    assert exact.keeper.id == lib.rows["a3"].id


def test_a_missing_file_is_not_confirmed(dedup_library):
    lib = dedup_library
    lib.path("a3").unlink()
    report = duplicates_find()
    (exact,) = [g for g in report.groups if g.matched_by == MatchedBy.CONTENT_HASH]
    assert {r.candidate.id for r in exact.removals} == {lib.rows["a2"].id}
    assert lib.rows["a3"].id in {c.id for c in report.unconfirmed}


def test_inactive_rows_are_ignored(dedup_library):
    lib = dedup_library
    type(lib.rows["a2"]).objects.filter(id__in=[lib.rows["a2"].id, lib.rows["a3"].id]).update(
        is_active=False
    )
    report = duplicates_find()
    assert all(g.matched_by == MatchedBy.METADATA_HASH for g in report.groups)


def test_groups_on_a_demo_library(tmp_path, dedup_settings):
    """On ``make_demo_library``'s files, run through ``make demo``'s steps (scan, analyse,
    verify, album folder preferred): every exact and re-tagged copy is grouped with the album
    file it copies (at confidence 1.0, unless a better file of its recording is kept), no copy
    is kept, and no group that dedupe acts on (confidence >= 0.9) holds two recordings (the
    demo's manifest says which file is which)."""
    import json

    from quality.services.analysis import file_quality_analyze_all
    from quality.services.demo import (
        FOLDER_ALBUMS,
        KIND_EXACT_COPY,
        KIND_RETAGGED_COPY,
        demo_library_make,
    )
    from quality.services.scanning import library_scan
    from quality.services.verification import audio_verify_all

    demo = demo_library_make(out=tmp_path / "demo", files=80, seed=11, recordings=20, workers=1)
    manifest = json.loads(demo.manifest.read_text())
    recording_of = {str(demo.out / f["path"]): f.get("recording") for f in manifest["files"]}
    kind_of = {str(demo.out / f["path"]): f["kind"] for f in manifest["files"]}
    library_scan(roots=[demo.music_dir], workers=1)
    file_quality_analyze_all(workers=1)
    audio_verify_all(workers=1)
    report = duplicates_find(prefer=[demo.music_dir / FOLDER_ALBUMS])

    removed_by: dict[str, tuple[str, float]] = {}
    for group in report.groups:
        members = [group.keeper, *(r.candidate for r in group.removals)]
        if group.confidence >= 0.9:
            assert len({recording_of[m.file_path] for m in members}) == 1, group
        for removal in group.removals:
            removed_by[removal.candidate.file_path] = (group.keeper.file_path, removal.confidence)
    copies = [f for f in manifest["files"] if f["kind"] in (KIND_EXACT_COPY, KIND_RETAGGED_COPY)]
    assert {f["kind"] for f in copies} == {KIND_EXACT_COPY, KIND_RETAGGED_COPY}
    for f in copies:
        copy, original = str(demo.out / f["path"]), str(demo.out / f["copy_of"])
        if f["kind"] == KIND_EXACT_COPY:
            assert sha256(Path(copy)) == sha256(Path(original))  # checked here, independently
        keeper, confidence = removed_by[copy]
        assert (keeper == original and confidence == 1.0) or (
            recording_of[keeper] == f["recording"]
            and kind_of[keeper] not in (KIND_EXACT_COPY, KIND_RETAGGED_COPY)
        ), (copy, keeper, confidence)
