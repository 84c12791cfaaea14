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


def _module_of(item: pytest.Item) -> str:
    return item.nodeid.split("::", 1)[0]


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The modules with ``longest`` tests first, then those with ``slow`` or ``e2e`` ones,
    then the rest (a stable sort: modules and tests keep their order otherwise): the longest
    work starts while the other worker takes the many short tests, instead of starting last
    and running alone. ``trylast``: after pytest-django's own sort (by kind of database use,
    in its ``tryfirst`` hook), which would otherwise undo this one."""
    rank_of_module: dict[str, int] = {}
    for item in items:
        rank = 0 if item.get_closest_marker("longest") else 1
        if rank and not (item.get_closest_marker("slow") or item.get_closest_marker("e2e")):
            rank = 2
        module = _module_of(item)
        rank_of_module[module] = min(rank, rank_of_module.get(module, 2))
    items.sort(key=lambda item: rank_of_module[_module_of(item)])


#: The ``user_properties`` name of a :func:`report_line`.
REPORT_LINE = "report_line"


@pytest.fixture
def report_line(record_property):
    """Print a line in the test run's summary (``make test`` shows it; with parallel
    workers a test's own output is not), for figures measured but not asserted."""

    def add(text: str) -> None:
        record_property(REPORT_LINE, text)

    return add


def pytest_terminal_summary(terminalreporter):
    lines = [
        value
        for reports in terminalreporter.stats.values()
        for report in reports
        for name, value in getattr(report, "user_properties", ())
        if name == REPORT_LINE and getattr(report, "when", "call") == "call"
    ]
    if lines:
        terminalreporter.section("figures measured by the tests")
        for line in lines:
            terminalreporter.write_line(line)


@pytest.fixture(autouse=True)
def summary_memory_forgotten():
    """The summary's in-process memory (the last comparison, the duplicate groups found)
    starts empty in every test: a test's rollback takes the summary's generation back, so
    groups remembered from another test could match it."""
    from dedup.selectors import GROUPS_FINDER
    from quality.services.summary import CHECKER

    CHECKER.reset()
    GROUPS_FINDER.clear()
    yield
    CHECKER.reset()
    GROUPS_FINDER.clear()


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


#: The library database's tables that Django's flush leaves alone (unmanaged: the legacy
#: tables and the v2.0.0 tables, which it does not manage either).
LIBRARY_TABLES_UNFLUSHED = (
    "dedup_history",
    "upgrade_candidates",
    "file_quality",
    "library_index",
    "library_stats",
    "vetting_history",
)


def library_tables_wipe() -> None:
    from django.db import connections

    with connections["library"].cursor() as cursor:
        for table in LIBRARY_TABLES_UNFLUSHED:
            cursor.execute(f"DELETE FROM {table}")


@pytest.fixture
def clean_library():
    """For transactional tests: Django's flush skips the unmanaged legacy tables (and the
    v2.0.0 tables it does not manage either), so they are emptied before and after."""
    library_tables_wipe()
    yield
    library_tables_wipe()


def _transactional(item: pytest.Item) -> bool:
    marker = item.get_closest_marker("django_db")
    if marker is not None and (
        marker.kwargs.get("transaction") or (marker.args and marker.args[0])
    ):
        return True
    fixtures = getattr(item, "fixturenames", ())
    return "transactional_db" in fixtures or "live_server" in fixtures


@pytest.fixture(scope="module", autouse=True)
def library_left_empty_by_transactional_modules(request):
    """A module with transactional tests leaves the library tables empty, whether or not its
    tests asked for :func:`clean_library`: under ``--dist loadfile`` the next module on the
    same worker would otherwise see its rows (and fail, or pass by luck of the distribution).
    Wiped when the module ends, after its own module fixtures: its tests may share rows."""
    module_items = [
        item for item in request.session.items if getattr(item, "module", None) is request.module
    ]
    if not any(_transactional(item) for item in module_items):
        yield
        return
    request.getfixturevalue("django_db_setup")
    blocker = request.getfixturevalue("django_db_blocker")
    yield
    with blocker.unblock():
        library_tables_wipe()


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


@pytest.fixture
def reader_client(client, db):
    """Django's test client, logged in as a user who is not staff: reads, changes nothing."""
    from django.contrib.auth.models import User

    client.force_login(User.objects.create_user("reader", password="reader-password-123"))
    return client


@pytest.fixture
def dedup_settings(tmp_path, settings):
    """Library roots and quarantine under ``tmp_path``, as a user would configure them."""
    settings.LIBRARY_ROOTS = [tmp_path / "music"]
    settings.QUARANTINE_DIR = tmp_path / "quarantine"
    (tmp_path / "music").mkdir(exist_ok=True)
    return settings


@pytest.fixture
def music_root(dedup_settings) -> Path:
    """The one library root of :func:`dedup_settings`."""
    return dedup_settings.LIBRARY_ROOTS[0]


@pytest.fixture
def dedup_library(tmp_path, dedup_settings):
    """Every kind of (non-)duplicate, real files and rows (``tests/dedup/helpers.py``)."""
    from tests.dedup.helpers import dedup_library_make

    return dedup_library_make(tmp_path)


@pytest.fixture
def music_files(music_root) -> dict[str, Path]:
    """Real audio in the library root, not yet scanned (``tests/jobs/helpers.py``)."""
    from tests.jobs.helpers import music_make

    return music_make(music_root)
