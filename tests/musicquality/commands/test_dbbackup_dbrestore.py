"""dbbackup → change → dbrestore round trip, with a live WAL, and the dry-run default."""

import sqlite3
from pathlib import Path

import pytest

from tests.conftest import manage_env, run_manage
from tests.legacy import LEGACY_TABLES, table_checksum
from tests.musicquality.helpers import checkpoint, db_rows, folder_snapshot


def checksums(path: Path) -> dict[str, str]:
    return {t: table_checksum(path, t) for t in (*LEGACY_TABLES, "file_quality")}


def latest_backup(folder: Path) -> Path:
    return sorted(p for p in folder.glob("library_index.db.backup_*") if "-" not in p.name[-4:])[-1]


def test_backup_change_restore_round_trip(migrated_library, tmp_path):
    env = manage_env(tmp_path)
    result = run_manage(env, "dbbackup")
    assert result.returncode == 0, result.stderr
    backup = latest_backup(tmp_path)
    assert str(backup) in result.stdout
    assert db_rows(backup, "PRAGMA journal_mode") == [("delete",)]  # self-contained file
    before = checksums(migrated_library)

    # A change that stays in the WAL: a writer keeps its connection open, no checkpoint.
    writer = sqlite3.connect(migrated_library)
    writer.execute("PRAGMA wal_autocheckpoint=0")
    writer.execute("DELETE FROM library_index WHERE id > 10")
    writer.execute("UPDATE library_index SET artist = 'changed' WHERE id = 1")
    writer.commit()
    assert Path(f"{migrated_library}-wal").stat().st_size > 0
    assert checksums(migrated_library) != before

    result = run_manage(env, "dbrestore", str(backup), "--apply")
    writer.close()
    assert result.returncode == 0, result.stderr
    assert checksums(migrated_library) == before
    assert db_rows(migrated_library, "PRAGMA integrity_check") == [("ok",)]
    assert db_rows(migrated_library, "PRAGMA journal_mode") == [("wal",)]
    safety = list(tmp_path.glob("library_index.db.pre-restore_*"))
    assert len(safety) == 1
    assert db_rows(safety[0], "SELECT count(*) FROM library_index") == [(10,)]
    assert db_rows(safety[0], "SELECT artist FROM library_index WHERE id = 1") == [("changed",)]


def test_restore_is_a_dry_run_by_default(migrated_library, tmp_path):
    env = manage_env(tmp_path)
    assert run_manage(env, "dbbackup").returncode == 0
    backup = latest_backup(tmp_path)
    conn = sqlite3.connect(migrated_library)
    conn.execute("DELETE FROM library_index WHERE id > 5")
    conn.commit()
    conn.close()
    checkpoint(migrated_library)
    snapshot = folder_snapshot(tmp_path)
    result = run_manage(env, "dbrestore", str(backup))
    assert result.returncode == 0, result.stderr
    assert "Dry run" in result.stdout and "--apply" in result.stdout
    assert folder_snapshot(tmp_path) == snapshot
    assert db_rows(migrated_library, "SELECT count(*) FROM library_index") == [(5,)]


@pytest.mark.parametrize("content", [b"", b"not a database at all" * 50])
def test_restore_refuses_a_bad_backup(migrated_library, tmp_path, content):
    bad = tmp_path / "bad.backup"
    bad.write_bytes(content)
    snapshot = folder_snapshot(tmp_path)
    result = run_manage(manage_env(tmp_path), "dbrestore", str(bad), "--apply")
    assert result.returncode != 0
    assert len(result.stderr.strip().splitlines()) == 1
    assert str(bad) in result.stderr
    assert folder_snapshot(tmp_path) == snapshot


def test_restore_refuses_a_missing_backup(migrated_library, tmp_path):
    result = run_manage(manage_env(tmp_path), "dbrestore", str(tmp_path / "nope.db"), "--apply")
    assert result.returncode != 0
    assert "does not exist" in result.stderr
