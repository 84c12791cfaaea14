"""A damaged or missing library database: one line saying what to do, a non-zero exit,
nothing left behind; the pages answer 503 with the restore command; dbrestore still works."""

import json
import os
import shutil
import sqlite3
import textwrap
from pathlib import Path

import pytest

from tests.conftest import manage_env, run_django_script, run_manage
from tests.legacy import legacy_library_create, legacy_row
from tests.musicquality.helpers import checkpoint, folder_snapshot

PAGE_SIZE = 4096
COMMANDS = [
    ("schema_status",),
    ("dbbackup",),
    ("migrate", "--database=library"),
    ("scan_library", "{music}"),
    ("analyze_quality",),
    ("find_duplicates",),
    ("dedupe",),
    ("dedupe", "--resume"),
    ("recover", "1"),
    ("recover", "1", "--apply"),
    ("purge_quarantine",),
    ("purge_quarantine", "--apply"),
    ("identify_upgrades",),
    ("upgrades_export", "--action", "approved", "--csv", "-"),
    ("run_job", "find_duplicates"),
    ("run_job", "recover", "--json", '{{"ids": [1]}}', "--apply"),
]


def snapshot(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` with its bytes, sidecars included (none may appear)."""
    return {
        str(p.relative_to(folder)): p.read_bytes().hex()[:64] + str(p.stat().st_size)
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def damaged(tmp_path_factory) -> Path:
    """A migrated library of 3,000 rows, backed up, then 20 pages of ``library_index``
    overwritten (the header and the schema page intact, as a failing disk or an interrupted
    copy does)."""
    folder = tmp_path_factory.mktemp("damaged")
    env = manage_env(folder)
    path = legacy_library_create(folder / "library_index.db", [legacy_row(i) for i in range(3000)])
    assert run_manage(env, "migrate", "--database=library", "-v0").returncode == 0
    for backup in folder.glob("*.backup_*"):
        backup.unlink()
    assert run_manage(env, "dbbackup").returncode == 0
    checkpoint(path)
    (folder / "library_index.db-wal").unlink(missing_ok=True)
    (folder / "library_index.db-shm").unlink(missing_ok=True)
    # 20 of library_index's own pages (SQLite's dbstat says which), from a third of the way in
    conn = sqlite3.connect(path)
    table_pages = [
        row[0]
        for row in conn.execute(
            "SELECT pageno FROM dbstat WHERE name = 'library_index' ORDER BY pageno"
        )
    ]
    conn.close()
    data = bytearray(path.read_bytes())
    start = len(table_pages) // 3
    for page in table_pages[start : start + 20]:
        offset = (page - 1) * PAGE_SIZE  # SQLite numbers pages from 1
        data[offset : offset + PAGE_SIZE] = b"\xde\xad\xbe\xef" * (PAGE_SIZE // 4)
    path.write_bytes(bytes(data))
    (folder / "music").mkdir()
    return folder


@pytest.fixture
def damaged_copy(damaged, tmp_path) -> Path:
    folder = tmp_path / "lib"
    shutil.copytree(damaged, folder)
    return folder


@pytest.mark.parametrize("args", COMMANDS, ids=" ".join)
def test_every_command_refuses_a_damaged_database_in_one_line(damaged_copy, args):
    folder = damaged_copy
    before = snapshot(folder)
    args = tuple(arg.format(music=folder / "music") for arg in args)
    result = run_manage(manage_env(folder), *args)
    assert result.returncode == 2, (result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    (backup,) = folder.glob("library_index.db.backup_*")
    assert str(folder / "library_index.db") in lines[0] and "damaged" in lines[0]
    assert f"manage.py dbrestore {backup} --apply" in lines[0]
    assert snapshot(folder) == before


def test_dbrestore_still_restores_a_damaged_database(damaged_copy):
    folder = damaged_copy
    env = manage_env(folder)
    (backup,) = folder.glob("library_index.db.backup_*")
    result = run_manage(env, "dbrestore", str(backup), "--apply")
    assert result.returncode == 0, result.stderr
    (safety,) = folder.glob("library_index.db.pre-restore_*")
    assert "damaged" in result.stdout and str(safety) in result.stdout
    assert run_manage(env, "schema_status").returncode == 0


def test_a_truncated_database_leaves_no_wal_or_shm_behind(tmp_path):
    path = legacy_library_create(tmp_path / "library_index.db", [legacy_row(i) for i in range(500)])
    checkpoint(path)
    os.truncate(path, 50_000)
    before = folder_snapshot(tmp_path)
    for args in (("schema_status",), ("analyze_quality",), ("dbbackup",)):
        result = run_manage(manage_env(tmp_path), *args)
        assert result.returncode != 0
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr
        assert sorted(p.name for p in tmp_path.iterdir()) == ["library_index.db"], args
    assert folder_snapshot(tmp_path) == before


PAGES_SCRIPT = textwrap.dedent(
    """
    import sys
    import django
    django.setup()
    from django.test.utils import setup_test_environment
    setup_test_environment()
    from django.contrib.auth.models import User
    from django.test import Client
    user = User.objects.create_superuser("u", "u@example.org", "pw-for-this-test-only")
    client = Client(raise_request_exception=False)
    client.force_login(user)
    for path in sys.argv[1:]:
        response = client.get(path)
        body = response.content.decode().replace(chr(10), " ")
        print(f"{path}\\t{response.status_code}\\t{body}")
    """
)
# In this order: the overview reads the damaged pages; from then on every page says so until
# the file changes, even one whose own tables are intact (/upgrades/: no candidates yet).
PAGES = [
    "/", "/files/", "/dedup/", "/upgrades/", "/upgrades/candidates/", "/dedup/review/", "/jobs/",
    "/api/files/", "/api/duplicates/", "/health",
]  # fmt: skip


def pages_get(env: dict) -> dict[str, tuple[int, str]]:
    assert run_manage(env, "migrate", "-v0").returncode == 0  # Django's own tables only
    result = run_django_script(env, PAGES_SCRIPT, *PAGES)
    assert result.returncode == 0, result.stderr
    pages = {}
    for line in result.stdout.splitlines():
        path, status, body = line.split("\t", 2)
        pages[path] = (int(status), body)
    return pages


def test_pages_over_a_damaged_database_answer_503_saying_how_to_restore(damaged_copy):
    folder = damaged_copy
    (backup,) = folder.glob("library_index.db.backup_*")
    pages = pages_get(manage_env(folder))
    for path in PAGES:
        status, body = pages[path]
        assert status == 503, (path, body[:300])
        if path != "/health":
            assert "damaged" in body and f"manage.py dbrestore {backup} --apply" in body, path
    assert json.loads(pages["/api/files/"][1])["detail"].startswith("library database")


def test_a_page_never_creates_a_missing_library_database(tmp_path):
    missing = tmp_path / "nowhere" / "library_index.db"
    (tmp_path / "nowhere").mkdir()
    env = manage_env(tmp_path, MUSICQUALITY_LIBRARY_DB=str(missing))
    pages = pages_get(env)
    assert not missing.exists() and list((tmp_path / "nowhere").iterdir()) == []
    status, body = pages["/"]
    assert status == 503 and "does not exist" in body and "MUSICQUALITY_LIBRARY_DB" in body
    assert pages["/health"][0] == 503


def test_the_fixture_is_really_damaged(damaged):
    conn = sqlite3.connect(f"file:{damaged / 'library_index.db'}?mode=ro&immutable=1", uri=True)
    try:
        with pytest.raises(sqlite3.DatabaseError, match="malformed"):
            conn.execute(
                "SELECT COUNT(*), SUM(length(file_path)) FROM library_index NOT INDEXED"
            ).fetchall()
    finally:
        conn.close()


def test_a_backup_that_fails_its_check_is_removed(damaged_copy):
    from musicquality.backups import BackupError, library_backup_create

    before = sorted(damaged_copy.glob("library_index.db.backup_*"))
    with pytest.raises(BackupError, match="so it was removed"):
        library_backup_create(db_path=damaged_copy / "library_index.db")
    assert sorted(damaged_copy.glob("library_index.db.backup_*")) == before
