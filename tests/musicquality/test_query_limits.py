"""Query parameters a careless user or an attacker may send: never a 500.

Page sizes are cut to 1–100 (nothing or less than 1: the default), a page past either end is
the nearest one, a search of more words than the database can combine is refused with a
400 that says so (the admin's search is cut to the same number of words).
"""

import re

import pytest

from tests.conftest import LIBRARY_DBS
from tests.factories import dedup_history_make, library_file_make

pytestmark = pytest.mark.django_db(databases=LIBRARY_DBS)

LISTS = [
    ("/files/", "per_page", "page"),
    ("/upgrades/candidates/", "per_page", "page"),
    ("/dedup/", "s-per_page", "s-page"),
    ("/jobs/", "h-per_page", "h-page"),
    ("/dedup/decisions/", "a-per_page", "a-page"),
    ("/dedup/decisions/", "u-per_page", "u-page"),
]
API_LISTS = ["/api/files/", "/api/jobs/", "/api/upgrades/candidates/", "/api/duplicates/"]
HOSTILE_NUMBERS = ["-1", "0", "1000000", "99999999999999999999999999", "abc", "1e3", ""]
THOUSAND_WORDS = " ".join(f"w{n}" for n in range(1000))


@pytest.fixture
def many_rows():
    for n in range(120):
        library_file_make(artist=f"Artist {n:03d}")
    for n in range(30):
        dedup_history_make(deletion_session_id=f"session-{n:03d}")


def body_rows(html: str) -> int:
    return (
        len(re.findall(r"<tr ", html.split("<tbody")[1].split("</tbody>")[0]))
        if ("<tbody" in html)
        else 0
    )


@pytest.mark.parametrize(("path", "per_page", "page"), LISTS)
@pytest.mark.parametrize("value", HOSTILE_NUMBERS)
def test_hostile_page_sizes_are_clamped(superuser_client, many_rows, path, per_page, page, value):
    response = superuser_client.get(path, {per_page: value})
    assert response.status_code == 200
    assert response.content.decode().count("<tbody") >= 1


@pytest.mark.parametrize("value", HOSTILE_NUMBERS)
def test_hostile_group_pages_on_the_dedup_dashboard_answer(superuser_client, many_rows, value):
    """/dedup/ pages its duplicate groups by ``g-page`` (the pairs moved to /dedup/pairs/)."""
    response = superuser_client.get("/dedup/", {"g-page": value})
    assert response.status_code == 200


@pytest.mark.parametrize("token", ["", "x", "!!!", "W10", "WyJhIiwgMV0", "A" * 10000, "eyJhIjoxfQ"])
def test_a_damaged_pairs_position_is_the_first_page(superuser_client, many_rows, token):
    first = superuser_client.get("/dedup/pairs/")
    response = superuser_client.get("/dedup/pairs/", {"p-after": token, "p-before": token})
    assert response.status_code == 200
    assert body_rows(response.content.decode()) == body_rows(first.content.decode())


@pytest.mark.parametrize("value", ["1000000", "101"])
def test_a_page_size_above_the_cap_shows_the_cap(superuser_client, many_rows, value):
    response = superuser_client.get("/files/", {"per_page": value})
    assert body_rows(response.content.decode()) == 100


@pytest.mark.parametrize(("path", "per_page", "page"), LISTS)
@pytest.mark.parametrize("value", ["-3", "0", "999999", "99999999999999999999999999", "x"])
def test_a_page_out_of_range_is_the_nearest_page(
    superuser_client, many_rows, path, per_page, page, value
):
    assert superuser_client.get(path, {page: value}).status_code == 200


def test_a_search_of_too_many_words_is_refused_with_a_message(superuser_client, many_rows):
    response = superuser_client.get("/files/", {"q": THOUSAND_WORDS})
    assert response.status_code == 400
    assert "at most 10 words" in response.content.decode()
    ten = " ".join(["Artist"] * 10)
    assert superuser_client.get("/files/", {"q": ten}).status_code == 200


@pytest.mark.parametrize(
    "path", ["/admin/dedup/deduphistory/", "/admin/upgrades/upgradecandidate/"]
)
def test_the_admin_search_of_too_many_words_is_cut(superuser_client, many_rows, path):
    response = superuser_client.get(path, {"q": THOUSAND_WORDS})
    assert response.status_code == 200


@pytest.mark.parametrize("path", API_LISTS)
@pytest.mark.parametrize("value", HOSTILE_NUMBERS)
def test_the_apis_hostile_page_sizes_and_pages_are_clamped(
    superuser_client, many_rows, path, value
):
    for query in ({"per_page": value}, {"page": value}):
        response = superuser_client.get(path, query)
        assert response.status_code == 200, (query, response.content[:200])
        assert "results" in response.json()


def test_the_apis_pages_hold_1_to_100_rows_and_a_page_past_the_end_is_the_last(
    superuser_client, many_rows
):
    def rows(**query) -> list:
        return superuser_client.get("/api/files/", query).json()["results"]

    assert len(rows()) == 50
    assert len(rows(per_page="7")) == 7
    assert len(rows(per_page="-1")) == len(rows(per_page="0")) == 50
    assert len(rows(per_page="1000000")) == 100
    assert rows(page="999999", per_page="100") == rows(page="2", per_page="100")
    assert len(rows(page="2", per_page="100")) == 20  # 120 files


def test_the_duplicates_page_out_of_range_is_the_nearest_page(superuser_client, many_rows):
    for value in ["-3", "0", "999999", "x"]:
        assert superuser_client.get("/dedup/review/", {"page": value}).status_code == 200


def test_the_apis_search_of_too_many_words_is_a_400(superuser_client, many_rows):
    response = superuser_client.get("/api/files/", {"q": THOUSAND_WORDS})
    assert response.status_code == 400
    assert "at most 10 words" in response.content.decode()
