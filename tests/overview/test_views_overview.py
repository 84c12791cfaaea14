import re

import pytest
from django.urls import URLResolver, get_resolver, reverse

from tests.conftest import LIBRARY_DBS
from tests.factories import file_quality_make, library_file_make
from tests.quality.helpers import file_list_walk
from tests.ui_fixtures import EXPECTED


@pytest.mark.django_db(databases=LIBRARY_DBS)
def test_overview_context_matches_the_fixture_library(client, admin_user, small_library):
    client.force_login(admin_user)
    response = client.get(reverse("home"))
    assert response.status_code == 200
    o = response.context["overview"]
    assert o.files == EXPECTED["files"]
    assert o.total_size == EXPECTED["total_size"]
    assert o.analysed == EXPECTED["analysed"]
    assert (o.lossless, o.lossy, o.hires) == (2, 4, 1)
    assert o.lossless_share == pytest.approx(100 * 2 / 6)
    assert o.backlog == EXPECTED["backlog"]
    assert not o.backlog_warn
    assert o.db_size > 0 and not o.db_size_warn
    formats = {
        row.file_format: (row.file_count, row.avg_score, row.lossless_count, row.hires_count)
        for row in o.formats
    }
    assert formats.keys() == EXPECTED["formats"].keys()
    for fmt, (count, avg, lossless, hires) in EXPECTED["formats"].items():
        assert formats[fmt] == (count, pytest.approx(avg), lossless, hires)
    assert [row.file_format for row in o.formats] == ["mp3", "flac", "m4a"]
    bins = dict(o.score_bins)
    assert len(bins) == 10
    assert {label: n for label, n in bins.items() if n} == EXPECTED["score_bins"]
    assert o.last_scan.files == 7 and o.last_scan.files_per_second == pytest.approx(14)
    assert o.last_analysis is not None


@pytest.mark.django_db(databases=LIBRARY_DBS)
def test_overview_page_shows_the_figures_and_a_chart(client, admin_user, small_library):
    client.force_login(admin_user)
    html = client.get(reverse("home")).content.decode()
    assert 'id="files-count">7<' in html
    assert "<svg" in html and 'data-label="80–90" data-value="3"' in html
    assert 'href="/files/?file_format=flac"' in html


@pytest.mark.django_db(databases=LIBRARY_DBS)
def test_overview_warns_above_the_backlog_alert(client, admin_user, settings, small_library):
    settings.ALERT_BACKLOG_FILES = 1
    client.force_login(admin_user)
    response = client.get(reverse("home"))
    assert response.context["overview"].backlog_warn
    assert 'id="backlog-alert"' in response.content.decode()


@pytest.mark.django_db(databases=LIBRARY_DBS)
def test_overview_of_an_empty_library(client, admin_user):
    client.force_login(admin_user)
    response = client.get(reverse("home"))
    o = response.context["overview"]
    assert (o.files, o.total_size, o.analysed, o.backlog) == (0, 0, 0, 0)
    assert o.lossless_share == 0 and o.last_scan is None and o.last_analysis is None
    assert "never: run" in response.content.decode()


PUBLIC_URL_NAMES = {"login", "logout", "health", "metrics", "favicon"}  # metrics: its own rule


def site_page_urls() -> list[str]:
    """Every page of the project's own URLconf (the admin has its own login)."""
    urls = []

    def walk(patterns, prefix):
        for entry in patterns:
            if isinstance(entry, URLResolver):
                if entry.app_name != "admin":
                    walk(entry.url_patterns, prefix + str(entry.pattern))
            elif entry.name not in PUBLIC_URL_NAMES:
                route = re.sub(r"<int:\w+>", "1", prefix + str(entry.pattern))
                urls.append("/" + route)

    walk(get_resolver().url_patterns, "")
    return urls


def test_every_page_is_checked():
    assert {"/", "/files/", "/files/1/", "/dedup/"} <= set(site_page_urls())


@pytest.mark.django_db(databases=LIBRARY_DBS)
@pytest.mark.parametrize("url", site_page_urls())
def test_anonymous_users_are_sent_to_the_login_page(client, url):
    response = client.get(url)
    if url.startswith("/api/"):  # scripts get no login form: 401 (tests/api/test_api.py)
        assert response.status_code == 401
        return
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login") + "?next=")


@pytest.mark.django_db(databases=LIBRARY_DBS)
def test_login_page_then_overview(client, django_user_model):
    django_user_model.objects.create_user(username="ana", password="a long pass phrase")
    assert client.get(reverse("login")).status_code == 200
    response = client.post(
        reverse("login"), {"username": "ana", "password": "a long pass phrase"}, follow=True
    )
    assert response.redirect_chain[-1][0] == reverse("home")
    assert "Log out" in response.content.decode()


@pytest.mark.django_db(databases=LIBRARY_DBS)
def test_overview_histogram_bins_are_half_open_at_their_edges(client, admin_user):
    scores = {0.0: "0–10", 9.99: "0–10", 10.0: "10–20", 89.9: "80–90", 90.0: "90–100"}
    for score in scores:
        file_quality_make(library_file_make(), quality_score=score)
    file_quality_make(library_file_make(), quality_score=100.0)
    file_quality_make(library_file_make(is_active=False), quality_score=10.0)
    file_quality_make(library_file_make(is_active=None), quality_score=95.0)
    client.force_login(admin_user)
    bins = dict(client.get(reverse("home")).context["overview"].score_bins)
    assert {label: n for label, n in bins.items() if n} == {
        "0–10": 2,
        "10–20": 1,
        "80–90": 1,
        "90–100": 2,
    }


@pytest.mark.django_db(databases=LIBRARY_DBS)
def test_overview_counts_verdicts_and_the_verification_backlog(superuser_client, small_library):
    from tests.overview.test_views_file_detail import verification_make

    verification_make(small_library.flac, verdict="lossy_source")
    verification_make(small_library.aac, verdict="damaged")
    verification_make(small_library.gone, verdict="damaged")  # inactive: counted nowhere
    verification_make(small_library.mp3_320, verdict="ok", verifier_version="old")  # stale
    overview = superuser_client.get(reverse("home")).context["overview"]
    assert overview.verdicts["lossy_source"] == 1
    assert overview.verdicts["damaged"] == 1
    assert overview.verdicts["ok"] == 0
    assert overview.verified == 2
    assert overview.verification_backlog == EXPECTED["files"] - 2
    html = superuser_client.get(reverse("home")).content.decode()
    assert 'href="/files/?verdict=lossy_source"' in html


@pytest.mark.django_db(databases=LIBRARY_DBS)
def test_next_step_cards_link_to_lists_with_the_same_counts(superuser_client, small_library):
    from tests.overview.test_views_file_detail import verification_make

    verification_make(small_library.flac, verdict="damaged")
    response = superuser_client.get(reverse("home"))
    steps = {step.key: step for step in response.context["next_steps"]}
    assert {"upgrades", "duplicates", "damaged"} <= set(steps)
    html = response.content.decode()
    for step in steps.values():
        assert f'href="{step.url}" id="next-{step.key}" data-count="{step.count}"' in html
    changelist = superuser_client.get(steps["upgrades"].url)
    assert changelist.context["cl"].result_count == steps["upgrades"].count == 1
    dedup = superuser_client.get(steps["duplicates"].url.split("#")[0])
    assert dedup.context["groups"].groups == steps["duplicates"].count > 0
    assert files_listed(superuser_client, steps["damaged"].url) == steps["damaged"].count == 1


def files_listed(client, url: str) -> int:
    """How many files ``/files/`` lists at ``url``, every page followed."""
    return len(file_list_walk(client, url + ("&" if "?" in url else "?") + "per_page=100"))


@pytest.mark.django_db(databases=LIBRARY_DBS)
def test_histogram_bars_and_format_rows_link_to_the_filtered_file_list(
    superuser_client, small_library
):
    from tests.factories import file_quality_make, library_file_make

    alac = library_file_make(file_format="m4a")
    file_quality_make(alac, codec="ALAC", is_lossless=True, bit_depth=16, quality_score=85.0)
    response = superuser_client.get(reverse("home"))
    chart = response.context["score_chart"]
    for bar in chart.bars:
        listed = files_listed(superuser_client, bar.url)
        assert listed == bar.value, bar.label
    html = response.content.decode()
    # m4a holds AAC (the fixture's) and ALAC: one row each, linking to that codec's files
    assert 'data-format="m4a" data-codec="ALAC"' in html and 'data-codec="AAC"' in html
    alac_only = superuser_client.get("/files/", {"file_format": "m4a", "codec": "ALAC"})
    assert [row.record.pk for row in alac_only.context["table"].rows] == [alac.pk]
