"""The vetting rules (imports.rules) with hand-made facts: verdicts, totals, where files go."""

from __future__ import annotations

from pathlib import PurePosixPath

import pytest

from imports.rules import (
    TemplateError,
    Verdict,
    VettingTotals,
    import_subpath,
    is_better_copy,
    numbered_name,
    path_component,
    template_check,
    vetting_decide,
)
from quality.recordings import LINK_STRENGTH, AudioMatchFact, Candidate, recording_links


def file(
    id: int,
    *,
    score: float | None = 85.0,
    tags: str = "band|song",
    pcm: str | None = None,
    fingerprint: bool = True,
    verdict: str | None = "ok",
    duration: float = 200.0,
    content: str | None = None,
) -> Candidate:
    artist, title = tags.split("|")
    return Candidate(
        id=id,
        file_path=f"/{'in' if id < 0 else 'music'}/{abs(id)}.flac",
        file_size=1000,
        metadata_hash=f"md:{tags}",
        file_content_hash=content or f"1000_{id:+064d}",
        artist=artist,
        title=title,
        duration=duration,
        quality_score=score,
        is_lossless=score is not None and score >= 85,
        pcm_hash=pcm,
        verdict=verdict,
        has_fingerprint=fingerprint,
    )


def decide(candidates, matches=()):
    links = recording_links(candidates, audio_matches=matches, kinds=LINK_STRENGTH)
    similar = [m for m in matches if not m.same_recording]
    return {v.incoming.id: v for v in vetting_decide(candidates, links, similar=similar)}


def same(a: int, b: int, score: float = 0.95) -> AudioMatchFact:
    return AudioMatchFact(min(a, b), max(a, b), score, True)


def test_nothing_alike_in_the_library_is_new():
    found = decide([file(-1, tags="x|y"), file(1)])
    assert found[-1].verdict == Verdict.NEW
    assert found[-1].library_match is None


def test_identical_audio_at_equal_quality_is_a_duplicate():
    found = decide([file(-1, pcm="p", tags="re|tagged"), file(1, pcm="p")])
    verdict = found[-1]
    assert verdict.verdict == Verdict.DUPLICATE
    assert verdict.library_match.id == 1
    assert (verdict.matched_by, verdict.confidence) == ("audio_hash", 1.0)


def test_a_lesser_copy_of_a_library_recording_is_a_duplicate():
    found = decide([file(-1, score=32.7), file(1, score=85.0)], [same(-1, 1)])
    assert found[-1].verdict == Verdict.DUPLICATE
    assert found[-1].matched_by == "acoustic_fingerprint"
    assert 0.5 <= found[-1].confidence < 0.9


def test_a_better_copy_than_the_librarys_best_is_an_upgrade_of_that_best_copy():
    candidates = [file(-1, score=85.0), file(1, score=32.7), file(2, score=40.0)]
    found = decide(candidates, [same(-1, 1), same(1, 2)])
    verdict = found[-1]
    assert verdict.verdict == Verdict.UPGRADE
    assert verdict.library_match.id == 2  # the best copy, the one it replaces
    assert {c.id for c in verdict.recording} == {1, 2}


def test_equal_score_is_no_upgrade_and_damage_never_is():
    assert not is_better_copy(file(-1, score=85.0), file(1, score=85.0))
    assert not is_better_copy(file(-1, score=85.0, verdict="damaged"), file(1, score=30.0))
    assert is_better_copy(file(-1, score=30.0), file(1, score=85.0, verdict="damaged"))


def test_tags_without_audio_to_confirm_them_are_uncertain():
    found = decide([file(-1, fingerprint=False), file(1, score=32.7)])
    verdict = found[-1]
    assert verdict.verdict == Verdict.UNCERTAIN
    assert verdict.library_match.id == 1
    assert "no fingerprint" in verdict.reason


def test_tags_contradicted_by_both_fingerprints_are_a_new_recording():
    assert decide([file(-1), file(1)])[-1].verdict == Verdict.NEW


def test_similar_audio_is_uncertain():
    found = decide([file(-1, tags="x|y"), file(1)], [AudioMatchFact(-1, 1, 0.78, False)])
    assert found[-1].verdict == Verdict.UNCERTAIN
    assert "similar" in found[-1].reason and "0.78" in found[-1].reason


def test_a_library_copy_not_analysed_makes_it_uncertain():
    found = decide([file(-1), file(1, score=None)], [same(-1, 1)])
    assert found[-1].verdict == Verdict.UNCERTAIN
    assert "analyze_quality" in found[-1].reason


def test_a_damaged_file_of_no_library_recording_is_uncertain():
    assert decide([file(-1, verdict="damaged", score=0.0)])[-1].verdict == Verdict.UNCERTAIN


def test_two_copies_in_one_import_give_one_verdict_and_a_duplicate():
    candidates = [file(-1, score=50.0), file(-2, score=85.0), file(1, score=32.7)]
    found = decide(candidates, [same(-1, -2), same(-2, 1)])
    assert found[-2].verdict == Verdict.UPGRADE
    assert found[-1].verdict == Verdict.DUPLICATE
    assert found[-1].duplicate_of.id == -2
    new_twice = decide([file(-1, pcm="p", score=85.0), file(-2, pcm="p", score=85.0)])
    assert sorted(v.verdict for v in new_twice.values()) == [Verdict.DUPLICATE, Verdict.NEW]


def test_totals_map_onto_the_music_tools_columns():
    totals = VettingTotals.of(["new", "new", "upgrade", "duplicate", "uncertain"])
    assert totals.as_dict() == {
        "files": 5,
        "new": 2,
        "duplicate": 1,
        "upgrade": 1,
        "uncertain": 1,
    }
    # the library already holds the recordings of duplicates and upgrades
    assert totals.duplicates_found == 2
    assert totals.duplicates_found + totals.new + totals.uncertain == totals.files


def test_the_default_template_and_unknown_tags():
    path = import_subpath(
        "{artist}/{album}/{filename}",
        artist="Band",
        album=None,
        title="Song",
        year=None,
        filename="01 Song.flac",
    )
    assert path == PurePosixPath("Band/Unknown Album/01 Song.flac")
    named = import_subpath(
        "{artist}/{year} - {album}/{title}.{ext}",
        artist="AC/DC",
        album="..",
        title="T",
        year=1980,
        filename="x.FLAC",
    )
    assert named == PurePosixPath("AC_DC/1980 -/T.flac")  # no trailing dots or blanks


@pytest.mark.parametrize("value", ["..", ".", ".hidden", "a/b", "a\\b", "x\x00y", " . "])
def test_a_path_component_never_leaves_its_folder(value):
    part = path_component(value)
    assert part not in ("", ".", "..") and "/" not in part and "\\" not in part
    assert not part.startswith(".") and "\x00" not in part


def test_a_long_name_keeps_its_extension():
    part = path_component("é" * 300 + ".flac")
    assert part.endswith(".flac") and len(part.encode()) <= 200


@pytest.mark.parametrize(
    ("template", "message"),
    [
        ("{artist}/{genre}/{filename}", "unknown field {genre}"),
        ("/abs/{filename}", "must be relative"),
        ("{artist}/../{filename}", "must be relative"),
        ("{artist}/{title}", "must end with"),
    ],
)
def test_bad_templates_are_refused_with_what_to_do(template, message):
    with pytest.raises(TemplateError, match=message.replace("{", r"\{").replace("}", r"\}")):
        template_check(template)


def test_numbered_names():
    assert numbered_name("Song.flac", 1) == "Song.flac"
    assert numbered_name("Song.flac", 2) == "Song (2).flac"
