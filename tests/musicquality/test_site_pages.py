"""The site's own pages: favicon, 404 and 500 in the layout, one date format everywhere."""

import struct

import pytest
from django.test import Client, override_settings

from tests.conftest import LIBRARY_DBS


def test_the_favicon_is_an_ico_served_without_login(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 200 and response["Content-Type"] == "image/x-icon"
    reserved, kind, count = struct.unpack("<HHH", response.content[:6])
    assert (reserved, kind, count) == (0, 1, 1)
    width, height = response.content[6], response.content[7]
    assert (width, height) == (32, 32)
    assert response.content[22:30] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.django_db(databases=LIBRARY_DBS)
def test_a_404_is_styled_with_the_nav(superuser_client):
    response = superuser_client.get("/files/999999/")
    assert response.status_code == 404
    html = response.content.decode()
    assert '<nav aria-label="main">' in html and "app.css" in html and 'id="not-found"' in html


@pytest.mark.django_db(databases=LIBRARY_DBS)
def test_a_500_is_styled_with_the_nav(admin_user):
    with override_settings(ROOT_URLCONF="tests.musicquality.failing_urls"):
        client = Client(raise_request_exception=False)
        client.force_login(admin_user)
        response = client.get("/failing/")
    assert response.status_code == 500
    html = response.content.decode()
    assert 'id="server-error"' in html and '<nav aria-label="main"' in html and "app.css" in html


@pytest.mark.django_db(databases=LIBRARY_DBS)
def test_the_admin_writes_dates_as_the_pages_do(superuser_client):
    from tests.factories import dedup_history_make

    row = dedup_history_make(deleted_at="2026-03-04T05:06:07+00:00")
    html = superuser_client.get(f"/admin/dedup/deduphistory/{row.pk}/change/").content.decode()
    assert "2026-03-04 05:06" in html
    listing = superuser_client.get("/admin/dedup/deduphistory/").content.decode()
    assert "2026-03-04 05:06" in listing and "March 4, 2026" not in listing


def test_share_counts_have_thousands_separators():
    from django.template.loader import render_to_string

    html = render_to_string(
        "musicquality/share.html",
        {"label": "Lossless", "count": 12345, "share": 61.7, "kind": "lossless", "id": "s"},
    )
    assert "12,345 · 61.7 %" in html


@pytest.mark.django_db(databases=LIBRARY_DBS)
def test_freed_space_has_one_unit_rule_on_dedup(superuser_client):
    from tests.factories import dedup_history_make

    dedup_history_make(file_size=11_324_620)  # 10.8 MB
    html = superuser_client.get("/dedup/").content.decode()
    reasons = html.split('id="reasons-table"', 1)[1].split("</table>", 1)[0]
    assert "10.8\xa0MB" in reasons and "GB freed" not in html
    sessions = html.split('id="sessions-table"', 1)[1].split("</table>", 1)[0]
    assert "10.8\xa0MB" in sessions
