"""The migrated library file against the design report's own DDL.

Both sides are parsed by SQLite itself: the report's SQL (Appendix A, §10.2 and the Phase 2
DDL, as the report prints them, ``tests/data/ddl/``) is executed in a scratch database and
every table's columns, foreign keys, unique constraints and every index (table, key columns
with their order and DESC, partial condition) are compared through PRAGMAs. Our own
``audio_verification`` table and indexes have no text in the report: the models are tied to
them by ``test_models_ddl.py``.
"""

import sqlite3
from pathlib import Path

import pytest

from musicquality.schema import V2_1_INDEXES_DDL, V2_1_TABLES_DDL
from tests.conftest import REPORT_DDL_DIR, manage_env, run_manage
from tests.legacy import LEGACY_TABLES, LIBRARY_INDEX_DB_DDL, table_checksum
from tests.musicquality.conftest import MIGRATED_ROWS
from tests.musicquality.helpers import (
    db_rows,
    report_appendix_a_sql,
    report_recommended_partial_index_sql,
)

V2_0_TABLES = ("file_quality", "dedup_history", "upgrade_candidates")
V2_1_TABLES = (*V2_0_TABLES, "quality_history", "audio_verification")
OURS_IN_V2_1 = ("audio_verification",)
ROLLBACK_TO_V2_0 = ("migrate", "--database=library", "quality", "0001")


def describe(conn: sqlite3.Connection, tables: tuple[str, ...]) -> dict:
    described = {}
    for table in tables:
        unique = sorted(
            tuple(r[2] for r in conn.execute(f"PRAGMA index_info('{name}')"))
            for _seq, name, is_unique, origin, _p in conn.execute(f"PRAGMA index_list('{table}')")
            if is_unique and origin == "u"
        )
        described[table] = {
            "columns": conn.execute(f"PRAGMA table_xinfo('{table}')").fetchall(),
            "foreign_keys": [r[2:] for r in conn.execute(f"PRAGMA foreign_key_list('{table}')")],
            "unique": unique,
        }
    indexes = {}
    marks = ", ".join("?" for _ in tables)
    for name, table in conn.execute(
        "SELECT name, tbl_name FROM sqlite_master WHERE type='index' AND sql IS NOT NULL "
        f"AND tbl_name IN ({marks})",
        tables,
    ):
        keys = [
            (r[2], r[3]) for r in conn.execute(f"PRAGMA index_xinfo('{name}')") if r[5]
        ]  # (column, desc) for key columns
        partial = [r[4] for r in conn.execute(f"PRAGMA index_list('{table}')") if r[1] == name]
        indexes[name] = (table, keys, partial)
    return {"tables": described, "indexes": indexes}


def describe_file(path: Path, tables: tuple[str, ...]) -> dict:
    conn = sqlite3.connect(path)
    try:
        return describe(conn, tables)
    finally:
        conn.close()


def reference_db(path: Path, *, phase_2: bool) -> sqlite3.Connection:
    conn = sqlite3.connect(path)
    conn.executescript(LIBRARY_INDEX_DB_DDL)
    conn.executescript(report_appendix_a_sql())
    conn.executescript(report_recommended_partial_index_sql())
    if phase_2:
        conn.executescript((REPORT_DDL_DIR / "report_phase2_v2.1.0.sql").read_text())
        for table in OURS_IN_V2_1:
            conn.execute(V2_1_TABLES_DDL[table])
        for index in V2_1_INDEXES_DDL.values():
            conn.execute(index)
    return conn


@pytest.fixture
def reference(tmp_path: Path) -> dict:
    """Schema v2.0.0: the report's Appendix A and §10.2."""
    conn = reference_db(tmp_path / "reference.db", phase_2=False)
    described = describe(conn, V2_0_TABLES)
    conn.close()
    return described


@pytest.fixture
def reference_v2_1(tmp_path: Path) -> dict:
    """Schema v2.1.0: v2.0.0, the report's Phase 2 DDL, our audio_verification."""
    conn = reference_db(tmp_path / "reference_v2_1.db", phase_2=True)
    described = describe(conn, V2_1_TABLES)
    conn.close()
    return described


def test_migrated_schema_equals_the_report(reference_v2_1, migrated_library):
    found = describe_file(migrated_library, V2_1_TABLES)
    for table in V2_1_TABLES:
        assert found["tables"][table] == reference_v2_1["tables"][table], table
    assert found["indexes"] == reference_v2_1["indexes"]
    # the report's 20, idx_quality_lossy_files, idx_quality_acoustid, and our three
    assert len(found["indexes"]) == 25
    columns = [c[1] for c in found["tables"]["file_quality"]["columns"]]
    assert columns[-2:] == ["acoustid_fingerprint", "acoustid_id"]


def test_rollback_to_v2_0_is_exactly_the_report_and_migrates_again(
    reference, reference_v2_1, migrated_library, tmp_path
):
    env = manage_env(tmp_path)
    conn = sqlite3.connect(migrated_library)
    conn.execute(
        "INSERT INTO file_quality (library_file_id, file_format, quality_score, analyzed_at, "
        "acoustid_fingerprint) VALUES (1, 'mp3', 32.7, '2026-01-08T12:00:00+00:00', 'AQAA')"
    )
    conn.commit()
    conn.close()
    legacy_before = {t: table_checksum(migrated_library, t) for t in LEGACY_TABLES}
    result = run_manage(env, *ROLLBACK_TO_V2_0)
    assert result.returncode == 0, result.stderr
    assert describe_file(migrated_library, V2_0_TABLES) == reference
    tables = {r[0] for r in db_rows(migrated_library, "SELECT name FROM sqlite_master")}
    assert not tables & {"quality_history", "audio_verification", "idx_quality_acoustid"}
    assert db_rows(migrated_library, "SELECT value FROM settings WHERE key='schema_version'") == [
        ("2.0.0",)
    ]
    # the analysis stays, without the Phase 2 columns; legacy rows byte-identical
    assert db_rows(migrated_library, "SELECT library_file_id, quality_score FROM file_quality") == [
        (1, 32.7)
    ]
    assert {t: table_checksum(migrated_library, t) for t in LEGACY_TABLES} == legacy_before
    assert db_rows(migrated_library, "PRAGMA integrity_check") == [("ok",)]

    result = run_manage(env, "migrate", "--database=library")
    assert result.returncode == 0, result.stderr
    assert describe_file(migrated_library, V2_1_TABLES) == reference_v2_1
    assert {t: table_checksum(migrated_library, t) for t in LEGACY_TABLES} == legacy_before


def test_report_reference_has_what_the_issue_names(reference, reference_v2_1):
    fq = reference["tables"]["file_quality"]
    assert ("library_index", "library_file_id", "id", "NO ACTION", "CASCADE", "NONE") in fq[
        "foreign_keys"
    ]
    assert fq["unique"] == [("library_file_id",)]
    assert reference["indexes"]["idx_quality_score"][1] == [("quality_score", 1)]
    assert reference["indexes"]["idx_quality_lossy_files"][2] == [1]
    verification = reference_v2_1["tables"]["audio_verification"]
    assert verification["unique"] == [("library_file_id",)]
    assert ("library_index", "library_file_id", "id", "NO ACTION", "CASCADE", "NONE") in (
        verification["foreign_keys"]
    )
    assert reference_v2_1["indexes"]["idx_quality_acoustid"][1] == [("acoustid_id", 0)]


def test_migration_writes_schema_version_and_passes_checks(migrated_library):
    assert db_rows(migrated_library, "SELECT value FROM settings WHERE key='schema_version'") == [
        ("2.1.0",)
    ]
    assert db_rows(migrated_library, "PRAGMA integrity_check") == [("ok",)]
    assert db_rows(migrated_library, "PRAGMA foreign_key_check") == []


def test_schema_status_reports_complete_schema(migrated_library, tmp_path):
    result = run_manage(manage_env(tmp_path), "schema_status")
    assert result.returncode == 0, result.stderr
    assert "Schema version: 2.1.0" in result.stdout
    assert "Indexes:        25/25 present" in result.stdout
    assert f"library_index         {MIGRATED_ROWS} rows" in result.stdout
    assert "Integrity:      ok" in result.stdout
    assert "Schema 2.1.0 complete." in result.stdout


def test_schema_status_of_a_v2_0_file_says_what_is_available(migrated_library, tmp_path):
    env = manage_env(tmp_path)
    assert run_manage(env, *ROLLBACK_TO_V2_0).returncode == 0
    result = run_manage(env, "schema_status")
    assert result.returncode == 0, result.stderr
    assert "Schema version: 2.0.0" in result.stdout
    assert "Schema 2.0.0 complete. Schema 2.1.0 is available" in result.stdout


def test_schema_status_exits_1_when_partial(migrated_library, tmp_path):
    conn = sqlite3.connect(migrated_library)
    conn.execute("DROP INDEX idx_upgrade_service")
    conn.commit()
    conn.close()
    result = run_manage(manage_env(tmp_path), "schema_status")
    assert result.returncode == 1
    assert "idx_upgrade_service" in result.stderr
    assert "partial" in result.stderr
