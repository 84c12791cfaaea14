import datetime
import sqlite3
from pathlib import Path

import pytest

from tests.legacy import music_tools_create


def iso_days_ago(days: float) -> str:
    moment = datetime.datetime.now(datetime.UTC) - datetime.timedelta(days=days)
    return moment.isoformat()


@pytest.fixture
def music_tools(tmp_path: Path):
    """A real, empty Music Tools ``music_tools.db``, and an open connection to fill it."""
    path = music_tools_create(tmp_path / "music_tools.db")
    conn = sqlite3.connect(path)
    yield path, conn
    conn.close()
