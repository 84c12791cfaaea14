"""Bad library databases: a one-line error naming the file, a non-zero exit, nothing changed."""

import sqlite3
from pathlib import Path

import pytest

from tests.conftest import manage_env, run_manage
from tests.legacy import legacy_library_create, legacy_row
from tests.musicquality.helpers import checkpoint, folder_snapshot

COMMANDS = [
    ("schema_status",),
    ("dbbackup",),
    ("migrate", "--database=library"),
]


def assert_refused(tmp_path: Path, env: dict, args: tuple, *expected: str) -> None:
    snapshot = folder_snapshot(tmp_path)
    result = run_manage(env, *args)
    assert result.returncode != 0, result.stdout
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    for text in expected:
        assert text in lines[0], lines[0]
    assert folder_snapshot(tmp_path) == snapshot


@pytest.fixture
def legacy_db(tmp_path: Path) -> Path:
    path = legacy_library_create(tmp_path / "library_index.db", [legacy_row(i) for i in range(3)])
    checkpoint(path)
    return path


@pytest.mark.parametrize("args", COMMANDS[:2])
def test_missing_file(tmp_path, args):
    missing = tmp_path / "nowhere.db"
    env = manage_env(tmp_path, MUSICQUALITY_LIBRARY_DB=str(missing))
    assert_refused(tmp_path, env, args, str(missing), "does not exist", "MUSICQUALITY_LIBRARY_DB")
    assert not missing.exists()


def test_migrate_into_a_missing_folder(tmp_path):
    missing = tmp_path / "no" / "such" / "library_index.db"
    env = manage_env(tmp_path, MUSICQUALITY_LIBRARY_DB=str(missing))
    assert_refused(tmp_path, env, COMMANDS[2], str(missing.parent), "does not exist")


@pytest.mark.parametrize("args", COMMANDS)
def test_not_sqlite(tmp_path, args):
    path = tmp_path / "library_index.db"
    path.write_bytes(b"ID3\x04\x00 this is an mp3, not a database" * 100)
    assert_refused(tmp_path, manage_env(tmp_path), args, str(path), "not an SQLite database")


@pytest.mark.parametrize("args", COMMANDS)
def test_read_only(tmp_path, legacy_db, args):
    legacy_db.chmod(0o444)
    try:
        assert_refused(tmp_path, manage_env(tmp_path), args, str(legacy_db), "read-only")
    finally:
        legacy_db.chmod(0o644)


@pytest.mark.parametrize("args", COMMANDS)
def test_locked_by_another_writer(tmp_path, legacy_db, args):
    writer = sqlite3.connect(legacy_db, timeout=30, isolation_level=None)
    writer.execute("BEGIN EXCLUSIVE")
    writer.execute("UPDATE library_index SET last_verified = 'x' WHERE id = 1")
    try:
        snapshot_db = legacy_db.read_bytes()
        result = run_manage(manage_env(tmp_path, MUSICQUALITY_BUSY_TIMEOUT="1"), *args)
        assert result.returncode != 0
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1, result.stderr
        assert str(legacy_db) in lines[0] and "locked" in lines[0]
        assert legacy_db.read_bytes() == snapshot_db
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    assert not list(tmp_path.glob("*.backup_*"))


@pytest.mark.parametrize("args", COMMANDS)
def test_no_library_index_table(tmp_path, args):
    path = tmp_path / "library_index.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE playlists (id TEXT PRIMARY KEY, name TEXT)")
    conn.commit()
    conn.close()
    assert_refused(tmp_path, manage_env(tmp_path), args, str(path), "no library_index table")
