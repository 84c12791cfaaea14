"""Checks that the configured library database is usable, before anything touches it.

SQLite creates a missing file on connect and only notices a bad one at the first query,
so each check here looks at the file first (existence, header, permissions) and then
opens it read-only, so that a bad ``MUSICQUALITY_LIBRARY_DB`` gives a one-line error
naming the file and what to do, and nothing is created or modified.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import stat
from collections.abc import Iterator
from enum import Enum
from pathlib import Path

from django.conf import settings
from django.db import connections

from musicquality.routers import LIBRARY_DB_ALIAS
from musicquality.schema import BOOKKEEPING_TABLES, MIGRATE_COMMAND, SCHEMA_VERSION, schema_report

SQLITE_HEADER = b"SQLite format 3\x00"


class LibraryDatabaseError(Exception):
    """The library database cannot be used as it is; the message says what to do."""


class LibraryDatabaseDamaged(LibraryDatabaseError):
    """The file is an SQLite database whose pages are damaged: only a restore helps."""


DAMAGE_MESSAGES = ("malformed", "not a database", "corrupt")


def is_damage_error(error: BaseException) -> bool:
    """Whether an SQLite error means damaged pages (not a lock, a missing table, ...)."""
    message = str(error).lower()
    return any(text in message for text in DAMAGE_MESSAGES)


def restore_advice(*, path: Path) -> str:
    """How to restore ``path``: the command for its newest backup, or where backups go."""
    from musicquality.backups import backup_dir_for, library_backups_list  # imports this module

    backups = library_backups_list(db_path=path)
    if backups:
        return f"restore the newest backup: `python manage.py dbrestore {backups[-1]} --apply`"
    return (
        "restore a backup: `python manage.py dbrestore BACKUP --apply` (none found in "
        f"{backup_dir_for(path)}; `sqlite3 {path} .recover` may save some rows)"
    )


def damaged_message(*, path: Path, detail: str) -> str:
    """One line: SQLite's own report (first problems only) and how to restore."""
    lines = [line.strip() for line in detail.splitlines() if line.strip()]
    problems = [line for line in lines if not line.startswith("***")][:2] or lines[:1]
    return (
        f"library database {path} is damaged ({'; '.join(problems)}): stop the programs that "
        f"write to it and {restore_advice(path=path)}"
    )


# --- the library file is never created by a connection ------------------------------------

_creation_allowed = False


@contextlib.contextmanager
def library_file_creation() -> Iterator[None]:
    """Let connections create a missing library database file: only ``migrate
    --database=library`` (and the test database it builds) starts a new library. Anywhere
    else a missing file is an error (``musicquality.library_backend``): a typo in
    ``MUSICQUALITY_LIBRARY_DB`` must not leave an empty database behind."""
    global _creation_allowed
    previous, _creation_allowed = _creation_allowed, True
    try:
        yield
    finally:
        _creation_allowed = previous


def library_file_creation_allowed() -> bool:
    return _creation_allowed


def missing_message(*, path: Path) -> str:
    return (
        f"library database {path} does not exist: set MUSICQUALITY_LIBRARY_DB to your Music "
        f"Tools library_index.db, or run `{MIGRATE_COMMAND}` to start a new one"
    )


class Purpose(Enum):
    MIGRATE = "migrate"
    USE = "use"


def library_db_path() -> Path:
    return Path(connections[LIBRARY_DB_ALIAS].settings_dict["NAME"])


def library_db_size() -> int:
    """Bytes on disk: the database file plus its write-ahead log, which can grow large."""
    path = library_db_path()
    wal = path.with_name(path.name + "-wal")
    return sum(p.stat().st_size for p in (path, wal) if p.exists())


def sqlite_uri(path: Path, *, mode: str) -> str:
    return f"file:{path}?mode={mode}"


def open_readonly(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(
        sqlite_uri(path, mode="ro"), uri=True, timeout=settings.BUSY_TIMEOUT_SECONDS
    )


def is_writable(path: Path) -> bool:
    """Honour a read-only mode bit even for root, who ``os.access`` would always allow."""
    mode = path.stat().st_mode
    return bool(mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)) and os.access(path, os.W_OK)


def library_db_check(*, path: Path, purpose: Purpose, verify_pages: bool = True) -> None:
    """Raise :class:`LibraryDatabaseError` unless ``path`` can be used for ``purpose``.

    ``MIGRATE`` accepts a missing or empty file (a fresh install); ``USE`` needs an existing
    library database with a ``library_index`` table. Damaged pages raise
    :class:`LibraryDatabaseDamaged`; ``verify_pages=False`` (a restore, which replaces every
    page) skips reading the database itself.
    """
    env = "MUSICQUALITY_LIBRARY_DB"
    if not path.exists():
        if purpose is Purpose.MIGRATE:
            if not path.parent.is_dir():
                raise LibraryDatabaseError(
                    f"library database {path}: folder {path.parent} does not exist; "
                    f"create it or set {env} to your library_index.db"
                )
            return
        raise LibraryDatabaseError(missing_message(path=path))
    if not path.is_file():
        raise LibraryDatabaseError(f"library database {path} is not a file: set {env} to a file")
    size = path.stat().st_size
    if size:
        with path.open("rb") as handle:
            header = handle.read(len(SQLITE_HEADER))
        if header != SQLITE_HEADER:
            raise LibraryDatabaseError(
                f"library database {path} is not an SQLite database: set {env} to your "
                "Music Tools library_index.db"
            )
    if not is_writable(path) or not os.access(path.parent, os.W_OK):
        raise LibraryDatabaseError(
            f"library database {path} is read-only (it and its folder must be writable for "
            "the WAL journal): make them writable, e.g. `chmod u+w`, then run the command again"
        )
    if not size:
        if purpose is Purpose.USE:
            raise LibraryDatabaseError(
                f"library database {path} is empty: run `{MIGRATE_COMMAND}` first"
            )
        return
    with _sidecars_removed_on_error(path):
        if not verify_pages:
            library_db_check_unlocked(path=path)
            return
        tables = _tables_checked(path)
        if "library_index" not in tables and (purpose is Purpose.USE or tables):
            raise LibraryDatabaseError(
                f"library database {path} has no library_index table, so it is not a Music "
                f"Tools library database: set {env} to your library_index.db"
                + (f", or run `{MIGRATE_COMMAND}` to initialise it" if not tables else "")
            )
        library_db_check_unlocked(path=path)


def _tables_checked(path: Path) -> set[str]:
    """The tables of ``path``, after ``PRAGMA quick_check`` found its pages sound (one pass
    over the file, a fraction of a second at 50,000 files: bench/RESULTS.md)."""
    try:
        conn = open_readonly(path)
        try:
            tables = {
                r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")
            } - BOOKKEEPING_TABLES
            problems = [r[0] for r in conn.execute("PRAGMA quick_check(3)")]
        finally:
            conn.close()
    except sqlite3.DatabaseError as error:
        if is_damage_error(error):
            raise LibraryDatabaseDamaged(damaged_message(path=path, detail=str(error))) from None
        raise LibraryDatabaseError(f"library database {path} cannot be read ({error})") from None
    if problems != ["ok"]:
        raise LibraryDatabaseDamaged(damaged_message(path=path, detail="; ".join(problems)))
    return tables


def sidecar_paths(path: Path) -> tuple[Path, Path]:
    return path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")


@contextlib.contextmanager
def _sidecars_removed_on_error(path: Path) -> Iterator[None]:
    """Opening a WAL database creates its ``-wal`` and ``-shm`` files; when the check then
    refuses the file, remove the ones it created (an empty WAL, the index), so that a refused
    database is left exactly as it was."""
    before = {sidecar for sidecar in sidecar_paths(path) if sidecar.exists()}
    try:
        yield
    except LibraryDatabaseError:
        wal, shm = sidecar_paths(path)
        if wal not in before and wal.exists() and wal.stat().st_size == 0:
            wal.unlink(missing_ok=True)
        if shm not in before and not wal.exists():
            shm.unlink(missing_ok=True)
        raise


def library_db_check_unlocked(*, path: Path) -> None:
    """Fail if another program holds the write lock for longer than the busy timeout."""
    timeout = settings.BUSY_TIMEOUT_SECONDS
    try:
        conn = sqlite3.connect(sqlite_uri(path, mode="rw"), uri=True, timeout=timeout)
        try:
            conn.isolation_level = None
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("ROLLBACK")
        finally:
            conn.close()
    except sqlite3.OperationalError as error:
        if "locked" in str(error) or "busy" in str(error):
            raise LibraryDatabaseError(
                f"library database {path} is locked by another program (the Music Tools CLI?) "
                f"for more than {timeout:g} s: wait until it finishes, then run the command again"
            ) from None
        raise LibraryDatabaseError(f"library database {path}: {error}") from None


def library_schema_is_v2(*, path: Path) -> bool:
    conn = open_readonly(path)
    try:
        return schema_report(conn.cursor()).complete
    finally:
        conn.close()


def library_ready_check(*, requires_schema_v2: bool, verify_pages: bool = True) -> Path:
    """The library database, checked for use (and for our tables at the current schema
    version when the work needs them); raises :class:`LibraryDatabaseError` with what to run
    (:class:`LibraryDatabaseDamaged`, with the ``dbrestore`` command, when its pages are
    damaged; ``verify_pages=False`` skips that check, for ``dbrestore``). For commands and
    jobs."""
    path = library_db_path()
    library_db_check(path=path, purpose=Purpose.USE, verify_pages=verify_pages)
    if requires_schema_v2 and not library_schema_is_v2(path=path):
        raise LibraryDatabaseError(
            f"library database {path} is not at schema {SCHEMA_VERSION} yet: run "
            f"`{MIGRATE_COMMAND}` first"
        )
    return path
