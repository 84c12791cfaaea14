"""``musicquality.legacy_history``: the Music Tools migration 002 tables, recognised and read.

The 002 layout comes from ``tests/data/ddl/music_tools_migration_002.sql`` (the CLI's
migration, copied faithfully); the columns the import reads must all be in it.
"""

import datetime
import sqlite3
from pathlib import Path

import pytest

from dedup.legacy import legacy_file_format, legacy_reason_map, legacy_session_id
from musicquality.legacy_history import (
    DECISION_COLUMNS,
    DELETION_COLUMNS,
    FILE_QUALITY_COLUMNS,
    Layout,
    LegacyHistoryError,
    imported_keys,
    imported_note,
    legacy_history_read,
    legacy_row_key,
)
from musicquality.timestamps import timestamp_normalise
from tests.legacy import (
    MIGRATION_002_DDL,
    MIGRATION_002_SETTINGS,
    legacy_decision_add,
    legacy_deletion_add,
    music_tools_create,
    music_tools_migration_002_apply,
)
from upgrades.rules import legacy_upgrade_status_map


def columns_of(table: str) -> dict[str, tuple]:
    conn = sqlite3.connect(":memory:")
    conn.executescript(MIGRATION_002_DDL)
    info = {row[1]: row[2:] for row in conn.execute(f"PRAGMA table_info({table})")}
    conn.close()
    return info


@pytest.mark.parametrize(
    ("table", "read"),
    [
        ("dedup_history", DELETION_COLUMNS),
        ("upgrade_candidates", DECISION_COLUMNS),
        ("file_quality", FILE_QUALITY_COLUMNS),
    ],
)
def test_the_columns_read_are_in_the_002_ddl(table, read):
    assert set(read) <= set(columns_of(table))


def test_the_ddl_fixture_is_the_002_layout():
    """Spot checks against the CLI's migration (its NOT NULL columns and defaults)."""
    history = columns_of("dedup_history")
    assert history["original_hash"][:2] == ("TEXT", 1)
    assert history["deletion_reason"][:3] == ("TEXT", 1, "'duplicate'")
    assert history["deleted_at"][2] == "CURRENT_TIMESTAMP"
    assert history["can_restore"][:3] == ("BOOLEAN", 0, "0")
    assert columns_of("upgrade_candidates")["upgrade_status"][2] == "'pending'"
    conn = sqlite3.connect(":memory:")
    conn.executescript(MIGRATION_002_DDL)
    indexes = conn.execute(
        "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
    )
    assert indexes.fetchone()[0] == 20
    conn.close()


@pytest.fixture
def migrated(tmp_path) -> Path:
    return music_tools_migration_002_apply(music_tools_create(tmp_path / "music_tools.db"))


def test_a_migrated_music_tools_db_is_read_as_it_is(migrated):
    conn = sqlite3.connect(migrated)
    legacy_deletion_add(conn, original_path="/m/a.mp3", deleted_at="2026-01-08 12:00:00")
    legacy_decision_add(conn, file_path="/m/b.mp3", upgrade_status="skipped")
    conn.commit()
    conn.close()
    before = migrated.read_bytes()
    history = legacy_history_read(path=migrated)
    assert migrated.read_bytes() == before
    assert {t.name: (t.layout, t.rows) for t in history.tables} == {
        "dedup_history": (Layout.MIGRATION_002, 1),
        "upgrade_candidates": (Layout.MIGRATION_002, 1),
        "file_quality": (Layout.MIGRATION_002, 0),
    }
    (deletion,) = history.deletions
    assert (deletion.original_path, deletion.deletion_reason, deletion.deleted_by) == (
        "/m/a.mp3",
        "duplicate",
        "system",
    )
    assert deletion.can_restore is False
    (decision,) = history.decisions
    assert (decision.file_path, decision.upgrade_status) == ("/m/b.mp3", "skipped")
    assert history.migration_002_at is not None
    assert MIGRATION_002_SETTINGS["migration_002_name"] == "add_quality_tables"


def test_another_layout_is_refused_naming_what_it_holds(tmp_path):
    path = tmp_path / "x.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE upgrade_candidates_legacy (id INTEGER, path TEXT)")
    conn.close()
    with pytest.raises(LegacyHistoryError, match=r"upgrade_candidates_legacy .*columns: id, path"):
        legacy_history_read(path=path)


@pytest.mark.parametrize(
    ("stored", "expected"),
    [
        ("2026-01-08 12:00:00", "2026-01-08T12:00:00+00:00"),  # CURRENT_TIMESTAMP (UTC)
        ("2026-01-08T12:00:00.123456", "2026-01-08T12:00:00.123456+00:00"),
        ("2026-01-08T13:00:00+01:00", "2026-01-08T12:00:00+00:00"),
        ("2026-01-08T12:00:00Z", "2026-01-08T12:00:00+00:00"),
        ("2026-01-08", "2026-01-08T00:00:00+00:00"),
        ("1767225600", "2026-01-01T00:00:00+00:00"),
        ("1767225600000", "2026-01-01T00:00:00+00:00"),
        (1767225600, "2026-01-01T00:00:00+00:00"),
        ("last tuesday", None),
        ("", None),
        (None, None),
    ],
)
def test_legacy_timestamps_become_iso_utc(stored, expected):
    assert timestamp_normalise(stored) == expected


def test_the_imported_marker_carries_the_key():
    key = legacy_row_key("dedup_history", "/m/a.mp3", None, 3)
    assert key == legacy_row_key("dedup_history", "/m/a.mp3", None, 3)
    assert key != legacy_row_key("dedup_history", "/m/a.mp3", None, "3")
    notes = f"[2026-01-05] {imported_note(what='x #1', key=key)}: status 'upgraded'"
    assert imported_keys(["my note\n" + notes, None]) == {key}


@pytest.mark.parametrize(
    ("reason", "hashes", "expected"),
    [
        ("duplicate", ("1_" + "a" * 64, "1_" + "a" * 64), ("exact_duplicate", True)),
        ("duplicate", ("d" * 32, "d" * 32), ("exact_duplicate", True)),  # a full MD5
        ("duplicate", ("HASH_FAILED", "HASH_FAILED"), ("metadata_match", True)),
        ("duplicate", ("1_" + "a" * 64, "1_" + "b" * 64), ("metadata_match", True)),
        ("Lower Quality", (None, None), ("lower_quality", True)),
        ("spring cleaning", (None, None), ("user_requested", False)),
        (None, (None, None), ("user_requested", False)),
    ],
)
def test_legacy_reasons_map_onto_ours(reason, hashes, expected):
    assert legacy_reason_map(reason, original_hash=hashes[0], kept_hash=hashes[1]) == expected


def test_one_session_per_minute():
    at = datetime.datetime(2026, 1, 10, 9, 15, 1, tzinfo=datetime.UTC)
    same = at.replace(second=59)
    assert legacy_session_id(at) == legacy_session_id(same)
    assert legacy_session_id(at) != legacy_session_id(at.replace(minute=16))
    assert legacy_session_id(None) != legacy_session_id(at)


def test_file_format_from_the_path():
    assert legacy_file_format("/m/Song.FLAC") == "flac"
    assert legacy_file_format("/m/README") == "unknown"


@pytest.mark.parametrize(
    ("status", "action"),
    [
        ("pending", "pending"),
        ("upgraded", "completed"),
        ("Skipped", "rejected"),
        ("in-progress", "approved"),
        ("ignored", "ignored"),
        ("whatever", None),
        (None, None),
    ],
)
def test_legacy_upgrade_statuses_map_onto_user_action(status, action):
    assert legacy_upgrade_status_map(status) == action
