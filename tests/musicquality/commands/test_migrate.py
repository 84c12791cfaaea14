"""``migrate --database=library`` on real legacy files: backup first, rollback, adoption."""

import sqlite3
from pathlib import Path

import pytest

from musicquality.schema import SCHEMA_VERSION
from tests.conftest import manage_env, run_manage
from tests.legacy import (
    LEGACY_TABLES,
    MIGRATION_002_DDL,
    legacy_library_create,
    legacy_row,
    now_iso,
    table_checksum,
)
from tests.musicquality.helpers import (
    checkpoint,
    db_execute,
    db_rows,
    folder_snapshot,
    report_appendix_a_sql,
)

ROLLBACK = ("migrate", "--database=library", "quality", "zero")
VERSION_SQL = "SELECT value FROM settings WHERE key='schema_version'"
TABLES_SQL = "SELECT name FROM sqlite_master WHERE type='table'"
QUALITY_INDEXES_SQL = "SELECT name FROM sqlite_master WHERE name LIKE 'idx_quality%'"


@pytest.fixture
def legacy_library(tmp_path: Path) -> Path:
    path = legacy_library_create(tmp_path / "library_index.db", [legacy_row(i) for i in range(40)])
    db_execute(
        path,
        "INSERT INTO library_stats (total_files, total_size, formats_breakdown, artists_count, "
        f"albums_count, last_index_time, index_duration, created_at) VALUES (40, 123, "
        f"'{{\"mp3\": 40}}', 7, 5, '{now_iso()}', 1.5, '{now_iso()}')",
        "INSERT INTO vetting_history (import_folder, total_files, duplicates_found, new_songs, "
        "uncertain_matches, threshold_used, vetted_at) "
        f"VALUES ('/in', 3, 1, 2, 0, 0.9, '{now_iso()}')",
    )
    return path


def legacy_checksums(path: Path) -> dict[str, str]:
    return {table: table_checksum(path, table) for table in LEGACY_TABLES}


def test_migrate_takes_a_checked_backup_first(legacy_library, tmp_path):
    result = run_manage(manage_env(tmp_path), "migrate", "--database=library")
    assert result.returncode == 0, result.stderr
    backups = sorted(tmp_path.glob("library_index.db.backup_*"))
    assert len(backups) == 1
    assert str(backups[0]) in result.stdout
    assert db_rows(backups[0], "PRAGMA integrity_check") == [("ok",)]
    assert db_rows(backups[0], "SELECT count(*) FROM library_index") == [(40,)]
    tables = {r[0] for r in db_rows(backups[0], TABLES_SQL)}
    assert "file_quality" not in tables  # the backup is of the file before migration


def test_backup_goes_to_backup_dir_when_set(legacy_library, tmp_path):
    backup_dir = tmp_path / "backups"
    env = manage_env(tmp_path, MUSICQUALITY_BACKUP_DIR=str(backup_dir))
    assert run_manage(env, "migrate", "--database=library").returncode == 0
    assert len(list(backup_dir.glob("library_index.db.backup_*"))) == 1


def test_migrate_rollback_migrate_keeps_legacy_rows_identical(legacy_library, tmp_path):
    env = manage_env(tmp_path)
    before = legacy_checksums(legacy_library)
    assert run_manage(env, "migrate", "--database=library").returncode == 0
    db_execute(
        legacy_library,
        "INSERT INTO file_quality (library_file_id, file_format, quality_score, analyzed_at) "
        f"VALUES (1, 'mp3', 50.0, '{now_iso()}')",
    )
    result = run_manage(env, *ROLLBACK)
    assert result.returncode == 0, result.stderr
    assert legacy_checksums(legacy_library) == before
    tables = {r[0] for r in db_rows(legacy_library, TABLES_SQL)}
    assert not tables & {"file_quality", "dedup_history", "upgrade_candidates"}
    indexes = db_rows(legacy_library, QUALITY_INDEXES_SQL)
    assert indexes == []
    assert db_rows(legacy_library, VERSION_SQL) == [("1.0.0",)]

    assert run_manage(env, "migrate", "--database=library").returncode == 0
    assert legacy_checksums(legacy_library) == before
    for table in ("file_quality", "dedup_history", "upgrade_candidates"):
        assert db_rows(legacy_library, f"SELECT count(*) FROM {table}") == [(0,)]
    assert db_rows(legacy_library, VERSION_SQL) == [(SCHEMA_VERSION,)]


def column_names_of(path: Path, table: str) -> list[str]:
    return [row[1] for row in db_rows(path, f"PRAGMA table_info('{table}')")]


def test_exact_v2_tables_are_adopted_without_changing_data(legacy_library, tmp_path):
    conn = sqlite3.connect(legacy_library)
    conn.executescript(report_appendix_a_sql())  # what the report's own script creates
    conn.execute(
        "CREATE TABLE IF NOT EXISTS settings "
        "(key TEXT PRIMARY KEY, value TEXT, updated_at TEXT NOT NULL)"
    )
    conn.execute(
        "INSERT INTO file_quality (library_file_id, file_format, codec, bitrate, quality_score, "
        f"analyzed_at) VALUES (3, 'mp3', 'MP3', 320, 84.0, '{now_iso()}')"
    )
    conn.execute(
        "INSERT INTO upgrade_candidates (library_file_id, file_path, current_format, "
        "current_quality_score, artist, title, recommended_format, priority_score, identified_at, "
        f"last_updated) VALUES (4, '/m/x.mp3', 'mp3', 32.7, 'A', 'T', 'FLAC', 60.0, '{now_iso()}', "
        f"'{now_iso()}')"
    )
    conn.commit()
    conn.close()
    adopted = ("file_quality", "upgrade_candidates")
    v2_0_columns = {t: column_names_of(legacy_library, t) for t in adopted}
    before = {t: table_checksum(legacy_library, t, columns=v2_0_columns[t]) for t in adopted}

    result = run_manage(manage_env(tmp_path), "migrate", "--database=library")
    assert result.returncode == 0, result.stderr
    after = {t: table_checksum(legacy_library, t, columns=v2_0_columns[t]) for t in adopted}
    assert after == before  # v2.1.0 adds columns to file_quality; what was there is unchanged
    assert db_rows(legacy_library, VERSION_SQL) == [(SCHEMA_VERSION,)]
    assert db_rows(
        legacy_library, "SELECT count(*) FROM sqlite_master WHERE name='idx_quality_lossy_files'"
    ) == [(1,)]


@pytest.mark.parametrize("table", ["file_quality", "dedup_history", "upgrade_candidates"])
def test_same_named_tables_of_another_layout_are_refused(legacy_library, tmp_path, table):
    statements = [s for s in MIGRATION_002_DDL.split(";") if f"EXISTS {table} " in s]
    db_execute(legacy_library, *statements)
    checkpoint(legacy_library)
    snapshot = folder_snapshot(tmp_path)

    result = run_manage(manage_env(tmp_path), "migrate", "--database=library")
    assert result.returncode != 0
    message = result.stderr.strip().splitlines()
    assert len(message) == 1, result.stderr
    assert table in message[0] and "not v2.0.0" in message[0] and "RENAME" in message[0]
    assert folder_snapshot(tmp_path) == snapshot


def test_failed_verification_leaves_the_file_as_it_was(legacy_library, tmp_path):
    """An orphan row adopted from an exact-layout table fails foreign_key_check."""
    conn = sqlite3.connect(legacy_library)
    conn.executescript(report_appendix_a_sql())
    conn.execute(
        "INSERT INTO file_quality (library_file_id, file_format, quality_score, analyzed_at) "
        f"VALUES (9999, 'mp3', 50.0, '{now_iso()}')"
    )
    conn.commit()
    conn.close()
    checkpoint(legacy_library)
    before = {t: table_checksum(legacy_library, t) for t in (*LEGACY_TABLES, "file_quality")}
    schema_before = db_rows(legacy_library, "SELECT name, sql FROM sqlite_master ORDER BY name")

    result = run_manage(manage_env(tmp_path), "migrate", "--database=library")
    assert result.returncode != 0
    assert "foreign key" in result.stderr
    assert {t: table_checksum(legacy_library, t) for t in before} == before
    schema_after = [
        row
        for row in db_rows(legacy_library, "SELECT name, sql FROM sqlite_master ORDER BY name")
        if row[0] != "django_migrations"
    ]
    assert schema_after == schema_before


def test_fresh_install_creates_library_index(tmp_path):
    result = run_manage(manage_env(tmp_path), "migrate", "--database=library")
    assert result.returncode == 0, result.stderr
    path = tmp_path / "library_index.db"
    names = {r[0] for r in db_rows(path, "SELECT name FROM sqlite_master")}
    assert {"library_index", "idx_active_metadata_hash", "file_quality", "settings"} <= names
