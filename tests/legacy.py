"""Build databases exactly as the Music Tools CLI does, for tests (DESIGN.md §3).

This DDL is written here from the design notes, independently of the application's own
copy in ``musicquality.schema``, so that a test compares the app against the legacy tool
rather than against itself. The hash functions are likewise an independent implementation
of the legacy algorithms.
"""

from __future__ import annotations

import datetime
import hashlib
import sqlite3
import uuid
from pathlib import Path

LIBRARY_INDEX_DB_DDL = """
CREATE TABLE IF NOT EXISTS library_index (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    file_path TEXT UNIQUE NOT NULL,
    filename TEXT NOT NULL,
    artist TEXT,
    title TEXT,
    album TEXT,
    year INTEGER,
    duration REAL,
    file_format TEXT NOT NULL,
    file_size INTEGER NOT NULL,
    metadata_hash TEXT NOT NULL,
    file_content_hash TEXT NOT NULL,
    indexed_at TEXT NOT NULL,
    file_mtime TEXT NOT NULL,
    last_verified TEXT,
    is_active INTEGER DEFAULT 1
);
CREATE INDEX IF NOT EXISTS idx_metadata_hash ON library_index(metadata_hash);
CREATE INDEX IF NOT EXISTS idx_content_hash ON library_index(file_content_hash);
CREATE INDEX IF NOT EXISTS idx_is_active ON library_index(is_active);
CREATE INDEX IF NOT EXISTS idx_file_format ON library_index(file_format);
CREATE INDEX IF NOT EXISTS idx_active_metadata_hash ON library_index(is_active, metadata_hash);
CREATE INDEX IF NOT EXISTS idx_active_content_hash ON library_index(is_active, file_content_hash);
CREATE INDEX IF NOT EXISTS idx_active_format ON library_index(is_active, file_format);
CREATE INDEX IF NOT EXISTS idx_artist_title ON library_index(artist, title);
CREATE INDEX IF NOT EXISTS idx_artist_album ON library_index(artist, album);
CREATE INDEX IF NOT EXISTS idx_active_artist ON library_index(is_active, artist);
CREATE INDEX IF NOT EXISTS idx_active_album ON library_index(is_active, album);
CREATE TABLE IF NOT EXISTS library_stats (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    total_files INTEGER,
    total_size INTEGER,
    formats_breakdown TEXT,
    artists_count INTEGER,
    albums_count INTEGER,
    last_index_time TEXT,
    index_duration REAL,
    created_at TEXT
);
CREATE TABLE IF NOT EXISTS vetting_history (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    import_folder TEXT NOT NULL,
    total_files INTEGER,
    duplicates_found INTEGER,
    new_songs INTEGER,
    uncertain_matches INTEGER,
    threshold_used REAL,
    vetted_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS idx_vetting_history_date ON vetting_history(vetted_at DESC);
"""

MUSIC_TOOLS_DB_DDL = """
CREATE TABLE IF NOT EXISTS playlists (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    url TEXT NOT NULL,
    owner TEXT,
    tracks_count INTEGER DEFAULT 0,
    service TEXT NOT NULL,
    is_algorithmic BOOLEAN DEFAULT 0,
    added_on TEXT NOT NULL,
    last_updated TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS tracks (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    artist TEXT NOT NULL,
    album TEXT,
    duration INTEGER,
    release_date TEXT,
    isrc TEXT,
    service TEXT NOT NULL,
    added_on TEXT NOT NULL,
    last_updated TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS playlist_tracks (
    playlist_id TEXT,
    track_id TEXT,
    added_at TEXT,
    position INTEGER,
    PRIMARY KEY (playlist_id, track_id),
    FOREIGN KEY (playlist_id) REFERENCES playlists (id) ON DELETE CASCADE,
    FOREIGN KEY (track_id) REFERENCES tracks (id) ON DELETE CASCADE
);
CREATE TABLE IF NOT EXISTS settings (
    key TEXT PRIMARY KEY,
    value TEXT,
    updated_at TEXT NOT NULL
);
"""

# The legacy tool's own "migration 002": same table names, another layout (DESIGN.md §3).
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


def table_checksum(path: Path, table: str) -> str:
    """SHA-256 over every row of ``table`` in rowid order, each value with its type."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        digest = hashlib.sha256()
        for row in conn.execute(f"SELECT * FROM {table} ORDER BY rowid"):
            digest.update(repr([(type(v).__name__, v) for v in row]).encode())
        return digest.hexdigest()
    finally:
        conn.close()
