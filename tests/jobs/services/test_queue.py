"""Jobs asked for and run in this process (Huey's immediate mode): what each kind does, its
checks, cancelling, the library lock, a dead worker's jobs, the schedule."""

import datetime
import fcntl
import os
import threading
import time
from pathlib import Path

import pytest
from django.utils import timezone

from dedup.models import DedupHistory, DeletedBy
from jobs.models import Job, JobKind, JobStatus, RequestedVia
from jobs.services.kinds import JobRefused
from jobs.services.queue import job_cancel, job_create, schedule_run_due
from jobs.services.run import (
    JobCancelled,
    JobReporter,
    job_execute,
    jobs_orphaned_settle,
    library_lock_path,
    library_lock_wait,
    worker_id,
)
from musicquality.models import LibrarySample, RunRecord
from quality.models import FileQuality, LibraryFile
from tests.conftest import LIBRARY_DBS

# Transactional: a job checks the library file from a connection of its own first, as a
# command does, and the test's open transaction would hold it locked.
pytestmark = [
    pytest.mark.django_db(databases=LIBRARY_DBS, transaction=True),
    pytest.mark.usefixtures("clean_library"),
]


def active_paths() -> set[str]:
    return set(LibraryFile.objects.filter(is_active=True).values_list("file_path", flat=True))


def test_a_scan_job_indexes_the_library_roots_and_says_what_it_found(music_files, music_root):
    job = job_create(kind=JobKind.SCAN)
    assert job.status == JobStatus.DONE, job.message
    assert job.arguments == {"paths": [str(music_root)]}
    assert (job.done, job.total) == (3, 3)
    assert active_paths() == {str(path) for path in music_files.values()}
    assert job.message.startswith("3 audio files found: 3 added")
    assert job.result["added"] == 3
    assert job.started_at <= job.finished_at


def test_scan_paths_outside_the_library_roots_are_refused_and_no_job_is_made(music_root, tmp_path):
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    with pytest.raises(JobRefused, match="is outside MUSICQUALITY_LIBRARY_ROOTS"):
        job_create(kind=JobKind.SCAN, arguments={"paths": [str(outside)]})
    sneaky = str(music_root / ".." / "elsewhere")
    with pytest.raises(JobRefused, match="outside"):
        job_create(kind=JobKind.SCAN, arguments={"paths": [sneaky]})
    (music_root / "link").symlink_to(outside)
    with pytest.raises(JobRefused, match="outside"):
        job_create(kind=JobKind.SCAN, arguments={"paths": [str(music_root / "link")]})
    with pytest.raises(JobRefused, match="give an absolute path"):
        job_create(kind=JobKind.SCAN, arguments={"paths": ["music"]})
    assert Job.objects.count() == 0


def test_a_queued_scan_whose_path_left_the_roots_fails_when_it_runs(music_files, settings):
    """Checked again when the job runs: the roots changed while the job waited."""
    queued = music_files["mp3"].parent
    job = Job.objects.create(
        kind=JobKind.SCAN, arguments={"paths": [str(queued)]}, status=JobStatus.QUEUED
    )
    settings.LIBRARY_ROOTS = [queued.parent / "another root"]
    job_execute(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED
    assert "is outside MUSICQUALITY_LIBRARY_ROOTS" in job.message
    assert "checked again when the job ran" in job.message
    assert active_paths() == set()


def test_without_library_roots_a_scan_is_refused(settings):
    settings.LIBRARY_ROOTS = []
    with pytest.raises(JobRefused, match="no library roots configured"):
        job_create(kind=JobKind.SCAN)


@pytest.mark.parametrize(
    ("kind", "arguments", "message"),
    [
        ("delete_everything", {}, "is not a job: use one of scan, analyze"),
        ("analyze", {"workers": 3}, "unknown argument 'workers'"),
        ("analyze", {"force": "yes"}, "force must be true or false"),
        ("dedupe", {"min_confidence": 2}, "min_confidence must be a number from 0 to 1"),
        ("dedupe", {"groups": [{"keeper": 1, "remove": [1]}]}, "cannot be both the keeper"),
        ("dedupe", {"groups": [{"keeper": 1}]}, 'each group must be {"keeper"'),
        ("dedupe", {"prefer": ["music/Albums"]}, "prefer music/Albums: give an absolute"),
        ("dedupe", {"groups": [{"keeper": 1, "remove": [2]}], "prefer": ["/m"]}, "not both"),
        ("find_duplicates", {"prefer": "/music"}, "prefer must be a list of folder paths"),
        ("find_duplicates", {"prefer": ["/no/such/Albums"]}, "prefer /no/such/Albums: no such"),
        ("dedupe", {"prefer": ["/no/such/Albums"]}, "prefer /no/such/Albums: no such folder"),
        ("recover", {}, "give either ids"),
        ("identify_upgrades", {"threshold": 0}, "threshold must be a number from 0.1"),
    ],
)
def test_bad_arguments_are_refused_with_a_message(music_root, kind, arguments, message):
    with pytest.raises(JobRefused, match=message.replace("(", r"\(").replace("{", r"\{")):
        job_create(kind=kind, arguments=arguments)
    assert Job.objects.count() == 0


def test_a_scan_of_a_missing_folder_fails_with_a_message_and_changes_nothing(music_files):
    before = active_paths()
    gone = music_files["mp3"].parent / "Unmounted"
    job = job_create(kind=JobKind.SCAN, arguments={"paths": [str(gone)]})
    assert job.status == JobStatus.FAILED
    assert job.message == f"{gone} is not a folder: give the folder(s) that hold your music"
    assert active_paths() == before == set()


def test_analyse_find_and_identify_jobs_call_the_commands_services(music_files):
    job_create(kind=JobKind.SCAN)
    analysed = job_create(kind=JobKind.ANALYZE)
    assert analysed.status == JobStatus.DONE, analysed.message
    assert FileQuality.objects.count() == 3
    assert analysed.message.startswith("Analysed 3, skipped 0")
    found = job_create(kind=JobKind.FIND_DUPLICATES)
    assert found.status == JobStatus.DONE, found.message
    assert found.result["groups"] >= 1 and found.result["files"] >= 1
    assert found.done == 1  # one full-content comparison: the FLAC and its copy
    verified = job_create(kind=JobKind.VERIFY)
    assert verified.status == JobStatus.DONE, verified.message
    assert verified.message.startswith("Verified 3") and verified.result["verified"] == 3
    identified = job_create(kind=JobKind.IDENTIFY_UPGRADES)
    assert identified.status == JobStatus.DONE, identified.message
    assert identified.result["new"] == 1  # the 128k MP3


def test_scan_analyse_verify_and_identify_jobs_are_runs_on_the_monitoring_page(music_files):
    """A job of a run kind is measured as its command is (issue 18's run throughput), with
    the same count of files."""
    for kind in (JobKind.SCAN, JobKind.ANALYZE, JobKind.VERIFY, JobKind.IDENTIFY_UPGRADES):
        assert job_create(kind=kind).status == JobStatus.DONE
    runs = {run.kind: run for run in RunRecord.objects.all()}
    assert set(runs) == {"scan", "analyze", "verify", "identify"}
    assert (runs["scan"].files, runs["analyze"].files, runs["verify"].files) == (3, 3, 3)
    assert runs["identify"].files == 1  # the 128k MP3's candidate
    assert all(run.seconds > 0 and run.peak_rss_bytes > 10 << 20 for run in runs.values())
    # the scan's sample: the backlog after it is the three new files
    assert LibrarySample.objects.order_by("recorded_at").first().backlog_files == 3


def test_a_dedupe_job_quarantines_the_users_choice_by_the_protocol(music_files):
    job_create(kind=JobKind.SCAN)
    job_create(kind=JobKind.ANALYZE)
    original = LibraryFile.objects.get(file_path=str(music_files["flac"]))
    copy = LibraryFile.objects.get(file_path=str(music_files["copy"]))
    # The rule keeps the original (indexed first at equal quality); the user keeps the copy.
    job = job_create(
        kind=JobKind.DEDUPE, arguments={"groups": [{"keeper": copy.id, "remove": [original.id]}]}
    )
    assert job.status == JobStatus.DONE, job.message
    assert (job.done, job.total) == (1, 1)
    history = DedupHistory.objects.get()
    assert (history.file_path, history.kept_file_id) == (str(music_files["flac"]), copy.id)
    assert history.deleted_by == DeletedBy.USER
    assert not music_files["flac"].exists() and Path(history.recovery_path).is_file()
    assert job.result["session_id"] == history.deletion_session_id

    recovered = job_create(kind=JobKind.RECOVER, arguments={"session": history.deletion_session_id})
    assert recovered.status == JobStatus.DONE, recovered.message
    assert music_files["flac"].is_file()
    assert recovered.message == "1 file recovered, 0 not"


def test_a_dedupe_choice_outside_a_current_group_fails_and_moves_nothing(music_files):
    job_create(kind=JobKind.SCAN)
    flac = LibraryFile.objects.get(file_path=str(music_files["flac"]))
    mp3 = LibraryFile.objects.get(file_path=str(music_files["mp3"]))
    job = job_create(
        kind=JobKind.DEDUPE, arguments={"groups": [{"keeper": flac.id, "remove": [mp3.id]}]}
    )
    assert job.status == JobStatus.FAILED
    assert f"file {mp3.id} is not a removable member of duplicate group" in job.message
    assert all(path.is_file() for path in music_files.values())
    assert DedupHistory.objects.count() == 0


def test_a_queued_job_cancelled_never_runs(music_files):
    job = job_create(kind=JobKind.SCAN, enqueue=False)
    cancelled = job_cancel(job_id=job.pk)
    assert (cancelled.status, cancelled.message) == (
        JobStatus.CANCELLED,
        "cancelled before it started",
    )
    job_execute(job_id=job.pk)  # the worker picks it up later: nothing happens
    assert Job.objects.get(pk=job.pk).status == JobStatus.CANCELLED
    assert active_paths() == set()
    with pytest.raises(JobRefused, match="is already cancelled: nothing to cancel"):
        job_cancel(job_id=job.pk)


def test_a_running_job_is_cancelled_at_its_next_progress_report():
    job = Job.objects.create(kind=JobKind.SCAN, status=JobStatus.RUNNING, worker=worker_id())
    reporter = JobReporter(job.pk)
    reporter.update(5, 10)  # the first report writes the row
    assert Job.objects.filter(pk=job.pk, done=5, total=10).exists()
    assert job_cancel(job_id=job.pk).cancel_requested
    reporter.log("a line for the log")
    with pytest.raises(JobCancelled):
        reporter.flush()
    assert Job.objects.get(pk=job.pk).log_tail == "a line for the log"


def test_progress_reports_are_written_a_few_times_a_second_at_most():
    job = Job.objects.create(kind=JobKind.SCAN, status=JobStatus.RUNNING)
    reporter = JobReporter(job.pk)
    for done in range(1, 1001):
        reporter.update(done, 1000)
    stored = Job.objects.get(pk=job.pk).done
    assert 1 <= stored < 1000  # the first write, then none until INTERVAL passed
    time.sleep(JobReporter.INTERVAL)
    reporter.update(1000, 1000)
    assert Job.objects.get(pk=job.pk).done == 1000


def test_a_job_waits_for_the_library_lock_and_says_for_which_job(music_root):
    running = Job.objects.create(kind=JobKind.ANALYZE, status=JobStatus.RUNNING)
    waiting = Job.objects.create(kind=JobKind.SCAN)
    path = library_lock_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    holder = open(path, "a+b")  # noqa: SIM115
    fcntl.flock(holder, fcntl.LOCK_EX)
    released = threading.Timer(1.2, holder.close)
    released.start()
    started = time.monotonic()
    with library_lock_wait(job_id=waiting.pk):
        waited = time.monotonic() - started
    released.join()
    assert waited >= 1.0
    assert (
        Job.objects.get(pk=waiting.pk).message
        == f"waiting for job #{running.pk} (analyze) to finish"
    )


def test_jobs_of_a_dead_worker_fail_or_go_back_to_the_queue_when_a_worker_starts():
    dead = f"{os.uname().nodename}:{2**22 + 7}:1"  # no such pid
    alive = worker_id()
    running_dead = Job.objects.create(
        kind=JobKind.SCAN, status=JobStatus.RUNNING, worker=dead, done=4, total=9
    )
    running_alive = Job.objects.create(kind=JobKind.SCAN, status=JobStatus.RUNNING, worker=alive)
    taken_dead = Job.objects.create(kind=JobKind.ANALYZE, worker=dead)
    lost = Job.objects.create(kind=JobKind.ANALYZE)
    in_queue = Job.objects.create(kind=JobKind.ANALYZE)
    requeue = jobs_orphaned_settle(queued_in_huey=[in_queue.pk])
    assert sorted(requeue) == [taken_dead.pk, lost.pk]
    failed = Job.objects.get(pk=running_dead.pk)
    assert failed.status == JobStatus.FAILED and failed.finished_at is not None
    assert failed.message.startswith(f"the worker running this job ({dead}) stopped at 4/9")
    assert Job.objects.get(pk=running_alive.pk).status == JobStatus.RUNNING
    assert Job.objects.get(pk=taken_dead.pk).worker == ""


def test_the_schedule_is_off_by_default_and_queues_scan_then_analyse_when_due(
    music_files, settings
):
    now = timezone.now()
    assert settings.SCHEDULE_SCAN_HOURS == 0
    assert schedule_run_due(now=now) == []
    settings.SCHEDULE_SCAN_HOURS = 6
    scan, analyse = schedule_run_due(now=now)
    assert [scan.kind, analyse.kind] == [JobKind.SCAN, JobKind.ANALYZE]
    assert {scan.requested_via, analyse.requested_via} == {RequestedVia.SCHEDULE}
    assert Job.objects.get(pk=analyse.pk).status == JobStatus.DONE
    assert FileQuality.objects.count() == 3
    assert schedule_run_due(now=now + datetime.timedelta(hours=5)) == []
    later = schedule_run_due(now=timezone.now() + datetime.timedelta(hours=6, seconds=1))
    assert [job.kind for job in later] == [JobKind.SCAN, JobKind.ANALYZE]
