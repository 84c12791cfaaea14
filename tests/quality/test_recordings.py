"""The one rule of "the same recording" (quality.recordings), with hand-made facts."""

from __future__ import annotations

from quality.recordings import (
    ACOUSTIC,
    AUDIO_HASH,
    TAGS,
    AudioMatchFact,
    Candidate,
    acoustic_confidence,
    recording_groups,
    recording_links,
)


def file(
    id: int,
    *,
    tags: str = "band|song",
    duration: float = 200.0,
    pcm: str | None = None,
    fingerprint: bool = True,
) -> Candidate:
    artist, title = tags.split("|")
    return Candidate(
        id=id,
        file_path=f"/music/{id}.flac",
        file_size=1000,
        metadata_hash=f"md:{tags}",
        file_content_hash=f"{id:032x}_1000",  # the legacy sampled form (MD5_size)
        artist=artist,
        title=title,
        duration=duration,
        pcm_hash=pcm,
        has_fingerprint=fingerprint,
    )


def groups(candidates, matches=()) -> list[set[int]]:
    links = recording_links(candidates, audio_matches=matches)
    return sorted(({c.id for c in g} for g in recording_groups(candidates, links)), key=min)


def test_fingerprinted_files_with_equal_tags_but_no_match_are_two_recordings():
    assert groups([file(1), file(2)]) == []


def test_a_match_groups_whatever_the_tags():
    match = AudioMatchFact(1, 2, 0.93, True)
    assert groups([file(1, tags="a|x"), file(2, tags="b|y")], [match]) == [{1, 2}]


def test_a_similar_pair_is_never_grouped():
    assert groups([file(1), file(2)], [AudioMatchFact(1, 2, 0.8, False)]) == []


def test_equal_pcm_hashes_group_with_an_audio_hash_link():
    links = recording_links([file(1, pcm="p"), file(2, pcm="p", tags="x|y"), file(3)])
    assert [(link.a, link.b, link.kind, link.score) for link in links] == [(1, 2, AUDIO_HASH, 1.0)]


def test_tags_join_a_file_without_fingerprint_when_the_audio_leaves_no_doubt():
    heard, unheard = file(1), file(2, fingerprint=False)
    assert groups([heard, unheard]) == [{1, 2}]
    # two fingerprinted copies of one recording and an unfingerprinted one: one group
    match = AudioMatchFact(1, 3, 0.95, True)
    assert groups([heard, unheard, file(3)], [match]) == [{1, 2, 3}]


def test_tags_cannot_say_which_of_two_recordings_an_unfingerprinted_file_is():
    # 1 and 3 share the tags but their audio differs: 2 (no fingerprint) joins neither,
    # and above all does not join 1 and 3 through itself
    assert groups([file(1), file(2, fingerprint=False), file(3)]) == []
    # two unfingerprinted files of that run still pair up by their tags
    candidates = [file(1), file(2, fingerprint=False), file(3), file(4, fingerprint=False)]
    assert groups(candidates) == [{2, 4}]


def test_tag_links_need_close_durations():
    assert groups([file(1, fingerprint=False), file(2, duration=260.0, fingerprint=False)]) == []


def test_links_say_their_kind():
    kinds = {
        link.kind
        for link in recording_links(
            [file(1, pcm="p"), file(2, pcm="p"), file(3), file(4, fingerprint=False)],
            audio_matches=[AudioMatchFact(1, 3, 0.9, True)],
        )
    }
    assert kinds == {AUDIO_HASH, ACOUSTIC, TAGS}


def test_acoustic_confidence_stays_below_a_default_dedupe():
    assert acoustic_confidence(0.85) == 0.5
    assert acoustic_confidence(1.0) == 0.89
    values = [acoustic_confidence(0.85 + step / 100) for step in range(16)]
    assert values == sorted(values) and max(values) < 0.9
