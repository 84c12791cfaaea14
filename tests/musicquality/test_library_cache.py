"""Cached library reads are reused only while no connection has changed the database."""

import sqlite3

import pytest
from django.db import connections

from musicquality.library_cache import LIBRARY_CACHE, LibraryCache, library_cached
from quality.models import LibraryFile
from tests.conftest import LIBRARY_DBS
from tests.factories import library_file_make

pytestmark = pytest.mark.django_db(transaction=True, databases=LIBRARY_DBS)


@pytest.fixture(autouse=True)
def empty_cache():
    LIBRARY_CACHE.clear()
    yield
    LIBRARY_CACHE.clear()
    LibraryFile.objects.all().delete()


def count_files(calls: list) -> int:
    calls.append(1)
    return LibraryFile.objects.count()


def test_reused_while_nothing_changes():
    calls: list = []
    library_file_make()
    assert library_cached("n", lambda: count_files(calls)) == 1
    assert library_cached("n", lambda: count_files(calls)) == 1
    assert len(calls) == 1


def test_recomputed_after_a_write_through_this_connection():
    calls: list = []
    assert library_cached("n", lambda: count_files(calls)) == 0
    library_file_make()
    assert library_cached("n", lambda: count_files(calls)) == 1
    assert len(calls) == 2


def test_recomputed_after_another_program_writes():
    calls: list = []
    library_file_make()
    assert library_cached("n", lambda: count_files(calls)) == 1
    other = sqlite3.connect(connections["library"].settings_dict["NAME"], timeout=10)
    other.execute("UPDATE library_index SET is_active = 1")
    other.commit()
    other.close()
    assert library_cached("n", lambda: count_files(calls)) == 1
    assert len(calls) == 2


def test_never_kept_inside_a_transaction():
    from django.db import transaction

    calls: list = []
    with transaction.atomic(using="library"):
        library_file_make()
        assert library_cached("n", lambda: count_files(calls)) == 1
        transaction.set_rollback(True, using="library")
    assert library_cached("n", lambda: count_files(calls)) == 0
    assert len(calls) == 2


def test_bounded_least_recently_used_goes_first():
    cache = LibraryCache(max_entries=3)
    for key in ("a", "b", "c"):
        cache.get(key, lambda: 0)
    cache.get("a", lambda: 0)  # a is now the most recent
    cache.get("d", lambda: 0)
    assert len(cache) == 3
    calls: list = []
    cache.get("a", lambda: count_files(calls))
    cache.get("b", lambda: count_files(calls))  # b was the least recent: dropped
    assert len(calls) == 1
