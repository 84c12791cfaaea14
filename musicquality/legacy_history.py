"""The Music Tools "migration 002" history in a file: recognise its tables and read their rows.

The CLI's own migration 002 made ``dedup_history`` (its deletion log), ``upgrade_candidates``
(its upgrade decisions) and ``file_quality`` in ``music_tools.db``, under our table names but
in another layout (docs/legacy-history.md). ``import_legacy_history`` brings the first two
into the library database; this module only reads: the file is opened with ``mode=ro``, and
a file whose tables of these names are neither that layout nor ours is refused, naming what
it holds, before anything is imported.

The tables are looked for under their own names and, renamed as the migration's refusal
suggests (``ALTER TABLE dedup_history RENAME TO dedup_history_legacy``), with ``_legacy``:
the library database itself can be the source once its 002 tables are out of the way.

Here too: the marker an imported row's notes start with (both apps write it), the key that
tells an imported legacy row from another. The CLI's timestamps are read by the one rule
for every stored timestamp, ``musicquality.timestamps``.
"""

from __future__ import annotations

import hashlib
import re
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from musicquality.library_db import SQLITE_HEADER, open_readonly
from musicquality.sql_values import sql_text

#: What the notes of every row ``import_legacy_history`` writes start with (dedup_history),
#: or the dated line it appends starts with (upgrade_candidates).
IMPORTED_NOTE_PREFIX = "imported from Music Tools"
KEY_LENGTH = 16
_KEY_PATTERN = re.compile(
    re.escape(IMPORTED_NOTE_PREFIX) + rf"[^\n]*?\(key ([0-9a-f]{{{KEY_LENGTH}}})\)"
)

#: The columns of the 002 ``dedup_history`` the import reads (the table may have more).
DELETION_COLUMNS = (
    "id",
    "original_path",
    "original_hash",
    "original_size",
    "original_quality_score",
    "kept_path",
    "kept_hash",
    "deletion_reason",
    "space_saved",
    "deleted_at",
    "deleted_by",
    "can_restore",
    "restore_location",
    "notes",
)
#: The columns of the 002 ``upgrade_candidates`` the import reads.
DECISION_COLUMNS = (
    "id",
    "file_path",
    "suggested_format",
    "upgrade_status",
    "identified_at",
    "last_checked",
    "upgraded_at",
    "notes",
)
#: Enough of the 002 ``file_quality`` to recognise it (its rows are not imported:
#: ``analyze_quality`` measures every file itself).
FILE_QUALITY_COLUMNS = ("file_path", "file_hash", "format")

#: Columns only our own (v2.0.0) table of that name has: such a table is skipped, not refused.
_OURS = {
    "dedup_history": ("deletion_session_id", "file_path", "can_recover"),
    "upgrade_candidates": ("library_file_id", "recommended_format", "user_action"),
    "file_quality": ("library_file_id", "analyzed_at"),
}
_LEGACY = {
    "dedup_history": DELETION_COLUMNS,
    "upgrade_candidates": DECISION_COLUMNS,
    "file_quality": FILE_QUALITY_COLUMNS,
}
RENAMED_SUFFIX = "_legacy"


class LegacyHistoryError(Exception):
    """The file cannot be imported from; the message names it, what it found, what to do."""


class Layout(StrEnum):
    MIGRATION_002 = "Music Tools migration 002"
    MUSICQUALITY = "musicquality v2"
    OTHER = "unknown"


@dataclass(frozen=True)
class LegacyTable:
    name: str
    kind: str
    """``dedup_history``, ``upgrade_candidates`` or ``file_quality``, renamed or not."""
    layout: Layout
    columns: tuple[str, ...]
    rows: int


@dataclass(frozen=True)
class LegacyDeletion:
    """One row of the CLI's deletion log, its values as stored (text where text is meant)."""

    table: str
    id: int
    original_path: str | None
    original_hash: str | None
    original_size: int | None
    original_quality_score: float | None
    kept_path: str | None
    kept_hash: str | None
    deletion_reason: str | None
    space_saved: int | None
    deleted_at: str | None
    deleted_by: str | None
    can_restore: bool | None
    restore_location: str | None
    notes: str | None


@dataclass(frozen=True)
class LegacyDecision:
    """One row of the CLI's upgrade candidates: the file and what the user decided."""

    table: str
    id: int
    file_path: str | None
    suggested_format: str | None
    upgrade_status: str | None
    identified_at: str | None
    last_checked: str | None
    upgraded_at: str | None
    notes: str | None


@dataclass(frozen=True)
class LegacyHistory:
    path: Path
    tables: tuple[LegacyTable, ...]
    """Every table of the three names (or renamed) in the file, in the order looked at."""
    migration_002_at: str | None
    """``settings.migration_version_002``: when the CLI ran its migration 002 (its local
    time), if the file says."""
    deletions: tuple[LegacyDeletion, ...]
    decisions: tuple[LegacyDecision, ...]

    def tables_of(self, kind: str, layout: Layout = Layout.MIGRATION_002) -> list[LegacyTable]:
        return [t for t in self.tables if t.kind == kind and t.layout == layout]


# --- values as stored -------------------------------------------------------------------------


def _int(value: object) -> int | None:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    text = sql_text(value)
    if text is not None and text.strip().lstrip("-").isdigit():
        return int(text.strip())
    return None


def _float(value: object) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    try:
        return float(sql_text(value) or "")
    except ValueError:
        return None


def _flag(value: object) -> bool | None:
    number = _int(value)
    if number is not None:
        return bool(number)
    text = (sql_text(value) or "").strip().lower()
    return {"true": True, "yes": True, "false": False, "no": False}.get(text)


# --- what was imported ------------------------------------------------------------------------


def legacy_row_key(*values: object) -> str:
    """What tells one legacy row from another, whatever file or table name it is read from:
    a digest of the values that make it that row (the same row read twice, from
    ``music_tools.db`` and from a renamed copy, has one key)."""
    digest = hashlib.sha256(repr([(type(v).__name__, v) for v in values]).encode())
    return digest.hexdigest()[:KEY_LENGTH]


def imported_note(*, what: str, key: str) -> str:
    """``imported from Music Tools <what> (key <key>)``: the line that marks an imported row."""
    return f"{IMPORTED_NOTE_PREFIX} {what} (key {key})"


def imported_keys(notes: Iterable[str | None]) -> set[str]:
    """The keys of every import line in these notes."""
    return {key for text in notes if text for key in _KEY_PATTERN.findall(text)}


# --- reading the file -------------------------------------------------------------------------


def _layout(kind: str, columns: tuple[str, ...]) -> Layout:
    present = set(columns)
    if present.issuperset(_LEGACY[kind]):
        return Layout.MIGRATION_002
    if present.issuperset(_OURS[kind]):
        return Layout.MUSICQUALITY
    return Layout.OTHER


def _tables(conn: sqlite3.Connection) -> list[str]:
    return [
        row[0]
        for row in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' "
            "AND name NOT LIKE 'sqlite_%' ORDER BY name"
        )
    ]


def _columns(conn: sqlite3.Connection, table: str) -> tuple[str, ...]:
    return tuple(row[1] for row in conn.execute(f'PRAGMA table_info("{table}")'))


def _count(conn: sqlite3.Connection, table: str) -> int:
    return conn.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]


def _rows(conn: sqlite3.Connection, table: str, columns: tuple[str, ...]) -> list[tuple]:
    selected = ", ".join(f'"{c}"' for c in columns)
    return conn.execute(f'SELECT {selected} FROM "{table}" ORDER BY id').fetchall()


def _deletion(table: str, row: tuple) -> LegacyDeletion:
    values = dict(zip(DELETION_COLUMNS, row, strict=True))
    return LegacyDeletion(
        table=table,
        id=_int(values["id"]) or 0,
        original_path=sql_text(values["original_path"]),
        original_hash=sql_text(values["original_hash"]),
        original_size=_int(values["original_size"]),
        original_quality_score=_float(values["original_quality_score"]),
        kept_path=sql_text(values["kept_path"]),
        kept_hash=sql_text(values["kept_hash"]),
        deletion_reason=sql_text(values["deletion_reason"]),
        space_saved=_int(values["space_saved"]),
        deleted_at=sql_text(values["deleted_at"]),
        deleted_by=sql_text(values["deleted_by"]),
        can_restore=_flag(values["can_restore"]),
        restore_location=sql_text(values["restore_location"]),
        notes=sql_text(values["notes"]),
    )


def _decision(table: str, row: tuple) -> LegacyDecision:
    values = dict(zip(DECISION_COLUMNS, row, strict=True))
    return LegacyDecision(
        table=table,
        id=_int(values["id"]) or 0,
        file_path=sql_text(values["file_path"]),
        suggested_format=sql_text(values["suggested_format"]),
        upgrade_status=sql_text(values["upgrade_status"]),
        identified_at=sql_text(values["identified_at"]),
        last_checked=sql_text(values["last_checked"]),
        upgraded_at=sql_text(values["upgraded_at"]),
        notes=sql_text(values["notes"]),
    )


def _migration_002_at(conn: sqlite3.Connection, tables: list[str]) -> str | None:
    if "settings" not in tables or "value" not in _columns(conn, "settings"):
        return None
    row = conn.execute("SELECT value FROM settings WHERE key = 'migration_version_002'").fetchone()
    return sql_text(row[0]) if row else None


def legacy_history_read(*, path: Path) -> LegacyHistory:
    """Every 002 deletion and decision in ``path`` (read-only).

    Raises :class:`LegacyHistoryError` for a file that is missing or not SQLite, that has a
    table of one of the three names (or renamed ``*_legacy``) in a layout that is neither
    the 002 one nor ours, or that has no 002 deletion log nor decisions at all.
    """
    if not path.is_file():
        raise LegacyHistoryError(
            f"{path} does not exist: give the Music Tools music_tools.db with --from FILE"
        )
    with path.open("rb") as handle:
        if handle.read(len(SQLITE_HEADER)) != SQLITE_HEADER:
            raise LegacyHistoryError(
                f"{path} is not an SQLite database: give the Music Tools music_tools.db"
            )
    try:
        conn = open_readonly(path)
        try:
            return _history_read(conn, path=path)
        finally:
            conn.close()
    except sqlite3.Error as error:
        raise LegacyHistoryError(f"{path} cannot be read: {error}") from None


def _history_read(conn: sqlite3.Connection, *, path: Path) -> LegacyHistory:
    names = _tables(conn)
    found: list[LegacyTable] = []
    for kind in ("dedup_history", "upgrade_candidates", "file_quality"):
        for name in (kind + RENAMED_SUFFIX, kind):
            if name in names:
                columns = _columns(conn, name)
                found.append(
                    LegacyTable(name, kind, _layout(kind, columns), columns, _count(conn, name))
                )
    for table in found:
        if table.layout == Layout.OTHER:
            raise LegacyHistoryError(
                f"{path}: table {table.name} has neither the Music Tools migration 002 layout "
                f"nor musicquality's (columns: {', '.join(table.columns)}): nothing imported; "
                "give the music_tools.db the CLI's migration 002 made"
            )
    legacy = [t for t in found if t.layout == Layout.MIGRATION_002 and t.kind != "file_quality"]
    if not legacy:
        seen = ", ".join(f"{t.name} ({t.layout})" for t in found) or "none of them"
        raise LegacyHistoryError(
            f"{path} has no Music Tools migration 002 dedup_history or upgrade_candidates "
            f"table (tables: {', '.join(names) or 'none'}; of those names: {seen}): nothing "
            "imported; give the music_tools.db the CLI's migration 002 made, or the library "
            "database with those tables renamed *_legacy"
        )
    deletions = [
        _deletion(t.name, row)
        for t in legacy
        if t.kind == "dedup_history"
        for row in _rows(conn, t.name, DELETION_COLUMNS)
    ]
    decisions = [
        _decision(t.name, row)
        for t in legacy
        if t.kind == "upgrade_candidates"
        for row in _rows(conn, t.name, DECISION_COLUMNS)
    ]
    return LegacyHistory(
        path=path,
        tables=tuple(found),
        migration_002_at=_migration_002_at(conn, names),
        deletions=tuple(deletions),
        decisions=tuple(decisions),
    )
