"""The badge of each codec and mode, for files made in the test with known settings: the
expected text comes from how each file was made, the values from the app's own reader."""

from __future__ import annotations

import pytest

from quality.badges import (
    lame_preset_from_settings,
    lame_vbr_preset,
    quality_badge,
    sample_rate_khz,
)
from quality.services.audio import audio_properties_read
from quality.services.audio_make import encode
from quality.services.encoding import EncodeSpec, audio_encode, samples_encode
from quality.services.music_signal import music_like

MADE_WITH_SPEC = {
    "FLAC 24/96": EncodeSpec("flac-24-96", "flac", "flac", sample_rate=96_000, sample_fmt="s32"),
    "FLAC 16/44.1": EncodeSpec("flac-16-44", "flac", "flac", sample_fmt="s16"),
    "ALAC 16/44.1": EncodeSpec("alac-16-44", "m4a", "alac", sample_fmt="s16p"),
    "WAV 16/44.1": EncodeSpec("wav-16-44", "wav", "pcm_s16le"),
    "MP3 320 CBR": EncodeSpec("mp3-cbr-320", "mp3", "libmp3lame", bit_rate=320_000),
    "MP3 128 CBR": EncodeSpec("mp3-cbr-128", "mp3", "libmp3lame", bit_rate=128_000),
    "MP3 192 ABR": EncodeSpec("mp3-abr-192", "mp3", "libmp3lame", bit_rate=192_000, abr=True),
    "Opus 128": EncodeSpec("opus-128", "opus", "libopus", sample_rate=48_000, bit_rate=128_000),
}


def badge_of(path) -> str:
    props = audio_properties_read(path)
    return quality_badge(
        file_format=path.suffix.lstrip("."),
        codec=props.codec,
        is_lossless=props.is_lossless,
        bitrate=props.bitrate,
        bitrate_mode=props.bitrate_mode,
        sample_rate=props.sample_rate,
        bit_depth=props.bit_depth,
    )


@pytest.mark.parametrize("expected", sorted(MADE_WITH_SPEC))
def test_badge_of_a_file_made_with_known_settings(tmp_path, expected):
    spec = MADE_WITH_SPEC[expected]
    path = audio_encode(path=tmp_path / f"{spec.name}.{spec.extension}", spec=spec, seconds=2.0)
    assert badge_of(path) == expected


def test_badge_of_aac_256(tmp_path):
    spec = EncodeSpec("aac-256", "m4a", "aac", bit_rate=256_000)
    path = audio_encode(path=tmp_path / "aac-256.m4a", spec=spec, seconds=4.0)
    # FFmpeg's AAC encoder averages near the asked rate: the badge names the asked rate
    assert badge_of(path) == "AAC 256"


@pytest.mark.parametrize("preset", [0, 2, 5])
def test_badge_of_a_lame_vbr_preset(tmp_path, preset):
    # music-like audio, so the encoder spends what it spends on music (a tone costs nothing)
    signal = music_like(seconds=8, seed=3)
    path = encode(tmp_path / f"v{preset}.mp3", signal, 44100, "libmp3lame", vbr_quality=preset)
    assert badge_of(path) == f"MP3 V{preset}"


def test_badge_without_analysis_is_the_container():
    assert quality_badge(file_format="m4a") == "M4A"
    assert quality_badge(file_format=None) == "unknown"


def test_badge_by_hand():
    assert quality_badge(file_format="dsf", codec="DSD", sample_rate=2_822_400, bit_depth=1) == (
        "DSD64"
    )
    assert quality_badge(file_format="aiff", codec="PCM", sample_rate=96_000, bit_depth=24) == (
        "AIFF 24/96"
    )
    assert quality_badge(file_format="flac", codec="FLAC", sample_rate=88_200) == "FLAC 88.2 kHz"
    assert quality_badge(file_format="mp3", codec="MP3", bitrate=256) == "MP3 256"
    assert quality_badge(file_format="ogg", codec="Vorbis", bitrate=140) == "Vorbis 140"
    assert quality_badge(file_format="ogg", codec="Vorbis") == "Vorbis"
    assert sample_rate_khz(44_100) == "44.1" and sample_rate_khz(48_000) == "48"
    assert [lame_vbr_preset(k) for k in (320, 245, 190, 130, 65)] == [0, 0, 2, 5, 9]


@pytest.mark.parametrize(
    ("settings", "preset"),
    [
        ("-V 2", 2),
        ("-V 0 --vbr-old", 0),
        ("-V 5 --vbr-new", 5),
        ("--preset extreme", 0),
        ("--preset fast standard", 2),
        ("--alt-preset standard", 2),
        ("--preset medium", 4),
        ("-b 320", None),
        ("--abr 192", None),
        ("", None),
    ],
)
def test_lame_preset_from_the_settings_mutagen_reads(settings, preset):
    assert lame_preset_from_settings(settings) == preset


def test_a_vbr_mp3_badge_by_what_is_known_of_its_settings():
    vbr = {"file_format": "mp3", "codec": "MP3", "bitrate": 122, "bitrate_mode": "VBR"}
    assert quality_badge(**vbr) == "MP3 V6"  # not verified: nearest preset by its average
    assert quality_badge(**vbr, encoder_settings="-V 2") == "MP3 V2"
    assert quality_badge(**vbr, encoder_settings="") == "MP3 VBR 122"  # no LAME preset
    # the settings name only a VBR file's preset
    cbr = {**vbr, "bitrate": 320, "bitrate_mode": "CBR"}
    assert quality_badge(**cbr, encoder_settings="-b 320") == "MP3 320 CBR"


def test_badge_of_a_quiet_v2_mp3_is_v2_from_its_lame_tag(tmp_path):
    """LAME at -V 2 spends about 122 kbps on quiet, dark music: the average alone would name
    it V6. The settings come from the LAME tag (the encoder was asked for -V 2)."""
    quiet = music_like(seconds=8, seed=3, noise_level_db=-70, level_db=-20, tilt_db_per_octave=9)
    spec = EncodeSpec("v2", "mp3", "libmp3lame", vbr_quality=2, options={"compression_level": "7"})
    path = samples_encode(path=tmp_path / "quiet.mp3", spec=spec, data=quiet, sample_rate=44100)
    props = audio_properties_read(path)
    assert props.bitrate_mode == "VBR" and lame_vbr_preset(props.bitrate) != 2
    assert props.encoder_settings == "-V 2"
    badge = quality_badge(
        file_format="mp3",
        codec=props.codec,
        bitrate=props.bitrate,
        bitrate_mode=props.bitrate_mode,
        encoder_settings=props.encoder_settings,
    )
    assert badge == "MP3 V2"
