import pytest

from quality.models import LibraryFile


@pytest.fixture(autouse=True)
def library_rows_removed():
    """Command tests run in committed transactions (a ``LibraryCommand`` first checks that no
    one holds the database's write lock, as a test transaction would), and Django's flush
    leaves the unmanaged ``library_index`` alone: empty it after each test."""
    yield
    LibraryFile.objects.all().delete()
