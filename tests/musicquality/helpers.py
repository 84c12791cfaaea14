"""Helpers for tests that run the real ``manage.py`` over library files in ``tmp_path``."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

from tests.conftest import REPORT_DDL_DIR


def report_appendix_a_sql() -> str:
    """The SQL block of the design report's Appendix A, as the report prints it."""
    return (REPORT_DDL_DIR / "report_appendix_a.sql").read_text(encoding="utf-8")


def report_recommended_partial_index_sql() -> str:
    """The report's §10.2 recommendation 3: the partial index on lossy files."""
    return (REPORT_DDL_DIR / "report_recommended_indexes.sql").read_text(encoding="utf-8")


def file_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _is_empty_sidecar(path: Path) -> bool:
    """SQLite's shared-memory index, or an empty WAL: opening a WAL database makes them."""
    return path.name.endswith("-shm") or (path.name.endswith("-wal") and not path.stat().st_size)


def folder_snapshot(folder: Path) -> dict[str, str]:
    """Name → SHA-256 of every file in ``folder``: proves nothing was created or changed."""
    return {
        p.name: file_sha256(p)
        for p in sorted(folder.iterdir())
        if p.is_file() and not _is_empty_sidecar(p)
    }


def db_rows(path: Path, sql: str, params: tuple = ()) -> list[tuple]:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def db_execute(path: Path, *statements: str) -> None:
    conn = sqlite3.connect(path, timeout=30)
    try:
        for statement in statements:
            conn.execute(statement)
        conn.commit()
    finally:
        conn.close()


def checkpoint(path: Path) -> None:
    """Fold the WAL into the main file so a byte comparison of the file is meaningful."""
    conn = sqlite3.connect(path)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()
