"""Benchmark the upgrade candidates: identify, the admin changelist and the query-1 page.

    .venv/bin/python bench/bench_upgrades.py [--files 50000] [--tracks 50000]
                                             [--page-candidates 5000] [--real-files]

Targets: identify over 50,000 analysed files against a 50,000-track streaming DB
in ≤ 10 s; the admin changelist and the query-1 page in ≤ 100 ms server time at 5,000
candidates. Every figure is printed with a baseline measured in the same run on the same
data, so the ratio stays meaningful on a loaded machine:

- identify: baseline = reading the same inputs with plain sqlite3 (the analysed lossy files
  joined to ``library_index``, and every streaming track), the floor any implementation pays;
- pages: baseline = the raw query 1 in sqlite3, and the login page (Django's fixed cost).

All analysed files are lossy and below the threshold (the worst case: every one becomes a
candidate). A quarter of them are on a service by ISRC, a quarter by artist + title; 200
playlists of 100 tracks give the user factor. With ``--real-files`` each library row points at
a real, tiny, ID3-tagged MP3 (artist, title, ISRC) so the first run pays for tag reading;
without it the paths do not exist and tags come from ``library_index`` only (no ISRC).
Everything lives in a temporary folder, removed at the end.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SERVICES = ("tidal", "qobuz", "deezer", "spotify", "apple_music")


def setup_django(tmp: Path) -> None:
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "musicquality.settings",
            "MUSICQUALITY_DEBUG": "1",
            "MUSICQUALITY_LIBRARY_DB": str(tmp / "library_index.db"),
            "MUSICQUALITY_APP_DB": str(tmp / "app.sqlite3"),
            "MUSICQUALITY_QUARANTINE_DIR": str(tmp / "quarantine"),
            "MUSICQUALITY_ALLOWED_HOSTS": "testserver,127.0.0.1,localhost",
        }
    )
    os.environ.pop("MUSICQUALITY_STREAMING_DB", None)
    sys.path.insert(0, str(REPO))
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
    call_command("migrate", database="library", verbosity=0)


def synchsafe(n: int) -> bytes:
    return bytes(((n >> shift) & 0x7F) for shift in (21, 14, 7, 0))


def id3v24(frames: dict[str, str]) -> bytes:
    """A minimal ID3v2.4 tag with UTF-8 text frames, written by hand (no mutagen here, so the
    bench does not share code with what it measures)."""
    body = b""
    for frame_id, text in frames.items():
        payload = b"\x03" + text.encode("utf-8")
        body += frame_id.encode() + synchsafe(len(payload)) + b"\x00\x00" + payload
    return b"ID3\x04\x00\x00" + synchsafe(len(body)) + body


def mp3_audio(tmp: Path) -> bytes:
    """A few frames of silence, encoded once with PyAV (LAME), reused for every file."""
    import av
    import numpy as np

    path = tmp / "silence.mp3"
    with av.open(str(path), "w") as container:
        stream = container.add_stream("mp3", rate=44100)
        stream.bit_rate = 128_000
        stream.layout = "stereo"
        frame = av.AudioFrame.from_ndarray(
            np.zeros((2, 4410), dtype=np.float32), format="fltp", layout="stereo"
        )
        frame.rate = 44100
        for packet in stream.encode(frame):
            container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return path.read_bytes()


def isrc_of(n: int) -> str:
    return f"QZ{'ABCDEFGHJK'[n % 10]}{n % 97:02d}{n:07d}"[:12]


def populate(tmp: Path, *, files: int, tracks: int, real_files: bool) -> Path:
    rng = random.Random(5)
    now = "2026-01-08T12:00:00+00:00"
    audio = mp3_audio(tmp) if real_files else b""
    music = tmp / "music"
    library_rows, quality_rows = [], []
    for n in range(files):
        artist, title = f"Artist {n % 2000}", f"Song number {n}"
        path = music / f"{n % 500:03d}" / f"{n:06d}.mp3"
        if real_files:
            path.parent.mkdir(parents=True, exist_ok=True)
            tag = id3v24({"TPE1": artist, "TIT2": title, "TSRC": isrc_of(n)})
            path.write_bytes(tag + audio)
        meta = hashlib.md5(f"{artist.lower()}|{title.lower()}".encode()).hexdigest()
        # the legacy indexer leaves ID3 rows without artist/title (docs/legacy-schema.md)
        library_rows.append(
            (n + 1, str(path), path.name, None if real_files else artist,
             None if real_files else title, "Album", 2000, 180.0 + n % 120, "mp3",
             4_000_000 + n, meta, f"{4_000_000 + n}_{n:064x}", now, now, 1)
        )  # fmt: skip
        score = round(rng.uniform(5, 69.9), 1)
        quality_rows.append(
            (n + 1, "mp3", "MP3", rng.choice((96, 128, 160, 192)), 44100, None, 2, score, 0, 0,
             "CBR", now, "bench")
        )  # fmt: skip
    conn = sqlite3.connect(tmp / "library_index.db")
    conn.executemany(
        "INSERT INTO library_index (id, file_path, filename, artist, title, album, year, "
        "duration, file_format, file_size, metadata_hash, file_content_hash, indexed_at, "
        "file_mtime, is_active) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        library_rows,
    )
    conn.executemany(
        "INSERT INTO file_quality (library_file_id, file_format, codec, bitrate, sample_rate, "
        "bit_depth, channels, quality_score, is_lossless, is_hires, bitrate_mode, analyzed_at, "
        "analyzer_version) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
        quality_rows,
    )
    conn.commit()
    conn.close()

    sys.path.insert(0, str(REPO))
    from musicquality.schema import LEGACY_MUSIC_TOOLS_DDL

    streaming = tmp / "music_tools.db"
    conn = sqlite3.connect(streaming)
    for statement in LEGACY_MUSIC_TOOLS_DDL:
        conn.execute(statement)
    track_rows = []
    for t in range(tracks):
        service = SERVICES[t % len(SERVICES)]
        if t < files // 4:  # same recording by ISRC, under another spelling
            n = t
            row = (f"Song Number {n} (Remaster)", f"ARTIST {n % 2000}", isrc_of(n))
        elif t < files // 2:  # same recording by name
            n = t
            row = (f"song number {n}!", f"artist {n % 2000}", None)
        else:
            n = files + t
            row = (f"Other song {t}", f"Other artist {t % 3000}", isrc_of(n))
        duration_ms = int((180.0 + n % 120) * 1000) + rng.randint(-2000, 2000)
        track_rows.append(
            (f"{service}:{t}", row[0], row[1], None, duration_ms, None, row[2], service, now, now)
        )
    conn.executemany("INSERT INTO tracks VALUES (?,?,?,?,?,?,?,?,?,?)", track_rows)
    for p in range(200):
        conn.execute(
            "INSERT INTO playlists VALUES (?, ?, 'u', 'me', 100, 'spotify', 0, ?, ?)",
            (f"pl{p}", f"Playlist {p}", now, now),
        )
        added = "2026-01-01T00:00:00+00:00" if p % 4 == 0 else "2024-01-01T00:00:00+00:00"
        conn.executemany(
            "INSERT OR IGNORE INTO playlist_tracks VALUES (?, ?, ?, ?)",
            [(f"pl{p}", track_rows[rng.randrange(tracks)][0], added, i) for i in range(100)],
        )
    conn.commit()
    conn.close()
    return streaming


def best_of(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def median_ms(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def bench_identify(tmp: Path, streaming: Path) -> None:
    from upgrades.services import upgrade_candidates_identify

    def read_inputs():
        conn = sqlite3.connect(f"file:{tmp / 'library_index.db'}?mode=ro", uri=True)
        conn.execute(
            "SELECT li.id, li.file_path, li.artist, li.title, li.duration, fq.quality_score, "
            "fq.bitrate FROM file_quality fq JOIN library_index li ON li.id = fq.library_file_id "
            "WHERE li.is_active = 1 AND fq.is_lossless = 0 AND fq.quality_score < 70"
        ).fetchall()
        conn.close()
        conn = sqlite3.connect(f"file:{streaming}?mode=ro", uri=True)
        conn.execute("SELECT id, name, artist, duration, isrc, service FROM tracks").fetchall()
        conn.execute("SELECT playlist_id, track_id, added_at FROM playlist_tracks").fetchall()
        conn.close()

    baseline = best_of(read_inputs, 3)
    start = time.perf_counter()
    first = upgrade_candidates_identify(streaming_db=streaming)
    first_s = time.perf_counter() - start
    start = time.perf_counter()
    second = upgrade_candidates_identify(streaming_db=streaming)
    second_s = time.perf_counter() - start
    print(f"baseline (plain sqlite3 read of the inputs): {baseline:.2f} s")
    print(
        f"identify, first run:  {first_s:.2f} s  ({first_s / baseline:.1f}× baseline)  "
        f"new={first.new} tags_read={first.tags_read} isrc={first.matched_by_isrc} "
        f"name={first.matched_by_name} by_availability={dict(first.by_availability)}"
    )
    print(
        f"identify, re-run:     {second_s:.2f} s  ({second_s / baseline:.1f}× baseline)  "
        f"refreshed={second.refreshed} tags_read={second.tags_read}"
    )
    print("target: ≤ 10 s")


def bench_pages(tmp: Path, page_candidates: int) -> None:
    from django.contrib.auth.models import User
    from django.test import Client

    conn = sqlite3.connect(tmp / "library_index.db")
    conn.execute("DELETE FROM upgrade_candidates WHERE id > ?", (page_candidates,))
    # a realistic mix of decisions, so "pending first" has something to sort
    conn.execute("UPDATE upgrade_candidates SET user_action = 'approved' WHERE id % 7 = 0")
    conn.execute("UPDATE upgrade_candidates SET user_action = 'ignored' WHERE id % 11 = 0")
    conn.commit()
    count = conn.execute("SELECT count(*) FROM upgrade_candidates").fetchone()[0]

    def query_1():
        conn.execute(
            "SELECT artist, title, current_format, current_quality_score, priority_score, "
            "available_on_service FROM upgrade_candidates WHERE user_action = 'pending' "
            "AND current_format = 'mp3' AND current_quality_score < 70 "
            "ORDER BY priority_score DESC LIMIT 100"
        ).fetchall()

    User.objects.create_superuser("bench", password="bench-password-1234")
    client = Client()
    client.login(username="bench", password="bench-password-1234")
    anonymous = Client()
    pages = {
        "admin changelist": "/admin/upgrades/upgradecandidate/",
        "admin changelist, filtered pending + search": (
            "/admin/upgrades/upgradecandidate/?user_action__exact=pending&q=Artist+1"
        ),
        "query-1 page": "/upgrades/candidates/",
        "query-1 page sorted by score, page 3": (
            "/upgrades/candidates/?sort=current_quality_score&page=3"
        ),
        "upgrades dashboard": "/upgrades/",
    }
    for url in pages.values():  # warm up templates and caches
        assert client.get(url).status_code == 200, url
    raw = median_ms(query_1, 50)
    login = median_ms(lambda: anonymous.get("/login/"), 30)
    print(f"\n{count} candidates")
    print(f"baseline raw query 1 (sqlite3):  {raw:7.2f} ms")
    print(f"baseline login page (Django):    {login:7.2f} ms")
    for name, url in pages.items():
        ms = median_ms(lambda url=url: client.get(url), 30)
        print(f"{name:<45} {ms:7.1f} ms  ({ms / login:.1f}× login page)  target ≤ 100 ms")
    conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=50_000)
    parser.add_argument("--tracks", type=int, default=50_000)
    parser.add_argument("--page-candidates", type=int, default=5_000)
    parser.add_argument("--real-files", action="store_true")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-upgrades-"))
    try:
        setup_django(tmp)
        start = time.perf_counter()
        streaming = populate(tmp, files=args.files, tracks=args.tracks, real_files=args.real_files)
        print(
            f"setup: {args.files} analysed files{' (real MP3s)' if args.real_files else ''}, "
            f"{args.tracks} streaming tracks, in {time.perf_counter() - start:.1f} s"
        )
        bench_identify(tmp, streaming)
        bench_pages(tmp, args.page_candidates)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
