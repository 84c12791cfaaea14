"""``AppPaginator``: a list never counts past a bound it needs, and still leads to every row."""

import pytest

import musicquality.tables as tables_module
from musicquality.tables import AppPaginator
from quality.models import LibraryFile
from tests.conftest import LIBRARY_DBS
from tests.factories import library_file_make

pytestmark = pytest.mark.django_db(databases=LIBRARY_DBS)


@pytest.fixture
def small_cap(monkeypatch):
    monkeypatch.setattr(tables_module, "COUNT_CAP", 10)


def test_a_count_past_the_cap_says_more_than_and_next_leads_to_every_row(small_cap):
    ids = [library_file_make().id for _ in range(37)]
    queryset = LibraryFile.objects.order_by("id")
    seen, number = [], 1
    while True:
        paginator = AppPaginator(queryset, 5)
        page = paginator.page(number)
        seen += [row.id for row in page.object_list]
        if paginator.count_capped:
            # counted to the cap or the page after this one, no further
            assert paginator.count == max(10, (number + 1) * 5) + 1
            assert paginator.count_text == f"more than {paginator.count - 1:,}"
            assert page.has_next()
        if not page.has_next():
            break
        number = page.next_page_number()
    assert seen == ids
    assert not paginator.count_capped and paginator.count == 37


def test_a_count_within_the_cap_is_exact(small_cap):
    for _ in range(7):
        library_file_make()
    paginator = AppPaginator(LibraryFile.objects.order_by("id"), 5)
    assert (paginator.count, paginator.count_capped, paginator.count_text) == (7, False, "7")
    assert paginator.num_pages == 2


def test_a_page_asked_far_beyond_the_cap_is_reached_in_one_step(small_cap):
    ids = [library_file_make().id for _ in range(60)]
    paginator = AppPaginator(LibraryFile.objects.order_by("id"), 5)
    page = paginator.page(9)
    assert [row.id for row in page.object_list] == ids[40:45]
    assert page.has_next()


def test_a_list_is_counted_whole():
    paginator = AppPaginator(list(range(12_000)), 25)
    assert (paginator.count, paginator.count_capped) == (12_000, False)
