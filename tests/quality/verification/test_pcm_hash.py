"""The PCM hash of a lossy file is the SHA-256 of each channel's float32 samples, in order
(docs/verification.md): computed here from a separate decode of the whole file (the test
helper's PyAV decode through a resampler into arrays), not from the verifier's per-frame path,
which hashes the decoder's planes directly."""

import hashlib

import numpy as np
import pytest

from quality.services import audio_make as E
from quality.services.decoding import audio_verify, declared_read
from quality.services.music_signal import music_like

SR = 44100


def channel_hashes(pcm: np.ndarray) -> str:
    parts = b"".join(hashlib.sha256(np.ascontiguousarray(c, "<f4").data).digest() for c in pcm)
    return hashlib.sha256(parts).hexdigest()


@pytest.mark.parametrize("channels", [1, 2])
@pytest.mark.parametrize(
    ("name", "make"),
    [
        ("mp3", lambda p, x: E.encode(p, x, SR, "libmp3lame", bit_rate=192000)),
        ("m4a", lambda p, x: E.encode(p, x, SR, "aac", bit_rate=128000)),
        ("opus", lambda p, x: E.encode(p, x, SR, "libopus", bit_rate=96000, out_rate=48000)),
        ("ogg", lambda p, x: E.write_vorbis(p, x, SR, 4)),
    ],
)
def test_the_lossy_pcm_hash_is_the_hash_of_the_decoded_channels(tmp_path, name, make, channels):
    pcm = music_like(seconds=6.0, seed=11, tilt_db_per_octave=3.0)[:channels]
    path = make(tmp_path / f"x.{name}", pcm)
    decoded, _rate = E.decode(path)
    assert decoded.shape[0] == channels

    result = audio_verify(path, declared=declared_read(path))

    assert result.integrity == "ok"
    assert result.pcm_hash == channel_hashes(decoded)
