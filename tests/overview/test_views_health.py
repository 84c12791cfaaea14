import json

import pytest
from django.urls import reverse

from musicquality.schema import SCHEMA_VERSION
from tests.conftest import LIBRARY_DBS
from tests.ui_fixtures import EXPECTED, small_library_make


@pytest.mark.django_db(databases=LIBRARY_DBS)
def test_health_needs_no_login_and_reports_counts(client):
    library = small_library_make()
    response = client.get(reverse("health"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    data = response.json()
    assert data["status"] == "ok"
    assert data["schema_version"] == SCHEMA_VERSION
    assert data["row_counts"] == {
        "library_index": 8,
        "library_index_active": 7,
        "file_quality": 7,
        "dedup_history": 5,
        "upgrade_candidates": 1,
    }
    assert data["analysis_backlog"] == EXPECTED["backlog"]
    assert data["database_size_bytes"] > 0
    assert data["alerts"] == []
    assert library.flac.file_path  # the fixture has paths...


@pytest.mark.django_db(databases=LIBRARY_DBS)
def test_health_contains_no_path_and_no_personal_data(client, admin_user):
    library = small_library_make()
    body = client.get(reverse("health")).content.decode()
    for text in ("/music", "/", "Alpha", "Second Song", admin_user.username, "tidal"):
        assert text not in json.dumps(json.loads(body)), text
    assert library.flac.file_path not in body


@pytest.mark.django_db(databases=LIBRARY_DBS)
def test_health_raises_the_backlog_alert(client, settings):
    small_library_make()
    settings.ALERT_BACKLOG_FILES = 1
    assert client.get(reverse("health")).json()["alerts"] == ["analysis_backlog_above_1000"]


@pytest.mark.django_db(databases=LIBRARY_DBS)
def test_health_counts_the_verification_backlog_and_verdicts(client):
    small_library_make()
    data = client.get(reverse("health")).json()
    assert data["verification_backlog"] == EXPECTED["files"]  # nothing verified yet
    assert data["verdicts"] == dict.fromkeys(
        ["ok", "lossy_source", "upsampled", "padded_bits", "damaged", "inconclusive"], 0
    )
