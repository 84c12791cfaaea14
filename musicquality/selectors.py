"""Read-only facts about the library database file itself, for ``schema_status``."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from musicquality.backups import library_backups_list
from musicquality.library_db import open_readonly
from musicquality.schema import OUR_TABLES, SchemaReport, schema_report

COUNTED_TABLES = ("library_index", *OUR_TABLES)


@dataclass
class LibraryStatus:
    path: Path
    file_size: int
    wal_size: int
    schema: SchemaReport
    row_counts: dict[str, int]
    integrity: list[str]
    last_backup: Path | None


def library_status_get(*, path: Path, check_integrity: bool = True) -> LibraryStatus:
    conn = open_readonly(path)
    try:
        cursor = conn.cursor()
        schema = schema_report(cursor)
        existing = {
            r[0] for r in cursor.execute("SELECT name FROM sqlite_master WHERE type='table'")
        }
        counts = {
            table: cursor.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            for table in COUNTED_TABLES
            if table in existing
        }
        integrity = (
            [r[0] for r in cursor.execute("PRAGMA integrity_check")] if check_integrity else []
        )
    finally:
        conn.close()
    wal = path.with_name(path.name + "-wal")
    backups = library_backups_list(db_path=path)
    return LibraryStatus(
        path=path,
        file_size=path.stat().st_size,
        wal_size=wal.stat().st_size if wal.exists() else 0,
        schema=schema,
        row_counts=counts,
        integrity=integrity,
        last_backup=backups[-1] if backups else None,
    )
