"""The migrated library file against the design report's own DDL (Appendix A).

Both sides are parsed by SQLite itself: the report's SQL is executed in a scratch database
and every table's columns, foreign keys, unique constraints and every index (table, key
columns with their order and DESC, partial condition) are compared through PRAGMAs.
"""

import sqlite3
from pathlib import Path

import pytest

from tests.conftest import manage_env, run_manage
from tests.legacy import LIBRARY_INDEX_DB_DDL
from tests.musicquality.conftest import MIGRATED_ROWS
from tests.musicquality.helpers import (
    db_rows,
    report_appendix_a_sql,
    report_recommended_partial_index_sql,
)

V2_TABLES = ("file_quality", "dedup_history", "upgrade_candidates")


def describe(conn: sqlite3.Connection) -> dict:
    tables = {}
    for table in V2_TABLES:
        unique = sorted(
            tuple(r[2] for r in conn.execute(f"PRAGMA index_info('{name}')"))
            for _seq, name, is_unique, origin, _p in conn.execute(f"PRAGMA index_list('{table}')")
            if is_unique and origin == "u"
        )
        tables[table] = {
            "columns": conn.execute(f"PRAGMA table_xinfo('{table}')").fetchall(),
            "foreign_keys": [r[2:] for r in conn.execute(f"PRAGMA foreign_key_list('{table}')")],
            "unique": unique,
        }
    indexes = {}
    for name, table in conn.execute(
        "SELECT name, tbl_name FROM sqlite_master WHERE type='index' AND sql IS NOT NULL "
        "AND tbl_name IN ('file_quality', 'dedup_history', 'upgrade_candidates')"
    ):
        keys = [
            (r[2], r[3]) for r in conn.execute(f"PRAGMA index_xinfo('{name}')") if r[5]
        ]  # (column, desc) for key columns
        partial = [r[4] for r in conn.execute(f"PRAGMA index_list('{table}')") if r[1] == name]
        indexes[name] = (table, keys, partial)
    return {"tables": tables, "indexes": indexes}


@pytest.fixture
def reference(tmp_path: Path) -> dict:
    conn = sqlite3.connect(tmp_path / "reference.db")
    conn.executescript(LIBRARY_INDEX_DB_DDL)
    conn.executescript(report_appendix_a_sql())
    conn.executescript(report_recommended_partial_index_sql())
    described = describe(conn)
    conn.close()
    return described


def test_migrated_schema_equals_the_report(reference, migrated_library):
    conn = sqlite3.connect(migrated_library)
    found = describe(conn)
    conn.close()
    assert set(found["tables"]) == set(V2_TABLES)
    for table in V2_TABLES:
        assert found["tables"][table] == reference["tables"][table], table
    assert found["indexes"] == reference["indexes"]
    assert len(found["indexes"]) == 21  # the report's 20, plus idx_quality_lossy_files


def test_report_reference_has_what_the_issue_names(reference):
    fq = reference["tables"]["file_quality"]
    assert ("library_index", "library_file_id", "id", "NO ACTION", "CASCADE", "NONE") in fq[
        "foreign_keys"
    ]
    assert fq["unique"] == [("library_file_id",)]
    assert reference["indexes"]["idx_quality_score"][1] == [("quality_score", 1)]
    assert reference["indexes"]["idx_quality_lossy_files"][2] == [1]


def test_migration_writes_schema_version_and_passes_checks(migrated_library):
    assert db_rows(migrated_library, "SELECT value FROM settings WHERE key='schema_version'") == [
        ("2.0.0",)
    ]
    assert db_rows(migrated_library, "PRAGMA integrity_check") == [("ok",)]
    assert db_rows(migrated_library, "PRAGMA foreign_key_check") == []


def test_schema_status_reports_complete_schema(migrated_library, tmp_path):
    result = run_manage(manage_env(tmp_path), "schema_status")
    assert result.returncode == 0, result.stderr
    assert "Schema version: 2.0.0" in result.stdout
    assert "Indexes:        21/21 present" in result.stdout
    assert f"library_index         {MIGRATED_ROWS} rows" in result.stdout
    assert "Integrity:      ok" in result.stdout


def test_schema_status_exits_1_when_partial(migrated_library, tmp_path):
    conn = sqlite3.connect(migrated_library)
    conn.execute("DROP INDEX idx_upgrade_service")
    conn.commit()
    conn.close()
    result = run_manage(manage_env(tmp_path), "schema_status")
    assert result.returncode == 1
    assert "idx_upgrade_service" in result.stderr
    assert "partial" in result.stderr
