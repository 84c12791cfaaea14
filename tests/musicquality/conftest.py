from pathlib import Path

import pytest

from tests.conftest import manage_env, run_manage
from tests.legacy import legacy_library_create, legacy_row

MIGRATED_ROWS = 20


@pytest.fixture
def migrated_library(tmp_path: Path) -> Path:
    """A Music Tools ``library_index.db`` with :data:`MIGRATED_ROWS` legacy rows, migrated to
    v2.0.0 by a real ``manage.py migrate --database=library`` (its files under ``tmp_path``)."""
    rows = [legacy_row(i) for i in range(MIGRATED_ROWS)]
    path = legacy_library_create(tmp_path / "library_index.db", rows)
    result = run_manage(manage_env(tmp_path), "migrate", "--database=library")
    assert result.returncode == 0, result.stderr
    return path
