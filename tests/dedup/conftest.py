import pytest

from tests.dedup.helpers import DedupLibrary, dedup_library_make


@pytest.fixture
def dedup_settings(tmp_path, settings):
    """Library roots and quarantine under ``tmp_path``, as a user would configure them."""
    settings.LIBRARY_ROOTS = [tmp_path / "music"]
    settings.QUARANTINE_DIR = tmp_path / "quarantine"
    (tmp_path / "music").mkdir(exist_ok=True)
    return settings


@pytest.fixture
def dedup_library(tmp_path, dedup_settings) -> DedupLibrary:
    return dedup_library_make(tmp_path)
