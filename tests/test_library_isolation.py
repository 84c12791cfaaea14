"""A module with transactional tests leaves the library database's tables empty for the next
module on its worker, whether or not its tests asked for ``clean_library``
(``tests/conftest.py``, ``library_left_empty_by_transactional_modules``).

Django's flush, which ends a transactional test, skips the unmanaged tables; under
``--dist loadfile`` whichever module a worker ran next saw the rows left behind (eleven
dedup tests failed that way in two of three runs before the guard existed). Checked in a
real pytest session of two modules, in order, with and without the project's conftest."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from tests.conftest import REPO_ROOT

LEAVES_A_ROW = """
import pytest
from django.db import connections

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "library"])


def test_writes_a_library_row_and_does_not_clean_up():
    with connections["library"].cursor() as cursor:
        cursor.execute(
            "INSERT INTO library_index (file_path, filename, file_format, file_size,"
            " metadata_hash, file_content_hash, indexed_at, file_mtime)"
            " VALUES ('/m/a.flac', 'a.flac', 'flac', 1, 'm', 'c', 't', 't')"
        )
"""

EXPECTS_AN_EMPTY_LIBRARY = """
import pytest
from django.db import connections

# transactional too: pytest-django runs transactional tests after the others, and this one
# must run after the module above
pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "library"])


def test_the_library_is_empty():
    with connections["library"].cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM library_index")
        assert cursor.fetchone()[0] == 0
"""


def _session(tmp_path, conftest: str) -> subprocess.CompletedProcess:
    (tmp_path / "conftest.py").write_text(textwrap.dedent(conftest))
    (tmp_path / "test_a_leaves_a_row.py").write_text(LEAVES_A_ROW)
    (tmp_path / "test_b_expects_an_empty_library.py").write_text(EXPECTS_AN_EMPTY_LIBRARY)
    return subprocess.run(
        [
            sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:xdist",
            "--rootdir", str(tmp_path), "test_a_leaves_a_row.py",
            "test_b_expects_an_empty_library.py",
        ],
        cwd=tmp_path,
        env={
            "PATH": "/usr/bin:/bin",
            "PYTHONPATH": str(REPO_ROOT),
            "DJANGO_SETTINGS_MODULE": "tests.settings",
        },
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )  # fmt: skip


@pytest.mark.slow
def test_the_next_module_sees_an_empty_library(tmp_path):
    result = _session(tmp_path, 'pytest_plugins = ["tests.conftest"]\n')
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 passed" in result.stdout


@pytest.mark.slow
def test_without_the_guard_the_next_module_sees_the_row(tmp_path):
    """The control: the same two modules without the project's conftest."""
    result = _session(tmp_path, "")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "1 failed, 1 passed" in result.stdout
    assert "test_the_library_is_empty" in result.stdout
