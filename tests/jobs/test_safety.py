"""Issue 15's rules on the ways issue 13 added to move files (jobs, the review page's dry runs
and confirmations, the API): a quarantine overlapping a library root is refused when the job
is asked for and again when it runs, a keeper outside the roots stops its group, a
quarantine path the system cannot create is shown before anything moves, and a job's log
and message hold any file name on one line."""

import os
import shutil

import pytest
from django.urls import reverse

from dedup.models import DedupHistory
from jobs.models import Job, JobKind, JobStatus
from jobs.services.kinds import JobRefused
from jobs.services.queue import job_create
from jobs.services.run import JobReporter, job_execute
from quality.models import LibraryFile
from tests.conftest import LIBRARY_DBS
from tests.dedup.helpers import tree_checksum

pytestmark = [
    pytest.mark.django_db(databases=LIBRARY_DBS, transaction=True),
    pytest.mark.usefixtures("clean_library"),
]

OVERLAP = "overlaps the library root"


def scanned(music_files) -> dict[str, LibraryFile]:
    assert job_create(kind=JobKind.SCAN).status == JobStatus.DONE
    assert job_create(kind=JobKind.ANALYZE).status == JobStatus.DONE
    return {
        name: LibraryFile.objects.get(file_path=str(path)) for name, path in music_files.items()
    }


def quarantine_of_one_session(music_files) -> DedupHistory:
    rows = scanned(music_files)
    job = job_create(
        kind=JobKind.DEDUPE,
        arguments={"groups": [{"keeper": rows["flac"].id, "remove": [rows["copy"].id]}]},
    )
    assert job.status == JobStatus.DONE, job.message
    return DedupHistory.objects.get()


def overlap_make(settings, tmp_path) -> None:
    """A library root that holds the quarantine folder (``tmp_path/quarantine``)."""
    settings.LIBRARY_ROOTS = [*settings.LIBRARY_ROOTS, tmp_path]


@pytest.mark.parametrize(
    ("kind", "arguments"),
    [
        (JobKind.DEDUPE, {"min_confidence": 1.0}),
        (JobKind.DEDUPE, {"groups": [{"keeper": 1, "remove": [2]}]}),
        (JobKind.RECOVER, {"session": "a-session"}),
        (JobKind.RECOVER, {"ids": [1]}),
        (JobKind.IMPORT_APPLY, {"vetting": 1, "files": [1], "into": "/music/Imported"}),
    ],
)
def test_a_job_that_moves_files_is_refused_when_the_quarantine_overlaps_a_root(
    music_root, settings, tmp_path, superuser_client, kind, arguments
):
    overlap_make(settings, tmp_path)
    with pytest.raises(JobRefused, match=OVERLAP):
        job_create(kind=kind, arguments=arguments)
    response = superuser_client.post(
        "/api/jobs/", {"kind": kind, **arguments}, content_type="application/json"
    )
    assert response.status_code == 400 and OVERLAP in response.json()["detail"]
    assert Job.objects.count() == 0


def test_a_dedupe_job_asked_before_the_overlap_fails_when_it_runs_and_moves_nothing(
    music_files, settings, tmp_path
):
    rows = scanned(music_files)
    job = job_create(
        kind=JobKind.DEDUPE,
        arguments={"groups": [{"keeper": rows["flac"].id, "remove": [rows["copy"].id]}]},
        enqueue=False,
    )
    overlap_make(settings, tmp_path)
    before = tree_checksum(tmp_path)
    job_execute(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED and OVERLAP in job.message
    assert tree_checksum(tmp_path) == before and DedupHistory.objects.count() == 0


def test_a_recover_job_asked_before_the_overlap_fails_when_it_runs_and_moves_nothing(
    music_files, settings, tmp_path
):
    history = quarantine_of_one_session(music_files)
    job = job_create(
        kind=JobKind.RECOVER, arguments={"session": history.deletion_session_id}, enqueue=False
    )
    overlap_make(settings, tmp_path)
    before = tree_checksum(tmp_path)
    job_execute(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED and OVERLAP in job.message
    assert tree_checksum(tmp_path) == before
    assert DedupHistory.objects.get().can_recover


def test_the_review_pages_dry_runs_refuse_an_overlapping_quarantine(
    superuser_client, music_files, settings, tmp_path
):
    history = quarantine_of_one_session(music_files)
    rows = {f.file_path: f for f in LibraryFile.objects.all()}
    flac = rows[str(music_files["flac"])]
    overlap_make(settings, tmp_path)
    for url, data in (
        (reverse("job_dedupe_plan"), {"keeper": flac.id, "remove": [flac.id + 100]}),
        (reverse("job_recover_plan"), {"session": history.deletion_session_id}),
    ):
        response = superuser_client.post(url, data, follow=True)
        assert response.redirect_chain[-1][0] == reverse("dedup_review"), url
        assert OVERLAP in response.content.decode(), url
    assert Job.objects.filter(kind__in=[JobKind.DEDUPE, JobKind.RECOVER]).count() == 1


def test_the_quarantine_dry_run_shows_a_keeper_outside_the_roots_and_the_job_keeps_the_group(
    superuser_client, music_files, music_root, settings
):
    rows = scanned(music_files)
    settings.LIBRARY_ROOTS = [music_root / "Copies"]  # the keeper, Album/song.flac, is outside
    choice = {"keeper": rows["flac"].id, "remove": [rows["copy"].id]}
    html = superuser_client.post(reverse("job_dedupe_plan"), choice).content.decode()
    assert f"group stopped: keeper {music_files['flac']} is outside MUSICQUALITY_LIBRARY_ROOTS" in (
        html
    )
    assert "confirm-quarantine" not in html
    superuser_client.post(reverse("job_dedupe_start"), choice)  # sent anyway: checked again
    job = Job.objects.get(kind=JobKind.DEDUPE)
    assert job.status == JobStatus.DONE and job.result["quarantined"] == 0
    assert "outside MUSICQUALITY_LIBRARY_ROOTS" in job.message
    assert music_files["copy"].is_file() and DedupHistory.objects.count() == 0


def test_the_quarantine_dry_run_shows_a_quarantine_path_past_path_max(
    superuser_client, music_files, settings, tmp_path
):
    rows = scanned(music_files)
    settings.QUARANTINE_DIR = tmp_path.joinpath(*["q" * 250] * 17)  # > 4,096 bytes
    choice = {"keeper": rows["flac"].id, "remove": [rows["copy"].id]}
    html = superuser_client.post(reverse("job_dedupe_plan"), choice).content.decode()
    assert "its quarantine path would be too long" in html
    assert "confirm-quarantine" not in html


def test_a_scan_jobs_log_holds_a_name_that_is_not_utf8_on_one_line(music_files, music_root):
    bad = os.fsdecode(os.fsencode(music_root) + b"/Album/bad\xff.mp3")
    shutil.copyfile(music_files["mp3"], bad)
    job = job_create(kind=JobKind.SCAN)
    assert job.status == JobStatus.DONE, job.message
    assert f"name not UTF-8: {music_root}/Album/bad\\xff.mp3" in job.log_tail
    assert job.result["problems"] == 1


def test_a_jobs_log_line_escapes_control_characters():
    job = Job.objects.create(kind=JobKind.SCAN, status=JobStatus.RUNNING)
    reporter = JobReporter(job.pk)
    reporter.log("skipped /music/two\nlines\x1b[31m.mp3")
    reporter.flush()
    assert Job.objects.get(pk=job.pk).log_tail == "skipped /music/two\\nlines\\x1b[31m.mp3"
