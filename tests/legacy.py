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

# The legacy tool's own "migration 002": same table names, another layout
# (tests/data/ddl/music_tools_migration_002.sql says where it comes from).
MIGRATION_002_DDL_FILE = (
    Path(__file__).resolve().parent / "data" / "ddl" / "music_tools_migration_002.sql"
)
MIGRATION_002_DDL = "\n".join(
    line
    for line in MIGRATION_002_DDL_FILE.read_text(encoding="utf-8").splitlines()
    if not line.lstrip().startswith("--")
)
MIGRATION_002_SETTINGS = {
    "migration_002_name": "add_quality_tables",
    "migration_002_description": (
        "Add file quality, deduplication history, and upgrade candidate tables"
    ),
}

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


def music_tools_migration_002_apply(path: Path) -> Path:
    """Run the Music Tools "migration 002" on a ``music_tools.db`` as the CLI does: its DDL in
    one transaction, then ``migration_version_002`` (the moment, ``datetime.now()``: local,
    naive) and the migration's name and description in ``settings``."""
    conn = sqlite3.connect(path)
    try:
        conn.executescript(MIGRATION_002_DDL)
        now = datetime.datetime.now().isoformat()
        rows = {"migration_version_002": now, **MIGRATION_002_SETTINGS}
        conn.executemany(
            "INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?)",
            [(key, value, now) for key, value in rows.items()],
        )
        conn.commit()
    finally:
        conn.close()
    return path


def _row_insert(conn: sqlite3.Connection, table: str, values: dict) -> int:
    columns = ", ".join(values)
    marks = ", ".join("?" for _ in values)
    cursor = conn.execute(
        f"INSERT INTO {table} ({columns}) VALUES ({marks})", tuple(values.values())
    )
    return cursor.lastrowid


def legacy_deletion_add(conn: sqlite3.Connection, **values) -> int:
    """A row of the 002 ``dedup_history`` (the NOT NULL columns filled in unless given; every
    other column takes the migration's default)."""
    row = {
        "original_path": "/music/Artist/Song.mp3",
        "original_hash": legacy_fake_content_hash(1),
        "kept_path": "/music/Artist/Song.flac",
        "kept_hash": legacy_fake_content_hash(2),
    }
    row.update(values)
    return _row_insert(conn, "dedup_history", row)


def legacy_decision_add(conn: sqlite3.Connection, **values) -> int:
    """A row of the 002 ``upgrade_candidates`` (``file_path`` given, defaults elsewhere)."""
    return _row_insert(conn, "upgrade_candidates", values)


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
