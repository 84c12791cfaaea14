import datetime

import pytest

from musicquality.timestamps import timestamp_parse
from quality.services.tags import isrc_normalise
from upgrades import rules
from upgrades.rules import Availability, Listening

NOW = datetime.datetime(2026, 1, 8, 12, 0, tzinfo=datetime.UTC)


@pytest.mark.parametrize(
    ("score", "gap"),
    [
        (85.0, 0.0),  # CD-quality already: no gap
        (100.0, 0.0),  # above the target never goes negative
        (42.5, 25.0),  # half-way: half of the 50 points
        (0.0, 50.0),  # the maximum
    ],
)
def test_quality_gap_at_zero_mid_and_max(score, gap):
    assert rules.quality_gap(current_score=score) == pytest.approx(gap)


@pytest.mark.parametrize(
    ("availability", "points"),
    [(Availability.AVAILABLE, 30), (Availability.UNKNOWN, 15), (Availability.NOT_FOUND, 0)],
)
@pytest.mark.parametrize(
    ("listening", "user_points"),
    [(Listening.RECENT_PLAYLIST, 20), (Listening.IN_PLAYLIST, 15), (Listening.NO_PLAYLIST, 5)],
)
def test_priority_is_the_sum_for_every_branch(availability, points, listening, user_points):
    # 128 kbps MP3 scores 32.7 (docs/formulas.md): gap = 50 × (85 − 32.7) / 85 = 30.7647…
    expected = round(50 * (85 - 32.7) / 85 + points + user_points, 1)
    assert (
        rules.upgrade_priority(current_score=32.7, availability=availability, listening=listening)
        == expected
    )


def test_priority_extremes():
    assert (
        rules.upgrade_priority(
            current_score=0,
            availability=Availability.AVAILABLE,
            listening=Listening.RECENT_PLAYLIST,
        )
        == 100.0
    )
    assert (
        rules.upgrade_priority(
            current_score=90, availability=Availability.NOT_FOUND, listening=Listening.NO_PLAYLIST
        )
        == 5.0
    )


def test_priority_hand_computed_value():
    # 192 kbps MP3 = 50 points; gap = 50 × 35 / 85 = 20.588…; + 30 + 15 = 65.588… → 65.6
    assert (
        rules.upgrade_priority(
            current_score=50.0, availability=Availability.AVAILABLE, listening=Listening.IN_PLAYLIST
        )
        == 65.6
    )


def test_potential_gain():
    assert rules.potential_quality_gain(current_score=32.7) == 52.3
    assert rules.potential_quality_gain(current_score=90.0) == 0.0


@pytest.mark.parametrize(
    ("alac", "lossless", "override", "expected"),
    [
        (0, 0, None, "FLAC"),
        (3, 10, None, "FLAC"),
        (5, 10, None, "FLAC"),  # a tie is not "most"
        (6, 10, None, "ALAC"),
        (6, 10, "flac", "FLAC"),
        (0, 10, "alac", "ALAC"),
        (0, 0, " wav ", "WAV"),
    ],
)
def test_recommended_format(alac, lossless, override, expected):
    assert rules.recommended_format(
        alac_files=alac, lossless_files=lossless, override=override
    ) == (expected)


def test_unknown_format_is_refused_with_the_allowed_list():
    with pytest.raises(ValueError, match="FLAC, ALAC, WAV"):
        rules.format_choice("mp3")


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Beyoncé", "BEYONCE"),
        ("Sigur Rós", "sigur ros"),
        ("AC/DC", "ac dc"),
        ("ACDC", "AC-DC"),
        ("Guns N' Roses", "guns n roses"),
        ("Don't Stop Me Now!", "dont stop me now"),
        ("Simon & Garfunkel", "Simon and Garfunkel"),
        ("  Hello,   World ", "hello world"),
        ("Motörhead", "MOTORHEAD"),
    ],
)
def test_name_normalisation_ignores_case_accents_punctuation(a, b):
    assert rules.name_normalise(a) == rules.name_normalise(b)


def test_name_normalisation_keeps_different_words_apart():
    assert rules.name_normalise("Hello") != rules.name_normalise("Hallo")
    assert rules.name_key(artist="A", title="B C") != rules.name_key(artist="A B", title="C")


def test_name_key_needs_artist_and_title():
    assert rules.name_key(artist="Artist", title=None) is None
    assert rules.name_key(artist="  ", title="Song") is None
    assert rules.name_key(artist="?!", title="Song") is None


def test_isrc_normalise():
    assert isrc_normalise("us-rc1-76-07839") == "USRC17607839"
    assert isrc_normalise(" USRC17607839 ") == "USRC17607839"
    assert isrc_normalise("") is None
    assert isrc_normalise(None) is None
    assert isrc_normalise("usrc17607839") == "USRC17607839"
    assert isrc_normalise("US\u00a0RC1\t7607839") == "USRC17607839"
    assert isrc_normalise(" - ") is None


@pytest.mark.parametrize(
    ("seconds", "ms", "agree"),
    [
        (200.0, 200_000, True),
        (200.0, 203_000, True),  # exactly 3 s
        (200.0, 197_000, True),
        (200.0, 203_001, False),
        (200.0, 196_500, False),
        (None, 100_000, True),  # unknown duration: the name decides
        (200.0, None, True),
    ],
)
def test_duration_window(seconds, ms, agree):
    assert rules.durations_agree(file_seconds=seconds, track_ms=ms) is agree


def test_listening_from_playlists():
    recent = NOW - datetime.timedelta(days=29, hours=23)
    old = NOW - datetime.timedelta(days=31)
    assert rules.listening_from_playlists(last_added=[old, recent], now=NOW) is (
        Listening.RECENT_PLAYLIST
    )
    assert rules.listening_from_playlists(last_added=[old], now=NOW) is Listening.IN_PLAYLIST
    assert rules.listening_from_playlists(last_added=[None], now=NOW) is Listening.IN_PLAYLIST
    assert rules.listening_from_playlists(last_added=[], now=NOW) is Listening.NO_PLAYLIST


def test_timestamp_parse_reads_legacy_and_django_spellings():
    legacy = timestamp_parse("2026-01-08T12:00:00.123456+00:00")
    django = timestamp_parse("2026-01-08 12:00:00.123456")
    assert legacy == django
    assert timestamp_parse("yesterday") is None


def test_availability_decide():
    unknown = rules.availability_decide(checked=False, services=["tidal"])
    assert (unknown.availability, unknown.service) == (Availability.UNKNOWN, "unknown")
    none = rules.availability_decide(checked=True, services=[])
    assert (none.availability, none.service, none.service_quality) == (
        Availability.NOT_FOUND,
        "none",
        None,
    )
    found = rules.availability_decide(checked=True, services=["spotify", "tidal", "deezer"])
    # lossless beats lossy; among equals, the name decides (stable)
    assert (found.availability, found.service, found.service_quality) == (
        Availability.AVAILABLE,
        "deezer",
        "lossless",
    )
    assert rules.availability_decide(checked=True, services=["qobuz", "tidal"]).service == "qobuz"
    odd = rules.availability_decide(checked=True, services=["napster"])
    assert (odd.availability, odd.service_quality) == (Availability.AVAILABLE, "unknown")


def test_service_quality_table():
    assert rules.service_quality("Tidal") == "lossless"
    assert rules.service_quality("spotify") == "lossy"
    assert rules.service_quality("qobuz") == "hi-res lossless"


def test_note_appended_keeps_what_was_there():
    assert rules.note_appended(None, "buy on Qobuz", when="2026-01-08T12:00") == (
        "[2026-01-08] buy on Qobuz"
    )
    assert rules.note_appended("mine", "auto", when="2026-01-09T00:00") == (
        "mine\n[2026-01-09] auto"
    )
    assert rules.note_appended("mine", "  ", when="2026-01-09") == "mine"


@pytest.mark.parametrize(
    ("priority", "band"),
    [(100, "high"), (70, "high"), (69.9, "medium"), (40, "medium"), (5, "low")],
)
def test_priority_band(priority, band):
    assert rules.priority_band(priority) == band


def test_priority_band_labels_come_from_the_bands():
    labels = [rules.priority_band_label(band) for band in rules.PRIORITY_BANDS]
    assert labels == ["high (≥ 70)", "medium (40–70)", "low (< 40)"]


def test_target_is_what_a_cd_quality_lossless_copy_scores():
    from quality.score import quality_score

    cd = quality_score(
        codec="FLAC", bitrate_kbps=900, sample_rate=44100, bit_depth=16, channels=2,
        bitrate_mode=None,
    )  # fmt: skip
    assert rules.TARGET_SCORE == cd == 85.0


@pytest.mark.django_db(databases=["default", "library"])
def test_candidate_rule_and_its_sql_mirror_agree():
    """``upgrade_candidate_q`` selects exactly the rows ``is_upgrade_candidate`` accepts,
    verdicts of the audio verification included."""
    from quality.models import AudioVerification, FileQuality
    from tests.factories import file_quality_make, library_file_make
    from upgrades.selectors import upgrade_candidate_q

    cases = []
    for is_lossless in (True, False, None):
        for score in (0.0, 32.7, 69.9, 70.0, 70.1, 85.0, 100.0):
            for verdict in (None, "ok", "lossy_source", "damaged", "upsampled"):
                library_file = library_file_make()
                row = file_quality_make(library_file, is_lossless=is_lossless, quality_score=score)
                if verdict:
                    AudioVerification.objects.create(
                        library_file=library_file, verified_at="2026-01-08T12:00:00+00:00",
                        verifier_version="v", integrity="ok", md5_status="n.a.", verdict=verdict,
                    )  # fmt: skip
                cases.append((row.id, is_lossless, score, verdict))
    for threshold in (50.0, 70.0, 85.0):
        selected = set(
            FileQuality.objects.filter(upgrade_candidate_q(threshold=threshold)).values_list(
                "id", flat=True
            )
        )
        expected = {
            id_
            for id_, is_lossless, score, verdict in cases
            if rules.is_upgrade_candidate(
                is_lossless=is_lossless, score=score, threshold=threshold, verdict=verdict
            )
        }
        assert selected == expected, threshold
        assert 0 < len(expected) < len(cases)


def test_a_fake_lossless_file_is_a_candidate_a_genuine_one_never():
    assert rules.is_upgrade_candidate(
        is_lossless=True, score=32.7, threshold=70, verdict="lossy_source"
    )
    assert not rules.is_upgrade_candidate(is_lossless=True, score=60, threshold=70, verdict="ok")
    assert not rules.is_upgrade_candidate(is_lossless=True, score=85, threshold=90, verdict=None)


@pytest.mark.parametrize("service", ["spotify", "youtube", "soundcloud", "YouTube_Music"])
def test_a_lossy_only_match_never_gets_the_available_points(service):
    verdict = rules.availability_decide(checked=True, services=[service])
    assert verdict.availability is Availability.LOSSY_ONLY
    assert verdict.service_quality == "lossy"
    assert Availability.NOT_FOUND.value < Availability.LOSSY_ONLY.value
    assert Availability.LOSSY_ONLY.value < Availability.UNKNOWN.value
    for listening in Listening:
        parts = rules.priority_parts(
            current_score=32.7, availability=verdict.availability, listening=listening
        )
        assert parts.availability.value != Availability.AVAILABLE.value
        # read back from what identify stores, it is lossy-only again
        stored = rules.priority_parts_stored(
            current_score=32.7,
            service=verdict.service,
            quality=verdict.service_quality,
            priority=parts.total,
        )
        assert stored.availability is Availability.LOSSY_ONLY


def test_a_lossless_service_beside_a_lossy_one_is_available():
    verdict = rules.availability_decide(checked=True, services=["spotify", "bandcamp"])
    assert (verdict.availability, verdict.service) == (Availability.AVAILABLE, "bandcamp")


@pytest.mark.parametrize("score", [0.0, 12.3, 32.7, 49.99, 50.0, 69.9, 84.94])
@pytest.mark.parametrize("availability", list(Availability))
@pytest.mark.parametrize("listening", list(Listening))
def test_priority_parts_sum_to_the_stored_priority(score, availability, listening):
    stored = rules.upgrade_priority(
        current_score=score, availability=availability, listening=listening
    )
    service, quality = {
        Availability.AVAILABLE: ("tidal", "lossless"),
        Availability.UNKNOWN: ("unknown", None),
        Availability.LOSSY_ONLY: ("spotify", "lossy"),
        Availability.NOT_FOUND: ("none", None),
    }[availability]
    parts = rules.priority_parts_stored(
        current_score=score, service=service, quality=quality, priority=stored
    )
    assert (parts.availability, parts.listening) == (availability, listening)
    assert parts.total == stored
    assert round(parts.gap + parts.availability.value + parts.listening.value, 1) == stored


def test_a_priority_of_an_older_rule_has_no_user_factor():
    # scoring revision 2 gave a spotify match 30 points: 30.8 + 30 + 5 = 65.8
    parts = rules.priority_parts_stored(
        current_score=32.7, service="spotify", quality="lossy", priority=65.8
    )
    assert parts.listening is None


def test_service_label_names_the_quality():
    assert rules.service_label("tidal", "lossless") == "tidal (lossless)"
    assert rules.service_label("spotify") == "spotify (lossy)"
    assert rules.service_label("none") == "not found"


@pytest.mark.parametrize(
    ("matched_by", "seconds", "track_ms", "expected"),
    [
        ("isrc", None, None, 1.0),
        ("isrc", 100.0, 400_000, 1.0),
        ("name", 200.0, 200_000, 0.9),
        ("name", 200.0, 201_500, 0.8),
        ("name", 200.0, 203_000, 0.7),
        ("name", None, 200_000, 0.7),
        ("name", 200.0, None, 0.7),
    ],
)
def test_match_confidence(matched_by, seconds, track_ms, expected):
    assert (
        rules.match_confidence(matched_by=matched_by, file_seconds=seconds, track_ms=track_ms)
        == expected
    )


def test_match_confidence_of_no_match_is_an_error():
    with pytest.raises(ValueError):
        rules.match_confidence(matched_by=None, file_seconds=1.0, track_ms=1000)
