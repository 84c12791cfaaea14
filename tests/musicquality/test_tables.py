"""``AppTable`` writes each table body in Python: it must give the HTML django-tables2 gives."""

import re

import pytest
from django.urls import reverse

from tests.conftest import LIBRARY_DBS
from tests.factories import file_quality_make, library_file_make
from tests.ui_fixtures import small_library_make

DJANGO_TABLES2_TEMPLATE = "django_tables2/table.html"
PAGES = [  # url name, query, table's context name, what its body starts with
    ("file_list", {}, "table", "<tr"),
    ("file_list", {"sort": "-quality_score"}, "table", "<tr"),
    ("file_list", {"q": "no such file anywhere"}, "table", ""),
    ("dedup_dashboard", {}, "sessions_table", "<tr"),
    ("dedup_pairs", {}, "pairs_table", "<tr"),
    ("upgrades:candidates", {}, "table", "<tr"),
    ("upgrades:candidates", {"score_from": "1000"}, "table", '<tr><td colspan="10">No candidates'),
    ("jobs", {}, "history", "<tr"),
    ("dedup_decisions", {}, "active", "<tr"),
    ("dedup_decisions", {}, "undone", '<tr><td colspan="7">No decision.'),
]


def jobs_and_decisions_make() -> None:
    """A finished job and a keep-both decision with a path that needs escaping."""
    from django.utils import timezone

    from dedup.models import DuplicateDecision, DuplicateDecisionFile
    from jobs.models import Job, JobStatus

    Job.objects.create(
        kind="scan", status=JobStatus.FAILED, message='<b>"x" & y</b>', finished_at=timezone.now()
    )
    decision = DuplicateDecision.objects.create(note="phone & <car>")
    DuplicateDecisionFile.objects.create(
        decision=decision, library_file_id=1, file_path="/m/<a> & b.mp3", file_content_hash="h"
    )


def tbody(html: str) -> str:
    body = re.search(r"<tbody[^>]*>(.*?)</tbody>", html, re.S).group(1)
    # A form's CSRF token is masked anew for each rendering.
    body = re.sub(r'(name="csrfmiddlewaretoken" value=")[^"]+', r"\1…", body)
    return re.sub(r"\s+", " ", re.sub(r">\s+<", "><", body)).strip()


@pytest.mark.django_db(databases=LIBRARY_DBS)
@pytest.mark.parametrize(("url_name", "query", "table_name", "starts"), PAGES)
def test_the_body_is_the_one_django_tables2_renders(
    superuser_client, monkeypatch, url_name, query, table_name, starts
):
    small_library_make()
    odd = library_file_make(artist='AC/DC & "<Friends>"', title=None, album="Ünïcode ’ album")
    file_quality_make(odd, quality_score=12.345)
    jobs_and_decisions_make()

    def body() -> tuple[str, type]:
        response = superuser_client.get(reverse(url_name), query)
        assert response.status_code == 200
        table = response.context[table_name]
        html = response.content.decode().split(f'id="{table.attrs["id"]}"', 1)[1]
        return tbody(html), type(table)

    ours, table_class = body()
    monkeypatch.setattr(table_class._meta, "template_name", DJANGO_TABLES2_TEMPLATE)
    theirs, _ = body()
    assert ours == theirs
    assert ours.startswith(starts) and (ours == "") == (starts == "")
