"""Spectra of decoded audio, and what they show: pure functions of NumPy arrays.

Two facts a container cannot lie about are read here from the sound itself:

- the **spectral wall**: a lossy encoder's lowpass leaves a steep drop (at least 20 dB across
  about 800 Hz) with near digital silence above it (a floor about 55 dB below the music); a
  genuine master, even band-limited, keeps a noise floor above its roll-off;
- the **effective sample rate**: a stream resampled up from 44.1 or 48 kHz has no content above
  the source's Nyquist (or only the attenuated mirror image a leaky resampler leaves).

The thresholds were measured on music-like signals (harmonic notes over a tilted noise bed
reaching 22 kHz, ``quality.services.music_signal``): lossy decodes show drops of tens of dB and
floors below -55 dB, genuine files drops of a few dB and floors far above; the labelled-set
tests and ``bench/bench_verify.py`` report the margins (bench/RESULTS.md).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

BAND_HZ = 100.0  # spectral bands of the wall search
WALL_WINDOW_HZ = 800.0  # the drop is measured across this width (below vs above the edge)
WALL_MIN_DROP_DB = 20.0  # the drop a wall needs across WALL_WINDOW_HZ
FLOOR_GAP_HZ = 800.0  # the floor is measured from cutoff + gap up to Nyquist (skips the slope)
FLOOR_MAX_DB = -55.0  # the floor (90th percentile of bands above) relative to the music below
WALL_MIN_HZ = 4000.0
UPSAMPLE_FLOOR_DB = -55.0  # "no content": below this relative to the 10-16 kHz band
STANDARD_RATES = (44100, 48000, 88200, 96000, 176400)


def nfft_for(sample_rate: int) -> int:
    """Frame length giving ~10.8 Hz bins (4096 at 44.1/48 kHz, 8192 at 88.2/96 kHz ...)."""
    n = 4096
    while sample_rate / n > 12.0 and n < 65536:
        n *= 2
    return n


def window_power(x: np.ndarray, nfft: int) -> tuple[np.ndarray, int]:
    """Sum of Hann-windowed power spectra over consecutive (non-overlapping) frames of one mono
    window. Without overlap the frame edges weigh less, which does not matter for a long-term
    average and halves the FFT work (~10 ms per 30 s at 44.1 kHz)."""
    x = np.asarray(x).reshape(-1)
    nframes = x.size // nfft
    total = np.zeros(nfft // 2 + 1)
    if nframes == 0:
        return total, 0
    win = np.hanning(nfft).astype(np.float32)
    frames = x[: nframes * nfft].reshape(nframes, nfft)  # view
    for first in range(0, nframes, 256):  # bounded temporary memory
        spec = np.fft.rfft(frames[first : first + 256] * win, axis=1)
        sq = np.square(spec.view(np.float32 if spec.dtype == np.complex64 else np.float64)).sum(
            axis=0
        )
        total += sq[0::2] + sq[1::2]
    return total, nframes


def power_to_db(power_sum: np.ndarray, count: int, nfft: int) -> np.ndarray:
    # normalised so that a full-scale sine peaks near 0 dB
    scale = 4.0 / (count * (nfft / 2.0) ** 2) if count else 0.0
    return 10.0 * np.log10(power_sum * scale + 1e-30)


def spectrum_average(
    windows: Sequence[np.ndarray], sample_rate: int
) -> tuple[np.ndarray, np.ndarray]:
    """Averaged Hann-windowed power spectrum (dB) over all frames of all mono windows."""
    nfft = nfft_for(int(sample_rate))
    total = np.zeros(nfft // 2 + 1)
    count = 0
    for w in windows:
        p, c = window_power(w, nfft)
        total += p
        count += c
    freqs = np.fft.rfftfreq(nfft, 1.0 / sample_rate)
    return freqs, power_to_db(total, count, nfft)


def _band_levels(freqs: np.ndarray, power_db: np.ndarray, band_hz: float, top_hz: float):
    """Power-mean level (dB) of consecutive bands [k*band, (k+1)*band) up to top_hz."""
    nb = int(top_hz // band_hz)
    idx = (freqs // band_hz).astype(np.int64)
    keep = idx < nb
    lin = 10.0 ** (power_db[keep] / 10.0)
    sums = np.bincount(idx[keep], weights=lin, minlength=nb)[:nb]
    cnt = np.bincount(idx[keep], minlength=nb)[:nb]
    with np.errstate(divide="ignore", invalid="ignore"):
        lvl = 10.0 * np.log10(np.where(cnt > 0, sums / np.maximum(cnt, 1), 1e-30) + 1e-30)
    return lvl, sums, cnt


def _pm(levels_db: np.ndarray) -> float:
    """Power mean of band levels in dB."""
    if levels_db.size == 0:
        return float("nan")
    return float(10.0 * np.log10(np.mean(10.0 ** (levels_db / 10.0)) + 1e-30))


def band_level(freqs: np.ndarray, power_db: np.ndarray, lo_hz: float, hi_hz: float) -> float:
    sel = (freqs >= lo_hz) & (freqs < hi_hz)
    return _pm(power_db[sel]) if sel.any() else float("nan")


def spectral_wall(
    freqs: np.ndarray,
    power_db: np.ndarray,
    *,
    band_hz: float = BAND_HZ,
    window_hz: float = WALL_WINDOW_HZ,
    min_drop_db: float = WALL_MIN_DROP_DB,
    floor_gap_hz: float = FLOOR_GAP_HZ,
    max_floor_db: float = FLOOR_MAX_DB,
    min_hz: float = WALL_MIN_HZ,
) -> dict:
    """Find the highest spectral wall: a drop >= min_drop_db across window_hz with the band above
    it (from cutoff + floor_gap_hz to Nyquist) at <= max_floor_db relative to the in-band level.

    Returns a JSON-able dict: cutoff_hz (None if no wall), drop_db, floor_db (relative, 90th
    percentile of 100 Hz bands above), in_band_db, plus 'best' (strongest drop candidate even
    if it failed the floor test).
    """
    freqs = np.asarray(freqs, dtype=np.float64)
    power_db = np.asarray(power_db, dtype=np.float64)
    nyq = float(freqs[-1]) if freqs.size else 0.0
    top = nyq - 200.0
    out: dict[str, Any] = {
        "cutoff_hz": None,
        "drop_db": None,
        "floor_db": None,
        "in_band_db": None,
        "best": None,
    }
    if top <= min_hz + window_hz + floor_gap_hz:
        return out
    lvl, _, _ = _band_levels(freqs, power_db, band_hz, top)
    nb = lvl.size
    w = round(window_hz / band_hz)
    gap = round(floor_gap_hz / band_hz)
    ref_n = round(2000.0 / band_hz)
    lin = 10.0 ** (lvl / 10.0)
    csum = np.concatenate([[0.0], np.cumsum(lin)])

    k0 = max(math.ceil(min_hz / band_hz), ref_n)
    k1 = nb - gap - 3  # need at least 3 bands of floor above
    if k1 < k0:
        return out
    ks = np.arange(k0, k1 + 1)

    def pm(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        a = np.clip(a, 0, nb)
        b = np.clip(b, 0, nb)
        return 10.0 * np.log10((csum[b] - csum[a]) / np.maximum(b - a, 1) + 1e-30)

    drop = pm(ks - w, ks) - pm(ks, ks + w)
    ref = pm(ks - ref_n, ks)
    # the floor (90th percentile of the bands above) is only needed where the drop is large
    floor = np.full(ks.size, np.nan)
    need = np.nonzero(drop >= min(min_drop_db, float(drop.max())))[0]
    for i in need:
        floor[i] = float(np.percentile(lvl[ks[i] + gap :], 90)) - ref[i]
    arr = np.column_stack([ks, drop, floor, ref])
    best_i = int(np.argmax(arr[:, 1]))
    out["best"] = {
        "hz": float(arr[best_i, 0] * band_hz),
        "drop_db": round(float(arr[best_i, 1]), 2),
        "floor_db": round(float(arr[best_i, 2]), 2),
    }
    with np.errstate(invalid="ignore"):
        valid = (arr[:, 1] >= min_drop_db) & (arr[:, 2] <= max_floor_db)
    if not valid.any():
        return out
    vk = arr[valid, 0].astype(int)
    # highest contiguous cluster of valid candidates
    start = len(vk) - 1
    while start > 0 and vk[start] - vk[start - 1] <= 2:
        start -= 1
    cluster = arr[valid][start:]
    j = int(np.argmax(cluster[:, 1]))
    k, drop, floor, ref = cluster[j]
    k = int(k)
    # refine: highest band within +-window of the edge still within 20 dB of the in-band level
    cut_k = k
    for b in range(min(nb - 1, k + w), max(0, k - w) - 1, -1):
        if lvl[b] >= ref - 20.0:
            cut_k = b + 1
            break
    out.update(
        cutoff_hz=float(cut_k * band_hz),
        drop_db=round(float(drop), 2),
        floor_db=round(float(floor), 2),
        in_band_db=round(float(ref), 2),
        edge_hz=float(k * band_hz),
    )
    return out


def mirror_correlation(
    freqs: np.ndarray,
    power_db: np.ndarray,
    mirror_hz: float,
    lo_hz: float = 300.0,
    hi_hz: float = 3000.0,
) -> float | None:
    """Correlation of the fine spectral structure at mirror_hz + d with that at mirror_hz - d
    (d in lo..hi). An upsampler with a leaky anti-imaging filter leaves an attenuated mirror
    image of the top octave above the source Nyquist: correlation ~1 at that Nyquist."""
    df = float(freqs[1] - freqs[0])
    if mirror_hz + hi_hz >= freqs[-1] or mirror_hz - hi_hz <= 0:
        return None
    d = np.arange(lo_hz, hi_hz, df)
    above = np.interp(mirror_hz + d, freqs, power_db)
    below = np.interp(mirror_hz - d, freqs, power_db)
    w = max(3, int(400.0 / df))
    kernel = np.ones(w) / w

    def detrend(v):
        return (v - np.convolve(v, kernel, "same"))[w:-w]

    a, b = detrend(above), detrend(below)
    if a.size < 10 or a.std() == 0 or b.std() == 0:
        return None
    return float(np.corrcoef(a, b)[0, 1])


def content_end(freqs: np.ndarray, power_db: np.ndarray, ref_db: float, rel_db: float) -> float:
    """Upper edge of the highest run of 3 consecutive 100 Hz bands within rel_db of ref_db."""
    lvl, _, _ = _band_levels(freqs, power_db, BAND_HZ, float(freqs[-1]) - 200.0)
    above = (lvl - ref_db) > rel_db
    run = above[:-2] & above[1:-1] & above[2:]
    idx = np.nonzero(run)[0]
    return float((idx[-1] + 3) * BAND_HZ) if idx.size else 0.0


def effective_rate(freqs: np.ndarray, power_db: np.ndarray, sample_rate: int) -> dict:
    """Effective sample rate of a > 48 kHz stream.

    content end = top of the highest 3-band run within UPSAMPLE_FLOOR_DB of the 10-16 kHz band.
    A standard rate R below the declared one is the source rate if
      (a) the spectrum mirrors around R/2 (mirror_correlation >= 0.8, leaky resampler images)
          and the content ends below 1.25 * R/2, or
      (b) the content ends at R/2 (+2 %) (steep resampler).
    Returns {'rate', 'content_end_hz', 'ref_db', 'mirror': {R: corr}}.
    """
    ref = band_level(freqs, power_db, 10000.0, 16000.0)
    end = content_end(freqs, power_db, ref, UPSAMPLE_FLOOR_DB)
    rate = int(sample_rate)
    mirror = {}
    if sample_rate > 48000:
        for cand in STANDARD_RATES:
            if cand >= sample_rate:
                break
            nyq = cand / 2.0
            mc = mirror_correlation(freqs, power_db, nyq)
            mirror[str(cand)] = None if mc is None else round(mc, 3)
            if (mc is not None and mc >= 0.8 and end <= 1.25 * nyq) or end <= 1.02 * nyq + BAND_HZ:
                rate = cand
                break
    return {"rate": rate, "content_end_hz": end, "ref_db": round(ref, 2), "mirror": mirror}
