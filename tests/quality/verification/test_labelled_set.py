"""The decode-based verifier on a labelled set made from music-like signals.

Every label comes from how the file was made (``labelled_set.py``), never from the verifier.
"""

from __future__ import annotations

import json
import os
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from bench import labelled_set as LS
from bench import verify_report as report
from quality import verdicts
from quality.services import audio_make as E
from quality.services.decoding import audio_verify, declared_read
from quality.versions import VERIFIER_VERSION

HERE = Path(__file__).resolve().parent

pytestmark = pytest.mark.longest  # the labelled set's set-up (conftest.py)


def _select(results, **kw):
    out = [(i, r) for i, r in results if all(getattr(i, k) == v for k, v in kw.items())]
    assert out, f"no items with {kw}"
    return out


def _fmt(i, r):
    return (
        f"{Path(i.path).name}: {r.verdict} integrity={r.integrity!r} cutoff={r.cutoff_hz} "
        f"floor={r.high_band_floor_db} est={r.estimated_source!r} notes={r.evidence.get('notes')}"
    )


# ------------------------------------------------------------------------------------------
# labelled-set assertions
# ------------------------------------------------------------------------------------------
def test_fakes_are_lossy_source_with_the_right_band(results):
    fakes = [(i, r) for i, r in results if i.label == "lossy_source" and i.detectable]
    kinds = {i.kind for i, _ in fakes}
    for k in (
        "fake_mp3_96",
        "fake_mp3_128",
        "fake_mp3_160",
        "fake_mp3_192",
        "fake_mp3_256",
        "fake_aac_128",
        "fake_vorbis_q3",
        "fake_mp3_V2",
        "fake_mp3_V4",
        "fake_mp3_V6",
        "mp3_320_from_mp3_128",
    ):
        assert k in kinds
    bad = [_fmt(i, r) for i, r in fakes if r.verdict != "lossy_source"]
    assert not bad, "\n".join(bad)
    wrong_band = [
        f"{_fmt(i, r)} range={r.evidence.get('estimated_kbps_range')} made from {i.source}"
        for i, r in fakes
        if not report.band_ok(i, r)
    ]
    assert not wrong_band, "\n".join(wrong_band)


def test_fakes_outside_the_method_give_their_designed_verdict(results):
    """MP3 320k / Opus / Vorbis q5 fakes: inconclusive (19.8-20.6 kHz zone); V0 / AAC 256k:
    no wall, ok."""
    rows = [(i, r) for i, r in results if i.label == "lossy_source" and not i.detectable]
    bad = [_fmt(i, r) for i, r in rows if r.verdict != i.expected]
    assert not bad, "\n".join(bad)


def test_genuine_lossless_files_are_ok(results):
    rows = _select(results, label="ok")
    assert {i.tilt for i, _ in rows if i.kind == "genuine_flac16"} >= {3.0, 6.0}
    bad = [_fmt(i, r) for i, r in rows if r.verdict != "ok"]
    assert not bad, "\n".join(bad)
    for i, r in rows:
        assert r.cutoff_hz is None or r.cutoff_hz > verdicts.AMBIGUOUS_HIGH_HZ, _fmt(i, r)


def test_genuine_lossy_files_are_not_accused(results):
    rows = _select(results, label="lossy_genuine")
    bad = [_fmt(i, r) for i, r in rows if r.verdict not in ("ok", "inconclusive")]
    assert not bad, "\n".join(bad)
    kinds = {i.kind for i, _ in rows}
    assert {"genuine_mp3_320", "genuine_aac_256"} <= kinds


def test_upsampled_copies_are_caught(results):
    rows = _select(results, label="upsampled")
    bad = [_fmt(i, r) for i, r in rows if r.verdict != "upsampled"]
    assert not bad, "\n".join(bad)
    for i, r in rows:
        expected = 48000 if "48to96" in i.kind else 44100
        assert r.effective_sample_rate == expected, (_fmt(i, r), r.evidence.get("rate"))
    assert {i.kind for i, _ in rows} >= {
        "upsampled_flac_96k",
        "upsampled_wav_96k",
        "upsampled_flac_96k_fft",
    }


def test_padded_copies_are_caught(results):
    rows = _select(results, label="padded_bits")
    for i, r in rows:
        assert r.verdict == "padded_bits", _fmt(i, r)
        assert r.effective_bit_depth == 16, _fmt(i, r)


def test_damaged_files(results):
    rows = _select(results, label="damaged")
    kinds = {i.kind for i, _ in rows}
    assert {"truncated_flac", "truncated_mp3", "wrong_md5_flac"} <= kinds
    for i, r in rows:
        assert r.verdict == "damaged", _fmt(i, r)
        assert r.integrity != "ok"
        if i.kind == "wrong_md5_flac":
            assert r.md5_status == "mismatch"
        if i.kind.startswith("truncated"):
            assert "truncated" in r.integrity, r.integrity
        if i.kind == "bitflip_flac":
            assert r.md5_status == "mismatch"
            assert r.evidence.get("gaps") or r.evidence.get("errors"), r.evidence  # position known


def test_short_silent_mono_are_inconclusive(results):
    rows = _select(results, label="inconclusive")
    assert {i.kind for i, _ in rows} == {
        "short_3s",
        "silent",
        "mono_22k",
        "mono_44k",
        "mono_44k_from_mp3_128",
    }
    for i, r in rows:
        assert r.verdict == "inconclusive", _fmt(i, r)
        assert r.integrity == "ok"


def test_flac_pcm_hash_equals_streaminfo_md5(results):
    """16-bit (FFmpeg flac) and 24-bit (libFLAC via soundfile, and FFmpeg flac) files."""
    checked = set()
    for i, r in results:
        if not i.path.endswith(".flac") or i.label == "damaged":
            continue
        d = declared_read(i.path)
        if d.md5 is None:
            continue
        assert r.md5_status == "match", _fmt(i, r)
        assert r.pcm_hash == d.md5
        checked.add((d.bit_depth, i.kind))
    depths = {b for b, _ in checked}
    assert {16, 24} <= depths
    assert (24, "genuine_flac24_libflac") in checked


def test_evidence_is_json_and_fields_are_consistent(results):
    for i, r in results:
        json.dumps(r.evidence)
        assert r.verdict in verdicts.VERDICTS
        assert r.md5_status in ("match", "mismatch", "unset", "n.a.")
        assert r.verifier_version == VERIFIER_VERSION
        assert "libavcodec" in r.decoder_version
        if not i.path.endswith(".flac"):
            assert r.md5_status == "n.a."


def test_report_table(results, report_line):
    text = report.table(results)
    report_line(text)
    genuine = [(i, r) for i, r in results if i.label in ("ok", "lossy_genuine")]
    assert all(r.verdict in ("ok", "inconclusive") for _, r in genuine)


# ------------------------------------------------------------------------------------------
# on_frame callback (the fingerprinter's feed)
# ------------------------------------------------------------------------------------------
def test_on_frame_gets_the_decoded_frames(labelled):
    item = next(i for i in labelled if i.kind == "genuine_flac16")
    chunks = []

    def collect(frame):
        assert (frame.sample_rate, frame.layout.nb_channels, frame.format.name) == (
            44100,
            2,
            "s16",
        )
        chunks.append(frame.to_ndarray().reshape(-1).copy())

    res = audio_verify(item.path, declared=declared_read(item.path), on_frame=collect)
    assert res.verdict == "ok"
    ref, _ = sf.read(item.path, dtype="int16")
    np.testing.assert_array_equal(np.concatenate(chunks), ref.reshape(-1))


def test_on_frame_stops_after_120_s(tmp_path):
    x = np.random.default_rng(1).integers(-3000, 3000, (1, 8000 * 125)).astype(np.int32)
    path = E.write_int_flac(tmp_path / "long.flac", x, 8000, 16)
    sizes: list[int] = []
    audio_verify(path, declared=declared_read(path), on_frame=lambda f: sizes.append(f.samples))
    # every frame that starts before 120 s, and no other
    assert sum(sizes[:-1]) < 120 * 8000 <= sum(sizes)


def test_on_frame_exception_does_not_escape(labelled):
    item = next(i for i in labelled if i.kind == "genuine_flac16")

    def boom(frame):
        raise RuntimeError("fingerprinter broke")

    res = audio_verify(item.path, declared=declared_read(item.path), on_frame=boom)
    assert res.verdict == "ok"
    assert "fingerprinter broke" in res.evidence["on_frame_error"]


# ------------------------------------------------------------------------------------------
# robustness: never raises
# ------------------------------------------------------------------------------------------
def test_garbage_inputs_never_raise(tmp_path):
    (tmp_path / "empty.flac").write_bytes(b"")
    (tmp_path / "text.mp3").write_text("not audio at all\n" * 100)
    (tmp_path / "noise.m4a").write_bytes(np.random.default_rng(0).bytes(50000))
    (tmp_path / "fLaC_only.flac").write_bytes(b"fLaC" + bytes(60))
    for p in [tmp_path / "missing.flac", tmp_path, *sorted(tmp_path.iterdir())]:
        d = declared_read(p)
        r = audio_verify(p, declared=d)
        assert r.verdict in ("damaged", "inconclusive"), (p, r)
        json.dumps(r.evidence)


FUZZ_PER_FILE = 60
FUZZ_KINDS = ("truncate", "flip", "header", "zero", "splice")


def _mutate(data: bytes, kind: str, rng: np.random.Generator) -> bytes:
    b = bytearray(data)
    n = len(b)
    if kind == "truncate":
        return bytes(b[: int(rng.integers(0, n))])
    if kind == "flip":
        for pos in rng.integers(0, n, int(rng.integers(1, 30))):
            b[pos] ^= int(rng.integers(1, 256))
    elif kind == "header":
        for pos in rng.integers(0, min(n, 4096), int(rng.integers(1, 8))):
            b[pos] ^= int(rng.integers(1, 256))
    elif kind == "zero":
        start = int(rng.integers(0, n))
        end = min(n, start + int(rng.integers(16, 4096)))
        b[start:end] = bytes(end - start)
    elif kind == "splice":
        a, c = sorted(int(v) for v in rng.integers(0, n, 2))
        if rng.random() < 0.5:
            del b[a:c]
        else:
            b[a:a] = b[a : min(c, a + 20000)]
    return bytes(b)


def _fuzz_one(args):
    seed_path, kind, seed, workdir = args
    data = Path(seed_path).read_bytes()
    rng = np.random.default_rng(seed)
    mutated = _mutate(data, kind, rng)
    path = Path(workdir) / f"fuzz_{os.getpid()}{Path(seed_path).suffix}"
    path.write_bytes(mutated)
    try:
        declared = declared_read(path)
        res = audio_verify(path, declared=declared)
        json.dumps(res.evidence)
        return (Path(seed_path).name, kind, seed, res.verdict, res.integrity[:50], None)
    except BaseException as e:
        return (Path(seed_path).name, kind, seed, None, None, f"{type(e).__name__}: {e}")


def test_fuzz_never_raises(tmp_path_factory):
    root = tmp_path_factory.mktemp("fuzz")
    seeds = LS.build_fuzz_seeds(root / "seeds")
    work = root / "work"
    work.mkdir()
    jobs = []
    rng = np.random.default_rng(20240601)
    for s in seeds:
        for j in range(FUZZ_PER_FILE):
            jobs.append(
                (str(s), FUZZ_KINDS[j % len(FUZZ_KINDS)], int(rng.integers(0, 2**31)), str(work))
            )
    with ProcessPoolExecutor(max_workers=2) as pool:
        out = list(pool.map(_fuzz_one, jobs, chunksize=8))
    raised = [o for o in out if o[5] is not None]
    assert not raised, raised[:5]
    assert len(out) == len(seeds) * FUZZ_PER_FILE >= 300
    assert all(o[3] in verdicts.VERDICTS for o in out)
    # truncations of the FLAC seeds must be reported damaged (STREAMINFO knows the length)
    for o in out:
        if o[0].endswith(".flac") and o[1] == "truncate":
            assert o[3] in ("damaged", "inconclusive"), o
    counts = {}
    for o in out:
        counts[o[3]] = counts.get(o[3], 0) + 1
    print("fuzz verdicts:", counts)
    assert counts.get("damaged", 0) > len(out) // 3
