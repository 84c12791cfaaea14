"""Throughput of audio_verify vs a raw PyAV decode-only loop over the same files.

    python bench/bench_verify.py [--seconds 180] [--repeat 3] [--labelled] [--out DIR]

Builds (once, cached in dir) realistic-length files: FLAC 16-bit, FLAC 24-bit, MP3 CBR 320,
MP3 VBR V2, AAC 256k (m4a), Vorbis q5, Opus 128k. Measures CPU time (time.process_time, so the
figure is per core and insensitive to other load on the machine), best of --repeat runs per
file, both loops single-threaded (codec thread_count = 1). Prints seconds of audio per CPU
second for each and the ratio verify/raw per codec and overall (goal: at least 0.8).

With ``--labelled`` it also builds the labelled set of ``bench/labelled_set.py`` (fakes from
MP3, AAC, Opus and Vorbis, genuine files, upsampled, padded, damaged, short/silent/mono) and
prints recall per class and the false-positive rate on genuine files.
"""

from __future__ import annotations

import argparse
import functools
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

import av  # noqa: E402

from quality.services import audio_make as E  # noqa: E402
from quality.services import decoding as V  # noqa: E402
from quality.services.music_signal import music_like  # noqa: E402


def build(root: Path, seconds: float) -> list[Path]:
    root.mkdir(parents=True, exist_ok=True)
    tag = f"{int(seconds)}s"
    paths = {
        "flac16": root / f"bench_{tag}_16.flac",
        "flac24": root / f"bench_{tag}_24.flac",
        "mp3_320": root / f"bench_{tag}_320.mp3",
        "mp3_v2": root / f"bench_{tag}_v2.mp3",
        "aac_256": root / f"bench_{tag}_256.m4a",
        "vorbis_q5": root / f"bench_{tag}_q5.ogg",
        "opus_128": root / f"bench_{tag}_128.opus",
    }
    if all(p.exists() for p in paths.values()):
        return list(paths.values())
    x = music_like(seconds=seconds, seed=99, tilt_db_per_octave=4.0)
    E.write_int_flac(paths["flac16"], E.to_int(x, 16), 44100, 16)
    E.write_int_flac(paths["flac24"], E.to_int(x, 24), 44100, 24)
    E.encode(paths["mp3_320"], x, 44100, "libmp3lame", bit_rate=320000)
    E.encode(paths["mp3_v2"], x, 44100, "libmp3lame", vbr_quality=2)
    E.encode(paths["aac_256"], x, 44100, "aac", bit_rate=256000)
    E.write_vorbis(paths["vorbis_q5"], x, 44100, 5)
    E.encode(paths["opus_128"], x, 44100, "libopus", bit_rate=128000, out_rate=48000)
    return list(paths.values())


def raw_decode(path: Path) -> float:
    """Decode-only loop: returns seconds of audio decoded."""
    n = 0
    rate = 1
    with av.open(str(path)) as container:
        stream = container.streams.audio[0]
        stream.codec_context.thread_count = 1
        rate = stream.codec_context.sample_rate or 1
        for frame in container.decode(stream):
            n += frame.samples
    return n / rate


def timed(fn, repeat: int) -> tuple[float, object]:
    best = float("inf")
    out = None
    for _ in range(repeat):
        t0 = time.process_time()
        out = fn()
        best = min(best, time.process_time() - t0)
    return best, out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=str(HERE / "out" / "verify"), help="files are made here")
    ap.add_argument("--seconds", type=float, default=180.0, help="length of each bench file")
    ap.add_argument("--repeat", type=int, default=3, help="best of N runs per file")
    ap.add_argument("--labelled", action="store_true", help="also the detection table")
    args = ap.parse_args()
    files = build(Path(args.out), args.seconds)
    tot_audio = tot_raw = tot_ver = tot_nh = 0.0
    print(
        f"{'file':28s} {'audio s':>8s} {'raw xRT':>8s} {'verify xRT':>10s} {'ratio':>6s} "
        f"{'no-lossy-hash xRT':>17s} {'ratio':>6s}  verdict"
    )
    for path in files:
        declared = V.declared_read(path)
        t_raw, secs = timed(functools.partial(raw_decode, path), args.repeat)
        t_ver, res = timed(functools.partial(V.audio_verify, path, declared=declared), args.repeat)
        t_nh, _ = timed(
            functools.partial(V.audio_verify, path, declared=declared, hash_lossy=False),
            args.repeat,
        )
        tot_audio += secs
        tot_raw += t_raw
        tot_ver += t_ver
        tot_nh += t_nh
        print(
            f"{path.name:28s} {secs:8.1f} {secs / t_raw:8.0f} {secs / t_ver:10.0f} "
            f"{t_raw / t_ver:6.2f} {secs / t_nh:17.0f} {t_raw / t_nh:6.2f}  {res.verdict}"
        )
    print(
        f"{'TOTAL':28s} {tot_audio:8.1f} {tot_audio / tot_raw:8.0f} {tot_audio / tot_ver:10.0f} "
        f"{tot_raw / tot_ver:6.2f} {tot_audio / tot_nh:17.0f} {tot_raw / tot_nh:6.2f}"
    )
    print(
        f"throughput ratio verify/raw = {tot_raw / tot_ver:.2f} "
        f"(hash_lossy=False: {tot_raw / tot_nh:.2f}); audio seconds per CPU second: "
        f"raw {tot_audio / tot_raw:.0f}, verify {tot_audio / tot_ver:.0f}"
    )
    if args.labelled:
        labelled_table(Path(args.out) / "labelled")


def labelled_table(root: Path) -> None:
    """Recall per class and false positives on genuine files, over the labelled set."""
    from bench import labelled_set, verify_report

    items = (
        labelled_set.load_manifest(root)
        if (root / "manifest.json").exists()
        else labelled_set.build_labelled_set(root)
    )
    print()
    print(verify_report.table(verify_report.verify_all(items)))


if __name__ == "__main__":
    main()
