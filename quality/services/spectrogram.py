"""A spectrogram of a file for its page: frequency over time, the detected wall marked.

Decodes up to :data:`SECONDS` from the middle of the file (PyAV), mixes to mono, and draws the
short-time power spectrum in dB, 0 Hz at the bottom and the Nyquist frequency at the top, so
the eye sees what the verifier measured: the music stopping dead at a lossy encoder's lowpass,
or an empty band above the original Nyquist of an upsampled file.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import av
import numpy as np

from musicquality.png import png_encode
from musicquality.regular_files import regular_file_open

SECONDS = 30.0
WIDTH = 800
HEIGHT = 256
FFT_SIZE = 2048
DYNAMIC_RANGE_DB = 90.0
# A dark-to-bright colour ramp (black, purple, orange, pale yellow), interpolated.
RAMP = np.array([[0, 0, 4], [80, 18, 123], [182, 54, 121], [251, 136, 97], [252, 253, 191]])


class SpectrogramError(Exception):
    """The file gives no audio to draw."""


def _decode_middle(path: Path, seconds: float) -> tuple[np.ndarray, int]:
    try:
        # FFmpeg reads the descriptor checked to be a regular file (quality.services.decoding)
        handle = regular_file_open(path)
    except OSError as error:
        raise SpectrogramError(f"{path}: {error}") from None
    with handle:
        try:
            container = av.open(handle, "r")
        except Exception as error:  # PyAV raises many types on damaged files
            raise SpectrogramError(f"{path}: {error}") from None
        with container:
            return _decode_window(container, seconds, path)


def _decode_window(container, seconds: float, path: Path) -> tuple[np.ndarray, int]:
    if not container.streams.audio:
        raise SpectrogramError(f"{path}: no audio stream")
    stream = container.streams.audio[0]
    rate = stream.codec_context.sample_rate or 44100
    duration = float(container.duration or 0) / av.time_base
    start = max(0.0, duration / 2 - seconds / 2)
    if start > 0:
        try:
            container.seek(int(start * av.time_base), any_frame=False)
        except Exception:
            start = 0.0
    resampler = av.AudioResampler(format="flt", layout="mono", rate=rate)
    chunks: list[np.ndarray] = []
    wanted = int(seconds * rate)
    got = 0
    try:
        for frame in container.decode(stream):
            for out in resampler.resample(frame):
                samples = out.to_ndarray().reshape(-1)
                chunks.append(samples)
                got += samples.size
            if got >= wanted:
                break
    except Exception:
        pass
    if not chunks:
        raise SpectrogramError(f"{path}: nothing decodes")
    return np.concatenate(chunks)[:wanted].astype(np.float32), rate


def _colour(levels: np.ndarray) -> np.ndarray:
    """0..1 levels to RGB through :data:`RAMP`."""
    positions = np.linspace(0.0, 1.0, len(RAMP))
    rgb = np.stack([np.interp(levels, positions, RAMP[:, c]) for c in range(3)], axis=-1)
    return rgb.astype(np.uint8)


def spectrogram_png(*, path: Path, cutoff_hz: float | None = None) -> bytes:
    """The PNG image; ``cutoff_hz`` (the verifier's wall) is drawn as a dashed line."""
    samples, rate = _decode_middle(path, SECONDS)
    if samples.size < FFT_SIZE:
        samples = np.pad(samples, (0, FFT_SIZE - samples.size))
    hop = max(1, (samples.size - FFT_SIZE) // (WIDTH - 1))
    starts = np.arange(0, samples.size - FFT_SIZE + 1, hop)[:WIDTH]
    window = np.hanning(FFT_SIZE).astype(np.float32)
    frames = np.stack([samples[s : s + FFT_SIZE] for s in starts]) * window
    power = np.abs(np.fft.rfft(frames, axis=1)) ** 2  # (time, frequency)
    bins = power.shape[1]
    edges = np.linspace(0, bins, HEIGHT + 1).astype(int)
    bands = np.stack(
        [
            power[:, low:high].mean(axis=1) if high > low else power[:, low]
            for low, high in itertools.pairwise(edges)
        ],
        axis=1,
    )
    db = 10 * np.log10(bands + 1e-20)
    top = np.percentile(db, 99.5)
    levels = np.clip((db - (top - DYNAMIC_RANGE_DB)) / DYNAMIC_RANGE_DB, 0.0, 1.0)
    image = _colour(levels.T[::-1])  # frequency up, time to the right
    if cutoff_hz:
        row = HEIGHT - 1 - int(min(cutoff_hz / (rate / 2), 1.0) * (HEIGHT - 1))
        dashes = (np.arange(image.shape[1]) // 6) % 2 == 0
        image[row, dashes] = (255, 255, 255)
    return png_encode(np.ascontiguousarray(image))
