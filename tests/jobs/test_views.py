"""The Jobs page, a job's page and the dry runs before a job moves files (immediate mode)."""

import re
from pathlib import Path

import pytest
from django.urls import reverse

from dedup.models import DedupHistory
from jobs.models import Job, JobKind, JobStatus
from jobs.services.queue import job_create
from quality.models import LibraryFile
from tests.conftest import LIBRARY_DBS

pytestmark = [
    pytest.mark.django_db(databases=LIBRARY_DBS, transaction=True),
    pytest.mark.usefixtures("clean_library"),
]


def scanned(music_files) -> dict[str, LibraryFile]:
    job_create(kind=JobKind.SCAN)
    job_create(kind=JobKind.ANALYZE)
    return {
        name: LibraryFile.objects.get(file_path=str(path)) for name, path in music_files.items()
    }


def test_staff_start_a_scan_from_the_jobs_page_and_land_on_its_page(superuser_client, music_files):
    page = superuser_client.get(reverse("jobs")).content.decode()
    assert 'id="start-scan"' in page and "Scan now" in page
    response = superuser_client.post(reverse("job_start"), {"kind": "scan"})
    job = Job.objects.get()
    assert response.status_code == 302 and response.url == reverse("job_detail", args=[job.pk])
    assert job.status == JobStatus.DONE and job.created_by.username == "admin"
    detail = superuser_client.get(response.url).content.decode()
    assert f'data-job-url="/api/jobs/{job.pk}/"' in detail
    assert '<progress class="job-progress" value="3" max="3">' in detail
    assert job.message in detail and 'href="/files/"' in detail
    history = superuser_client.get(reverse("jobs")).content.decode()
    assert f'data-id="{job.pk}" data-status="done"' in history


def test_users_who_are_not_staff_see_the_queue_but_start_nothing(reader_client, music_files):
    page = reader_client.get(reverse("jobs")).content.decode()
    assert "Scan now" not in page
    assert reader_client.post(reverse("job_start"), {"kind": "scan"}).status_code == 403
    assert reader_client.post(reverse("job_dedupe_plan"), {"keeper": "1"}).status_code == 403
    assert Job.objects.count() == 0


def test_a_kind_that_moves_files_cannot_be_started_by_a_button(superuser_client, music_files):
    response = superuser_client.post(reverse("job_start"), {"kind": "dedupe"}, follow=True)
    assert "cannot be started here" in response.content.decode()
    assert Job.objects.count() == 0


def test_running_and_failed_jobs_are_listed(superuser_client, music_root):
    queued = Job.objects.create(kind=JobKind.ANALYZE)
    failed = job_create(kind=JobKind.SCAN, arguments={"paths": [str(music_root / "missing")]})
    page = superuser_client.get(reverse("jobs")).content.decode()
    active = page.split('id="active"', 1)[1].split("</section>", 1)[0]
    assert f'id="job-{queued.pk}"' in active and 'data-status="queued"' in active
    errors = page.split('id="errors"', 1)[1].split("</section>", 1)[0]
    assert failed.message in errors


def test_cancel_from_a_jobs_page(superuser_client):
    job = Job.objects.create(kind=JobKind.ANALYZE)
    superuser_client.post(reverse("job_cancel", args=[job.pk]))
    assert Job.objects.get(pk=job.pk).status == JobStatus.CANCELLED


def test_the_quarantine_dry_run_shows_each_move_then_the_confirmation_runs_it(
    superuser_client, music_files, tmp_path
):
    rows = scanned(music_files)
    choice = {"keeper": rows["copy"].id, "remove": [rows["flac"].id, rows["copy"].id]}
    plan = superuser_client.post(reverse("job_dedupe_plan"), choice)
    assert plan.status_code == 200
    html = plan.content.decode()
    assert f'<code class="mono" id="plan-keeper">{music_files["copy"]}</code>' in html
    destination = tmp_path / "quarantine" / "&lt;session&gt;" / str(music_files["flac"]).lstrip("/")
    assert str(destination) in html
    assert plan.context["remove"] == [rows["flac"].id]  # the keeper is never removed
    assert music_files["flac"].is_file() and Job.objects.filter(kind="dedupe").count() == 0

    confirmed = superuser_client.post(
        reverse("job_dedupe_start"), {"keeper": rows["copy"].id, "remove": rows["flac"].id}
    )
    job = Job.objects.get(kind=JobKind.DEDUPE)
    assert confirmed.url == reverse("job_detail", args=[job.pk])
    assert job.status == JobStatus.DONE, job.message
    assert not music_files["flac"].exists()
    session = DedupHistory.objects.get().deletion_session_id
    assert 'id="recover-session"' in superuser_client.get(confirmed.url).content.decode()

    recovery = superuser_client.post(reverse("job_recover_plan"), {"session": session})
    html = recovery.content.decode()
    assert f'<td class="path">{music_files["flac"]}</td>' in html and "Recover 1 file" in html
    assert not music_files["flac"].exists()
    superuser_client.post(reverse("job_recover_start"), {"session": session})
    recovered = Job.objects.get(kind=JobKind.RECOVER)
    assert recovered.status == JobStatus.DONE, recovered.message
    assert music_files["flac"].is_file()


def test_a_dry_run_of_files_in_no_group_goes_back_with_the_reason(superuser_client, music_files):
    rows = scanned(music_files)
    response = superuser_client.post(
        reverse("job_dedupe_plan"),
        {"keeper": rows["mp3"].id, "remove": [rows["flac"].id]},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == reverse("dedup_review")
    assert f"file {rows['mp3'].id} is in no duplicate group now" in response.content.decode()


def test_a_recovery_dry_run_says_what_would_not_come_back(superuser_client, music_files):
    rows = scanned(music_files)
    job_create(
        kind=JobKind.DEDUPE,
        arguments={"groups": [{"keeper": rows["flac"].id, "remove": [rows["copy"].id]}]},
    )
    history = DedupHistory.objects.get()
    Path(music_files["copy"]).write_bytes(b"a new file at the old place")
    html = superuser_client.post(
        reverse("job_recover_plan"), {"history_id": history.pk}
    ).content.decode()
    assert "already exists: it is never overwritten" in html
    assert "confirm-recover" not in html
    assert re.search(r'class="problem"', html)
