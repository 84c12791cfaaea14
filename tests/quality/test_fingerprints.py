"""quality.fingerprints on real audio made here: music-like signals encoded with PyAV (FLAC,
LAME VBR, AAC 128k), cut, padded with silence, decoded to int16 and fingerprinted.

What each file is (which melody, which encoder, how many seconds cut or prepended) comes from
how it was made; fpcalc (libchromaprint-tools) is the independent reader of the text form.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest

from quality.fingerprints import (
    MAX_SECONDS,
    SAME_RECORDING,
    SIMILAR,
    FingerprintAccumulator,
    FingerprintFeed,
    degenerate_reason,
    fingerprint_decode,
    fingerprint_encode,
    fingerprint_groups,
    fingerprint_similarity,
)
from quality.services import audio_make as E
from quality.services.decoding import audio_verify, declared_read
from quality.services.music_signal import music_like
from tests.quality.helpers import interleaved_int16, pcm_int16

SR = 44100
SECONDS = 20.0
#: Seed pairs whose melodies share key and tempo (to 0.0005 BPM): the same structure,
#: different recordings.
SAME_STRUCTURE = ((154, 1188), (969, 569), (86, 1264))
#: name -> (suffix, audio_make.encode keywords)
ENCODINGS: dict[str, tuple[str, dict]] = {
    "flac": (
        ".flac",
        {"codec": "flac", "sample_fmt": "s16", "codec_options": {"compression_level": "5"}},
    ),
    "flac0": (
        ".flac",
        {"codec": "flac", "sample_fmt": "s16", "codec_options": {"compression_level": "0"}},
    ),
    "flac12": (
        ".flac",
        {"codec": "flac", "sample_fmt": "s16", "codec_options": {"compression_level": "12"}},
    ),
    "mp3v": (".mp3", {"codec": "libmp3lame", "sample_fmt": "s16p", "vbr_quality": 2}),
    "aac": (".m4a", {"codec": "aac", "sample_fmt": "fltp", "bit_rate": 128_000}),
}


def encode(pcm: np.ndarray, path: Path, encoding: str) -> Path:
    suffix, options = ENCODINGS[encoding]
    return E.encode(path.with_suffix(suffix), pcm, SR, **options)


def fingerprint_file(path: Path) -> np.ndarray | None:
    """The fingerprint ``verify_audio`` computes: its decode pass feeding the app's feed."""
    feed = FingerprintFeed()
    audio_verify(path, declared=declared_read(path), on_frame=feed)
    feed.result()
    return feed.raw


def fingerprint_pcm(
    pcm: np.ndarray, sample_rate: int = SR, chunk: int = 8192
) -> FingerprintAccumulator:
    """An accumulator fed ``pcm`` in chunks of ``chunk`` frames (not finished)."""
    channels = pcm.shape[0]
    inter = interleaved_int16(pcm)
    accumulator = FingerprintAccumulator(sample_rate, channels)
    for start in range(0, inter.size, chunk * channels):
        accumulator.feed(inter[start : start + chunk * channels])
    return accumulator


def silence(seconds: float, channels: int = 2) -> np.ndarray:
    return np.zeros((channels, int(seconds * SR)), np.float32)


@pytest.fixture(scope="module")
def library(tmp_path_factory) -> dict[str, tuple[Path, np.ndarray]]:
    """{label: (path, raw fingerprint)} for two same-structure recordings A and B, A also cut,
    padded with silence and at two FLAC compression levels."""
    tmp = tmp_path_factory.mktemp("fingerprints")
    a_seed, b_seed = SAME_STRUCTURE[0]
    out = {}

    def add(label: str, pcm: np.ndarray, encoding: str) -> None:
        path = encode(pcm, tmp / label.replace(".", "_"), encoding)
        out[label] = (path, fingerprint_file(path))

    for tag, seed in (("A", a_seed), ("B", b_seed)):
        pcm = music_like(seconds=SECONDS, seed=seed)
        for encoding in ("flac", "mp3v", "aac"):
            add(f"{tag}.{encoding}", pcm, encoding)
        if tag == "A":
            add("A.cut1.3", pcm[:, int(1.3 * SR) :], "flac")  # half an item off the grid
            add("A.cut3", pcm[:, 3 * SR :], "flac")
            add("A.sil2", np.concatenate([silence(2.0), pcm], axis=1), "flac")
            add("A.cut0.7aac", pcm[:, int(0.7 * SR) :], "aac")
            add("A.flac0", pcm, "flac0")
            add("A.flac12", pcm, "flac12")
    return out


def test_encodings_and_offsets_group_and_recordings_stay_apart(library):
    items = [
        (label, fp, None)
        for label, (_, fp) in library.items()
        if label not in ("A.flac0", "A.flac12")
    ]
    result = fingerprint_groups(items)
    groups = sorted(sorted(g.members) for g in result.groups)
    expect_a = sorted(label for label, _, _ in items if label.startswith("A."))
    expect_b = sorted(label for label, _, _ in items if label.startswith("B."))
    assert groups == sorted([expect_a, expect_b])
    assert result.similar == []
    for group in result.groups:
        # every member pair was scored and is at SAME level
        n = len(group.members)
        assert len(group.pairs) == n * (n - 1) // 2
        assert min(p.score for p in group.pairs) >= SAME_RECORDING
    # the offsets are found: 3 s cut = 24.2 items, 2 s of silence = -16.1 items
    flac = library["A.flac"][1]
    assert fingerprint_similarity(flac, library["A.cut3"][1], max_offset=80).offset_items == 24
    assert fingerprint_similarity(flac, library["A.sil2"][1], max_offset=80).offset_items == -16


def test_scores_same_recording_vs_different(library):
    fps = {label: fp for label, (_, fp) in library.items()}
    for variant in ("mp3v", "aac", "cut1.3", "cut3", "sil2", "cut0.7aac"):
        # the worst is a cut of a fractional number of items (+ AAC's priming delay)
        score = fingerprint_similarity(fps["A.flac"], fps[f"A.{variant}"], max_offset=80).score
        assert score >= 0.90, variant
    for a in ("A.flac", "A.aac", "A.cut3"):
        for b in ("B.flac", "B.mp3v", "B.aac"):
            similarity = fingerprint_similarity(fps[a], fps[b], max_offset=80)
            assert similarity.score < SIMILAR, (a, b, similarity)


def test_flac_compression_levels_give_identical_fingerprints(library):
    (p0, fp0), (p12, fp12) = library["A.flac0"], library["A.flac12"]
    assert p0.stat().st_size != p12.stat().st_size
    assert np.array_equal(pcm_int16(p0), pcm_int16(p12))
    assert np.array_equal(fp0, fp12)
    similarity = fingerprint_similarity(fp0, fp12, max_offset=80)
    assert similarity.score == 1.0 and similarity.offset_items == 0
    assert fingerprint_encode(fp0) == fingerprint_encode(fp12)


def test_same_structure_recordings_never_match():
    items = []
    for a, b in SAME_STRUCTURE[1:]:
        fa = fingerprint_pcm(music_like(seconds=SECONDS, seed=a)).finish()
        fb = fingerprint_pcm(music_like(seconds=SECONDS, seed=b)).finish()
        assert fingerprint_similarity(fa, fb, max_offset=80).score < SIMILAR
        items += [(a, fa, SECONDS), (b, fb, SECONDS)]
    result = fingerprint_groups(items)
    assert result.groups == [] and result.similar == [] and result.excluded == {}


def fpcalc_fingerprint(path: Path) -> str:
    """The FINGERPRINT line of ``fpcalc`` (Chromaprint's own command-line tool)."""
    # fpcalc 1.5.1 exits 3 after a harmless "Error decoding audio frame (End of file)"
    run = subprocess.run(["fpcalc", str(path)], capture_output=True, text=True, check=False)
    assert run.returncode in (0, 3), run.stderr
    printed = dict(line.split("=", 1) for line in run.stdout.splitlines() if "=" in line)
    return printed["FINGERPRINT"]


def test_encode_decode_roundtrip(library):
    _, raw = library["A.mp3v"]
    text = fingerprint_encode(raw)
    assert isinstance(text, str) and text.isascii()
    back = fingerprint_decode(text)
    assert back.dtype == np.uint32 and np.array_equal(back, raw)


@pytest.mark.parametrize("label", ["A.flac", "A.mp3v", "A.aac"])
def test_fingerprints_are_fpcalcs(library, label):
    """The stored text form is fpcalc's, byte for byte, and the fingerprint is fpcalc's to
    within resampling: both convert to 11025 Hz mono with libswresample at Chromaprint's
    settings, fpcalc through its own SwrContext, the app through PyAV's ``aresample`` filter,
    so an occasional item may differ in a bit (seen: 0 or 1 bit of 948 items)."""
    path, raw = library[label]
    printed = fpcalc_fingerprint(path)
    assert fingerprint_encode(fingerprint_decode(printed)) == printed  # same compressed base64
    theirs = fingerprint_decode(printed)
    assert theirs.size == raw.size  # same algorithm, same 120 s cap, same frames
    differing_bits = int(np.bitwise_count(theirs ^ raw).sum())
    assert differing_bits <= raw.size * 32 // 500, (label, differing_bits)  # >= 99.8 % equal
    similarity = fingerprint_similarity(theirs, raw, max_offset=8)
    assert similarity.offset_items == 0 and similarity.score >= 0.998


def test_accumulator_stops_after_120_s_and_refuses_too_little():
    pcm = music_like(seconds=MAX_SECONDS + 10, sample_rate=11025, channels=1, seed=3)
    accumulator = fingerprint_pcm(pcm, 11025, chunk=4000)
    assert accumulator.full and accumulator.seconds == MAX_SECONDS
    whole = accumulator.finish()
    exact = FingerprintAccumulator(11025, 1)
    exact.feed(interleaved_int16(pcm)[: int(MAX_SECONDS * 11025)])
    assert np.array_equal(whole, exact.finish())
    assert whole is not None
    assert whole.size == 948  # (120 s * 11025 - 4096) / 1365.3 frames, less the 16-frame filters

    short = FingerprintAccumulator(SR, 2)
    short.feed(interleaved_int16(music_like(seconds=1.0, seed=3)))
    assert short.finish() is None
    with pytest.raises(TypeError):
        FingerprintAccumulator(SR, 2).feed(np.zeros(100, np.float32))
    with pytest.raises(ValueError):
        FingerprintAccumulator(SR, 2).feed(np.zeros(101, np.int16))


def test_degenerate_fingerprints_are_excluded():
    rng = np.random.default_rng(0)
    n = 20 * 11025
    t = np.arange(n) / 11025
    cases = {
        "silence": np.zeros((1, n), np.float32),
        "dither": (rng.standard_normal((1, n)) / 32768).astype(np.float32),
        "sine": (0.5 * np.sin(2 * np.pi * 440 * t))[None].astype(np.float32),
        "white1": (0.3 * rng.standard_normal((1, n))).astype(np.float32),
        "white2": (0.3 * rng.standard_normal((1, n))).astype(np.float32),
    }
    fps = {name: fingerprint_pcm(x, 11025).finish() for name, x in cases.items()}
    # without the rule these would pass as duplicates of each other
    assert fingerprint_similarity(fps["white1"], fps["white2"], max_offset=80).score > 0.75
    assert {name: degenerate_reason(fp) for name, fp in fps.items()} == {
        "silence": "static",
        "dither": "static",
        "sine": "static",
        "white1": "stationary",
        "white2": "stationary",
    }
    # long silent intro + different music: real music, and the shared silence is not a match
    intro = np.zeros((1, 40 * 11025), np.float32)
    songs = [
        np.concatenate(
            [intro, music_like(seconds=25, sample_rate=11025, channels=1, seed=seed)], axis=1
        )
        for seed in (11, 12)
    ]
    f11, f12 = (fingerprint_pcm(x, 11025).finish() for x in songs)
    assert degenerate_reason(f11) is None and degenerate_reason(f12) is None
    assert fingerprint_similarity(f11, f12, max_offset=80).score < SIMILAR
    assert f11 is not None
    items = [(name, fp, 20.0) for name, fp in fps.items()]
    items += [("s11", f11, 65.0), ("s12", f12, 65.0), ("s11copy", f11.copy(), 65.0)]
    result = fingerprint_groups(items)
    assert [sorted(g.members) for g in result.groups] == [["s11", "s11copy"]]
    assert set(result.excluded) == set(fps) and result.similar == []


def random_flips(rng: np.random.Generator, n: int, rate: float) -> np.ndarray:
    """n uint32 masks, every bit set independently with probability ``rate``."""
    bits = rng.random((n, 32)) < rate
    return (bits @ (1 << np.arange(32, dtype=np.uint64))).astype(np.uint32)


def test_similarity_on_synthetic_items():
    rng = np.random.default_rng(1)
    a = rng.integers(0, 2**32, 600, dtype=np.uint32)
    b = rng.integers(0, 2**32, 600, dtype=np.uint32)
    assert fingerprint_similarity(a, a, max_offset=10).score == 1.0
    assert 0.45 < fingerprint_similarity(a, b, max_offset=80).score < 0.55
    similarity = fingerprint_similarity(a, a[37:], max_offset=80)
    assert (similarity.score, similarity.offset_items) == (1.0, 37)
    similarity = fingerprint_similarity(a[37:], a, max_offset=80)
    assert (similarity.score, similarity.offset_items) == (1.0, -37)
    assert fingerprint_similarity(a, a[37:], max_offset=20).score < 0.6  # out of range
    noisy = a ^ random_flips(rng, 600, 0.1)
    assert abs(fingerprint_similarity(a, noisy, max_offset=5).score - 0.9) < 0.01
    assert fingerprint_similarity(a[:10], a[:10], max_offset=5).score == 0.0  # too short


def test_groups_use_the_index_and_check_durations():
    rng = np.random.default_rng(2)
    base = [rng.integers(0, 2**32, 900, dtype=np.uint32) for _ in range(3000)]
    items: list[tuple[object, np.ndarray, float]] = [(i, fp, 200.0) for i, fp in enumerate(base)]
    for k in range(20):
        copy = base[k][k:] ^ random_flips(rng, 900 - k, 0.05)
        items.append((f"dup{k}", copy, 200.0 - k * 0.124))
    items.append(("longer", base[50].copy(), 330.0))  # same first 120 s, much longer file
    result = fingerprint_groups(items)
    assert result.stats["candidates"] < 1000  # not all 4.5 M pairs
    assert sorted(sorted(map(str, g.members)) for g in result.groups) == sorted(
        sorted([str(k), f"dup{k}"]) for k in range(20)
    )
    assert [(p.a, p.b, p.note) for p in result.similar] == [(50, "longer", "duration differs")]


def fingerprint_of_pcm(pcm: np.ndarray) -> np.ndarray:
    accumulator = FingerprintAccumulator(SR, pcm.shape[0])
    accumulator.feed((np.clip(pcm, -1, 1).T * 32767).astype(np.int16))
    return accumulator.finish()


def test_only_pairs_with_the_given_files_are_matched():
    """``pairs_with``: a few files (an import folder) matched against many through the same
    index, without verifying the others' pairs."""
    first, other = music_like(seconds=12, seed=41), music_like(seconds=12, seed=42)
    lead_in = np.concatenate([np.zeros((2, SR), np.float32), first], axis=1)
    items = [
        (1, fingerprint_of_pcm(first), 12.0),
        (2, fingerprint_of_pcm(lead_in), 13.0),  # the same recording, one second later
        (3, fingerprint_of_pcm(other), 12.0),
        (-1, fingerprint_of_pcm(first[:, : 11 * SR]), 11.0),  # an incoming copy of the first
    ]
    everything = fingerprint_groups(items)
    assert [sorted(group.members) for group in everything.groups] == [[-1, 1, 2]]

    foreign = fingerprint_groups(items, pairs_with={-1})
    assert [sorted(group.members) for group in foreign.groups] == [[-1, 1, 2]]
    assert foreign.stats["candidates"] < everything.stats["candidates"]

    unrelated = fingerprint_groups(items[:3], pairs_with={3})
    assert unrelated.groups == []  # the library's own pair (1, 2) is not looked at
