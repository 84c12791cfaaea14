"""Music-like signals: seeded melodies of harmonic notes over a tilted broadband bed.

Real music has (a) tonal content that changes over time (what Chromaprint fingerprints look
at), and (b) broadband energy reaching the top of the band (cymbals, breath, room noise) that
a lossy encoder's lowpass cuts away. White noise or a pure tone has only one of the two, so
detectors and fingerprints tuned on them fail on music. This generator gives both:

- a melody (notes drawn from a scale, 0.15-0.6 s each) plus a bass line, every note a sum of
  harmonics (amplitude 1/k**rolloff) shaped by an attack/decay envelope;
- a noise bed whose spectrum falls by ``tilt_db_per_octave`` above 1 kHz up to Nyquist, its
  level following a beat (hi-hat-like bursts on every eighth note);
- stereo channels that differ slightly (pan and independent noise), so joint-stereo coding
  behaves as on real recordings.

Deterministic for a given seed: ``numpy.random.default_rng(seed)``.
"""

from __future__ import annotations

import numpy as np

SCALE = (0, 2, 3, 5, 7, 8, 10)  # natural minor, semitones above the key


def music_like(
    *,
    seconds: float,
    sample_rate: int = 44100,
    channels: int = 2,
    seed: int = 0,
    tilt_db_per_octave: float = 3.0,
    noise_level_db: float = -30.0,
    level_db: float = -6.0,
) -> np.ndarray:
    """A (channels, samples) float32 array in [-1, 1]."""
    rng = np.random.default_rng(seed)
    n = round(seconds * sample_rate)
    t = np.arange(n) / sample_rate
    out = np.zeros(n, dtype=np.float64)
    key = 48 + int(rng.integers(0, 12))  # MIDI note of the key (C3..B3)
    tempo = float(rng.uniform(80, 150))
    beat = 60.0 / tempo
    nyquist = sample_rate / 2

    def note(start: float, length: float, midi: float, amp: float, harmonics: int, rolloff: float):
        i0 = int(start * sample_rate)
        i1 = min(n, int((start + length) * sample_rate))
        if i1 <= i0:
            return
        tt = t[i0:i1] - start
        freq = 440.0 * 2 ** ((midi - 69) / 12)
        env = np.minimum(1.0, tt / 0.01) * np.exp(-tt * rng.uniform(2.0, 6.0))
        tone = np.zeros(i1 - i0)
        for k in range(1, harmonics + 1):
            if k * freq >= nyquist * 0.95:
                break
            tone += np.sin(2 * np.pi * k * freq * tt + rng.uniform(0, 2 * np.pi)) / k**rolloff
        out[i0:i1] += amp * env * tone

    # melody
    position = 0.0
    while position < seconds:
        length = float(rng.choice([0.5, 1.0, 1.0, 1.5, 2.0])) * beat / 2
        if rng.random() > 0.1:
            degree = int(rng.integers(0, len(SCALE) * 2))
            midi = key + 12 + SCALE[degree % len(SCALE)] + 12 * (degree // len(SCALE))
            note(position, length * 1.2, midi, 0.35, 24, 1.0)
        position += length
    # bass, one note per beat
    position = 0.0
    while position < seconds:
        midi = key - 12 + SCALE[int(rng.integers(0, len(SCALE)))]
        note(position, beat * 0.9, midi, 0.3, 10, 1.5)
        position += beat

    data = np.empty((channels, n), dtype=np.float32)
    freqs = np.fft.rfftfreq(n, 1 / sample_rate)
    octaves = np.log2(np.maximum(freqs, 1000.0) / 1000.0)
    shape = 10 ** (-tilt_db_per_octave * octaves / 20)
    shape[0] = 0.0
    # beat envelope for the bed: bursts on every eighth note
    phase = (t % (beat / 2)) / (beat / 2)
    bed_env = 0.35 + 0.65 * np.exp(-phase * 8)
    peak = np.max(np.abs(out)) or 1.0
    tonal = out / peak
    for channel in range(channels):
        white = rng.standard_normal(n)
        bed = np.fft.irfft(np.fft.rfft(white) * shape, n)
        bed /= np.sqrt(np.mean(bed**2)) or 1.0
        pan = 1.0 + (0.15 if channel % 2 else -0.15)
        mixed = tonal * pan + bed * bed_env * 10 ** (noise_level_db / 20)
        data[channel] = mixed
    data *= 10 ** (level_db / 20) / (np.max(np.abs(data)) or 1.0)
    return data.astype(np.float32)
