import numpy as np
import pytest
from django.core.exceptions import ValidationError

from quality.fingerprints import FingerprintAccumulator, fingerprint_encode
from quality.services.music_signal import music_like
from tests.conftest import LIBRARY_DBS
from tests.factories import file_quality_make, library_file_make
from tests.legacy import music_tools_add_playlist, music_tools_add_track
from tests.upgrades.conftest import iso_days_ago
from upgrades.models import UpgradeCandidate, UserAction
from upgrades.services import (
    upgrade_candidate_edit,
    upgrade_candidates_act,
    upgrade_candidates_identify,
)

pytestmark = pytest.mark.django_db(databases=LIBRARY_DBS)


def lossy_file(score=32.7, bitrate=128, **file_overrides):
    library_file = library_file_make(**file_overrides)
    file_quality_make(library_file, quality_score=score, bitrate=bitrate)
    return library_file


def identify(**kwargs):
    kwargs.setdefault("streaming_db", None)
    return upgrade_candidates_identify(**kwargs)


def candidate_of(library_file):
    return UpgradeCandidate.objects.get(library_file=library_file)


def test_candidates_are_active_lossy_files_below_the_threshold():
    low = lossy_file(score=32.7)
    lossy_file(score=70.0)  # at the threshold: not below it
    lossy_file(score=20.0, is_active=False)
    lossless = library_file_make(file_format="flac")
    file_quality_make(lossless, codec="FLAC", quality_score=60.0, is_lossless=True, bitrate=900)
    library_file_make()  # not analysed yet

    summary = identify()

    assert list(UpgradeCandidate.objects.values_list("library_file_id", flat=True)) == [low.id]
    assert (summary.new, summary.refreshed, summary.completed) == (1, 0, 0)
    candidate = candidate_of(low)
    assert candidate.current_format == "mp3"
    assert candidate.current_bitrate == 128
    assert candidate.current_quality_score == 32.7
    assert candidate.potential_quality_gain == 52.3
    assert candidate.recommended_format == "FLAC"
    assert candidate.user_action == UserAction.PENDING
    assert (candidate.artist, candidate.title) == (low.artist, low.title)


def test_threshold_option_widens_the_net():
    lossy_file(score=75.0)
    assert identify(threshold=80).new == 1


def test_without_streaming_db_availability_is_unknown():
    low = lossy_file(score=50.0)
    summary = identify()
    candidate = candidate_of(low)
    assert (candidate.available_on_service, candidate.service_quality) == ("unknown", None)
    assert candidate.checked_at is None
    # gap 20.588 + unknown 15 + no playlist 5
    assert candidate.priority_score == 40.6
    assert summary.by_availability == {"unknown": 1}


def test_available_recent_playlist_and_not_found(music_tools):
    path, conn = music_tools
    wanted = lossy_file(score=50.0, artist="Björk", title="Jóga", duration=305.0)
    missing = lossy_file(score=50.0, artist="Nobody", title="Nothing", duration=100.0)
    track = music_tools_add_track(
        conn, name="Joga", artist="bjork", service="qobuz", duration_ms=304_000
    )
    music_tools_add_track(conn, name="Joga", artist="bjork", service="spotify", duration_ms=305_000)
    music_tools_add_playlist(
        conn, name="Mine", service="qobuz", track_ids_added_at=[(track, iso_days_ago(3))]
    )
    conn.commit()

    summary = identify(streaming_db=path)

    found = candidate_of(wanted)
    assert (found.available_on_service, found.service_quality) == ("qobuz", "hi-res lossless")
    assert found.checked_at is not None
    assert found.priority_score == round(50 * 35 / 85 + 30 + 20, 1)
    absent = candidate_of(missing)
    assert (absent.available_on_service, absent.service_quality) == ("none", None)
    assert absent.priority_score == round(50 * 35 / 85 + 0 + 5, 1)
    assert summary.by_availability == {"qobuz": 1, "none": 1}
    assert (summary.matched_by_name, summary.streaming_tracks) == (1, 2)


def test_nothing_to_match_on_is_unknown_even_with_a_streaming_db(music_tools):
    path, conn = music_tools
    music_tools_add_track(conn, name="Track", artist="Someone", service="tidal")
    conn.commit()
    # the legacy indexer leaves ID3 files without artist/title (docs/legacy-schema.md)
    untagged = lossy_file(artist=None, title=None, filename="01 Track.mp3")
    identify(streaming_db=path)
    candidate = candidate_of(untagged)
    assert candidate.available_on_service == "unknown"
    assert (candidate.artist, candidate.title) == ("", "01 Track")


def test_rerun_refreshes_scores_but_keeps_user_decisions(music_tools):
    path, conn = music_tools
    library_file = lossy_file(score=40.0, artist="A", title="T", duration=200.0)
    identify()
    candidate = candidate_of(library_file)
    upgrade_candidates_act(
        candidate_ids=[candidate.id], action=UserAction.APPROVED, note="buy the 24-bit one"
    )
    decided = candidate_of(library_file)
    music_tools_add_track(conn, name="T", artist="A", service="tidal", duration_ms=200_000)
    conn.commit()
    library_file.quality.quality_score = 45.0
    library_file.quality.save()

    summary = identify(streaming_db=path)

    refreshed = candidate_of(library_file)
    assert (summary.new, summary.refreshed) == (0, 1)
    assert refreshed.id == candidate.id
    assert refreshed.current_quality_score == 45.0
    assert refreshed.available_on_service == "tidal"
    assert refreshed.priority_score == round(50 * 40 / 85 + 30 + 5, 1)
    assert refreshed.user_action == UserAction.APPROVED
    assert refreshed.action_at == decided.action_at
    assert refreshed.notes == decided.notes
    assert "buy the 24-bit one" in refreshed.notes
    assert refreshed.identified_at == candidate.identified_at
    assert refreshed.last_updated > candidate.last_updated


def test_upgraded_files_complete_open_candidates_with_a_note():
    to_lossless = lossy_file(score=32.7)
    to_better = lossy_file(score=32.7)
    rejected = lossy_file(score=32.7)
    identify()
    upgrade_candidates_act(candidate_ids=[candidate_of(to_better).id], action="approved")
    upgrade_candidates_act(candidate_ids=[candidate_of(rejected).id], action="rejected")
    for library_file, values in (
        (to_lossless, {"is_lossless": True, "codec": "FLAC", "quality_score": 85.0}),
        (to_better, {"quality_score": 84.0, "bitrate": 320}),
        (rejected, {"is_lossless": True, "codec": "FLAC", "quality_score": 85.0}),
    ):
        library_file.quality.__dict__.update(values)
        library_file.quality.save()

    summary = identify()

    assert summary.completed == 2
    lossless = candidate_of(to_lossless)
    assert lossless.user_action == UserAction.COMPLETED
    assert lossless.action_at is not None
    assert "now lossless (FLAC, score 85.0)" in lossless.notes
    better = candidate_of(to_better)
    assert better.user_action == UserAction.COMPLETED
    assert "scores 84.0, at or above the threshold 70" in better.notes
    # the user's own decision stands
    assert candidate_of(rejected).user_action == UserAction.REJECTED


def test_file_leaving_the_library_removes_its_candidate():
    library_file = lossy_file()
    identify()
    library_file.delete()
    assert not UpgradeCandidate.objects.exists()


def test_alac_is_recommended_when_most_lossless_files_are_alac():
    for _ in range(2):
        alac = library_file_make(file_format="m4a")
        file_quality_make(alac, codec="ALAC", is_lossless=True, quality_score=85.0)
    flac = library_file_make(file_format="flac")
    file_quality_make(flac, codec="FLAC", is_lossless=True, quality_score=85.0)
    library_file = lossy_file()
    assert identify().recommended_format == "ALAC"
    assert candidate_of(library_file).recommended_format == "ALAC"
    assert identify(format_override="flac").recommended_format == "FLAC"
    assert candidate_of(library_file).recommended_format == "FLAC"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [({"threshold": 0}, "out of range"), ({"format_override": "ogg"}, "not supported")],
)
def test_bad_options_change_nothing(kwargs, message):
    lossy_file()
    with pytest.raises(ValueError, match=message):
        identify(**kwargs)
    assert not UpgradeCandidate.objects.exists()


def test_act_sets_action_time_and_counts_changes():
    files = [lossy_file() for _ in range(3)]
    identify()
    ids = [candidate_of(f).id for f in files]
    first = upgrade_candidates_act(candidate_ids=ids[:1], action="ignored")
    assert (first.changed, first.unchanged) == (1, 0)
    stamp = UpgradeCandidate.objects.get(pk=ids[0]).action_at

    result = upgrade_candidates_act(candidate_ids=ids, action="ignored", note="live versions")

    assert (result.changed, result.unchanged) == (2, 1)
    rows = {c.id: c for c in UpgradeCandidate.objects.filter(pk__in=ids)}
    assert {c.user_action for c in rows.values()} == {"ignored"}
    assert rows[ids[0]].action_at == stamp  # already ignored: untouched
    assert rows[ids[0]].notes is None
    assert all(rows[i].notes.endswith("live versions") for i in ids[1:])


def test_an_action_outside_the_allowed_set_is_refused():
    library_file = lossy_file()
    identify()
    candidate = candidate_of(library_file)
    with pytest.raises(ValidationError, match="'bought' is not allowed: use one of pending"):
        upgrade_candidates_act(candidate_ids=[candidate.id], action="bought")
    with pytest.raises(ValidationError, match="not allowed"):
        upgrade_candidate_edit(candidate=candidate, user_action="maybe", notes="x")
    assert candidate_of(library_file).user_action == UserAction.PENDING


def test_edit_moves_action_at_only_when_the_action_changes():
    library_file = lossy_file()
    identify()
    candidate = candidate_of(library_file)
    upgrade_candidate_edit(candidate=candidate, user_action="pending", notes="just a note")
    assert candidate_of(library_file).action_at is None
    upgrade_candidate_edit(candidate=candidate, user_action="approved", notes="just a note")
    edited = candidate_of(library_file)
    assert (edited.user_action, edited.notes) == ("approved", "just a note")
    assert edited.action_at is not None


def flac_in_place_of(mp3, *, artist, title):
    """A FLAC indexed where the MP3 was (same folder and name, its own extension)."""
    return library_file_make(
        file_path=mp3.file_path.removesuffix(".mp3") + ".flac",
        filename=mp3.filename.removesuffix(".mp3") + ".flac",
        file_format="flac",
        artist=artist,
        title=title,
    )


def test_a_file_replaced_by_a_lossless_copy_completes_its_candidate():
    mp3 = lossy_file(score=32.7, filename="07 Song.mp3", artist="Band", title="Song")
    kept = lossy_file(score=32.7, filename="08 Other.mp3", artist="Band", title="Other")
    gone = lossy_file(score=32.7, filename="09 Gone.mp3", artist="Band", title="Gone")
    identify()
    # the scanner marks vanished files inactive; the FLAC sits where the MP3 was
    for library_file in (mp3, kept, gone):
        library_file.is_active = False
        library_file.save()
    # indexed without tags: found by its path, not its metadata hash
    flac = flac_in_place_of(mp3, artist=None, title=None)
    file_quality_make(flac, codec="FLAC", is_lossless=True, quality_score=85.0, bitrate=900)
    still_lossy = library_file_make(filename="08 Other.m4a", file_format="m4a", artist="Band",
                                    title="Other")  # fmt: skip
    file_quality_make(still_lossy, codec="AAC", quality_score=40.0)

    summary = identify()

    replaced = candidate_of(mp3)
    assert replaced.user_action == UserAction.COMPLETED
    assert f"replaced by {flac.file_path}, lossless (FLAC, score 85.0)" in replaced.notes
    assert candidate_of(kept).user_action == UserAction.PENDING  # its stand-in is still lossy
    assert candidate_of(gone).user_action == UserAction.PENDING  # nothing took its place
    assert summary.completed == 1


def _fingerprint(seed: int) -> str:
    """The stored (encoded) fingerprint of 25 s of a generated music-like recording."""
    pcm = music_like(seconds=25, seed=seed)
    accumulator = FingerprintAccumulator(44100, pcm.shape[0])
    accumulator.feed((np.clip(pcm, -1, 1).T * 32767).astype(np.int16))
    return fingerprint_encode(accumulator.finish())


@pytest.mark.parametrize(("replacement_seed", "completed"), [(7, True), (8, False)])
def test_a_replacement_whose_audio_is_another_recording_completes_nothing(
    replacement_seed, completed
):
    """Same tags and name, the FLAC beside the vanished MP3: it completes the candidate only
    when the fingerprints agree (seed 7 = the MP3's recording; seed 8 = a decoy)."""
    mp3 = lossy_file(score=32.7, filename="07 Song.mp3", artist="Band", title="Song")
    mp3.quality.acoustid_fingerprint = _fingerprint(7)
    mp3.quality.save()
    identify()
    mp3.is_active = False
    mp3.save()
    flac = flac_in_place_of(mp3, artist="Band", title="Song")
    file_quality_make(
        flac,
        codec="FLAC",
        is_lossless=True,
        quality_score=85.0,
        bitrate=900,
        acoustid_fingerprint=_fingerprint(replacement_seed),
    )

    identify()

    expected = UserAction.COMPLETED if completed else UserAction.PENDING
    assert candidate_of(mp3).user_action == expected
