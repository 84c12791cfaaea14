"""The migrated library file against the design report's own DDL.

Both sides are parsed by SQLite itself: the report's SQL (Appendix A, §10.2, the Phase 2 and
the Phase 3 DDL, as the report prints them, ``tests/data/ddl/``) is executed in a scratch
database and every table's columns, foreign keys, unique constraints and every index (table,
key columns with their order and DESC, partial condition) are compared through PRAGMAs. Our
own ``audio_verification`` table and our indexes have no text in the report: the models are
tied to them by ``test_models_ddl.py``.
"""

import sqlite3
from pathlib import Path

import pytest

from musicquality.schema import V2_1_INDEXES_DDL, V2_1_TABLES_DDL, V2_2_INDEXES_DDL
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
V2_2_TABLES = (*V2_1_TABLES, "streaming_matches", "upgrade_jobs")
OURS_IN_V2_1 = ("audio_verification",)
ROLLBACK_TO_V2_0 = ("migrate", "--database=library", "quality", "0001")
ROLLBACK_TO_V2_1 = ("migrate", "--database=library", "quality", "0003")


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


def reference_db(path: Path, *, phase: int) -> sqlite3.Connection:
    """The report's DDL up to ``phase`` (1: Appendix A, 2: + Phase 2, 3: + Phase 3), with our
    own objects of each version."""
    conn = sqlite3.connect(path)
    conn.executescript(LIBRARY_INDEX_DB_DDL)
    conn.executescript(report_appendix_a_sql())
    conn.executescript(report_recommended_partial_index_sql())
    if phase >= 2:
        conn.executescript((REPORT_DDL_DIR / "report_phase2_v2.1.0.sql").read_text())
        for table in OURS_IN_V2_1:
            conn.execute(V2_1_TABLES_DDL[table])
        for index in V2_1_INDEXES_DDL.values():
            conn.execute(index)
    if phase >= 3:
        conn.executescript((REPORT_DDL_DIR / "report_phase3_v2.2.0.sql").read_text())
        for index in V2_2_INDEXES_DDL.values():
            conn.execute(index)
    return conn


@pytest.fixture
def reference(tmp_path: Path) -> dict:
    """Schema v2.0.0: the report's Appendix A and §10.2."""
    conn = reference_db(tmp_path / "reference.db", phase=1)
    described = describe(conn, V2_0_TABLES)
    conn.close()
    return described


@pytest.fixture
def reference_v2_1(tmp_path: Path) -> dict:
    """Schema v2.1.0: v2.0.0, the report's Phase 2 DDL, our audio_verification."""
    conn = reference_db(tmp_path / "reference_v2_1.db", phase=2)
    described = describe(conn, V2_1_TABLES)
    conn.close()
    return described


@pytest.fixture
def reference_v2_2(tmp_path: Path) -> dict:
    """Schema v2.2.0: v2.1.0, the report's Phase 3 DDL, our three indexes on it."""
    conn = reference_db(tmp_path / "reference_v2_2.db", phase=3)
    described = describe(conn, V2_2_TABLES)
    conn.close()
    return described


def test_migrated_schema_equals_the_report(reference_v2_2, migrated_library):
    found = describe_file(migrated_library, V2_2_TABLES)
    for table in V2_2_TABLES:
        assert found["tables"][table] == reference_v2_2["tables"][table], table
    assert found["indexes"] == reference_v2_2["indexes"]
    # the report's 20, idx_quality_lossy_files, idx_quality_acoustid, our three of v2.1.0 and
    # our three of v2.2.0
    assert len(found["indexes"]) == 28
    columns = [c[1] for c in found["tables"]["file_quality"]["columns"]]
    assert columns[-2:] == ["acoustid_fingerprint", "acoustid_id"]


def test_rollback_to_v2_1_is_exactly_v2_1_and_migrates_again(
    reference_v2_1, reference_v2_2, migrated_library, tmp_path
):
    env = manage_env(tmp_path)
    conn = sqlite3.connect(migrated_library)
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute(
        "INSERT INTO upgrade_candidates (library_file_id, file_path, current_format, "
        "current_quality_score, artist, title, recommended_format, priority_score, "
        "identified_at, last_updated) SELECT id, file_path, 'mp3', 32.7, 'A', 'T', 'FLAC', 60, "
        "'2026-01-08T12:00:00+00:00', '2026-01-08T12:00:00+00:00' FROM library_index LIMIT 1"
    )
    conn.execute("INSERT INTO upgrade_jobs (candidate_id) SELECT id FROM upgrade_candidates")
    conn.execute(
        "INSERT INTO streaming_matches (library_file_id, service, service_track_id, "
        "match_confidence, checked_at) SELECT library_file_id, 'qobuz', 'q1', 1.0, "
        "'2026-01-08T12:00:00+00:00' FROM upgrade_candidates"
    )
    conn.commit()
    conn.close()
    legacy_before = {t: table_checksum(migrated_library, t) for t in LEGACY_TABLES}
    ours_before = {t: table_checksum(migrated_library, t) for t in V2_1_TABLES}

    result = run_manage(env, *ROLLBACK_TO_V2_1)
    assert result.returncode == 0, result.stderr
    assert describe_file(migrated_library, V2_1_TABLES) == reference_v2_1
    names = {r[0] for r in db_rows(migrated_library, "SELECT name FROM sqlite_master")}
    assert not names & {"streaming_matches", "upgrade_jobs", *V2_2_INDEXES_DDL}
    assert db_rows(migrated_library, "SELECT value FROM settings WHERE key='schema_version'") == [
        ("2.1.0",)
    ]
    # the v2.1.0 tables and the legacy rows are byte-identical
    assert {t: table_checksum(migrated_library, t) for t in LEGACY_TABLES} == legacy_before
    assert {t: table_checksum(migrated_library, t) for t in V2_1_TABLES} == ours_before
    assert db_rows(migrated_library, "PRAGMA integrity_check") == [("ok",)]

    result = run_manage(env, "migrate", "--database=library")
    assert result.returncode == 0, result.stderr
    assert describe_file(migrated_library, V2_2_TABLES) == reference_v2_2
    assert db_rows(migrated_library, "SELECT value FROM settings WHERE key='schema_version'") == [
        ("2.2.0",)
    ]
    assert {t: table_checksum(migrated_library, t) for t in V2_1_TABLES} == ours_before


def test_the_phase_3_tables_cascade_as_the_report_says(migrated_library):
    conn = sqlite3.connect(migrated_library)
    conn.execute("PRAGMA foreign_keys = ON")
    file_id = conn.execute("SELECT MIN(id) FROM library_index").fetchone()[0]
    conn.execute(
        "INSERT INTO upgrade_candidates (library_file_id, file_path, current_format, "
        "current_quality_score, artist, title, recommended_format, priority_score, "
        "identified_at, last_updated) VALUES (?, '/m/a.mp3', 'mp3', 32.7, 'A', 'T', 'FLAC', "
        "60, 't', 't')",
        (file_id,),
    )
    conn.execute("INSERT INTO upgrade_jobs (candidate_id) SELECT id FROM upgrade_candidates")
    conn.execute(
        "INSERT INTO streaming_matches (library_file_id, service, service_track_id, "
        "match_confidence, checked_at) VALUES (?, 'tidal', 't1', 0.9, 't')",
        (file_id,),
    )
    assert conn.execute("SELECT job_status FROM upgrade_jobs").fetchall() == [("pending",)]
    conn.execute("DELETE FROM library_index WHERE id = ?", (file_id,))
    counts = [
        conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
        for table in ("upgrade_candidates", "upgrade_jobs", "streaming_matches")
    ]
    conn.rollback()
    conn.close()
    assert counts == [0, 0, 0]


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
    assert not tables & {
        "quality_history",
        "audio_verification",
        "idx_quality_acoustid",
        "streaming_matches",
        "upgrade_jobs",
    }
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


def test_report_reference_has_what_the_issue_names(reference, reference_v2_1, reference_v2_2):
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
    jobs = reference_v2_2["tables"]["upgrade_jobs"]
    assert ("upgrade_candidates", "candidate_id", "id", "NO ACTION", "CASCADE", "NONE") in jobs[
        "foreign_keys"
    ]
    status = next(c for c in jobs["columns"] if c[1] == "job_status")
    assert status[4] == "'pending'"
    matches = reference_v2_2["tables"]["streaming_matches"]
    confidence = next(c for c in matches["columns"] if c[1] == "match_confidence")
    assert confidence[2:4] == ("REAL", 1)


def test_migration_writes_schema_version_and_passes_checks(migrated_library):
    assert db_rows(migrated_library, "SELECT value FROM settings WHERE key='schema_version'") == [
        ("2.2.0",)
    ]
    assert db_rows(migrated_library, "PRAGMA integrity_check") == [("ok",)]
    assert db_rows(migrated_library, "PRAGMA foreign_key_check") == []


def test_schema_status_reports_complete_schema(migrated_library, tmp_path):
    result = run_manage(manage_env(tmp_path), "schema_status")
    assert result.returncode == 0, result.stderr
    assert "Schema version: 2.2.0" in result.stdout
    assert "Indexes:        28/28 present" in result.stdout
    assert f"library_index         {MIGRATED_ROWS} rows" in result.stdout
    assert "Integrity:      ok" in result.stdout
    assert "Schema 2.2.0 complete." in result.stdout


def test_schema_status_of_a_v2_0_file_says_what_is_available(migrated_library, tmp_path):
    env = manage_env(tmp_path)
    assert run_manage(env, *ROLLBACK_TO_V2_0).returncode == 0
    result = run_manage(env, "schema_status")
    assert result.returncode == 0, result.stderr
    assert "Schema version: 2.0.0" in result.stdout
    assert "Schema 2.0.0 complete. Schema 2.2.0 is available" in result.stdout


def test_schema_status_of_a_v2_1_file_says_what_is_available(migrated_library, tmp_path):
    env = manage_env(tmp_path)
    assert run_manage(env, *ROLLBACK_TO_V2_1).returncode == 0
    result = run_manage(env, "schema_status")
    assert result.returncode == 0, result.stderr
    assert "Schema version: 2.1.0" in result.stdout
    assert "Schema 2.1.0 complete. Schema 2.2.0 is available" in result.stdout


def test_schema_status_exits_1_when_partial(migrated_library, tmp_path):
    conn = sqlite3.connect(migrated_library)
    conn.execute("DROP INDEX idx_upgrade_service")
    conn.commit()
    conn.close()
    result = run_manage(manage_env(tmp_path), "schema_status")
    assert result.returncode == 1
    assert "idx_upgrade_service" in result.stderr
    assert "partial" in result.stderr
