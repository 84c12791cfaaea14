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

:func:`music_like` computes every harmonic of every note and shapes a fresh noise bed per
call (about half a second of CPU for 20 s of stereo). :func:`music_like_fast` plays the same
score (the same notes, decays and phases for a seed) from one-period wavetables over windows of
a noise bed shaped once per process, about ten times faster: the demo library makes thousands
of recordings with it.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import numpy as np

SCALE = (0, 2, 3, 5, 7, 8, 10)  # natural minor, semitones above the key

# note(start_s, length_s, midi, amplitude, harmonics, rolloff): renders one note, drawing its
# decay and then one phase per harmonic below 0.95 x Nyquist from the score's generator.
NoteRenderer = Callable[[float, float, float, float, int, float], None]


def _score_play(rng: np.random.Generator, *, seconds: float, note: NoteRenderer) -> float:
    """Draw the key, the tempo and every note of the melody and the bass line, calling
    ``note`` for each; returns the beat length in seconds."""
    key = 48 + int(rng.integers(0, 12))  # MIDI note of the key (C3..B3)
    tempo = float(rng.uniform(80, 150))
    beat = 60.0 / tempo
    position = 0.0
    while position < seconds:  # melody
        length = float(rng.choice([0.5, 1.0, 1.0, 1.5, 2.0])) * beat / 2
        if rng.random() > 0.1:
            degree = int(rng.integers(0, len(SCALE) * 2))
            midi = key + 12 + SCALE[degree % len(SCALE)] + 12 * (degree // len(SCALE))
            note(position, length * 1.2, midi, 0.35, 24, 1.0)
        position += length
    position = 0.0
    while position < seconds:  # bass, one note per beat
        midi = key - 12 + SCALE[int(rng.integers(0, len(SCALE)))]
        note(position, beat * 0.9, midi, 0.3, 10, 1.5)
        position += beat
    return beat


def _tilt_shape(freqs: np.ndarray, tilt_db_per_octave: float) -> np.ndarray:
    """Amplitude of the noise bed per FFT bin: flat to 1 kHz, then falling by the tilt."""
    octaves = np.log2(np.maximum(freqs, 1000.0) / 1000.0)
    shape = 10 ** (-tilt_db_per_octave * octaves / 20)
    shape[0] = 0.0
    return shape


def _beat_envelope(t: np.ndarray, beat: float | np.floating) -> np.ndarray:
    """The bed's level: a burst on every eighth note (computed in ``t``'s precision, in
    place on one array: ``x - floor(x)`` rather than ``t % period``, whose float modulo took
    a third of a fast signal's time; bench/RESULTS.md, "Demo library")."""
    phase = t * t.dtype.type(2 / beat)  # eighth notes since the start
    phase -= np.floor(phase)
    phase *= -8
    np.exp(phase, out=phase)
    phase *= 0.65
    phase += 0.35
    return phase


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

    beat = _score_play(rng, seconds=seconds, note=note)

    data = np.empty((channels, n), dtype=np.float32)
    shape = _tilt_shape(np.fft.rfftfreq(n, 1 / sample_rate), tilt_db_per_octave)
    bed_env = _beat_envelope(t, beat)
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


WAVETABLE_SIZE = 4096
BED_BANK_SECONDS = 40.0  # at least; rounded up to a power of two of samples
BED_BANK_SEED = 20_000_001


@functools.lru_cache(maxsize=8)
def noise_bed_bank(sample_rate: int, tilt_db_per_octave: float) -> np.ndarray:
    """A tilted-noise bed (unit RMS, float32) of at least ``BED_BANK_SECONDS``, shaped once per
    process; recordings take windows of it at seeded offsets (wrapping around for long ones).
    Call it before forking workers so that they share it."""
    rng = np.random.default_rng(BED_BANK_SEED)
    samples = 1 << int(np.ceil(np.log2(BED_BANK_SECONDS * sample_rate)))
    white = rng.standard_normal(samples)
    shape = _tilt_shape(np.fft.rfftfreq(samples, 1 / sample_rate), tilt_db_per_octave)
    bed = np.fft.irfft(np.fft.rfft(white) * shape, samples)
    bed /= np.sqrt(np.mean(bed**2)) or 1.0
    return bed.astype(np.float32)


def music_like_fast(
    *,
    seconds: float,
    sample_rate: int = 44100,
    channels: int = 2,
    seed: int = 0,
    tilt_db_per_octave: float = 3.0,
    noise_level_db: float = -30.0,
    level_db: float = -6.0,
) -> np.ndarray:
    """:func:`music_like`'s score for ``seed``, rendered fast: each note is one period of its
    harmonic sum (an inverse FFT of ``WAVETABLE_SIZE`` points, exactly band-limited) read at
    the note's pitch, and each channel's bed is a window of :func:`noise_bed_bank` at an
    offset drawn from the seed. A (channels, samples) float32 array in [-1, 1]."""
    rng = np.random.default_rng(seed)
    n = round(seconds * sample_rate)
    out = np.zeros(n, dtype=np.float32)
    nyquist = sample_rate / 2

    def note(start: float, length: float, midi: float, amp: float, harmonics: int, rolloff: float):
        i0 = int(start * sample_rate)
        i1 = min(n, int((start + length) * sample_rate))
        if i1 <= i0:
            return
        tt = np.arange(i1 - i0, dtype=np.float32) / np.float32(sample_rate)
        freq = 440.0 * 2 ** ((midi - 69) / 12)
        env = np.minimum(np.float32(1.0), tt / np.float32(0.01)) * np.exp(
            -tt * np.float32(rng.uniform(2.0, 6.0))
        )
        k = np.arange(1, harmonics + 1)
        k = k[k * freq < nyquist * 0.95]
        phases = rng.uniform(0, 2 * np.pi, size=len(k))
        spectrum = np.zeros(WAVETABLE_SIZE // 2 + 1, dtype=complex)
        # sin(x + phase) is the bin's cosine rotated by phase - pi/2
        spectrum[k] = np.exp(1j * (phases - np.pi / 2)) / k**rolloff * (WAVETABLE_SIZE / 2)
        table = np.fft.irfft(spectrum, WAVETABLE_SIZE).astype(np.float32)
        step = freq * WAVETABLE_SIZE / sample_rate
        index = (np.arange(i1 - i0) * step).astype(np.int64) & (WAVETABLE_SIZE - 1)
        out[i0:i1] += np.float32(amp) * env * table[index]

    beat = _score_play(rng, seconds=seconds, note=note)

    bank = noise_bed_bank(sample_rate, tilt_db_per_octave)
    t = np.arange(n, dtype=np.float32) / np.float32(sample_rate)
    bed_env = _beat_envelope(t, np.float32(beat)) * np.float32(10 ** (noise_level_db / 20))
    tonal = out / (np.max(np.abs(out)) or np.float32(1.0))
    data = np.empty((channels, n), dtype=np.float32)
    for channel in range(channels):
        offset = int(rng.integers(0, len(bank)))
        bed = np.take(bank, np.arange(offset, offset + n), mode="wrap")
        pan = np.float32(1.0 + (0.15 if channel % 2 else -0.15))
        data[channel] = tonal * pan + bed * bed_env
    data *= np.float32(10 ** (level_db / 20)) / (np.max(np.abs(data)) or np.float32(1.0))
    return data
