"""Backups of the library database with SQLite's online backup API, and restores.

The backup API copies a consistent snapshot while the legacy CLI may be writing, and a
restore goes *through* SQLite into the live file, so the ``-wal``/``-shm`` files stay
coherent (copying a file over a database that has a WAL would let stale frames be
replayed over it).
"""

from __future__ import annotations

import datetime
import logging
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from musicquality.library_db import SQLITE_HEADER, open_readonly, sqlite_uri

logger = logging.getLogger(__name__)

BACKUP_INFIX = ".backup_"
PRE_RESTORE_INFIX = ".pre-restore_"


class BackupError(Exception):
    """A backup could not be made or checked; nothing was changed."""


@dataclass(frozen=True)
class RestorePlan:
    db_path: Path
    backup_path: Path
    safety_copy_path: Path | None
    applied: bool
    safety_copy_damaged: bool = False


def backup_dir_for(db_path: Path) -> Path:
    return settings.BACKUP_DIR or db_path.parent


def _timestamp() -> str:
    return datetime.datetime.now(datetime.UTC).strftime("%Y%m%d_%H%M%S_%f")


def _copy(source: sqlite3.Connection, target_path: Path) -> None:
    target = sqlite3.connect(target_path)
    try:
        source.backup(target)
        target.execute("PRAGMA journal_mode=DELETE")
    finally:
        target.close()


def database_check(*, path: Path) -> list[str]:
    """Problems found in an SQLite file (integrity, presence of ``library_index``)."""
    if not path.is_file():
        return [f"{path} does not exist"]
    with path.open("rb") as handle:
        if handle.read(len(SQLITE_HEADER)) != SQLITE_HEADER:
            return [f"{path} is not an SQLite database"]
    try:
        conn = open_readonly(path)
        try:
            integrity = [r[0] for r in conn.execute("PRAGMA integrity_check")]
            tables = {
                r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")
            }
        finally:
            conn.close()
    except sqlite3.DatabaseError as error:
        return [f"{path} cannot be read: {error}"]
    problems = []
    if integrity != ["ok"]:
        problems.append(f"integrity_check of {path}: {'; '.join(integrity[:3])}")
    if "library_index" not in tables:
        problems.append(f"{path} has no library_index table")
    return problems


def library_backup_create(
    *, db_path: Path, infix: str = BACKUP_INFIX, require_intact: bool = True
) -> Path:
    """Snapshot ``db_path`` next to it (or in MUSICQUALITY_BACKUP_DIR) and verify the copy.

    A copy that fails its check is removed, and :class:`BackupError` raised (a damaged
    "backup" must never be taken for a good one); with ``require_intact=False`` (the
    previous contents of a database about to be restored, damaged or not) it is kept.
    """
    target_dir = backup_dir_for(db_path)
    target_dir.mkdir(parents=True, exist_ok=True)
    target = target_dir / f"{db_path.name}{infix}{_timestamp()}"
    source = sqlite3.connect(
        sqlite_uri(db_path, mode="ro"), uri=True, timeout=settings.BUSY_TIMEOUT_SECONDS
    )
    try:
        _copy(source, target)
    except sqlite3.Error as error:
        target.unlink(missing_ok=True)
        raise BackupError(f"backup of {db_path} to {target} failed: {error}") from error
    finally:
        source.close()
    problems = database_check(path=target)
    if problems and require_intact:
        target.unlink(missing_ok=True)
        raise BackupError(
            f"backup of {db_path} failed its check ({'; '.join(problems)}), so it was removed: "
            "the database itself is probably damaged (`python manage.py schema_status`)"
        )
    if problems:
        logger.warning("copy %s of %s is damaged like its source: %s", target, db_path, problems)
    logger.info("backed up %s to %s", db_path, target)
    return target


def library_backups_list(*, db_path: Path) -> list[Path]:
    """Backups of ``db_path``, oldest first (the timestamp in the name sorts)."""
    folder = backup_dir_for(db_path)
    if not folder.is_dir():
        return []
    return sorted(
        path
        for path in folder.glob(f"{db_path.name}{BACKUP_INFIX}*")
        if not path.name.endswith(("-wal", "-shm", "-journal"))
    )


def library_restore(*, db_path: Path, backup_path: Path, apply: bool) -> RestorePlan:
    """Replace the contents of ``db_path`` by ``backup_path`` (only when ``apply``).

    The backup is checked first, and the current contents are saved (and checked) as a
    ``.pre-restore_`` copy before anything is overwritten.
    """
    problems = database_check(path=backup_path)
    if problems:
        raise BackupError(f"will not restore: {'; '.join(problems)}")
    if backup_path.resolve() == db_path.resolve():
        raise BackupError(f"will not restore {db_path} onto itself: name a backup file")
    if not apply:
        return RestorePlan(db_path, backup_path, None, applied=False)
    safety_copy = None
    damaged = False
    if db_path.exists():
        safety_copy = library_backup_create(
            db_path=db_path, infix=PRE_RESTORE_INFIX, require_intact=False
        )
        damaged = bool(database_check(path=safety_copy))
    source = open_readonly(backup_path)
    target = sqlite3.connect(db_path, timeout=settings.BUSY_TIMEOUT_SECONDS)
    try:
        source.backup(target)
        target.execute("PRAGMA journal_mode=WAL")
        target.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        integrity = [r[0] for r in target.execute("PRAGMA integrity_check")]
    except sqlite3.Error as error:
        raise BackupError(
            f"restore of {backup_path} into {db_path} failed ({error}); "
            f"the previous contents are in {safety_copy}"
        ) from error
    finally:
        source.close()
        target.close()
    if integrity != ["ok"]:
        raise BackupError(
            f"{db_path} failed integrity_check after restore; previous contents: {safety_copy}"
        )
    logger.info("restored %s from %s (previous contents in %s)", db_path, backup_path, safety_copy)
    return RestorePlan(db_path, backup_path, safety_copy, applied=True, safety_copy_damaged=damaged)
