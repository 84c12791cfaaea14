"""Acoustic fingerprints: Chromaprint's, compared the AcoustID way, grouped through an index.

A fingerprint is computed from the first 120 s of decoded audio in the verification's decode
pass (:class:`FingerprintAccumulator`, fed int16 PCM) and stored compressed, as ``fpcalc``
prints it, in ``file_quality.acoustid_fingerprint``. Two fingerprints are compared at their
best alignment (XOR and popcount over the overlapping items, ``fingerprint_similarity``);
``fingerprint_groups`` finds the pairs worth comparing through an inverted index of
sub-fingerprint keys, never all pairs (docs/recordings.md).

The thresholds (:data:`SAME_RECORDING`, :data:`SIMILAR`) were measured on music-like
recordings encoded as FLAC, MP3, AAC, with offsets, cuts and added silence (bench/RESULTS.md,
"Recordings"). Degenerate fingerprints (silence, a held tone, steady noise) would match
everything and are never indexed (:func:`degenerate_reason`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import numpy as np

ALGORITHM = 1  # chromaprint.Fingerprinter.ALGORITHM_TEST2: libchromaprint's default, AcoustID's


class FingerprintUnavailable(Exception):
    """libchromaprint is not installed; the message says how to install it."""


def chromaprint_module() -> ModuleType:
    """pyacoustid's ctypes binding, loaded on first use (it loads libchromaprint)."""
    try:
        import chromaprint
    except ImportError as error:
        raise FingerprintUnavailable(
            f"acoustic fingerprints need libchromaprint ({error}): install Debian's "
            "libchromaprint1 (`make runtime-deps`)"
        ) from None
    return chromaprint


MAX_SECONDS = 120.0  # like fpcalc -length 120 (AcoustID's lookup length)
MIN_SECONDS = 3.0  # less decoded audio than this -> no fingerprint
MIN_ITEMS = 16  # fewer fingerprint items than this (~2 s) -> no fingerprint
ITEM_SECONDS = 4096 / 3 / 11025  # one item = 1365.33 samples at 11025 Hz = 0.1238 s


class FingerprintAccumulator:
    """Feed interleaved int16 PCM chunks; ``finish()`` gives the raw fingerprint.

    Only the first ``MAX_SECONDS`` of audio are consumed; later chunks are ignored
    (``full`` becomes True so a caller may stop feeding).
    """

    def __init__(self, sample_rate: int, channels: int):
        if sample_rate <= 0 or channels <= 0:
            raise ValueError("sample_rate and channels must be positive")
        self.sample_rate = int(sample_rate)
        self.channels = int(channels)
        self._limit = int(MAX_SECONDS * self.sample_rate) * self.channels  # interleaved samples
        self._fed = 0
        self._fp = chromaprint_module().Fingerprinter(ALGORITHM)
        self._fp.start(self.sample_rate, self.channels)
        self._done = False

    @property
    def full(self) -> bool:
        return self._fed >= self._limit

    @property
    def seconds(self) -> float:
        return self._fed / self.channels / self.sample_rate

    def feed(self, chunk) -> None:
        if self._done:
            raise RuntimeError("finish() was already called")
        remaining = self._limit - self._fed
        if remaining <= 0:
            return
        chunk = np.asarray(chunk)
        if chunk.dtype != np.int16:
            raise TypeError(f"expected int16 PCM, got {chunk.dtype}")
        flat = chunk.reshape(-1)
        if flat.size % self.channels:
            raise ValueError("chunk is not a whole number of interleaved frames")
        if flat.size > remaining:
            flat = flat[:remaining]
        if flat.size:
            self._fp.feed(np.ascontiguousarray(flat).tobytes())
            self._fed += flat.size

    def finish(self) -> np.ndarray | None:
        """The raw fingerprint (uint32 array), or None when there was too little audio."""
        if self._done:
            raise RuntimeError("finish() was already called")
        self._done = True
        if self.seconds < MIN_SECONDS:
            return None
        encoded = self._fp.finish()  # compressed base64 bytes (what fpcalc prints)
        self._fp = None
        raw = fingerprint_decode(encoded)
        return raw if raw.size >= MIN_ITEMS else None


#: Chromaprint's own resampling (and fpcalc's, through libswresample): to 11025 Hz with these
#: filter settings, so a fingerprint made here is the one fpcalc prints for the same audio.
FINGERPRINT_RATE = 11025
RESAMPLE_OPTIONS = {"filter_size": "16", "phase_shift": "8", "linear_interp": "1", "cutoff": "0.8"}


#: Sample formats a decoder hands over, as NumPy dtypes (planar or packed alike).
_FRAME_DTYPES = {"u8": "u1", "s16": "<i2", "s32": "<i4", "s64": "<i8", "flt": "<f4", "dbl": "<f8"}
#: Decoded audio gathered before one call to libswresample: a call per decoded frame (1,024
#: samples of AAC) costs more in overhead than the filtering (bench/RESULTS.md).
BATCH_SAMPLES = 32768


class FrameFingerprinter:
    """Feed decoded ``av.AudioFrame``s (any format, rate and layout); ``finish()`` gives the
    raw fingerprint of the first ``MAX_SECONDS``.

    libswresample converts, downmixes and resamples the audio to 11025 Hz mono int16 in C
    before Chromaprint sees it, as fpcalc does: Chromaprint would otherwise resample itself,
    and the decode pass would first convert every float sample to int16 in NumPy, which
    together cost more (bench/RESULTS.md, "Fingerprints"). Frames are copied into a batch of
    :data:`BATCH_SAMPLES` per resampler call.
    """

    def __init__(self) -> None:
        self._accumulator = FingerprintAccumulator(FINGERPRINT_RATE, 1)
        self._shape: tuple[str, str, int] | None = None  # format, layout, rate of the batch
        self._resampler: Any = None
        self._batch = np.empty((0, 0))
        self._pts = 0
        self._filled = 0
        self._packed_channels = 1

    @property
    def full(self) -> bool:
        return self._accumulator.full

    @property
    def seconds(self) -> float:
        return self._accumulator.seconds

    def feed(self, frame) -> None:
        if self._accumulator.full or frame.samples <= 0:
            return
        shape = (frame.format.name, frame.layout.name, int(frame.sample_rate))
        if shape != self._shape:
            self._flush(final=self._shape is not None)
            self._start(frame, shape)
        planar = frame.format.is_planar
        width = frame.samples * (1 if planar else self._packed_channels)
        if self._filled + width > self._batch.shape[1]:
            self._flush()
        dtype = self._batch.dtype
        for index, plane in enumerate(frame.planes[: self._batch.shape[0]]):
            self._batch[index, self._filled : self._filled + width] = np.frombuffer(
                plane, dtype=dtype, count=width
            )
        self._filled += width
        if self._filled >= self._batch.shape[1] // 2:
            self._flush()

    def _start(self, frame, shape: tuple[str, str, int]) -> None:
        import av  # the decode pass's library; imported here to keep this module light

        fmt, _layout, _rate = shape
        channels = frame.layout.nb_channels
        planar = frame.format.is_planar
        self._packed_channels = 1 if planar else channels
        dtype = np.dtype(_FRAME_DTYPES[fmt.removesuffix("p")])
        self._batch = np.empty(
            (channels if planar else 1, 2 * BATCH_SAMPLES * self._packed_channels), dtype
        )
        self._filled = 0
        self._shape = shape
        self._resampler = av.AudioResampler(
            format="s16", layout="mono", rate=FINGERPRINT_RATE, options=RESAMPLE_OPTIONS
        )

    def _flush(self, *, final: bool = False) -> None:
        """Resample what the batch holds (and, ``final``, what the resampler still holds)."""
        if self._resampler is None or self._shape is None:
            return
        import av

        out = []
        if self._filled:
            fmt, layout, rate = self._shape
            frame = av.AudioFrame.from_ndarray(
                np.ascontiguousarray(self._batch[:, : self._filled]), format=fmt, layout=layout
            )
            frame.sample_rate = rate
            frame.pts = self._pts
            self._pts += frame.samples
            out += self._resampler.resample(frame)
            self._filled = 0
        if final:
            out += self._resampler.resample(None)
        for resampled in out:
            self._accumulator.feed(
                np.frombuffer(resampled.planes[0], dtype=np.int16, count=resampled.samples)
            )

    def finish(self) -> np.ndarray | None:
        """The raw fingerprint (uint32 array), or None when there was too little audio."""
        if not self._accumulator.full:
            self._flush(final=True)
        return self._accumulator.finish()


class FingerprintFeed:
    """The decode pass's frame callback: feeds Chromaprint the first 120 s."""

    def __init__(self) -> None:
        self.fingerprinter: FrameFingerprinter | None = None
        self.failure: str | None = None
        self.raw: np.ndarray | None = None  # once ``result()`` ran (degenerate ones included)

    def __call__(self, frame) -> None:
        try:
            if self.fingerprinter is None:
                self.fingerprinter = FrameFingerprinter()
            self.fingerprinter.feed(frame)
        except Exception as error:  # the decode pass stops calling after the first failure
            self.failure = f"failed: {type(error).__name__}: {error}"[:200]
            raise

    def result(self) -> tuple[str | None, str]:
        """(encoded fingerprint or None, what happened: for the evidence)."""
        if self.failure is not None:
            return None, self.failure
        if self.fingerprinter is None:
            return None, "no audio"
        raw = self.raw = self.fingerprinter.finish()
        if raw is None:
            return None, "too short"
        reason = degenerate_reason(raw)
        if reason is not None:
            return None, reason
        return fingerprint_encode(raw), "stored"


def fingerprint_encode(raw) -> str:
    """Compressed, base64 (URL-safe, unpadded) text form, as printed by fpcalc."""
    items = np.asarray(raw, dtype=np.uint32).tolist()
    encoded = chromaprint_module().encode_fingerprint(items, ALGORITHM, base64=True)
    return encoded.decode("ascii")


def fingerprint_decode(text) -> np.ndarray:
    if isinstance(text, str):
        text = text.encode("ascii")
    items, _algorithm = chromaprint_module().decode_fingerprint(text, base64=True)
    return np.asarray(items, dtype=np.uint32)


# --------------------------------------------------------------------------- comparison


@dataclass(frozen=True)
class Similarity:
    """Result of comparing two fingerprints at their best alignment.

    ``score`` = 1 - bit error rate over the compared items (0.5 ~ unrelated audio,
    1.0 = identical); ``offset_items`` = o such that ``a[i + o]`` aligns with ``b[i]``
    (positive when ``a`` has extra leading audio).
    """

    score: float
    offset_items: int
    compared_items: int = 0

    @property
    def offset_seconds(self) -> float:
        return self.offset_items * ITEM_SECONDS

    @property
    def bit_error_rate(self) -> float:
        return 1.0 - self.score


NO_MATCH = Similarity(0.0, 0, 0)
MIN_COMPARED = 16  # fewer comparable aligned items than this -> no score


def _static_mask(fp: np.ndarray) -> np.ndarray:
    """True where an item repeats its predecessor (silence, a held tone: no information)."""
    mask = np.zeros(fp.size, dtype=bool)
    if fp.size > 1:
        mask[1:] = fp[1:] == fp[:-1]
    return mask


def fingerprint_similarity(a, b, *, max_offset: int, center: int = 0) -> Similarity:
    """AcoustID-style comparison of two raw fingerprints.

    Every alignment offset in ``center ± max_offset`` is tried (one item ~ 0.124 s): the
    overlapping items are XORed and their differing bits counted (popcount). Aligned
    positions where *both* items merely repeat their predecessor (static runs: silence,
    a held tone) are left out, so two different tracks that share a long silence do not
    look alike. The best offset is the one with the lowest bit error rate among those
    whose overlap covers at least half the shorter fingerprint; score = 1 - that rate.
    One vectorised (offsets x items) popcount matrix, no per-item Python loop.
    """
    a = np.asarray(a, dtype=np.uint32)
    b = np.asarray(b, dtype=np.uint32)
    na, nb = a.size, b.size
    if na < MIN_COMPARED or nb < MIN_COMPARED:
        return NO_MATCH
    lo, hi = int(center) - int(max_offset), int(center) + int(max_offset)
    # only offsets that leave any overlap: o in (-(nb), na)
    lo, hi = max(lo, -(nb - 1)), min(hi, na - 1)
    if lo > hi:
        return NO_MATCH
    left = max(0, hi)
    right = max(0, na - lo - nb)
    pad_l, pad_r = np.zeros(left, np.uint32), np.zeros(right, np.uint32)
    bp = np.concatenate([pad_l, b, pad_r])
    vp = np.concatenate([np.zeros(left, bool), np.ones(nb, bool), np.zeros(right, bool)])
    sb = np.concatenate([np.zeros(left, bool), _static_mask(b), np.zeros(right, bool)])
    offsets = np.arange(lo, hi + 1)
    starts = left - offsets
    idx = starts[:, None] + np.arange(na)[None, :]  # (offsets, na): position in bp of b[i - o]
    overlap = vp[idx]
    valid = overlap & ~(sb[idx] & _static_mask(a)[None, :])
    bits = np.bitwise_count(bp[idx] ^ a[None, :])
    bits[~valid] = 0
    n_overlap = overlap.sum(axis=1)
    n_valid = valid.sum(axis=1)
    errors = bits.sum(axis=1, dtype=np.int64)
    eligible = (n_overlap >= min(na, nb) // 2) & (n_valid >= MIN_COMPARED)
    if not eligible.any():
        return NO_MATCH
    ber = np.where(eligible, errors / (32.0 * np.maximum(n_valid, 1)), np.inf)
    best = ber.min()
    # ties: the offset nearest the centre
    candidates = np.flatnonzero(ber == best)
    k = candidates[np.argmin(np.abs(offsets[candidates] - center))]
    return Similarity(float(1.0 - best), int(offsets[k]), int(n_valid[k]))


# --------------------------------------------------------------------------- thresholds
#
# Measured (measure_scores.py report; 12 generated recordings x 18 variants, 30 s,
# max_offset 80). Same recording vs its PCM fingerprint: FLAC/mono/48 kHz 1.000, MP3 VBR
# 0.998-1.000, MP3 64k 0.992-0.996, AAC 128k 0.964-0.970 and 48k 0.962-0.968 (AAC's priming
# delay is 0.19 item off the grid), +noise/remix/remaster 0.990-0.999, 2 s silence prepended
# 0.970-0.975, cuts 0.5/1.3+AAC/3 s 0.945-0.995; the worst is a cut by half an item
# (0.062 s, or 0.7 s + AAC): 0.915-0.928. Different recordings: 0.541-0.625 (198 pairs,
# median 0.57-0.60; same key + tempo pairs 0.577-0.622).
# SAME_RECORDING: BER <= 0.15: 0.065 under the worst same-recording score, 0.225 over the worst
# different pair.
SAME_RECORDING = 0.85
SIMILAR = 0.70  # BER <= 0.30: shown only; 0.075 above the worst measured different pair
DURATION_TOLERANCE_S = 5.0  # SAME needs |d1 - d2| <= 5 s + 2 % of the longer (else "similar")
DURATION_TOLERANCE_FRACTION = 0.02

# --------------------------------------------------------------------------- degenerate
MIN_INFORMATIVE_ITEMS = 48  # items differing from their predecessor (~6 s of changing audio)
STATIONARY_SHIFTS = (7, 19, 33, 47, 61)  # 0.9 .. 7.6 s, deliberately not a common bar length
STATIONARY_BER = 0.28  # median self-BER at those shifts below this -> stationary


def degenerate_reason(raw) -> str | None:
    """Why a fingerprint must not be indexed (it would match everything), or None.

    * "static": fewer than MIN_INFORMATIVE_ITEMS items differ from their predecessor
      (silence, digital silence with dither, a held tone or chord: Chromaprint emits the
      same item for every frame, e.g. 0x256df977 for silence);
    * "stationary": the fingerprint matches *itself* shifted by 0.9-7.6 s with a median
      bit error rate below STATIONARY_BER (steady noise, drones, hum: two unrelated white
      noise files are 0.18 apart; music measured 0.40-0.47). Positions where both items
      are static are ignored, so a long silent intro does not make music "stationary".
    """
    fp = np.asarray(raw, dtype=np.uint32)[:MAX_ITEMS]
    if fp.size < MIN_ITEMS:
        return "too short"
    reason, _ = _batch_features([fp], 0)  # the same code path as fingerprint_groups
    return (None, "static", "stationary")[int(reason[0])]


# --------------------------------------------------------------------------- grouping


@dataclass(frozen=True)
class Pair:
    a: object  # file ids
    b: object
    score: float
    offset_items: int  # fp(a)[i + offset] aligns with fp(b)[i]
    note: str = ""  # e.g. "duration differs" for a SAME-level pair kept out of the groups


@dataclass
class Group:
    members: list  # file ids
    pairs: list  # Pair for every member pair (groups of <= COMPLETE_GROUP_MAX), else the edges


@dataclass
class Grouping:
    groups: list  # Group, members of each >= SAME_RECORDING (single link) and duration-compatible
    similar: (
        list  # Pair with SIMILAR <= score < SAME_RECORDING, or SAME-level with a duration mismatch
    )
    excluded: dict  # file_id -> "too short" | "static" | "stationary"
    stats: dict


KEY_GAP = 4  # index key = the 16 gray-code MSBs of item i and of item i + KEY_GAP
SAMPLE_BITS = 2  # content-defined sampling: index 1 key in 2**SAMPLE_BITS
BUCKET_CAP = 32  # keys shared by more postings than this are ignored (stop words)
MIN_VOTES = 2  # index hits at a consistent offset (+-1) needed to verify a pair
MAX_OFFSET = 80  # +-80 items ~ +-9.9 s: largest lead-in/trim difference searched
VERIFY_SLACK = 2  # verification searches the voted offset +-2 items
COMPLETE_GROUP_MAX = 8
MAX_ITEMS = 1023  # positions are packed in 10 bits (120 s = 948 items)
BATCH = 2048
INDEX_PARTITIONS = 8  # postings are split by key bits to bound the join's working memory


def _odd_bits(x: np.ndarray) -> np.ndarray:
    """Gather bits 1, 3, ..., 31 (the MSB of each classifier's 2-bit gray code) into 16 bits.

    The MSB is the median split of each of Chromaprint's 16 quantised filters: measured ~2x
    more stable under re-encoding than the LSBs, and nearly balanced (P(1) 0.46-0.57).
    """
    x = (x >> np.uint32(1)) & np.uint32(0x55555555)
    x = (x | (x >> np.uint32(1))) & np.uint32(0x33333333)
    x = (x | (x >> np.uint32(2))) & np.uint32(0x0F0F0F0F)
    x = (x | (x >> np.uint32(4))) & np.uint32(0x00FF00FF)
    x = (x | (x >> np.uint32(8))) & np.uint32(0x0000FFFF)
    return x


def _batch_features(arrays: list, first_gid: int):
    """Degenerate reasons (0 ok, 1 static, 2 stationary) and index postings for a batch.

    The batch is laid out as a zero-padded (fingerprints x items) matrix so that every step
    is one vectorised operation.
    """
    nfp = len(arrays)
    lengths = np.fromiter((a.size for a in arrays), dtype=np.int64, count=nfp)
    width = int(lengths.max())
    m = np.zeros((nfp, width), dtype=np.uint32)
    for row, a in enumerate(arrays):
        m[row, : a.size] = a
    valid = np.arange(width)[None, :] < lengths[:, None]
    static = np.zeros((nfp, width), dtype=bool)
    static[:, 1:] = (m[:, 1:] == m[:, :-1]) & valid[:, 1:]
    informative = lengths - static.sum(axis=1)
    rates = np.full((nfp, len(STATIONARY_SHIFTS)), np.nan)
    for k, s in enumerate(STATIONARY_SHIFTS):
        if width <= s:
            continue
        # every 3rd position is enough for a mean (and 3x cheaper)
        keep = valid[:, s::3] & ~(static[:, s::3] & static[:, :-s:3])
        bits = np.bitwise_count(m[:, s::3] ^ m[:, :-s:3])
        bits *= keep
        cnt = np.count_nonzero(keep, axis=1)
        tot = bits.sum(axis=1, dtype=np.int64)
        ok = (lengths - s >= MIN_INFORMATIVE_ITEMS) & (cnt >= MIN_COMPARED // 3)
        rates[ok, k] = tot[ok] / (32.0 * cnt[ok])
    reason = np.zeros(nfp, dtype=np.int8)
    has_rate = ~np.all(np.isnan(rates), axis=1)
    med = np.full(nfp, np.nan)
    if has_rate.any():
        med[has_rate] = np.nanmedian(rates[has_rate], axis=1)
    reason[has_rate & (med < STATIONARY_BER)] = 2
    reason[(informative < MIN_INFORMATIVE_ITEMS) | ~has_rate] = 1

    g = KEY_GAP
    if width <= g:
        return reason, np.zeros(0, np.uint64)
    msb = _odd_bits(m)
    key = msb[:, :-g] | (msb[:, g:] << np.uint32(16))
    h = key * np.uint32(0x9E3779B1)  # multiplicative hash; wraps mod 2**32
    sel = valid[:, g:] & ~static[:, :-g] & ((h >> np.uint32(32 - SAMPLE_BITS)) == 0)
    sel &= (reason == 0)[:, None]
    rows, cols = np.nonzero(sel)
    postings = (
        (key[rows, cols].astype(np.uint64) << np.uint64(32))
        | ((rows + first_gid).astype(np.uint64) << np.uint64(10))
        | cols.astype(np.uint64)
    )
    return reason, postings


def _cooccurrences(postings: np.ndarray, max_offset: int) -> np.ndarray:
    """Codes (g1 << 32 | g2 << 10 | offset + 512), g1 < g2, one per shared key."""
    postings.sort()
    keys = (postings >> np.uint64(32)).astype(np.uint32)
    eq = keys[1:] == keys[:-1]
    del keys
    member = np.zeros(postings.size, dtype=bool)
    member[1:] |= eq
    member[:-1] |= eq
    del eq
    sub = postings[member]
    del member
    skeys = (sub >> np.uint64(32)).astype(np.uint32)
    sub_run = np.zeros(sub.size, dtype=np.int64)
    if sub.size:
        sub_run[1:] = np.cumsum(skeys[1:] != skeys[:-1])
    run_len = np.bincount(sub_run)
    keep = run_len[sub_run] <= BUCKET_CAP
    sub, sub_run = sub[keep], sub_run[keep]
    gid = ((sub >> np.uint64(10)) & np.uint64(0x3FFFFF)).astype(np.int64)
    pos = (sub & np.uint64(1023)).astype(np.int64)
    codes = [np.zeros(0, np.int64)]
    for lag in range(1, BUCKET_CAP):
        if sub.size <= lag:
            break
        m = np.flatnonzero(sub_run[:-lag] == sub_run[lag:])
        if m.size == 0:
            break
        g1, g2 = gid[m], gid[m + lag]
        p1, p2 = pos[m], pos[m + lag]
        swap = g1 > g2
        g1, g2 = np.where(swap, g2, g1), np.where(swap, g1, g2)
        p1, p2 = np.where(swap, p2, p1), np.where(swap, p1, p2)
        off = p1 - p2
        ok = (g1 != g2) & (np.abs(off) <= max_offset)
        codes.append((g1[ok] << 32) | (g2[ok] << 10) | (off[ok] + 512))
    return np.concatenate(codes)


def _vote(codes: np.ndarray):
    """(g1, g2, offset, votes) for pairs with >= MIN_VOTES shared keys at one offset +-1."""
    if codes.size == 0:
        empty = np.zeros(0, np.int64)
        return empty, empty, empty, empty
    code, count = np.unique(codes, return_counts=True)
    pair = code >> 10
    off = (code & 1023) - 512
    win = count.copy()
    same_prev = (pair[1:] == pair[:-1]) & (off[1:] == off[:-1] + 1)
    win[1:] += np.where(same_prev, count[:-1], 0)
    win[:-1] += np.where(same_prev, count[1:], 0)
    order = np.lexsort((win, pair))
    pair, off, win = pair[order], off[order], win[order]
    last = np.flatnonzero(np.concatenate([pair[1:] != pair[:-1], [True]]))
    pair, off, win = pair[last], off[last], win[last]
    good = win >= MIN_VOTES
    pair, off, win = pair[good], off[good], win[good]
    return pair >> 22, pair & 0x3FFFFF, off, win


PREFILTER_SAMPLES = 64  # aligned items compared per candidate before the exact check
PREFILTER_BER = 0.37  # SIMILAR's 0.30 + ~5 sigma of a 64-item estimate
PREFILTER_CHUNK = 4096


def _prefilter(fps: list, g1: np.ndarray, g2: np.ndarray, off: np.ndarray) -> np.ndarray:
    """Cheap vectorised bit error estimate at the voted offset (+-1) on 64 evenly spread
    aligned items; True where the pair deserves the exact ``fingerprint_similarity``.
    Only discards pairs far from SIMILAR (false index hits), never decides a match."""
    keep = np.zeros(g1.size, dtype=bool)
    k = np.arange(PREFILTER_SAMPLES, dtype=np.int64)
    # reused buffers: fresh 16 MB arrays per chunk cost more in page faults than the copy
    buf_a = np.empty(min(g1.size, PREFILTER_CHUNK) * MAX_ITEMS, np.uint32)
    buf_b = np.empty_like(buf_a)
    for c0 in range(0, g1.size, PREFILTER_CHUNK):
        sl = slice(c0, c0 + PREFILTER_CHUNK)
        a_list = [fps[g] for g in g1[sl].tolist()]
        b_list = [fps[g] for g in g2[sl].tolist()]
        o = off[sl]
        na = np.fromiter(map(len, a_list), np.int64, len(a_list))
        nb = np.fromiter(map(len, b_list), np.int64, len(b_list))
        a_cat = np.concatenate(a_list, out=buf_a[: int(na.sum())])
        b_cat = np.concatenate(b_list, out=buf_b[: int(nb.sum())])
        a_start = np.cumsum(na) - na
        # b positions j over the overlap at offset o (a[j + o] ~ b[j]), 64 evenly spread
        j_lo = np.maximum(0, -o)
        j_hi = np.minimum(nb, na - o)
        span = j_hi - j_lo
        j = j_lo[:, None] + (np.maximum(span, 1)[:, None] * k) // PREFILTER_SAMPLES
        bv = b_cat[(np.cumsum(nb) - nb)[:, None] + np.minimum(j, nb[:, None] - 1)]
        ia = j + o[:, None]
        best = np.full(len(a_list), 64 * 32)
        for d in (-1, 0, 1):
            av = a_cat[a_start[:, None] + np.clip(ia + d, 0, na[:, None] - 1)]
            best = np.minimum(best, np.bitwise_count(av ^ bv).sum(axis=1, dtype=np.int64))
        keep[sl] = (span >= MIN_COMPARED) & (best <= PREFILTER_BER * 32 * PREFILTER_SAMPLES)
    return keep


def _durations_compatible(d1, d2) -> bool:
    if d1 is None or d2 is None:
        return True
    return abs(d1 - d2) <= DURATION_TOLERANCE_S + DURATION_TOLERANCE_FRACTION * max(d1, d2)


def fingerprint_groups(items, *, max_offset: int = MAX_OFFSET, pairs_with=None) -> Grouping:
    """Group files whose fingerprints say they are the same recording.

    ``items``: iterable of (file_id, raw_fingerprint, duration_seconds or None). Candidate
    pairs come from an inverted index of sub-fingerprint keys (not all pairs): for a
    content-selected 1/4 of the positions (hash of the key, so the same audio is selected
    in both files whatever their offset), key = the 16 gray-code MSBs of item i and of
    item i+4 (32 bits). The index is a sorted array of (key, file, position) postings,
    self-joined one key partition at a time; keys held by more than BUCKET_CAP postings
    are dropped as stop words. Pairs sharing >= MIN_VOTES keys at one offset (+-1 item,
    |offset| <= max_offset) get a cheap vectorised 64-item bit error estimate, and those
    not clearly unrelated are verified with ``fingerprint_similarity`` around the voted
    offset. Pairs >= SAME_RECORDING with compatible durations are unioned (union-find)
    into groups; groups of <= COMPLETE_GROUP_MAX members get a score for every member pair
    (``note`` flags pairs that are not themselves SAME pairs: single link). SIMILAR-band
    pairs, and SAME-level pairs whose durations differ, are returned in ``similar``.
    Degenerate fingerprints (``degenerate_reason``) are not indexed; see ``excluded``.
    Raw fingerprints may also be given in their encoded text form.

    ``pairs_with`` (a set of file ids): only pairs with at least one member among them are
    verified, so that a few files (an import folder) are matched against a whole library
    without verifying the library's own pairs again (they are stored, ``AudioMatch``).
    """
    if not 0 < max_offset <= 500:
        raise ValueError("max_offset must be in 1..500")
    t0 = time.perf_counter()
    ids: list = []
    durations: list[float | None] = []
    fps: list[np.ndarray] = []
    excluded: dict = {}
    batch_start = 0
    reasons: list[np.ndarray] = []
    partitions: list[list[np.ndarray]] = [[] for _ in range(INDEX_PARTITIONS)]

    def flush():
        nonlocal batch_start
        if batch_start < len(fps):
            r, p = _batch_features(fps[batch_start:], batch_start)
            reasons.append(r)
            part = (p >> np.uint64(32)) & np.uint64(INDEX_PARTITIONS - 1)
            for k, bucket in enumerate(partitions):
                bucket.append(p[part == k])
            batch_start = len(fps)

    for file_id, raw, duration in items:
        if raw is None:
            excluded[file_id] = "too short"
            continue
        if isinstance(raw, (str, bytes)):  # the stored TEXT form
            raw = fingerprint_decode(raw)
        fp = np.asarray(raw, dtype=np.uint32)[:MAX_ITEMS]
        if fp.size < MIN_ITEMS:
            excluded[file_id] = "too short"
            continue
        ids.append(file_id)
        durations.append(None if duration is None else float(duration))
        fps.append(fp)
        if len(fps) - batch_start >= BATCH:
            flush()
    flush()
    if len(fps) >= 1 << 22:
        raise ValueError("too many fingerprints for the 22-bit file index")
    reason = np.concatenate(reasons) if reasons else np.zeros(0, np.int8)
    for g in np.flatnonzero(reason):
        excluded[ids[g]] = ("", "static", "stationary")[reason[g]]
    t1 = time.perf_counter()
    # the index is joined one key partition at a time (a key only meets its own partition)
    n_postings = 0
    code_parts: list[np.ndarray] = []
    for bucket in partitions:
        part = np.concatenate(bucket) if bucket else np.zeros(0, np.uint64)
        bucket.clear()
        n_postings += int(part.size)
        code_parts.append(_cooccurrences(part, max_offset))
        del part
    codes = np.concatenate(code_parts)
    del code_parts
    cooc = int(codes.size)
    g1s, g2s, offs, _votes = _vote(codes)
    del codes
    if pairs_with is not None:
        wanted = np.fromiter((file_id in pairs_with for file_id in ids), bool, len(ids))
        keep = wanted[g1s] | wanted[g2s]
        g1s, g2s, offs = g1s[keep], g2s[keep], offs[keep]
    t2 = time.perf_counter()

    parent = list(range(len(fps)))

    def find(x):
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    passed = _prefilter(fps, g1s, g2s, offs)
    n_prefiltered = int(passed.sum())
    t3 = time.perf_counter()
    edges = {}
    similar = []
    best_rejected = 0.0
    for g1, g2, off in zip(
        g1s[passed].tolist(), g2s[passed].tolist(), offs[passed].tolist(), strict=True
    ):
        s = fingerprint_similarity(fps[g1], fps[g2], max_offset=VERIFY_SLACK, center=off)
        if s.score < SIMILAR:
            best_rejected = max(best_rejected, s.score)
            continue
        if s.score >= SAME_RECORDING and _durations_compatible(durations[g1], durations[g2]):
            edges[(g1, g2)] = s
            r1, r2 = find(g1), find(g2)
            if r1 != r2:
                parent[max(r1, r2)] = min(r1, r2)
        else:
            note = "duration differs" if s.score >= SAME_RECORDING else ""
            similar.append(Pair(ids[g1], ids[g2], s.score, s.offset_items, note))

    t4 = time.perf_counter()
    members: dict[int, set[int]] = {}
    root_edges: dict[int, dict[tuple[int, int], Similarity]] = {}
    for (g1, g2), s in edges.items():
        root = find(g1)
        members.setdefault(root, set()).update((g1, g2))
        root_edges.setdefault(root, {})[(g1, g2)] = s
    groups = []
    for root, member_set in members.items():
        mem = sorted(member_set)
        group_edges = root_edges[root]
        pairs = dict(group_edges)
        if len(mem) <= COMPLETE_GROUP_MAX:
            rel = _relative_offsets(mem, group_edges)
            for i, x in enumerate(mem):
                for y in mem[i + 1 :]:
                    if (x, y) not in pairs:
                        pairs[(x, y)] = fingerprint_similarity(
                            fps[x], fps[y], max_offset=VERIFY_SLACK + 1, center=rel[x] - rel[y]
                        )
        group_pairs = []
        for (x, y), sim in sorted(pairs.items()):
            note = ""  # single link: a member pair need not itself be a SAME pair
            if sim.score < SAME_RECORDING:
                note = "below SAME_RECORDING"
            elif not _durations_compatible(durations[x], durations[y]):
                note = "duration differs"
            group_pairs.append(Pair(ids[x], ids[y], sim.score, sim.offset_items, note))
        groups.append(Group([ids[g] for g in mem], group_pairs))
    groups.sort(key=lambda grp: -len(grp.members))
    stats = {
        "fingerprints": len(fps),
        "indexed": int((reason == 0).sum()),
        "postings": n_postings,
        "cooccurrences": cooc,
        "candidates": int(g1s.size),
        "verified": n_prefiltered,
        "same_edges": len(edges),
        "similar_pairs": len(similar),
        "best_score_below_similar": round(best_rejected, 3),
        "seconds": {
            "read+features": round(t1 - t0, 2),
            "candidates": round(t2 - t1, 2),
            "prefilter": round(t3 - t2, 2),
            "verify": round(t4 - t3, 2),
            "groups": round(time.perf_counter() - t4, 2),
        },
    }
    return Grouping(groups, similar, excluded, stats)


def _relative_offsets(members, edges) -> dict:
    """Each member's offset relative to the first, accumulated along verified edges."""
    adj: dict[int, list[tuple[int, int]]] = {m: [] for m in members}
    for (x, y), s in edges.items():
        adj[x].append((y, -s.offset_items))  # rel[y] = rel[x] - offset
        adj[y].append((x, s.offset_items))
    rel = {members[0]: 0}
    stack = [members[0]]
    while stack:
        x = stack.pop()
        for y, d in adj[x]:
            if y not in rel:
                rel[y] = rel[x] + d
                stack.append(y)
    return rel
