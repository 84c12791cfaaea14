"""MP3s written through the system's libmp3lame (quality.services.lame) are the files asked for,
as independent readers see them (mediainfo reads the LAME tag, ffprobe the stream, ffmpeg
decodes), and hold the same audio as PyAV's LAME makes of the same samples."""

from __future__ import annotations

import subprocess

import numpy as np
import pytest

from quality.services import encoding
from quality.services.encoding import EncodeSpec, samples_encode
from quality.services.lame import lame_library
from quality.services.music_signal import music_like_fast

SR = 44100
QUALITY_7 = {"compression_level": "7"}
CASES = [  # (spec, mediainfo's BitRate_Mode, what the LAME tag's settings must say)
    (EncodeSpec("cbr", "mp3", "libmp3lame", bit_rate=128_000, options=QUALITY_7), "CBR", "-b 128"),
    (
        EncodeSpec("abr", "mp3", "libmp3lame", bit_rate=192_000, abr=True, options=QUALITY_7),
        "VBR",
        "--abr 192",
    ),
    (EncodeSpec("vbr", "mp3", "libmp3lame", vbr_quality=2, options=QUALITY_7), "VBR", "-V 2"),
]


def mediainfo(path, template):
    return subprocess.run(
        ["mediainfo", f"--Inform=Audio;{template}", str(path)],
        capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip


def ffmpeg_decode(path) -> np.ndarray:
    raw = subprocess.run(
        ["ffmpeg", "-v", "error", "-i", str(path), "-f", "f32le", "-ac", "2", "-"],
        capture_output=True, check=True,
    ).stdout  # fmt: skip
    return np.frombuffer(raw, dtype="<f4").reshape(-1, 2).T


@pytest.fixture(scope="module")
def signal():
    return music_like_fast(seconds=6, sample_rate=SR, channels=2, seed=11)


def test_the_system_library_is_installed_where_the_tests_run():
    """make runtime-deps installs libmp3lame0: the fast path is the one the tests exercise."""
    assert lame_library() is not None


@pytest.mark.parametrize(("spec", "mode", "setting"), CASES, ids=[c[0].name for c in CASES])
def test_the_lame_tag_says_what_was_asked(tmp_path, signal, spec, mode, setting):
    path = samples_encode(path=tmp_path / "a.mp3", spec=spec, data=signal, sample_rate=SR)
    assert mediainfo(path, "%Format%|%BitRate_Mode%|%SamplingRate%|%Channels%") == (
        f"MPEG Audio|{mode}|{SR}|2"
    )
    settings = mediainfo(path, "%Encoded_Library%|%Encoded_Library_Settings%")
    assert settings.startswith("LAME3.100|")
    assert setting in settings and "-q 7" in settings and "-m j" in settings


@pytest.mark.parametrize("spec", [c[0] for c in CASES], ids=[c[0].name for c in CASES])
def test_same_audio_as_pyavs_lame(tmp_path, signal, spec, monkeypatch):
    system = samples_encode(path=tmp_path / "system.mp3", spec=spec, data=signal, sample_rate=SR)
    monkeypatch.setattr(encoding, "lame_library", lambda: None)
    bundled = samples_encode(path=tmp_path / "pyav.mp3", spec=spec, data=signal, sample_rate=SR)
    assert system.read_bytes() != bundled.read_bytes()  # two writers, not one
    a, b = ffmpeg_decode(system), ffmpeg_decode(bundled)
    assert a.shape == b.shape  # the same frames, delay and padding trimmed alike
    assert np.corrcoef(a[0], b[0])[0, 1] > 0.999


def test_a_mono_signal_for_a_stereo_spec_goes_through_pyav(tmp_path, signal):
    """The fast path writes what the samples hold; a spec asking for another layout than the
    samples (or another rate) is left to PyAV, which converts."""
    spec = CASES[0][0]
    path = samples_encode(path=tmp_path / "m.mp3", spec=spec, data=signal[:1], sample_rate=SR)
    assert mediainfo(path, "%Channels%") == "2"
