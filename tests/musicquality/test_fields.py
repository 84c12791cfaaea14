"""IsoTimestampField: the legacy tool's text form on write, any ISO-8601 form on read."""

import datetime

import pytest
from django.db import connections

from quality.models import LibraryFile
from tests.conftest import LIBRARY_DBS
from tests.factories import library_file_make

pytestmark = pytest.mark.django_db(databases=LIBRARY_DBS)


def stored_text(file_id: int, column: str) -> str:
    with connections["library"].cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM library_index WHERE id = %s", [file_id])
        return cursor.fetchone()[0]


def set_text(file_id: int, column: str, value: str) -> None:
    with connections["library"].cursor() as cursor:
        cursor.execute(f"UPDATE library_index SET {column} = %s WHERE id = %s", [value, file_id])


def test_writes_isoformat_in_utc():
    moment = datetime.datetime(
        2026, 1, 8, 13, 0, 0, 123456, tzinfo=datetime.timezone(datetime.timedelta(hours=1))
    )
    row = library_file_make(indexed_at=moment)
    assert stored_text(row.id, "indexed_at") == "2026-01-08T12:00:00.123456+00:00"


@pytest.mark.parametrize(
    "text",
    [
        "2026-01-08T12:00:00.123456+00:00",
        "2026-01-08 12:00:00.123456",
        "2026-01-08T12:00:00.123456",
    ],
)
def test_reads_the_legacy_and_django_forms(text):
    row = library_file_make()
    set_text(row.id, "indexed_at", text)
    value = LibraryFile.objects.get(id=row.id).indexed_at
    assert value == datetime.datetime(2026, 1, 8, 12, 0, 0, 123456, tzinfo=datetime.UTC)


def test_an_unparseable_value_reads_as_none_instead_of_failing():
    row = library_file_make()
    set_text(row.id, "last_verified", "yesterday-ish")
    assert LibraryFile.objects.get(id=row.id).last_verified is None


def test_range_lookups_compare_in_time_order():
    early = library_file_make(indexed_at=datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC))
    late = library_file_make(indexed_at=datetime.datetime(2026, 3, 1, tzinfo=datetime.UTC))
    since = datetime.datetime(2026, 2, 1, tzinfo=datetime.UTC)
    found = set(LibraryFile.objects.filter(indexed_at__gte=since).values_list("id", flat=True))
    assert late.id in found and early.id not in found
