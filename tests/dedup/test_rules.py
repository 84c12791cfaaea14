"""The pure rules: keeper order, confidence, reasons and grouping, on hand-made rows."""

import datetime
import re
from pathlib import PurePath

import pytest

from dedup.models import DeletionReason, MatchedBy
from dedup.rules import (
    KEEPER_RULE_SENTENCES,
    Candidate,
    DecisionFile,
    KeptTogether,
    decision_file_matches,
    duplicate_groups_build,
    exact_groups_confirm,
    exact_groups_suggest,
    group_keeper_choose,
    groups_at_confidence,
    keeper_order,
    keeper_rule_sentence,
    keeper_sort_key,
    metadata_confidence,
    metadata_groups,
    metadata_reason,
)

T0 = datetime.datetime(2024, 1, 1, tzinfo=datetime.UTC)


def cand(id, **kw) -> Candidate:
    values = {
        "file_path": f"/music/f{id}.mp3",
        "file_size": 1000 + id,
        "metadata_hash": "m",
        "file_content_hash": f"{1000 + id}_{id:064x}",
        "artist": "A",
        "title": "T",
        "album": "Album",
        "duration": 200.0,
        "indexed_at": T0,
    }
    values.update(kw)
    return Candidate(id=id, **values)


def keeper_of(*candidates, prefer=()):
    return keeper_order(candidates, prefer=prefer)[0].id


def test_highest_score_wins_whatever_the_other_facts():
    low = cand(1, quality_score=70.0, is_lossless=True, bit_depth=24, sample_rate=96000)
    high = cand(2, quality_score=84.0, is_lossless=False, bitrate=320)
    assert keeper_of(low, high) == 2


def test_a_scored_file_beats_an_unanalysed_one():
    assert keeper_of(cand(1), cand(2, quality_score=5.0)) == 2


def test_score_tie_broken_by_lossless_then_bit_depth_then_rate_then_bitrate():
    lossy = cand(1, quality_score=85.0, is_lossless=False)
    lossless = cand(2, quality_score=85.0, is_lossless=True, bit_depth=16)
    assert keeper_of(lossy, lossless) == 2
    deeper = cand(3, quality_score=85.0, is_lossless=True, bit_depth=24)
    assert keeper_of(lossless, deeper) == 3
    faster = cand(4, quality_score=85.0, is_lossless=True, bit_depth=24, sample_rate=96000)
    assert keeper_of(deeper, faster) == 4
    mp3_256 = cand(5, quality_score=70.0, bitrate=256)
    mp3_320 = cand(6, quality_score=70.0, bitrate=320)
    assert keeper_of(mp3_256, mp3_320) == 6


def test_full_tie_broken_by_prefer_dir_then_oldest_index_then_lowest_id():
    a = cand(1, file_path="/music/inbox/x.mp3", indexed_at=T0)
    b = cand(2, file_path="/music/sorted/x.mp3", indexed_at=T0 + datetime.timedelta(days=1))
    assert keeper_of(a, b) == 1
    assert keeper_of(a, b, prefer=(PurePath("/music/sorted"),)) == 2
    # a sibling folder whose name only starts like the preferred one does not count
    c = cand(3, file_path="/music/sorted-old/x.mp3", indexed_at=T0 + datetime.timedelta(days=2))
    assert keeper_of(a, c, prefer=(PurePath("/music/sorted"),)) == 1
    same_time = [cand(9, indexed_at=T0), cand(4, indexed_at=T0), cand(7, indexed_at=T0)]
    assert keeper_of(*same_time) == 4
    never_indexed = cand(0, indexed_at=None)
    assert keeper_of(never_indexed, cand(8)) == 8


def test_keeper_order_is_independent_of_input_order():
    group = [cand(i, quality_score=float(i % 3)) for i in range(1, 8)]
    assert [c.id for c in keeper_order(group)] == [c.id for c in keeper_order(group[::-1])]


def test_metadata_confidence_stays_below_the_default_threshold():
    keeper = cand(1)
    assert metadata_confidence(keeper, cand(2)) == 0.85
    assert metadata_confidence(keeper, cand(2, duration=201.0)) == 0.775
    assert metadata_confidence(keeper, cand(2, album=" album ")) == 0.85
    assert metadata_confidence(keeper, cand(2, album=None)) == 0.75
    assert metadata_confidence(keeper, cand(2, album="Best Of", duration=202.0)) == 0.5


def test_metadata_reason():
    assert metadata_reason(cand(1, quality_score=85.0), cand(2, quality_score=50.0)) == (
        DeletionReason.LOWER_QUALITY
    )
    assert metadata_reason(cand(1, quality_score=50.0), cand(2, quality_score=50.0)) == (
        DeletionReason.METADATA_MATCH
    )
    assert metadata_reason(cand(1), cand(2, quality_score=50.0)) == DeletionReason.METADATA_MATCH


def test_markers_never_suggest_exact_groups():
    rows = [
        cand(1, file_content_hash="HASH_FAILED"),
        cand(2, file_content_hash="HASH_FAILED"),
        cand(3, file_content_hash="11000000000_FILE_TOO_LARGE"),
        cand(4, file_content_hash="11000000000_FILE_TOO_LARGE"),
        cand(5, file_content_hash=""),
        cand(6, file_content_hash=""),
    ]
    assert exact_groups_suggest(rows) == []


def test_confirmation_splits_a_sampled_collision():
    rows = [cand(i, file_content_hash="5_same") for i in range(1, 6)]
    content = {1: "x", 2: "y", 3: "x", 4: "y", 5: None}  # None: unreadable

    def same_content(a, b):
        return content[a.id] is not None and content[a.id] == content[b.id]

    confirmed, unconfirmed = exact_groups_confirm(
        exact_groups_suggest(rows), same_content=same_content
    )
    assert sorted(sorted(c.id for c in g) for g in confirmed) == [[1, 3], [2, 4]]
    assert [c.id for c in unconfirmed] == [5]


def test_metadata_groups_exclude_untagged_markers_and_missing_durations():
    rows = [
        cand(1, artist=None, title=None, metadata_hash="nometa"),
        cand(2, artist="", title="  ", metadata_hash="nometa"),
        cand(3, metadata_hash="h", file_content_hash="HASH_FAILED"),
        cand(4, metadata_hash="h", file_content_hash="HASH_FAILED"),
        cand(5, metadata_hash="k", duration=None),
        cand(6, metadata_hash="k", duration=None),
    ]
    assert metadata_groups(rows) == []


def test_metadata_groups_cut_by_duration_so_every_pair_is_within_the_delta():
    rows = [cand(i, duration=d) for i, d in enumerate([200.0, 201.5, 203.0, 204.0, 260.0], 1)]
    groups = metadata_groups(rows, max_duration_delta=2.0)
    assert [[c.id for c in g] for g in groups] == [[1, 2], [3, 4]]
    assert metadata_groups(rows, max_duration_delta=0.5) == []


def test_build_collapses_exact_copies_before_matching_recordings():
    flac = cand(1, file_path="/m/a.flac", quality_score=85.0, is_lossless=True,
                file_content_hash="9_f")  # fmt: skip
    flac_copy = cand(2, file_path="/m/copy/a.flac", quality_score=85.0, is_lossless=True,
                     file_content_hash="9_f")  # fmt: skip
    mp3 = cand(3, file_path="/m/a.mp3", quality_score=50.0, duration=200.5)
    report = duplicate_groups_build(
        [mp3, flac_copy, flac],
        same_content=lambda a, b: a.file_content_hash == b.file_content_hash,
    )
    exact, recording = report.groups
    assert (exact.number, exact.matched_by, exact.keeper.id) == (1, MatchedBy.CONTENT_HASH, 1)
    assert [(r.candidate.id, r.reason, r.confidence) for r in exact.removals] == [
        (2, DeletionReason.EXACT_DUPLICATE, 1.0)
    ]
    assert (recording.number, recording.matched_by, recording.keeper.id) == (
        2,
        MatchedBy.METADATA_HASH,
        1,
    )
    assert [(r.candidate.id, r.reason) for r in recording.removals] == [
        (3, DeletionReason.LOWER_QUALITY)
    ]
    assert (report.files, report.bytes_reclaimable) == (2, mp3.file_size + flac_copy.file_size)
    assert groups_at_confidence(report.groups, min_confidence=0.9) == [exact]


def test_build_without_confirmation_marks_exact_groups_unconfirmed():
    rows = [cand(1, file_content_hash="9_f"), cand(2, file_content_hash="9_f", metadata_hash="z")]
    (group,) = duplicate_groups_build(rows, same_content=None).groups
    assert group.confirmed is False


# --- the keeper rule in words ------------------------------------------------------------


def test_every_part_of_the_keeper_key_has_its_sentence():
    assert len(KEEPER_RULE_SENTENCES) == len(keeper_sort_key(cand(1)))


@pytest.mark.parametrize(
    ("keeper", "other", "starts"),
    [
        (cand(1, quality_score=90.0), cand(2, quality_score=70.0), "highest quality score (90;"),
        (cand(1, quality_score=5.0), cand(2), "highest quality score (5; next best not analysed)"),
        (cand(1, quality_score=85.0, is_lossless=True), cand(2, quality_score=85.0), "lossless"),
        (
            cand(1, quality_score=85.0, is_lossless=True, bit_depth=24),
            cand(2, quality_score=85.0, is_lossless=True, bit_depth=16),
            "higher bit depth (24 bit; next best 16)",
        ),
        (
            cand(1, sample_rate=96000),
            cand(2, sample_rate=44100),
            "higher sample rate (96000 Hz; next best 44100 Hz)",
        ),
        (cand(1, bitrate=320), cand(2, bitrate=256), "higher bitrate (320 kbps; next best 256"),
        (
            cand(1),
            cand(2, indexed_at=T0 + datetime.timedelta(days=1)),
            "equal quality; this one was indexed first",
        ),
        (cand(1), cand(2), "equal in every respect; the lowest library id"),
    ],
)
def test_the_keeper_rule_sentence_names_the_first_deciding_part(keeper, other, starts):
    assert keeper_order([other, keeper])[0] == keeper
    assert keeper_rule_sentence(keeper, other).startswith(starts)


def test_a_preferred_folder_is_named_when_it_decides():
    preferred = cand(2, file_path="/music/Best/f2.mp3")
    sentence = keeper_rule_sentence(preferred, cand(1), prefer=(PurePath("/music/Best"),))
    assert sentence == "equal quality; this one is under a preferred folder"


# --- keep-both decisions -------------------------------------------------------------------


def remembered(candidate, **changes) -> DecisionFile:
    values = {
        "library_file_id": candidate.id,
        "file_path": candidate.file_path,
        "file_content_hash": candidate.file_content_hash,
    }
    values.update(changes)
    return DecisionFile(**values)


def test_a_decision_knows_its_file_by_any_two_of_id_path_and_hash():
    file = cand(1)
    assert decision_file_matches(remembered(file), file)
    assert decision_file_matches(remembered(file, library_file_id=99), file)  # re-indexed
    assert decision_file_matches(remembered(file, file_content_hash="x"), file)  # re-tagged
    assert decision_file_matches(remembered(file, file_path="/old/place.mp3"), file)  # id + hash
    # An exact copy elsewhere shares only the hash: another file.
    copy = cand(2, file_content_hash=file.file_content_hash)
    assert not decision_file_matches(remembered(file), copy)
    # A marker hash never counts as agreement: such a file needs its id and path.
    failed = cand(3, file_content_hash="HASH_FAILED")
    assert decision_file_matches(remembered(failed), failed)
    assert not decision_file_matches(remembered(failed, library_file_id=98), failed)


def exact_rows():
    flac = cand(1, file_path="/m/a.flac", quality_score=85.0, is_lossless=True,
                file_content_hash="9_f")  # fmt: skip
    flac_copy = cand(2, file_path="/m/copy/a.flac", quality_score=85.0, is_lossless=True,
                     file_content_hash="9_f")  # fmt: skip
    aac = cand(3, file_path="/m/a.m4a", quality_score=70.0, duration=200.5)
    return flac, flac_copy, aac


def test_keep_both_takes_the_files_out_of_removals_and_drops_an_empty_group():
    flac, flac_copy, aac = exact_rows()
    keep = KeptTogether(1, "keep_both", (remembered(flac), remembered(aac)))
    report = duplicate_groups_build([flac, flac_copy, aac], same_content=None, decisions=[keep])
    (exact,) = report.groups  # the FLAC + AAC group had nothing left to remove
    assert exact.number == 1 and exact.keeper == flac
    assert [r.candidate for r in exact.removals] == [flac_copy]
    assert report.kept_by_decision == 1
    assert report.files == 1


def test_a_kept_member_stays_in_its_group_but_is_never_removed():
    flac, flac_copy, aac = exact_rows()
    third = cand(4, file_path="/m/more/a.flac", quality_score=85.0, is_lossless=True,
                 file_content_hash="9_f")  # fmt: skip
    keep = KeptTogether(1, "keep_both", (remembered(flac), remembered(third)))
    report = duplicate_groups_build([flac, flac_copy, aac, third], same_content=None,
                                    decisions=[keep])  # fmt: skip
    exact = report.groups[0]
    assert [r.candidate.id for r in exact.removals] == [2]
    assert exact.kept == (third,)
    assert exact.members == (flac, flac_copy, third)
    assert groups_at_confidence(report.groups, min_confidence=0.9)[0].kept == (third,)


def test_without_decisions_the_groups_are_the_same():
    rows = exact_rows()
    assert duplicate_groups_build(rows, same_content=None, decisions=()) == duplicate_groups_build(
        rows, same_content=None
    )


# --- the user's keeper ------------------------------------------------------------------------


def test_choosing_another_keeper_annotates_the_removals_against_it():
    flac, flac_copy, aac = exact_rows()
    report = duplicate_groups_build([flac, flac_copy, aac], same_content=None)
    recording = report.groups[1]
    chosen = group_keeper_choose(recording, keeper_id=aac.id, remove_ids=[flac.id])
    assert chosen.keeper == aac
    assert [(r.candidate, r.reason) for r in chosen.removals] == [
        (flac, DeletionReason.METADATA_MATCH)  # the keeper scores lower: not "lower_quality"
    ]
    assert chosen.matched_by == MatchedBy.METADATA_HASH and chosen.number == recording.number


@pytest.mark.parametrize(
    ("keeper_id", "remove_ids", "message"),
    [
        (9, [1], "file 9 is not a member of duplicate group 1"),
        (1, [1], "file 1 cannot be both the keeper and removed"),
        (1, [3], "file 3 is not a removable member of duplicate group 1"),
        (1, [], "nothing to remove from duplicate group 1"),
    ],
)
def test_a_choice_outside_the_group_is_refused(keeper_id, remove_ids, message):
    exact = duplicate_groups_build(exact_rows(), same_content=None).groups[0]
    with pytest.raises(ValueError, match=re.escape(message)):
        group_keeper_choose(exact, keeper_id=keeper_id, remove_ids=remove_ids)


def test_keep_both_applies_to_recording_groups_too():
    """Identical decoded audio in two containers (an ``audio_hash`` group), then an
    intentional lossless + lossy pair matched by fingerprint: a decision keeps each."""
    flac = cand(1, file_path="/m/a.flac", quality_score=85.0, is_lossless=True,
                pcm_hash="p", has_fingerprint=True)  # fmt: skip
    flac_again = cand(2, file_path="/m/b.flac", quality_score=85.0, is_lossless=True,
                      pcm_hash="p", has_fingerprint=True)  # fmt: skip
    (group,) = duplicate_groups_build([flac, flac_again], same_content=None).groups
    assert group.matched_by == MatchedBy.AUDIO_HASH
    keep = KeptTogether(1, "not_duplicates", (remembered(flac), remembered(flac_again)))
    report = duplicate_groups_build([flac, flac_again], same_content=None, decisions=[keep])
    assert report.groups == () and report.kept_by_decision == 1
