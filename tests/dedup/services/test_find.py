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
    """``make_demo_library`` knows which files it made as exact copies (under ``Copies/``) and
    as the same track in another format (``[spec]`` suffix, same tags and length)."""
    from quality.services.analysis import file_quality_analyze_all
    from quality.services.demo import KIND_DUPLICATE, KIND_OTHER_FORMAT, demo_library_make
    from quality.services.scanning import library_scan

    demo = demo_library_make(out=tmp_path / "demo", files=80, seed=11, workers=1)
    assert demo.by_kind.get(KIND_DUPLICATE) and demo.by_kind.get(KIND_OTHER_FORMAT)
    library_scan(roots=[demo.music_dir], workers=1)
    file_quality_analyze_all(workers=1)
    report = duplicates_find()

    exact = [g for g in report.groups if g.matched_by == MatchedBy.CONTENT_HASH]
    in_exact_groups: set[str] = set()
    for group in exact:
        members = [group.keeper.file_path] + [r.candidate.file_path for r in group.removals]
        assert len({sha256(Path(p)) for p in members}) == 1  # checked here, independently
        in_exact_groups.update(members)
    copies = [p for p in (demo.music_dir / "Copies").iterdir()]
    assert len(copies) == demo.by_kind[KIND_DUPLICATE]
    assert all(str(p) in in_exact_groups for p in copies)
    # the generator may also place the same track twice with the same master: more is fine
    assert sum(len(g.removals) for g in exact) >= len(copies)

    in_recording_groups = {
        c.file_path
        for g in report.groups
        if g.matched_by == MatchedBy.METADATA_HASH
        for c in [g.keeper, *(r.candidate for r in g.removals)]
    }
    other_format = [
        p
        for p in demo.music_dir.rglob("*")
        if p.is_file() and " [" in p.name and p not in demo.corrupt
    ]
    assert other_format
    assert all(str(p) in in_recording_groups for p in other_format)
    for group in report.groups:
        if group.matched_by == MatchedBy.METADATA_HASH:
            for removal in group.removals:
                assert removal.confidence < 0.9
                if removal.reason == DeletionReason.LOWER_QUALITY:
                    assert removal.candidate.quality_score < group.keeper.quality_score
