import pytest
from django.db import connections


@pytest.fixture
def clean_library():
    """For transactional tests: Django's flush skips the unmanaged legacy tables."""

    def wipe():
        with connections["library"].cursor() as cursor:
            for table in ("file_quality", "library_index", "library_stats"):
                cursor.execute(f"DELETE FROM {table}")

    wipe()
    yield
    wipe()
