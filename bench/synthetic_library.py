"""A synthetic library database of N files for the web-page benchmark, built with raw SQL.

Rows only, no audio: ``library_index`` in the legacy format, ``file_quality`` for most files
(a backlog of ~3 % is left unanalysed), duplicate groups (same recording in several formats,
exact copies), 60 days of ``dedup_history`` in sessions, ``upgrade_candidates`` for the lossy
files under 70, and a ``library_stats`` row. The proportions follow a typical collection:
mostly MP3, a fifth FLAC, some AAC, a little of everything else.

Usage: python bench/synthetic_library.py OUT_DIR --files 50000
(creates OUT_DIR/library_index.db and OUT_DIR/app.sqlite3, migrated).
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import os
import random
import sqlite3
import subprocess
import sys
import uuid
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))
from quality.score import quality_score  # noqa: E402  (pure: no Django set-up needed)
from quality.versions import ANALYZER_VERSION  # noqa: E402

# format, codec, lossless, share
FORMATS = [
    ("mp3", "MP3", False, 0.55),
    ("flac", "FLAC", True, 0.20),
    ("m4a", "AAC", False, 0.10),
    ("m4a", "ALAC", True, 0.02),
    ("ogg", "Vorbis", False, 0.04),
    ("opus", "Opus", False, 0.03),
    ("wav", "PCM", True, 0.03),
    ("aiff", "PCM", True, 0.01),
    ("wma", "WMA", False, 0.02),
]
LOSSY_BITRATES = [96, 128, 160, 192, 224, 256, 320]


def env_for(out: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MUSICQUALITY_")}
    env.update(
        MUSICQUALITY_DEBUG="1",
        MUSICQUALITY_LIBRARY_DB=str(out / "library_index.db"),
        MUSICQUALITY_APP_DB=str(out / "app.sqlite3"),
        MUSICQUALITY_QUARANTINE_DIR=str(out / "quarantine"),
    )
    env.pop("DJANGO_SETTINGS_MODULE", None)
    return env


def migrate(out: Path) -> None:
    for args in (["migrate", "-v0"], ["migrate", "-v0", "--database=library"]):
        subprocess.run(
            [sys.executable, str(REPO_ROOT / "manage.py"), *args],
            cwd=REPO_ROOT,
            env=env_for(out),
            check=True,
        )


def iso(moment: datetime.datetime) -> str:
    return moment.astimezone(datetime.UTC).isoformat()


def build(out: Path, *, files: int, seed: int = 1) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for name in ("library_index.db", "library_index.db-wal", "library_index.db-shm"):
        (out / name).unlink(missing_ok=True)
    migrate(out)
    rng = random.Random(seed)
    now = datetime.datetime.now(datetime.UTC)
    artists = [f"Artist {i:04d}" for i in range(max(files // 25, 1))]
    conn = sqlite3.connect(out / "library_index.db")
    conn.execute("PRAGMA journal_mode=WAL")
    lib_rows, quality_rows = [], []
    recordings: list[tuple[str, str, str, float]] = []
    weights = [f[3] for f in FORMATS]
    for file_id in range(1, files + 1):
        if recordings and rng.random() < 0.06:  # the same recording again, maybe another format
            artist, title, album, length = rng.choice(recordings)
            duration = length + rng.uniform(-0.5, 0.5)
        else:
            artist = rng.choice(artists)
            title = f"Song {file_id:06d}"
            album = f"Album {rng.randrange(files // 10 + 1):05d}"
            duration = rng.uniform(120, 420)
            recordings.append((artist, title, album, duration))
        fmt, codec, lossless, _ = rng.choices(FORMATS, weights)[0]
        size = rng.randrange(2_000_000, 60_000_000 if lossless else 12_000_000)
        path = f"/music/{artist}/{album}/{file_id:06d} {title}.{fmt}"
        mhash = hashlib.md5(f"{artist.lower()}|{title.lower()}".encode()).hexdigest()
        chash = f"{size}_{hashlib.sha256(str(file_id).encode()).hexdigest()}"
        if lib_rows and rng.random() < 0.02:  # an exact copy elsewhere
            chash = lib_rows[-1][11]
        mtime = iso(now - datetime.timedelta(days=rng.randrange(1, 2000)))
        lib_rows.append(
            (file_id, path, path.rsplit("/", 1)[1], artist, title, album,
             rng.randrange(1960, 2025), duration, fmt, size, mhash, chash,
             iso(now - datetime.timedelta(days=2)), mtime, None, 1)
        )  # fmt: skip
        if rng.random() < 0.97:
            hires = lossless and rng.random() < 0.25
            rate = rng.choice([88200, 96000]) if hires else 44100 if fmt != "opus" else 48000
            depth = (24 if hires else 16) if lossless else None
            bitrate = rng.randrange(700, 3000) if lossless else rng.choice(LOSSY_BITRATES)
            channels = 6 if lossless and rng.random() < 0.02 else 2
            mode = None if lossless else rng.choice(["CBR", "VBR", "ABR", None])
            quality_rows.append(
                (file_id, fmt, codec, bitrate, rate, depth, channels,
                 quality_score(codec=codec, bitrate_kbps=bitrate, sample_rate=rate,
                               bit_depth=depth, channels=channels, bitrate_mode=mode),
                 int(lossless),
                 int(rate > 48000 or (depth or 0) > 16), mode, iso(now), ANALYZER_VERSION)
            )  # fmt: skip
    conn.executemany(f"INSERT INTO library_index VALUES ({','.join('?' * 16)})", lib_rows)
    conn.executemany(
        "INSERT INTO file_quality (library_file_id, file_format, codec, bitrate, sample_rate, "
        "bit_depth, channels, quality_score, is_lossless, is_hires, bitrate_mode, analyzed_at, "
        f"analyzer_version) VALUES ({','.join('?' * 13)})",
        quality_rows,
    )
    history = []
    for session in range(20):
        session_id = str(uuid.UUID(int=rng.getrandbits(128)))
        start = now - datetime.timedelta(days=rng.uniform(0, 60))
        for n in range(files // 300):
            size = rng.randrange(2_000_000, 12_000_000)
            reason = rng.choice(["exact_duplicate", "lower_quality", "metadata_match"])
            history.append(
                (session_id, iso(start + datetime.timedelta(seconds=n)),
                 f"/music/removed/{session}/{n}.mp3", f"{n}.mp3", size, "mp3", "Someone",
                 f"Removed {n}", rng.uniform(20, 80), "0" * 32, f"{size}_{n:064x}", reason,
                 "/music/kept.flac", rng.randrange(1, files + 1), 1.0,
                 "content_hash" if reason == "exact_duplicate" else "metadata_hash",
                 files + session * 10_000 + n, 1, f"/quarantine/{session}/{n}.mp3", "system")
            )  # fmt: skip
    conn.executemany(
        "INSERT INTO dedup_history (deletion_session_id, deleted_at, file_path, filename, "
        "file_size, file_format, artist, title, quality_score, metadata_hash, file_content_hash, "
        "deletion_reason, kept_file_path, kept_file_id, confidence_score, matched_by, "
        "original_library_id, can_recover, recovery_path, deleted_by) "
        f"VALUES ({','.join('?' * 20)})",
        history,
    )
    conn.execute(
        "INSERT INTO upgrade_candidates (library_file_id, file_path, current_format, "
        "current_bitrate, current_quality_score, artist, title, album, duration, "
        "recommended_format, potential_quality_gain, priority_score, available_on_service, "
        "user_action, identified_at, last_updated) "
        "SELECT li.id, li.file_path, li.file_format, fq.bitrate, fq.quality_score, li.artist, "
        "li.title, li.album, li.duration, 'flac', 85 - fq.quality_score, "
        "ROUND(50 * (85 - fq.quality_score) / 85 + 15 + 5, 1), 'unknown', 'pending', ?, ? "
        "FROM library_index li JOIN file_quality fq ON fq.library_file_id = li.id "
        "WHERE fq.is_lossless = 0 AND fq.quality_score < 70",
        (iso(now), iso(now)),
    )
    conn.execute(
        "INSERT INTO library_stats (total_files, total_size, formats_breakdown, artists_count, "
        "albums_count, last_index_time, index_duration, created_at) "
        "SELECT count(*), sum(file_size), '{}', count(DISTINCT artist), count(DISTINCT album), "
        "?, ?, ? FROM library_index",
        (iso(now), files / 900, iso(now)),
    )
    conn.commit()
    conn.close()
    # The rows went in behind the app's back, as the Music Tools CLI's would: one
    # reconciliation builds the summary the pages read (docs/summary.md).
    subprocess.run(
        [sys.executable, str(REPO_ROOT / "manage.py"), "reconcile_summary", "--apply"],
        cwd=REPO_ROOT, env=env_for(out), check=True, capture_output=True,
    )  # fmt: skip
    conn = sqlite3.connect(out / "library_index.db")
    conn.execute("ANALYZE")
    conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--files", type=int, default=50_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    build(args.out.resolve(), files=args.files, seed=args.seed)
    print(f"built {args.files} files in {args.out}/library_index.db")


if __name__ == "__main__":
    main()
