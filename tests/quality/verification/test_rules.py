"""Pure parts of the verifier: the spectral wall, the source estimate, the verdict rule."""

from __future__ import annotations

import numpy as np

from quality import spectrum, verdicts


# ------------------------------------------------------------------------------------------
def _noise(seconds=10.0, rate=44100, lowpass=None, floor_db=-110.0, seed=0):
    rng = np.random.default_rng(seed)
    n = int(seconds * rate)
    spec = np.fft.rfft(rng.standard_normal(n))
    f = np.fft.rfftfreq(n, 1 / rate)
    if lowpass:
        spec[f > lowpass] = 0
    x = np.fft.irfft(spec, n) * 0.1
    return x + rng.standard_normal(n) * 10 ** (floor_db / 20)


def test_spectral_wall_synthetic():
    f, d = spectrum.spectrum_average([_noise(lowpass=16000)], 44100)
    w = spectrum.spectral_wall(f, d)
    assert w["cutoff_hz"] is not None and abs(w["cutoff_hz"] - 16000) <= 200, w
    assert w["drop_db"] >= 20 and w["floor_db"] <= -55
    f, d = spectrum.spectrum_average([_noise()], 44100)
    assert spectrum.spectral_wall(f, d)["cutoff_hz"] is None
    # band-limited but with a noise floor 40 dB down: not a lossy wall
    f, d = spectrum.spectrum_average([_noise(lowpass=16000, floor_db=-60)], 44100)
    assert spectrum.spectral_wall(f, d)["cutoff_hz"] is None
    # gentle roll-off (-12 dB/octave above 8 kHz) is not a wall
    x = _noise(seed=3)
    spec = np.fft.rfft(x)
    ff = np.fft.rfftfreq(x.size, 1 / 44100)
    spec *= np.minimum(1.0, (8000 / np.maximum(ff, 1)) ** 2)
    f, d = spectrum.spectrum_average([np.fft.irfft(spec, x.size)], 44100)
    assert spectrum.spectral_wall(f, d)["cutoff_hz"] is None


def test_source_estimate_mapping():
    assert verdicts.source_estimate(None, None) is None
    assert verdicts.source_estimate(16700, None)["text"] == "MP3 ≈128 kbps"
    assert verdicts.source_estimate(17300, "AAC")["text"] == "AAC ≈128 kbps"
    assert verdicts.source_estimate(20100, "MP3")["text"] == "MP3 ≈320 kbps"
    est = verdicts.source_estimate(18100, None)
    assert est["kbps_range"][0] <= 112 <= est["kbps_range"][1]  # Vorbis q3 among candidates
    assert verdicts.source_estimate(11000, None)["kbps"] == 64


def test_verdict_precedence():
    wall = {"cutoff_hz": 16700.0, "drop_db": 60.0, "floor_db": -62.0}
    nowall = {"cutoff_hz": None}
    base = dict(
        lossless=True,
        decoded_seconds=60.0,
        sample_rate=96000,
        peak_dbfs=-3.0,
        codec_family=None,
        own_kbps=None,
    )
    up = {"rate": 44100}
    same = {"rate": 96000}

    def decide(**kw):
        return verdicts.verdict_decide(**{**base, **kw})[0]

    assert (
        decide(
            integrity="truncated",
            wall=wall,
            rate_info=up,
            declared_bit_depth=24,
            effective_bit_depth=16,
        )
        == "damaged"
    )
    assert (
        decide(
            integrity="ok", wall=wall, rate_info=up, declared_bit_depth=24, effective_bit_depth=16
        )
        == "lossy_source"
    )
    assert (
        decide(
            integrity="ok", wall=nowall, rate_info=up, declared_bit_depth=24, effective_bit_depth=16
        )
        == "upsampled"
    )
    assert (
        decide(
            integrity="ok",
            wall=nowall,
            rate_info=same,
            declared_bit_depth=24,
            effective_bit_depth=16,
        )
        == "padded_bits"
    )
    assert (
        decide(
            integrity="ok",
            wall=nowall,
            rate_info=same,
            declared_bit_depth=24,
            effective_bit_depth=24,
        )
        == "ok"
    )
    zone = {"cutoff_hz": 20200.0, "drop_db": 55.0, "floor_db": -60.0}
    assert (
        decide(
            integrity="ok", wall=zone, rate_info=same, declared_bit_depth=24, effective_bit_depth=24
        )
        == "inconclusive"
    )
    assert (
        decide(
            integrity="ok",
            wall=wall,
            rate_info=up,
            declared_bit_depth=24,
            effective_bit_depth=16,
            decoded_seconds=3.0,
        )
        == "inconclusive"
    )
    # mono is never judged: a wall, an upsampling, padded bits are no accusation there ...
    mono = dict(wall=wall, rate_info=up, declared_bit_depth=24, effective_bit_depth=16, channels=1)
    assert decide(integrity="ok", **mono) == "inconclusive"
    assert decide(integrity="ok", **{**mono, "channels": 2}) == "lossy_source"
    # ... but a damaged mono file is damaged
    assert decide(integrity="truncated", **mono) == "damaged"
    # a lossy file showing its own encoder's lowpass is fine; a lower source is not
    lossy = dict(
        lossless=False,
        codec_family="MP3",
        rate_info=None,
        declared_bit_depth=None,
        effective_bit_depth=None,
        sample_rate=44100,
    )
    assert decide(integrity="ok", wall=wall, own_kbps=128.0, **lossy) == "ok"
    assert decide(integrity="ok", wall=wall, own_kbps=320.0, **lossy) == "lossy_source"
