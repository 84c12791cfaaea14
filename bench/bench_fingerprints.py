"""Acoustic fingerprints: their share of verify_audio's time, and grouping 50,000 of them.

    python bench/bench_fingerprints.py [decode] [group] [--quick] [--repeat N] [--cache DIR]

Without a mode, both run. ``--quick`` runs both on small sizes (a smoke run: its figures say
nothing about the goals).

**decode**: the fingerprint's cost as the share it *adds* to ``verify_audio``'s per-file
time. ``verify_audio`` decodes each file once with
``audio_verify(path, declared=declared_read(path), on_frame=feed)``, the feed
(``quality.services.verification.FingerprintFeed``) resampling the frames of the first 120 s
to 11025 Hz mono and handing them to Chromaprint and, after the pass, finishing, checking
(``degenerate_reason``) and encoding the fingerprint. Baseline in the same run: the same call
without ``on_frame``. Three generated recordings of 4
minutes and three of 30 s (where the 120 s cap does not help), each as FLAC, MP3 (LAME VBR)
and AAC 128k; process CPU time (decoders run single-threaded, so the figure is per core and
less disturbed by other load), the two calls interleaved, best of ``--repeat`` rounds. Goal:
the fingerprint adds at most 30 %.

**group**: ``fingerprint_groups`` over 50,000 fingerprints, all 120 s-capped like the real
ones:

* 174 real fingerprints of 12 generated recordings (6 pairs sharing key and tempo) x 11-18
  variants each (FLAC, MP3 VBR, AAC, MP3 64k, AAC 48k, 48 kHz, mono, cuts, added silence,
  gain, noise, "remix", "remaster"), computed by ``audio_verify`` like the app's: 12 real
  groups;
* the rest synthetic, from a pool of 200 real fingerprints of other generated recordings
  (45 s each): a synthetic recording splices blocks of 8-40 items taken from random pool
  positions, each block XORed with its own random mask (each bit set with p = 0.2), so the
  local structure is real while two splices sharing a pool block still differ by ~32 % of
  bits there. Lengths: 80 % 948 items (tracks of 120 s or more), 20 % 240-948;
* planted near-duplicates: 3,000 recordings get one copy, 500 get two (4,500 planted pairs),
  shifted by -24..+24 items (+-3 s: leading items dropped, or items of silence or of another
  recording prepended), bits flipped at a bit error rate drawn from 0-0.15 and spread over
  the bit positions like the errors measured between real encodings;
* 150 degenerate fingerprints (100 of digital silence, 50 of real white noise): all must be
  excluded.

Prints wall and CPU seconds, the process's peak RSS while grouping (counted afresh from just
before the call on Linux; the 50,000 fingerprints of input included), recall (planted
and real same-recording pairs that end up in one group) and precision (grouped pairs that are
planted or real same-recording pairs). Goals: <= 10 s, <= 500 MB.

The generated audio and fingerprint pools are made on first use and kept in ``--cache``
(default ``var/bench/fingerprints/``, not committed; a few minutes and ~150 MB at full size);
delete the folder to rebuild them. Figures of record: bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from quality.fingerprints import (  # noqa: E402
    ITEM_SECONDS,
    SAME_RECORDING,
    SIMILAR,
    FingerprintAccumulator,
    FingerprintFeed,
    fingerprint_groups,
    fingerprint_similarity,
)
from quality.services import audio_make as E  # noqa: E402
from quality.services.decoding import audio_verify, declared_read  # noqa: E402
from quality.services.music_signal import music_like  # noqa: E402

DEFAULT_CACHE = ROOT / "var" / "bench" / "fingerprints"
SR = 44100
SILENCE_ITEM = np.uint32(0x256DF977)  # what Chromaprint emits for digital silence
FULL_ITEMS = 948  # a 120 s fingerprint
DECODE_GOAL = 0.30
GROUP_GOAL_SECONDS = 10.0
GROUP_GOAL_MB = 500.0
#: Seed pairs whose melodies share key and tempo: the same structure, different recordings.
MEASURE_PAIRS = ((154, 1188), (969, 569), (86, 1264), (232, 477), (1164, 1297), (369, 989))


@dataclass(frozen=True)
class Sizes:
    recordings: int  # decode: recordings per length
    long_seconds: float
    short_seconds: float
    repeat: int
    total: int  # group: fingerprints
    singles: int  # recordings with one planted copy
    doubles: int  # recordings with two
    silences: int
    noises: int
    pool: int  # pool recordings for the synthetic fingerprints
    pool_seconds: float
    measure_pairs: int  # seed pairs of real variants
    measure_seconds: float


FULL = Sizes(3, 240.0, 30.0, 5, 50_000, 3000, 500, 100, 50, 200, 45.0, 6, 30.0)
#: quick: the real variants stay >= 12 s (shorter cuts have too few changing items to index)
QUICK = Sizes(1, 12.0, 4.0, 2, 2_000, 150, 30, 10, 5, 12, 20.0, 1, 15.0)

#: name -> (suffix, audio_make.encode keywords)
ENCODINGS: dict[str, tuple[str, dict]] = {
    "flac": (
        ".flac",
        {"codec": "flac", "sample_fmt": "s16", "codec_options": {"compression_level": "5"}},
    ),
    "mp3v": (".mp3", {"codec": "libmp3lame", "sample_fmt": "s16p", "vbr_quality": 2}),
    "aac": (".m4a", {"codec": "aac", "sample_fmt": "fltp", "bit_rate": 128_000}),
    "mp3_64k": (".mp3", {"codec": "libmp3lame", "sample_fmt": "s16p", "bit_rate": 64_000}),
    "aac_48k": (".m4a", {"codec": "aac", "sample_fmt": "fltp", "bit_rate": 48_000}),
}
DECODE_LABELS = {"flac": "FLAC", "mp3v": "MP3 VBR", "aac": "AAC 128k"}


def peak_rss_reset() -> bool:
    """Restart the kernel's peak-RSS count (Linux: /proc/self/clear_refs), so that the peak
    read next is the grouping's, not that of earlier work in this process (making audio)."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def peak_rss_mb() -> float:
    """Peak resident set size of this process, MB (VmHWM; getrusage's never resets)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def encode(pcm: np.ndarray, path: Path, encoding: str, *, out_rate: int | None = None) -> Path:
    """Encode under a temporary name, then rename: an interrupted run leaves no half file."""
    suffix, options = ENCODINGS[encoding]
    final = path.with_suffix(suffix)
    part = final.with_name(f".part-{final.name}")
    E.encode(part, pcm, SR, out_rate=out_rate, **options)
    part.replace(final)
    return final


def interleaved_int16(pcm: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(E.to_int(pcm, 16).T).reshape(-1).astype(np.int16)


class TimedFeed:
    """verify_audio's frame callback (``quality.services.verification.FingerprintFeed``), with
    the CPU time spent inside it summed in ``inside``."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self.feed = FingerprintFeed()
        self.clock = clock
        self.inside = 0.0

    def __call__(self, frame) -> None:
        started = self.clock()
        self.feed(frame)
        self.inside += self.clock() - started

    def result(self) -> tuple[str | None, str]:
        started = self.clock()
        try:
            return self.feed.result()
        finally:
            self.inside += self.clock() - started


def file_fingerprint(path: Path) -> np.ndarray | None:
    """The raw fingerprint the app computes for ``path`` (its verification's decode pass)."""
    feed = FingerprintFeed()
    audio_verify(path, declared=declared_read(path), on_frame=feed)
    feed.result()
    return feed.raw


def pcm_fingerprint(pcm: np.ndarray, sample_rate: int = SR) -> np.ndarray | None:
    channels = pcm.shape[0]
    inter = interleaved_int16(pcm)
    accumulator = FingerprintAccumulator(sample_rate, channels)
    step = 8192 * channels
    for start in range(0, inter.size, step):
        accumulator.feed(inter[start : start + step])
    return accumulator.finish()


def npz_save(path: Path, arrays: dict[str, np.ndarray]) -> None:
    part = path.with_name(f".part-{path.name}")
    with part.open("wb") as handle:
        np.savez(handle, **arrays)
    part.replace(path)


# ----------------------------------------------------------------------------- decode


def decode_files(cache: Path, sizes: Sizes) -> dict[tuple[float, str], list[Path]]:
    cache.mkdir(parents=True, exist_ok=True)
    files: dict[tuple[float, str], list[Path]] = {}
    for seconds in (sizes.long_seconds, sizes.short_seconds):
        for k in range(sizes.recordings):
            pcm = None
            for encoding in DECODE_LABELS:
                suffix = ENCODINGS[encoding][0]
                path = cache / f"decode_{seconds:g}s_{k}_{encoding}{suffix}"
                if not path.exists():
                    if pcm is None:
                        pcm = music_like(seconds=seconds, seed=500 + k)
                    encode(pcm, path, encoding)
                files.setdefault((seconds, encoding), []).append(path)
    return files


def bench_decode(cache: Path, sizes: Sizes) -> None:
    made = time.perf_counter()
    files = decode_files(cache, sizes)
    made = time.perf_counter() - made
    clock = time.process_time

    def verify(paths: list[Path]) -> float:
        started = clock()
        for path in paths:
            audio_verify(path, declared=declared_read(path))
        return clock() - started

    def verify_fingerprint(paths: list[Path], feeds: list) -> float:
        started = clock()
        for path, feed in zip(paths, feeds, strict=True):
            audio_verify(path, declared=declared_read(path), on_frame=feed)
            feed.result()
        return clock() - started

    print(
        f"decode: fingerprint share of verify_audio's time (CPU, best of {sizes.repeat}"
        f" interleaved rounds, {sizes.recordings} file(s) per row; files ready in {made:.1f} s)"
    )
    print(
        f"  {'length':>6s} {'codec':8s} {'verify ms/file':>14s} {'+fingerprint':>12s}"
        f" {'added':>7s}   {'inside the feed ms/file':>23s}"
    )
    worst = (-1.0, "")
    for (seconds, encoding), paths in files.items():
        plain, fingerprinted, inside = [], [], []
        for _ in range(sizes.repeat):
            plain.append(verify(paths))
            fingerprinted.append(verify_fingerprint(paths, [FingerprintFeed() for _ in paths]))
            # a third, instrumented pass: how much of the added time is inside the feed
            # (libswresample and Chromaprint); kept out of the timing
            timed_feeds = [TimedFeed(clock) for _ in paths]
            verify_fingerprint(paths, timed_feeds)
            inside.append(sum(f.inside for f in timed_feeds))
        base, with_fp = min(plain), min(fingerprinted)
        share = (with_fp - base) / base
        n = len(paths)
        label = f"{seconds:g} s {DECODE_LABELS[encoding]}"
        worst = max(worst, (share, label))
        print(
            f"  {seconds:5g}s {DECODE_LABELS[encoding]:8s} {base / n * 1e3:14.1f}"
            f" {with_fp / n * 1e3:12.1f} {share:7.1%}   {np.median(inside) / n * 1e3:23.1f}"
        )
    verdict = "met" if worst[0] <= DECODE_GOAL else "NOT met"
    print(
        f"decode: worst added share {worst[0]:.1%} ({worst[1]}), goal <= {DECODE_GOAL:.0%}: "
        f"{verdict}"
    )


# ----------------------------------------------------------------------------- caches


def pool_fingerprints(cache: Path, sizes: Sizes) -> list[np.ndarray]:
    """Real fingerprints of ``sizes.pool`` generated recordings (mono, 11025 Hz)."""
    path = cache / f"bench_pool_{sizes.pool}x{sizes.pool_seconds:g}s.npz"
    if path.exists():
        with np.load(path) as z:
            return [z[k] for k in sorted(z.files, key=int)]
    cache.mkdir(parents=True, exist_ok=True)
    pool = []
    for i in range(sizes.pool):
        pcm = music_like(seconds=sizes.pool_seconds, sample_rate=11025, channels=1, seed=10_000 + i)
        fp = pcm_fingerprint(pcm, 11025)
        assert fp is not None
        pool.append(fp)
    npz_save(path, {str(i): fp for i, fp in enumerate(pool)})
    return pool


def _variants(pcm: np.ndarray, tmp: Path, tag: str) -> dict[str, np.ndarray | None]:
    def file(x: np.ndarray, name: str, encoding: str, **kw) -> np.ndarray | None:
        return file_fingerprint(encode(x, tmp / f"{tag}_{name}", encoding, **kw))

    out = {"pcm": pcm_fingerprint(pcm)}
    for encoding in ("flac", "mp3v", "aac"):
        out[encoding] = file(pcm, encoding, encoding)
    out["cut0.5"] = file(pcm[:, int(0.5 * SR) :], "c05", "flac")
    out["cut3"] = file(pcm[:, 3 * SR :], "c3", "flac")
    out["sil2"] = file(
        np.concatenate([np.zeros((2, 2 * SR), np.float32), pcm], axis=1), "s2", "flac"
    )
    out["cut1.3aac"] = file(pcm[:, int(1.3 * SR) :], "c13", "aac")
    out["quiet_mp3"] = file(pcm * 10 ** (-10 / 20), "q", "mp3v")
    # half an item (0.062 s) off the item grid: the worst alignment there is
    out["cut0.062"] = file(pcm[:, int(0.0619 * SR) :], "chalf", "flac")
    out["cut0.7aac"] = file(pcm[:, int(0.7 * SR) :], "c07", "aac")
    return out


def _harsh_variants(
    pcm: np.ndarray, tmp: Path, tag: str, seed: int, seconds: float
) -> dict[str, np.ndarray | None]:
    def file(x: np.ndarray, name: str, encoding: str, **kw) -> np.ndarray | None:
        return file_fingerprint(encode(x, tmp / f"{tag}_{name}", encoding, **kw))

    noise = np.random.default_rng(99).standard_normal(pcm.shape).astype(np.float32)
    return {
        "mp3_64k": file(pcm, "m64", "mp3_64k"),
        "aac_48k": file(pcm, "a48", "aac_48k"),
        "sr48k": file(pcm, "48", "flac", out_rate=48000),
        "mono": file(pcm.mean(axis=0, keepdims=True), "mono", "flac"),
        "addnoise": file(pcm + noise * 10 ** (-35 / 20), "n", "flac"),
        "remix": pcm_fingerprint(music_like(seconds=seconds, seed=seed, noise_level_db=-20.0)),
        "remaster": pcm_fingerprint(
            music_like(seconds=seconds, seed=seed, tilt_db_per_octave=6.0, level_db=-9.0)
        ),
    }


def measured_fingerprints(cache: Path, sizes: Sizes) -> dict[str, np.ndarray]:
    """{"seed:variant": raw fingerprint}: real variants of the MEASURE_PAIRS recordings."""
    path = cache / f"measure_cache_{sizes.measure_pairs}p_{sizes.measure_seconds:g}s.npz"
    if path.exists():
        with np.load(path) as z:
            return {k: z[k] for k in z.files}
    cache.mkdir(parents=True, exist_ok=True)
    store: dict[str, np.ndarray] = {}
    pairs = MEASURE_PAIRS[: sizes.measure_pairs]
    with tempfile.TemporaryDirectory(dir=cache, prefix=".measure-") as folder:
        tmp = Path(folder)
        for first, second in pairs:
            for seed in (first, second):
                pcm = music_like(seconds=sizes.measure_seconds, seed=seed)
                found = _variants(pcm, tmp, str(seed))
                if seed == first:
                    found |= _harsh_variants(pcm, tmp, str(seed), seed, sizes.measure_seconds)
                for name, fp in found.items():
                    assert fp is not None, (seed, name)
                    store[f"{seed}:{name}"] = fp
    npz_save(path, store)
    return store


def bit_profile(measured: dict[str, np.ndarray]) -> np.ndarray:
    """Per-bit error rates between real encodings of one recording, mean 1."""
    seeds = sorted({k.split(":")[0] for k in measured})
    errors = np.zeros(32)
    for seed in seeds:
        a = measured[f"{seed}:pcm"]
        for variant in ("aac", "mp3v"):
            b = measured[f"{seed}:{variant}"]
            n = min(a.size, b.size)
            x = a[:n] ^ b[:n]
            errors += ((x[:, None] >> np.arange(32, dtype=np.uint32)) & 1).sum(0)
    errors += 1
    return errors / errors.mean()


# ----------------------------------------------------------------------------- group


class Synth:
    """Synthetic fingerprints spliced from real ones, and noisy shifted copies of them."""

    def __init__(self, pool: list[np.ndarray], profile: np.ndarray, rng: np.random.Generator):
        self.flat = np.concatenate(pool)
        bounds = np.cumsum([0] + [p.size for p in pool])
        self.starts, self.ends = bounds[:-1], bounds[1:]
        self.rng = rng
        self.profile = profile
        self.weights = np.uint32(1) << np.arange(32, dtype=np.uint32)

    def recording(self, length: int) -> np.ndarray:
        rng = self.rng
        lens = rng.integers(8, 41, length // 8 + 2)
        lens = lens[: np.searchsorted(np.cumsum(lens), length) + 1]
        src = rng.integers(0, self.starts.size, lens.size)
        room = self.ends[src] - self.starts[src] - lens
        first = self.starts[src] + (rng.random(lens.size) * (room + 1)).astype(np.int64)
        block_of = np.repeat(np.arange(lens.size), lens)
        within = np.arange(block_of.size) - np.repeat(np.cumsum(lens) - lens, lens)
        items = self.flat[first[block_of] + within]
        masks = ((rng.random((lens.size, 32)) < 0.2) * self.weights).sum(1).astype(np.uint32)
        return (items ^ masks[block_of])[:length]

    def copy(self, fp: np.ndarray, ber: float, offset: int) -> np.ndarray:
        rng = self.rng
        if offset > 0:
            out = fp[offset:]
        elif offset < 0:
            if rng.random() < 0.5:
                lead = np.full(-offset, SILENCE_ITEM, np.uint32)
            else:
                lead = self.recording(-offset + 8)[:-offset]
            out = np.concatenate([lead, fp])
        else:
            out = fp.copy()
        out = out[:FULL_ITEMS].copy()
        p = np.minimum(0.5, ber * self.profile)
        flips = ((rng.random((out.size, 32)) < p) * self.weights).sum(1).astype(np.uint32)
        return out ^ flips


@dataclass
class Dataset:
    records: list[tuple[str, np.ndarray, float]]  # (label, fingerprint, duration)
    truth: set[frozenset[str]]  # same-recording pairs
    bers: dict[str, float]  # planted copy -> its bit error rate


def build_dataset(cache: Path, sizes: Sizes, seed: int = 1) -> Dataset:
    rng = np.random.default_rng(seed)
    measured = measured_fingerprints(cache, sizes)
    synth = Synth(pool_fingerprints(cache, sizes), bit_profile(measured), rng)
    records: list[tuple[str, np.ndarray, float]] = []
    truth: set[frozenset[str]] = set()
    bers: dict[str, float] = {}
    by_recording: dict[str, list[str]] = {}
    for key in sorted(measured):
        records.append((f"real:{key}", measured[key], sizes.measure_seconds))
        by_recording.setdefault(key.split(":")[0], []).append(f"real:{key}")
    for labels in by_recording.values():
        truth.update(frozenset((x, y)) for i, x in enumerate(labels) for y in labels[i + 1 :])
    for i in range(sizes.silences):
        records.append((f"deg:silence{i}", np.full(FULL_ITEMS, SILENCE_ITEM, np.uint32), 200.0))
    for i in range(sizes.noises):
        noise = np.random.default_rng(1000 + i).standard_normal((1, 30 * 11025)) * 0.3
        fp = pcm_fingerprint(noise, 11025)
        assert fp is not None
        records.append((f"deg:noise{i}", fp, 30.0))
    n_base = sizes.total - len(records) - sizes.singles - 2 * sizes.doubles
    for i in range(n_base):
        full = rng.random() < 0.8
        length = FULL_ITEMS if full else int(rng.integers(240, FULL_ITEMS + 1))
        duration = float(rng.uniform(150, 400)) if full else length * ITEM_SECONDS + 2
        fp = synth.recording(length)
        base = f"s{i}"
        records.append((base, fp, duration))
        copies = 1 if i < sizes.singles else 2 if i < sizes.singles + sizes.doubles else 0
        labels = [base]
        for c in range(copies):
            ber = float(rng.uniform(0.0, 0.15))
            offset = int(rng.integers(-24, 25))
            label = f"{base}c{c}"
            records.append((label, synth.copy(fp, ber, offset), duration - offset * ITEM_SECONDS))
            bers[label] = ber
            labels.append(label)
        truth.update(frozenset((x, y)) for j, x in enumerate(labels) for y in labels[j + 1 :])
    order = rng.permutation(len(records))
    return Dataset([records[i] for i in order], truth, bers)


def bench_group(cache: Path, sizes: Sizes) -> None:
    started = time.perf_counter()
    data = build_dataset(cache, sizes)
    made = time.perf_counter() - started
    records, truth = data.records, data.truth
    mib = sum(r[1].nbytes for r in records) / 2**20
    items = sum(r[1].size for r in records) / 1e6
    reset = peak_rss_reset()
    print(
        f"group: {len(records)} fingerprints ({items:.1f} M items, {mib:.0f} MiB) made in"
        f" {made:.1f} s; RSS before grouping {peak_rss_mb():.0f} MB"
    )
    started, cpu = time.perf_counter(), time.process_time()
    result = fingerprint_groups(records)
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    peak = peak_rss_mb()
    peak_what = "during grouping, input included" if reset else "whole process, since start"
    found: set[frozenset[str]] = set()
    for group in result.groups:
        m = group.members
        found.update(frozenset((x, y)) for i, x in enumerate(m) for y in m[i + 1 :])
    hits = found & truth
    recall = len(hits) / max(1, len(truth))
    precision = len(hits) / max(1, len(found))
    degenerate = {r[0] for r in records if r[0].startswith("deg:")}
    print(f"  stages {result.stats['seconds']}, candidates {result.stats['candidates']}")
    print(
        f"  excluded {len(result.excluded)}; planted degenerate {len(degenerate)}, all excluded:"
        f" {degenerate <= set(result.excluded)} (reasons {sorted(set(result.excluded.values()))})"
    )
    real_truth = {p for p in truth if next(iter(p)).startswith("real:")}
    synthetic_truth = truth - real_truth
    print(
        f"  real variants: recall {len(real_truth & found) / max(1, len(real_truth)):.4f}"
        f" of {len(real_truth)} pairs"
    )
    for lo, hi in ((0, 0.05), (0.05, 0.10), (0.10, 0.125), (0.125, 0.15)):
        # base-copy pairs whose copy was planted at this bit error rate
        band = [
            p
            for p in synthetic_truth
            if any(lo <= data.bers.get(label, -1) < hi for label in p)
            and not all(label in data.bers for label in p)
        ]
        hit = sum(p in found for p in band)
        rate = hit / max(1, len(band))
        print(f"    planted BER {lo:.3f}-{hi:.3f}: recall {rate:.4f} ({hit}/{len(band)})")
    by_label = {r[0]: r[1] for r in records}
    below = index_miss = 0
    for pair in truth - found:
        x, y = sorted(pair)
        if fingerprint_similarity(by_label[x], by_label[y], max_offset=80).score < SAME_RECORDING:
            below += 1
        else:
            index_miss += 1
    print(
        f"  missed pairs: {below} below SAME_RECORDING even at the best offset, {index_miss}"
        f" missed by the index or the verification"
    )
    unplanted = [p for p in result.similar if frozenset((p.a, p.b)) not in truth]
    print(
        f"  similar pairs {len(result.similar)} (not planted: {len(unplanted)}); thresholds"
        f" SAME_RECORDING {SAME_RECORDING}, SIMILAR {SIMILAR}"
    )
    time_ok = "met" if elapsed <= GROUP_GOAL_SECONDS else "NOT met"
    rss_ok = "met" if peak <= GROUP_GOAL_MB else "NOT met"
    print(
        f"group: {len(records)} fingerprints in {elapsed:.2f} s wall ({cpu:.2f} s CPU), goal <="
        f" {GROUP_GOAL_SECONDS:g} s: {time_ok}; peak RSS {peak:.0f} MB ({peak_what}), goal <="
        f" {GROUP_GOAL_MB:g} MB: {rss_ok}"
    )
    print(
        f"group: recall {recall:.4f} ({len(hits)}/{len(truth)} same-recording pairs),"
        f" precision {precision:.4f} ({len(found)} grouped pairs)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("modes", nargs="*", metavar="MODE", help="decode, group (default: both)")
    parser.add_argument("--quick", action="store_true", help="small sizes (a smoke run)")
    parser.add_argument("--repeat", type=int, default=None, help="decode: best of N rounds")
    parser.add_argument(
        "--cache", type=Path, default=DEFAULT_CACHE, help="generated audio and pools (kept)"
    )
    args = parser.parse_args()
    sizes = QUICK if args.quick else FULL
    if args.repeat is not None:
        if args.repeat < 1:
            parser.error(f"--repeat {args.repeat}: give at least 1")
        sizes = Sizes(**{**sizes.__dict__, "repeat": args.repeat})
    modes = args.modes or ["decode", "group"]
    unknown = sorted(set(modes) - {"decode", "group"})
    if unknown:
        parser.error(f"unknown mode {unknown[0]!r}: give decode and/or group")
    print(
        f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f},"
        f" Python {sys.version.split()[0]}{' (--quick: smoke sizes)' if args.quick else ''}"
    )
    if "decode" in modes:
        bench_decode(args.cache, sizes)
    if "group" in modes:
        bench_group(args.cache, sizes)


if __name__ == "__main__":
    main()
