import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.settings import TEST_VAR_DIR

REPO_ROOT = Path(__file__).resolve().parent.parent


def _shared_dir() -> Path:
    """``shared/`` (design report, audio corpus) sits beside the checkout, as in CI."""
    if os.environ.get("MUSICQUALITY_SHARED_DIR"):
        return Path(os.environ["MUSICQUALITY_SHARED_DIR"])
    for candidate in (REPO_ROOT.parent / "shared", REPO_ROOT.parent.parent / "shared"):
        if candidate.is_dir():
            return candidate
    return REPO_ROOT.parent / "shared"


SHARED_DIR = _shared_dir()
CORPUS_DIR = SHARED_DIR / "corpus" / "beets"

# The library alias and Django's own, for tests that touch the music database.
LIBRARY_DBS = ["default", "library"]


@pytest.fixture
def corpus_dir() -> Path:
    assert CORPUS_DIR.is_dir(), (
        f"audio corpus not found at {CORPUS_DIR}: check out shared/ beside the repository "
        "or set MUSICQUALITY_SHARED_DIR"
    )
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


@pytest.fixture
def test_var_dir() -> Path:
    return TEST_VAR_DIR


@pytest.fixture
def staff_client(client, admin_user):
    """Django's test client, logged in as a superuser (``tests/upgrades`` has its own)."""
    client.force_login(admin_user)
    return client
