"""Connections, router and deployment settings, read back from the real thing."""

import sqlite3

import pytest
from django.db import connections

from musicquality.routers import LibraryRouter
from quality.models import FileQuality, LibraryFile
from tests.conftest import LIBRARY_DBS, manage_env, run_manage
from tests.legacy import music_tools_add_track, music_tools_create
from upgrades.models import UpgradeCandidate


@pytest.mark.django_db(databases=LIBRARY_DBS)
def test_library_connection_pragmas():
    with connections["library"].cursor() as cursor:
        values = {}
        for pragma in (
            "journal_mode",
            "synchronous",
            "cache_size",
            "temp_store",
            "mmap_size",
            "foreign_keys",
            "busy_timeout",
        ):
            cursor.execute(f"PRAGMA {pragma}")
            values[pragma] = cursor.fetchone()[0]
    assert values == {
        "journal_mode": "wal",
        "synchronous": 1,
        "cache_size": -15000,
        "temp_store": 2,
        "mmap_size": 33554432,
        "foreign_keys": 1,
        "busy_timeout": 5000,
    }
    assert connections["library"].transaction_mode == "IMMEDIATE"


def test_router_sends_models_to_their_database():
    router = LibraryRouter()
    assert router.db_for_read(LibraryFile) == "library"
    assert router.db_for_write(FileQuality) == "library"
    assert router.db_for_write(UpgradeCandidate) == "library"
    from django.contrib.auth.models import User

    assert router.db_for_write(User) == "default"
    assert router.allow_migrate("library", "quality") is True
    assert router.allow_migrate("default", "quality") is False
    assert router.allow_migrate("library", "auth") is False
    assert router.allow_migrate("default", "upgrades") is False


def test_streaming_database_is_read_only(tmp_path):
    streaming = music_tools_create(tmp_path / "music_tools.db")
    conn = sqlite3.connect(streaming)
    music_tools_add_track(conn, name="Song", artist="Band", service="tidal", track_id="t1")
    conn.commit()
    conn.close()
    before = streaming.read_bytes()
    script = (
        "import datetime\n"
        "from pathlib import Path\n"
        "from django.conf import settings\n"
        "from upgrades.streaming import streaming_catalog_load\n"
        "from musicquality.library_db import open_readonly\n"
        "now = datetime.datetime.now(datetime.UTC)\n"
        "print('tracks', streaming_catalog_load(path=settings.STREAMING_DB, now=now).track_count)\n"
        "try:\n"
        '    open_readonly(settings.STREAMING_DB).execute("DELETE FROM tracks")\n'
        "except Exception as e:\n"
        "    print('write refused:', e)\n"
    )
    env = manage_env(tmp_path, MUSICQUALITY_STREAMING_DB=str(streaming))
    result = run_manage(env, "shell", "-c", script)
    assert result.returncode == 0, result.stderr
    assert "tracks 1" in result.stdout
    assert "write refused: attempt to write a readonly database" in result.stdout
    assert streaming.read_bytes() == before


def test_check_deploy_is_clean_but_for_https_items(tmp_path):
    env = manage_env(
        tmp_path,
        MUSICQUALITY_DEBUG="0",
        MUSICQUALITY_SECRET_KEY="k" * 20 + "-a-long-random-secret-key-for-testing-0123456789",
    )
    result = run_manage(env, "check", "--deploy", "--fail-level", "ERROR")
    assert result.returncode == 0, result.stderr
    warnings = {
        line.split(":")[0].strip("?) ") for line in result.stderr.splitlines() if "W0" in line
    }
    assert {w for w in warnings if w} <= {
        "security.W004",
        "security.W008",
        "security.W012",
        "security.W016",
    }, result.stderr


def test_https_setting_clears_the_https_items(tmp_path):
    env = manage_env(
        tmp_path,
        MUSICQUALITY_DEBUG="0",
        MUSICQUALITY_HTTPS="1",
        MUSICQUALITY_SECRET_KEY="k" * 20 + "-a-long-random-secret-key-for-testing-0123456789",
    )
    result = run_manage(env, "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stderr + result.stdout


@pytest.mark.parametrize("command", [("check",), ("scan_library", "/tmp"), ("dedupe", "--help")])
def test_missing_secret_key_is_a_clear_one_line_error(tmp_path, command):
    """Not a traceback (Django's ``KeyError: 'dedupe'`` first, for an app command), and
    nothing run."""
    env = manage_env(tmp_path, MUSICQUALITY_DEBUG="0")
    result = run_manage(env, *command)
    assert result.returncode == 2
    assert result.stderr.startswith("manage.py: MUSICQUALITY_SECRET_KEY is not set: set it")
    assert len(result.stderr.splitlines()) == 1 and result.stdout == ""
    assert not (tmp_path / "library_index.db").exists()


def test_a_bad_setting_value_is_a_one_line_error_naming_it(tmp_path):
    env = manage_env(tmp_path, MUSICQUALITY_BUSY_TIMEOUT="soon")
    result = run_manage(env, "scan_library", str(tmp_path))
    assert result.returncode == 2
    assert result.stderr == (
        "manage.py: MUSICQUALITY_BUSY_TIMEOUT='soon': give a number of seconds\n"
    )


def test_help_without_settings_is_one_line_not_djangos_commands_only(tmp_path):
    result = run_manage(manage_env(tmp_path, MUSICQUALITY_DEBUG="0"), "help")
    assert result.returncode == 2 and "MUSICQUALITY_SECRET_KEY" in result.stderr
    assert result.stdout == ""
    listed = run_manage(manage_env(tmp_path), "help")
    assert "[dedup]" in listed.stdout and "dedupe" in listed.stdout


@pytest.mark.parametrize("name", ["MUSICQUALITY_APP_DB", "MUSICQUALITY_JOBS_QUEUE"])
@pytest.mark.parametrize("command", [("run_job", "scan"), ("migrate",)])
def test_an_app_file_in_a_missing_folder_is_named_not_the_library(tmp_path, name, command):
    """SQLite says only "unable to open database file": ``run_job`` blamed the library
    database, ``migrate`` printed a traceback."""
    missing = tmp_path / "no-such-folder" / "file.sqlite3"
    result = run_manage(manage_env(tmp_path, **{name: str(missing)}), *command)
    assert result.returncode == 2
    assert result.stderr == (
        f"manage.py: {name}={missing}: folder {missing.parent} does not exist: create it, or "
        f"set {name} to a file in an existing folder\n"
    )
    assert not missing.parent.exists() and not (tmp_path / "library_index.db").exists()
