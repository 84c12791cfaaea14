"""Every branch of the score (docs/formulas.md), with the worked examples the design gives."""

import pytest

from quality.score import (
    AudioEvidence,
    effective_is_hires,
    is_hires,
    quality_score,
    quality_score_parts,
)


def lossy(codec, kbps, *, mode=None, rate=44100, channels=2):
    return quality_score(
        codec=codec,
        bitrate_kbps=kbps,
        sample_rate=rate,
        bit_depth=None,
        channels=channels,
        bitrate_mode=mode,
    )


def lossless(codec, *, depth=16, rate=44100, channels=2):
    return quality_score(
        codec=codec,
        bitrate_kbps=1411,
        sample_rate=rate,
        bit_depth=depth,
        channels=channels,
        bitrate_mode=None,
    )


@pytest.mark.parametrize(
    ("codec", "kbps", "expected"),
    [
        ("MP3", 320, 84.0),
        ("AAC", 256, 84.0),
        ("MP3", 256, 70.0),
        ("MP3", 192, 50.0),
        ("MP3", 128, 32.7),
        ("MP3", 0, 0.0),
        ("MP3", None, 0.0),
        ("MP3", 191.9, round(49 * 191.9 / 192, 1)),
        ("MP3", 224, round(50 + 19 * 32 / 64, 1)),
        ("MP3", 288, round(70 + 14 * 32 / 64, 1)),
        ("MP3", 321, 84.0),
        ("WMA", 128, 32.7),
        ("AAC", 128, round(49 * 160 / 192, 1)),
        ("Vorbis", 153.6, 50.0),
        ("Vorbis", 160, round(50 + 19 * 8 / 64, 1)),
        ("Musepack", 160, round(50 + 19 * 8 / 64, 1)),
        ("Opus", 128, 50.0),
        ("Opus", 96, round(49 * 144 / 192, 1)),
        ("Opus", 256, 84.0),
    ],
)
def test_lossy_base_by_codec_equivalent_bitrate(codec, kbps, expected):
    assert lossy(codec, kbps) == expected


def test_vbr_bonus_only_for_vbr_on_lossy():
    assert lossy("MP3", 192, mode="VBR") == 53.0
    assert lossy("MP3", 192, mode="ABR") == 50.0
    assert lossy("MP3", 192, mode="CBR") == 50.0
    assert lossy("MP3", 320, mode="VBR") == 87.0
    assert quality_score(
        codec="FLAC", bitrate_kbps=900, sample_rate=44100, bit_depth=16, channels=2,
        bitrate_mode="VBR",
    ) == 85.0  # fmt: skip


@pytest.mark.parametrize(
    ("codec", "depth", "rate", "channels", "expected"),
    [
        ("FLAC", 16, 44100, 2, 85.0),
        ("ALAC", 16, 48000, 2, 85.0),
        ("PCM", 16, 44100, 2, 85.0),
        ("FLAC", 24, 48000, 2, 97.5),  # +2.5 depth, +10 hi-res
        ("FLAC", 16, 96000, 2, 97.5),  # +2.5 rate, +10 hi-res
        ("FLAC", 16, 88200, 2, 97.5),
        ("FLAC", 24, 96000, 2, 100.0),
        ("FLAC", 24, 192000, 6, 100.0),  # clamped
        ("FLAC", 16, 44100, 6, 90.0),
        ("WavPack", 16, 44100, 1, 85.0),
        ("APE", 16, 44100, 2, 85.0),
        ("TTA", 16, 44100, 2, 85.0),
        ("WMA Lossless", 16, 44100, 2, 85.0),
        ("DSD", 1, 2822400, 2, 100.0),  # DSD counts as ≥ 24 bit; 2.8 MHz is hi-res
        ("FLAC", 20, 44100, 2, 95.0),  # > 16 bit is hi-res, < 24 gets no depth bonus
    ],
)
def test_lossless_base_and_bonuses(codec, depth, rate, channels, expected):
    assert lossless(codec, depth=depth, rate=rate, channels=channels) == expected


def test_lossless_by_codec_not_extension():
    # MP3 inside a .wav scores as MP3; the score never looks at the container.
    assert lossy("MP3", 64) == round(49 * 64 / 192, 1)
    assert lossless("PCM") == 85.0


def test_lossy_hires_and_multichannel_bonuses():
    assert lossy("AAC", 256, rate=96000) == 94.0
    assert lossy("AAC", 256, channels=6) == 89.0
    assert lossy("Opus", 128, rate=48000) == 50.0  # 48 kHz is not hi-res
    assert lossy("AAC", 320, rate=96000, channels=6, mode="VBR") == 100.0


@pytest.mark.parametrize(
    ("rate", "depth", "expected"),
    [(44100, 16, False), (48000, 16, False), (48001, None, True), (44100, 24, True),
     (None, None, False), (88200, None, True)],
)  # fmt: skip
def test_is_hires(rate, depth, expected):
    assert is_hires(sample_rate=rate, bit_depth=depth) is expected


# --- the effective score: what the decoded audio showed -----------------------------------


FLAC_24_96 = dict(
    codec="FLAC", bitrate_kbps=2800, sample_rate=96000, bit_depth=24, channels=2,
    bitrate_mode=None,
)  # fmt: skip
FLAC_CD = dict(FLAC_24_96, sample_rate=44100, bit_depth=16)


def test_a_fake_flac_scores_as_its_lossy_source():
    fake = AudioEvidence(
        verdict="lossy_source", cutoff_hz=16700.0, estimated_source="MP3 ≈128 kbps",
        estimated_source_codec="MP3", estimated_source_kbps=128,
    )  # fmt: skip
    assert quality_score(**FLAC_CD, evidence=fake) == round(49 * 128 / 192, 1) == 32.7
    parts = quality_score_parts(**FLAC_CD, evidence=fake)
    assert parts[0][0].startswith("lossy source detected: wall at 16.7 kHz → MP3 ≈128 kbps")
    # a 320 kbps MP3 made from a 128 kbps one scores as the 128
    assert quality_score(
        codec="MP3", bitrate_kbps=320, sample_rate=44100, bit_depth=None, channels=2,
        bitrate_mode="CBR", evidence=fake,
    ) == 32.7  # fmt: skip


def test_upsampled_and_padded_files_lose_the_hi_res_terms_they_do_not_earn():
    assert quality_score(**FLAC_24_96) == 100.0
    upsampled = AudioEvidence(verdict="upsampled", effective_sample_rate=44100)
    assert quality_score(**FLAC_24_96, evidence=upsampled) == 85.0
    assert not effective_is_hires(sample_rate=96000, bit_depth=24, evidence=upsampled)
    padded = AudioEvidence(verdict="padded_bits", effective_bit_depth=16)
    assert quality_score(**dict(FLAC_CD, bit_depth=24), evidence=padded) == 85.0
    # a genuine 96 kHz stream padded to 24 bit keeps what its rate earns
    assert quality_score(**FLAC_24_96, evidence=padded) == 85.0 + 2.5 + 10.0


def test_a_damaged_file_scores_0_and_ok_or_inconclusive_change_nothing():
    damaged = AudioEvidence(verdict="damaged", integrity="truncated: 30.00 s missing")
    assert quality_score(**FLAC_24_96, evidence=damaged) == 0.0
    assert "truncated" in quality_score_parts(**FLAC_24_96, evidence=damaged)[0][0]
    for verdict in ("ok", "inconclusive"):
        assert quality_score(**FLAC_24_96, evidence=AudioEvidence(verdict=verdict)) == 100.0
