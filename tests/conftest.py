import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.settings import TEST_VAR_DIR

REPO_ROOT = Path(__file__).resolve().parent.parent


DATA_DIR = REPO_ROOT / "tests" / "data"
CORPUS_DIR = DATA_DIR / "corpus" / "beets"
CORPUS_EXPECTED = DATA_DIR / "corpus" / "beets_expected.json"
REPORT_DDL_DIR = DATA_DIR / "ddl"

# The library alias and Django's own, for tests that touch the music database.
LIBRARY_DBS = ["default", "library"]


@pytest.fixture
def corpus_dir() -> Path:
    """Real audio files of many formats and edge cases (``tests/data/corpus/README.md``)."""
    return CORPUS_DIR


def manage_env(tmp_path: Path, **overrides: str) -> dict[str, str]:
    """Environment for a ``manage.py`` subprocess whose files all live under ``tmp_path``."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("MUSICQUALITY_") and key != "DJANGO_SETTINGS_MODULE"
    }
    env.update(
        {
            "MUSICQUALITY_DEBUG": "1",
            "MUSICQUALITY_LIBRARY_DB": str(tmp_path / "library_index.db"),
            "MUSICQUALITY_APP_DB": str(tmp_path / "app.sqlite3"),
            "MUSICQUALITY_QUARANTINE_DIR": str(tmp_path / "quarantine"),
            "MUSICQUALITY_BUSY_TIMEOUT": "2",
        }
    )
    env.update(overrides)
    return env


def run_manage(
    env: dict[str, str], *args: str, timeout: float = 300
) -> subprocess.CompletedProcess:
    """Run ``manage.py`` in a real subprocess, as a user would."""
    return subprocess.run(
        [sys.executable, str(REPO_ROOT / "manage.py"), *args],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def run_django_script(
    env: dict[str, str], script: str, *args: str, timeout: float = 120
) -> subprocess.CompletedProcess:
    """Run a Python ``script`` with Django set up by the project's own settings (as a server
    process has them, from ``env``), in a real subprocess."""
    return subprocess.run(
        [sys.executable, "-c", script, *args],
        cwd=REPO_ROOT,
        env={
            **env,
            "DJANGO_SETTINGS_MODULE": "musicquality.settings",
            "PYTHONPATH": str(REPO_ROOT),
        },
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@pytest.fixture
def test_var_dir() -> Path:
    return TEST_VAR_DIR


@pytest.fixture
def superuser_client(client, admin_user):
    """Django's test client, logged in as a superuser."""
    client.force_login(admin_user)
    return client


@pytest.fixture
def small_library():
    """The hand-made library of ``tests/ui_fixtures.py``, every figure known in advance."""
    from tests.ui_fixtures import small_library_make

    return small_library_make()
