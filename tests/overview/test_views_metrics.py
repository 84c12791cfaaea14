"""``GET /metrics``: Prometheus' text format, read back by prometheus-client's own parser."""

import pytest
from django.urls import reverse
from prometheus_client.parser import text_string_to_metric_families

from musicquality.monitoring.rules import QueryOrigin
from musicquality.monitoring.runs import run_measured
from musicquality.monitoring.timing import library_queries_timed
from tests.conftest import LIBRARY_DBS
from tests.ui_fixtures import small_library_make
from upgrades.selectors import upgrade_candidates_count

pytestmark = pytest.mark.django_db(databases=LIBRARY_DBS)

OUTSIDE = "203.0.113.7"  # TEST-NET-3: not an allowed address
TOKEN = "s3cret-metrics-token-for-tests"
REQUIRED = {
    "musicquality_library_db_bytes",
    "musicquality_analysis_backlog_files",
    "musicquality_query_duration_seconds",
    "musicquality_migration_last_success",
    "musicquality_migration_duration_seconds",
    "musicquality_run_files_per_second",
    "musicquality_run_peak_rss_bytes",
    "musicquality_alert",
}


def families(text: str) -> dict:
    return {family.name: family for family in text_string_to_metric_families(text)}


def samples_of(family) -> dict[tuple, float]:
    return {(s.name, tuple(sorted(s.labels.items()))): s.value for s in family.samples}


def test_metrics_parse_and_hold_every_required_family_and_no_library_text(client, admin_user):
    library = small_library_make()
    client.force_login(admin_user)
    assert client.get(reverse("file_list"), {"q": "Alpha"}).status_code == 200
    with (
        run_measured(kind="identify") as run,
        library_queries_timed(query_name="identify_upgrades", origin=QueryOrigin.COMMAND),
    ):
        run.files = upgrade_candidates_count()

    response = client.get(reverse("metrics"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=")
    text = response.content.decode()
    found = families(text)
    assert set(found) >= REQUIRED
    assert found["musicquality_query_duration_seconds"].type == "histogram"
    alerts = {s.labels["name"]: s.value for s in found["musicquality_alert"].samples}
    assert alerts == {
        "database_size_above_500MB": 0,
        "analysis_backlog_above_1000": 0,
        "query_time_above_100ms": 0,
        "migration_failed": 0,
    }
    assert found["musicquality_analysis_backlog_files"].samples[0].value == 2  # EXPECTED
    query_counts = {
        (s.labels["query"], s.labels["origin"]): s.value
        for s in found["musicquality_query_duration_seconds"].samples
        if s.name.endswith("_count")
    }
    assert query_counts[("file_list", "page")] >= 1
    assert query_counts[("identify_upgrades", "command")] >= 1
    kinds = {s.labels["kind"] for s in found["musicquality_run_files_per_second"].samples}
    assert kinds == {"identify"}

    files = [library.flac, library.mp3_320, library.mp3_128, library.aac, library.wav_new]
    texts = {v for f in files for v in (f.file_path, f.filename, f.artist, f.title, f.album) if v}
    assert {"Alpha", "First Song"} <= texts  # the fixture has tags...
    for value in [*sorted(texts), admin_user.username, "/"]:
        assert value not in text, value  # ...and none of them is exposed


def test_histogram_buckets_are_cumulative_and_end_with_the_count(client, admin_user):
    small_library_make()
    client.force_login(admin_user)
    for _ in range(3):
        client.get(reverse("home"))
    histogram = families(client.get(reverse("metrics")).content.decode())[
        "musicquality_query_duration_seconds"
    ]
    home = [s for s in histogram.samples if s.labels.get("query") == "home"]
    buckets = [s.value for s in home if s.name.endswith("_bucket")]
    count = next(s.value for s in home if s.name.endswith("_count"))
    assert buckets == sorted(buckets) and buckets[-1] == count >= 3
    assert next(s.labels["le"] for s in home if s.name.endswith("_bucket")) == "0.0005"


def test_anonymous_access_from_outside_is_refused_without_the_token(client, settings):
    small_library_make()
    settings.METRICS_TOKEN = TOKEN
    response = client.get(reverse("metrics"), REMOTE_ADDR=OUTSIDE)
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert "musicquality_" not in response.content.decode()
    wrong = client.get(
        reverse("metrics"), REMOTE_ADDR=OUTSIDE, headers={"Authorization": "Bearer nope"}
    )
    assert wrong.status_code == 401
    right = client.get(
        reverse("metrics"), REMOTE_ADDR=OUTSIDE, headers={"Authorization": f"Bearer {TOKEN}"}
    )
    assert right.status_code == 200 and "musicquality_alert" in right.content.decode()


def test_no_token_is_accepted_while_none_is_set(client, settings):
    small_library_make()
    settings.METRICS_TOKEN = ""
    response = client.get(
        reverse("metrics"), REMOTE_ADDR=OUTSIDE, headers={"Authorization": "Bearer "}
    )
    assert response.status_code == 401


def test_loopback_is_allowed_unless_the_request_came_through_a_proxy(client):
    small_library_make()
    assert client.get(reverse("metrics"), REMOTE_ADDR="127.0.0.1").status_code == 200
    assert client.get(reverse("metrics"), REMOTE_ADDR="::1").status_code == 200
    proxied = client.get(
        reverse("metrics"), REMOTE_ADDR="127.0.0.1", headers={"X-Forwarded-For": OUTSIDE}
    )
    assert proxied.status_code == 401


def test_allowed_networks_come_from_the_setting(client, settings):
    small_library_make()
    settings.METRICS_ALLOWED_ADDRESSES = ["203.0.113.0/24"]
    assert client.get(reverse("metrics"), REMOTE_ADDR=OUTSIDE).status_code == 200
    assert client.get(reverse("metrics"), REMOTE_ADDR="127.0.0.1").status_code == 401


def test_staff_sessions_may_read_and_other_users_are_forbidden(client, django_user_model):
    small_library_make()
    user = django_user_model.objects.create_user(username="listener", password="a long phrase")
    client.force_login(user)
    assert client.get(reverse("metrics"), REMOTE_ADDR=OUTSIDE).status_code == 403
    user.is_staff = True
    user.save()
    assert client.get(reverse("metrics"), REMOTE_ADDR=OUTSIDE).status_code == 200
