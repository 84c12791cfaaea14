"""Build databases exactly as the Music Tools CLI does, for tests (docs/legacy-schema.md).

The legacy DDL lives once, in ``musicquality/ddl/`` (the migration and the demo use it too);
``tests/musicquality/test_models_ddl.py`` checks the unmanaged models against it. The hash
functions here are an independent implementation of the legacy algorithms, so that a test
compares the scanner's hashes against the legacy tool's rather than against themselves.
"""

from __future__ import annotations

import datetime
import hashlib
import sqlite3
import uuid
from pathlib import Path

from musicquality.schema import LEGACY_LIBRARY_DDL, LEGACY_MUSIC_TOOLS_DDL

LIBRARY_INDEX_DB_DDL = ";\n".join(LEGACY_LIBRARY_DDL) + ";"
MUSIC_TOOLS_DB_DDL = ";\n".join(LEGACY_MUSIC_TOOLS_DDL) + ";"

# The legacy tool's own "migration 002": same table names, another layout (docs/legacy-schema.md).
MIGRATION_002_DDL = """
CREATE TABLE IF NOT EXISTS file_quality (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    file_path TEXT NOT NULL UNIQUE,
    file_hash TEXT,
    format TEXT,
    bitrate INTEGER,
    sample_rate INTEGER,
    quality_score REAL,
    analyzed_at TEXT
);
CREATE TABLE IF NOT EXISTS dedup_history (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    original_path TEXT NOT NULL,
    kept_path TEXT,
    reason TEXT,
    deleted_at TEXT
);
CREATE TABLE IF NOT EXISTS upgrade_candidates (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    file_path TEXT NOT NULL,
    suggested_format TEXT,
    upgrade_status TEXT DEFAULT 'pending',
    created_at TEXT
);
"""

LEGACY_TABLES = ("library_index", "library_stats", "vetting_history")


def now_iso() -> str:
    return datetime.datetime.now(datetime.UTC).isoformat()


def legacy_metadata_hash(artist: str | None, title: str | None, filename_stem: str) -> str:
    a = (artist or "").strip().lower()
    t = (title or "").strip().lower()
    if not a and not t:
        return hashlib.md5(("NO_METADATA:" + filename_stem.lower()).encode()).hexdigest()
    return hashlib.md5(f"{a}|{t}".encode()).hexdigest()


def legacy_content_hash(path: Path) -> str:
    chunk = 64 * 1024
    try:
        size = path.stat().st_size
        if size > 10 * 1024**3:
            return f"{size}_FILE_TOO_LARGE"
        digest = hashlib.sha256(str(size).encode("utf-8"))
        with path.open("rb") as handle:
            digest.update(handle.read(chunk))
            if size >= 256 * 1024:
                handle.seek(size // 2)
                digest.update(handle.read(chunk))
            if size >= 128 * 1024:
                handle.seek(max(0, size - chunk))
                digest.update(handle.read(chunk))
    except OSError:
        return "HASH_FAILED"
    return f"{size}_{digest.hexdigest()}"


def legacy_fake_content_hash(index: int) -> str:
    return f"{3_000_000 + index}_{hashlib.sha256(str(index).encode()).hexdigest()}"


def legacy_connect(path: Path) -> sqlite3.Connection:
    """A connection as the legacy tool opens it: WAL, 30 s timeout, DEFERRED, no FKs."""
    conn = sqlite3.connect(path, timeout=30)
    conn.execute("PRAGMA journal_mode=WAL")
    return conn


def legacy_library_create(path: Path, rows: list[dict] | None = None) -> Path:
    conn = legacy_connect(path)
    try:
        conn.executescript(LIBRARY_INDEX_DB_DDL)
        for row in rows or []:
            legacy_row_insert(conn, row)
        conn.commit()
    finally:
        conn.close()
    return path


def legacy_row(index: int, **overrides) -> dict:
    """A plausible ``library_index`` row for a file that need not exist."""
    artist = overrides.pop("artist", f"Artist {index % 7}")
    title = overrides.pop("title", f"Song {index}")
    filename = overrides.pop("filename", f"{index:05d} {title}.mp3")
    row = {
        "file_path": f"/music/{artist}/{filename}",
        "filename": filename,
        "artist": artist,
        "title": title,
        "album": f"Album {index % 5}",
        "year": 1990 + index % 30,
        "duration": 180.0 + index,
        "file_format": filename.rsplit(".", 1)[-1].lower(),
        "file_size": 3_000_000 + index,
        "metadata_hash": legacy_metadata_hash(artist, title, Path(filename).stem),
        "file_content_hash": legacy_fake_content_hash(index),
        "indexed_at": now_iso(),
        "file_mtime": now_iso(),
        "last_verified": None,
        "is_active": 1,
    }
    row.update(overrides)
    return row


def legacy_row_insert(conn: sqlite3.Connection, row: dict) -> int:
    columns = ", ".join(row)
    marks = ", ".join("?" for _ in row)
    cursor = conn.execute(
        f"INSERT INTO library_index ({columns}) VALUES ({marks})", tuple(row.values())
    )
    return cursor.lastrowid


def music_tools_create(path: Path) -> Path:
    conn = sqlite3.connect(path)
    try:
        conn.executescript(MUSIC_TOOLS_DB_DDL)
        conn.commit()
    finally:
        conn.close()
    return path


def music_tools_add_track(
    conn: sqlite3.Connection,
    *,
    name: str,
    artist: str,
    service: str,
    duration_ms: int | None = None,
    isrc: str | None = None,
    album: str | None = None,
    track_id: str | None = None,
) -> str:
    track_id = track_id or f"{service}:{uuid.uuid4().hex[:12]}"
    conn.execute(
        "INSERT INTO tracks (id, name, artist, album, duration, release_date, isrc, service, "
        "added_on, last_updated) VALUES (?, ?, ?, ?, ?, NULL, ?, ?, ?, ?)",
        (track_id, name, artist, album, duration_ms, isrc, service, now_iso(), now_iso()),
    )
    return track_id


def music_tools_add_playlist(
    conn: sqlite3.Connection, *, name: str, service: str, track_ids_added_at: list[tuple[str, str]]
) -> str:
    playlist_id = f"{service}:pl:{uuid.uuid4().hex[:10]}"
    conn.execute(
        "INSERT INTO playlists (id, name, url, owner, tracks_count, service, is_algorithmic, "
        "added_on, last_updated) VALUES (?, ?, ?, 'me', ?, ?, 0, ?, ?)",
        (
            playlist_id,
            name,
            f"https://example.invalid/{playlist_id}",
            len(track_ids_added_at),
            service,
            now_iso(),
            now_iso(),
        ),
    )
    for position, (track_id, added_at) in enumerate(track_ids_added_at):
        conn.execute(
            "INSERT INTO playlist_tracks (playlist_id, track_id, added_at, position) "
            "VALUES (?, ?, ?, ?)",
            (playlist_id, track_id, added_at, position),
        )
    return playlist_id


def table_checksum(path: Path, table: str, *, columns: list[str] | None = None) -> str:
    """SHA-256 over every row of ``table`` in rowid order, each value with its type (all
    columns, or only ``columns``)."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    selected = ", ".join(f'"{c}"' for c in columns) if columns else "*"
    try:
        digest = hashlib.sha256()
        for row in conn.execute(f"SELECT {selected} FROM {table} ORDER BY rowid"):
            digest.update(repr([(type(v).__name__, v) for v in row]).encode())
        return digest.hexdigest()
    finally:
        conn.close()
