"""``migrate --database=library`` records every outcome in the app database, and
``migration_failed`` follows: raised by a refusal, a rollback or a failure, cleared by the
next success. Real processes on real files; the alert is read back from a new process."""

import sqlite3
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import manage_env, run_manage
from tests.legacy import (
    LEGACY_TABLES,
    MIGRATION_002_DDL,
    legacy_library_create,
    legacy_row,
    table_checksum,
)
from tests.musicquality.helpers import checkpoint, db_execute, db_rows, report_appendix_a_sql

pytestmark = pytest.mark.slow

MIGRATE = ("migrate", "--database=library")
RECORDS_SQL = "SELECT outcome, duration_seconds, message FROM monitoring_migration ORDER BY id"


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    env = manage_env(tmp_path)
    legacy_library_create(Path(env["MUSICQUALITY_LIBRARY_DB"]), [legacy_row(i) for i in range(5)])
    assert run_manage(env, "migrate", "-v0").returncode == 0  # the app database first
    return env


def app_db(env) -> Path:
    return Path(env["MUSICQUALITY_APP_DB"])


def exported(env) -> dict[str, list]:
    result = run_manage(env, "export_metrics")
    assert result.returncode == 0, result.stderr
    return {f.name: f.samples for f in text_string_to_metric_families(result.stdout)}


def alert_value(metrics, name: str) -> float:
    return next(s.value for s in metrics["musicquality_alert"] if s.labels["name"] == name)


def test_a_refused_migration_raises_migration_failed_and_a_later_success_clears_it(env):
    library = Path(env["MUSICQUALITY_LIBRARY_DB"])
    statements = [s for s in MIGRATION_002_DDL.split(";") if "EXISTS file_quality " in s]
    db_execute(library, *statements)  # a same-named table of another layout: refused

    refused = run_manage(env, *MIGRATE)
    assert refused.returncode != 0 and "not v2.0.0" in refused.stderr
    [(outcome, seconds, message)] = db_rows(app_db(env), RECORDS_SQL)
    assert outcome == "refused" and seconds > 0 and "file_quality" in message

    metrics = exported(env)
    assert alert_value(metrics, "migration_failed") == 1
    assert metrics["musicquality_migration_last_success"][0].value == 0
    assert metrics["musicquality_migration_duration_seconds"][0].value == pytest.approx(seconds)
    assert metrics["musicquality_analysis_backlog_files"] == []  # no file_quality to count

    db_execute(library, "ALTER TABLE file_quality RENAME TO file_quality_legacy")
    assert run_manage(env, *MIGRATE).returncode == 0
    assert [r[0] for r in db_rows(app_db(env), RECORDS_SQL)] == ["refused", "succeeded"]
    metrics = exported(env)
    assert alert_value(metrics, "migration_failed") == 0
    assert metrics["musicquality_migration_last_success"][0].value == 1


def test_a_migration_whose_transaction_rolls_back_is_recorded_as_failed(env):
    """The orphan row of an adopted table fails the migration's foreign-key check: its
    transaction rolls back, and the record, written through the app database, stays."""
    library = Path(env["MUSICQUALITY_LIBRARY_DB"])
    conn = sqlite3.connect(library)
    conn.executescript(report_appendix_a_sql())
    conn.close()
    db_execute(
        library,
        "INSERT INTO file_quality (library_file_id, file_format, quality_score, analyzed_at) "
        "VALUES (9999, 'mp3', 50.0, '2026-01-01T00:00:00')",
    )
    checkpoint(library)
    before = {t: table_checksum(library, t) for t in LEGACY_TABLES}

    result = run_manage(env, *MIGRATE)
    assert result.returncode != 0 and "foreign key" in result.stderr
    assert {t: table_checksum(library, t) for t in LEGACY_TABLES} == before
    [(outcome, _, message)] = db_rows(app_db(env), RECORDS_SQL)
    assert outcome == "failed" and "foreign key" in message
    assert alert_value(exported(env), "migration_failed") == 1


def test_a_rollback_raises_the_alert_until_the_schema_is_migrated_again(env):
    assert run_manage(env, *MIGRATE).returncode == 0
    assert run_manage(env, *MIGRATE, "quality", "zero").returncode == 0
    assert [r[0] for r in db_rows(app_db(env), RECORDS_SQL)] == ["succeeded", "rolled_back"]
    assert alert_value(exported(env), "migration_failed") == 1
    assert run_manage(env, *MIGRATE).returncode == 0
    assert alert_value(exported(env), "migration_failed") == 0


def test_without_the_app_database_migrated_the_library_migration_still_runs(tmp_path):
    env = manage_env(tmp_path)
    legacy_library_create(Path(env["MUSICQUALITY_LIBRARY_DB"]), [legacy_row(1)])
    result = run_manage(env, *MIGRATE)
    assert result.returncode == 0, result.stderr
    assert "not recorded for monitoring" in result.stdout
    assert not app_db(env).exists()  # recording never creates the app database
