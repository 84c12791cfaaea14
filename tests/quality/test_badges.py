"""The badge of each codec and mode, for files made in the test with known settings: the
expected text comes from how each file was made, the values from the app's own reader."""

from __future__ import annotations

import pytest

from quality.badges import lame_vbr_preset, quality_badge, sample_rate_khz
from quality.services.audio import audio_properties_read
from quality.services.audio_make import encode
from quality.services.encoding import EncodeSpec, audio_encode
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
