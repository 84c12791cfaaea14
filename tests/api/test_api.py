"""The JSON API (immediate mode: a job runs inside the request that asks for it)."""

import re

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from rest_framework.authtoken.models import Token

from dedup.models import DuplicateDecision
from dedup.selectors import duplicate_groups_suggested
from jobs.models import Job, JobKind, JobStatus
from jobs.services.queue import job_create
from quality.models import LibraryFile
from tests.conftest import LIBRARY_DBS
from tests.factories import file_quality_make, library_file_make
from upgrades.models import UpgradeCandidate
from upgrades.services import upgrade_candidates_identify

pytestmark = [
    pytest.mark.django_db(databases=LIBRARY_DBS, transaction=True),
    pytest.mark.usefixtures("clean_library"),
]

JOB_KEYS = {"id", "kind", "status", "done", "total", "message"}


def post(client, url, data):
    return client.post(url, data, content_type="application/json")


def staff_token_client() -> Client:
    staff = User.objects.create_user("script", password="script-password-123", is_staff=True)
    return Client(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=staff).key}")


def test_anonymous_requests_are_refused_everywhere(client):
    for url in ("/api/jobs/", "/api/jobs/1/", "/api/files/", "/api/files/1/", "/api/duplicates/",
                "/api/decisions/", "/api/upgrades/candidates/"):  # fmt: skip
        response = client.get(url)
        assert response.status_code == 401, url
        assert response.headers["WWW-Authenticate"] == "Token"
    for url in ("/api/jobs/", "/api/jobs/1/cancel/", "/api/decisions/",
                "/api/upgrades/candidates/triage/"):  # fmt: skip
        assert post(client, url, {"kind": "scan"}).status_code == 401, url
    assert Job.objects.count() == 0


def test_users_who_are_not_staff_read_but_change_nothing(reader_client, music_files):
    assert reader_client.get("/api/jobs/").status_code == 200
    response = post(reader_client, "/api/jobs/", {"kind": "scan"})
    assert response.status_code == 403
    assert "staff only" in response.json()["detail"]
    for url in ("/api/jobs/1/cancel/", "/api/decisions/", "/api/upgrades/candidates/triage/"):
        assert post(reader_client, url, {}).status_code == 403, url
    assert Job.objects.count() == 0


def test_a_scan_through_the_api_is_accepted_with_the_job(superuser_client, music_files, music_root):
    response = post(superuser_client, "/api/jobs/", {"kind": "scan", "paths": [str(music_root)]})
    assert response.status_code == 202
    job = response.json()
    assert set(job) >= JOB_KEYS
    assert (job["kind"], job["status"], job["done"], job["total"]) == ("scan", "done", 3, 3)
    assert job["created_by"] == "admin" and job["requested_via"] == "api"
    assert job["page"] == f"/jobs/{job['id']}/"
    again = superuser_client.get(f"/api/jobs/{job['id']}/").json()
    assert again == job
    listed = superuser_client.get("/api/jobs/").json()
    assert listed["count"] == 1 and listed["results"][0]["id"] == job["id"]
    assert LibraryFile.objects.filter(is_active=True).count() == 3


def test_a_scan_outside_the_library_roots_is_refused_with_a_message(
    superuser_client, music_root, tmp_path
):
    response = post(superuser_client, "/api/jobs/", {"kind": "scan", "paths": [str(tmp_path)]})
    assert response.status_code == 400
    assert response.json() == {
        "detail": f"{tmp_path} is outside MUSICQUALITY_LIBRARY_ROOTS ({music_root}): refused"
    }
    assert post(superuser_client, "/api/jobs/", {"paths": []}).status_code == 400
    assert post(superuser_client, "/api/jobs/", {"kind": "format_disk"}).status_code == 400
    assert Job.objects.count() == 0


def test_cancel_a_queued_job_then_a_finished_one(superuser_client, music_root):
    queued = job_create(kind=JobKind.ANALYZE, enqueue=False)
    response = post(superuser_client, f"/api/jobs/{queued.pk}/cancel/", {})
    assert response.status_code == 202
    assert response.json()["status"] == "cancelled"
    again = post(superuser_client, f"/api/jobs/{queued.pk}/cancel/", {})
    assert again.status_code == 409
    assert again.json()["detail"] == f"job #{queued.pk} is already cancelled: nothing to cancel"
    assert post(superuser_client, "/api/jobs/999/cancel/", {}).status_code == 404


def test_scripts_use_a_token_without_csrf_and_the_pages_session_is_csrf_checked(
    music_files, admin_user
):
    token_client = staff_token_client()
    assert post(token_client, "/api/jobs/", {"kind": "scan"}).status_code == 202

    browser = Client(enforce_csrf_checks=True)
    browser.force_login(admin_user)
    assert post(browser, "/api/jobs/", {"kind": "scan"}).status_code == 403  # no CSRF token
    page = browser.get("/jobs/").content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    response = browser.post(
        "/api/jobs/", {"kind": "scan"}, content_type="application/json", HTTP_X_CSRFTOKEN=token
    )
    assert response.status_code == 202
    assert Job.objects.filter(status=JobStatus.DONE).count() == 2


def test_files_take_the_filters_of_the_files_page(superuser_client):
    for index, (fmt, score) in enumerate([("flac", 90.0), ("mp3", 40.0), ("mp3", 70.0)]):
        row = library_file_make(artist=f"Band {index}0", title="Tune", file_format=fmt)
        file_quality_make(row, quality_score=score, file_format=fmt)
    library_file_make(artist="Gone", is_active=False)
    for query in ({}, {"file_format": "mp3"}, {"score_min": "50"}, {"q": "band 10"}):
        api = superuser_client.get("/api/files/", query).json()
        page = superuser_client.get(reverse("file_list"), query).context["table"].paginator.count
        assert api["count"] == page, query
    (one,) = superuser_client.get("/api/files/", {"q": "band 10"}).json()["results"]
    assert one["artist"] == "Band 10" and one["quality"]["quality_score"] == 40.0


def test_a_files_details_hold_its_duplicate_groups(superuser_client, dedup_library):
    wav = dedup_library.rows["b_wav"]
    data = superuser_client.get(f"/api/files/{wav.id}/").json()
    assert data["file_path"] == wav.file_path and data["quality"]["quality_score"] == 40.0
    (group,) = data["duplicate_groups"]
    assert group["keeper"]["library_id"] == dedup_library.rows["b_flac"].id
    assert group["keeper_rule"] == "highest quality score (85; next best 40)"
    assert data["upgrade_candidate"] is None and data["dedup_history"] == []
    assert superuser_client.get("/api/files/99999/").status_code == 404


def test_duplicate_groups_and_a_keep_both_decision(superuser_client, dedup_library):
    groups = superuser_client.get("/api/duplicates/").json()
    report = duplicate_groups_suggested()
    assert groups["count"] == len(report.groups) and groups["files"] == report.files
    flac, wav = dedup_library.rows["b_flac"], dedup_library.rows["b_wav"]
    made = post(
        superuser_client, "/api/decisions/", {"file_ids": [flac.id, wav.id], "note": "phone"}
    )
    assert made.status_code == 201
    decision = made.json()
    assert decision["kind"] == "keep_both" and len(decision["files"]) == 2
    after = superuser_client.get("/api/duplicates/").json()
    assert after["count"] == groups["count"] - 1 and after["kept_by_decision"] == 1
    assert superuser_client.get("/api/decisions/").json()[0]["id"] == decision["id"]
    undone = post(superuser_client, f"/api/decisions/{decision['id']}/undo/", {})
    assert undone.status_code == 200 and undone.json()["undone_at"]
    assert DuplicateDecision.objects.get().undone_by.username == "admin"
    refused = post(superuser_client, "/api/decisions/", {"file_ids": [flac.id]})
    assert refused.status_code == 400


def candidates_make() -> list[UpgradeCandidate]:
    """Two candidates, the lower score first (it has the higher priority)."""
    for index, score in enumerate((20.0, 60.0)):
        file_quality_make(library_file_make(artist=f"Band {index}"), quality_score=score)
    upgrade_candidates_identify(streaming_db=None)
    return list(UpgradeCandidate.objects.order_by("current_quality_score"))


def test_candidates_by_priority_and_their_triage(superuser_client):
    high, low = candidates_make()
    listed = superuser_client.get("/api/upgrades/candidates/").json()
    assert [c["id"] for c in listed["results"]] == [high.pk, low.pk]
    response = post(
        superuser_client,
        "/api/upgrades/candidates/triage/",
        {"ids": [high.pk], "action": "approved", "note": "buy"},
    )
    assert response.json() == {"action": "approved", "changed": 1, "unchanged": 0}
    assert UpgradeCandidate.objects.get(pk=high.pk).user_action == "approved"
    approved = superuser_client.get("/api/upgrades/candidates/", {"user_action": "approved"})
    assert [c["id"] for c in approved.json()["results"]] == [high.pk]
    bad = post(
        superuser_client, "/api/upgrades/candidates/triage/", {"ids": [low.pk], "action": "burn"}
    )
    assert bad.status_code == 400 and "use one of pending" in bad.json()["detail"]
