"""Asking for jobs and cancelling them: what the pages, the API, ``run_job`` and the
schedule call. The work itself runs in the worker (``jobs.services.run``)."""

from __future__ import annotations

import datetime
import logging

from django.conf import settings
from django.utils import timezone

from jobs.models import Job, JobKind, JobStatus, RequestedVia
from jobs.rules import schedule_due
from jobs.services.kinds import JobRefused, job_arguments_clean

logger = logging.getLogger(__name__)


def _enqueue(job_id: int) -> None:
    # Imported here: the task module imports the services that run jobs.
    from jobs.tasks import job_run

    job_run(job_id)


def job_create(
    *,
    kind: str,
    arguments: dict | None = None,
    user=None,
    via: str = RequestedVia.PAGE,
    enqueue: bool = True,
) -> Job:
    """Check the arguments (:class:`~jobs.services.kinds.JobRefused` with a message when
    they are wrong: no job is made), write the job ``queued`` and hand it to the worker.
    ``enqueue=False`` leaves it for the caller to run (``run_job``)."""
    cleaned = job_arguments_clean(kind=kind, arguments=arguments or {})
    job = Job.objects.create(
        kind=kind,
        arguments=cleaned,
        created_by=user if user is not None and user.is_authenticated else None,
        requested_via=via,
        message="queued",
    )
    logger.info("job %s (%s) queued by %s via %s", job.pk, kind, user, via)
    if enqueue:
        _enqueue(job.pk)
        job.refresh_from_db()
    return job


def jobs_enqueue_again(*, job_ids: list[int]) -> None:
    """Queue jobs again that a dead worker had taken (``jobs_orphaned_settle``)."""
    for job_id in job_ids:
        logger.warning("job %s queued again: the worker that took it is gone", job_id)
        _enqueue(job_id)


def job_cancel(*, job_id: int) -> Job:
    """Cancel a job: a queued one at once, a running one at its next batch (the worker
    stops it). Raises :class:`JobRefused` for a finished or unknown job."""
    job = Job.objects.filter(pk=job_id).first()
    if job is None:
        raise JobRefused(f"no job #{job_id}")
    if job.is_finished:
        raise JobRefused(f"job #{job_id} is already {job.status}: nothing to cancel")
    now = timezone.now()
    if not Job.objects.filter(pk=job_id, status=JobStatus.QUEUED).update(
        status=JobStatus.CANCELLED,
        cancel_requested=True,
        message="cancelled before it started",
        finished_at=now,
        updated_at=now,
    ):
        Job.objects.filter(pk=job_id, status=JobStatus.RUNNING).update(
            cancel_requested=True,
            message="cancel requested: it stops at its next batch",
            updated_at=now,
        )
    job.refresh_from_db()
    logger.info("job %s: cancel requested (%s)", job_id, job.status)
    return job


def schedule_run_due(*, now: datetime.datetime) -> list[Job]:
    """The periodic scan + analyse (``MUSICQUALITY_SCHEDULE_SCAN_HOURS``; off by default):
    when due, a scan of the library roots and an analysis are queued, in that order (the
    analysis waits for the scan: one job per library at a time)."""
    hours = settings.SCHEDULE_SCAN_HOURS
    if hours <= 0 or not settings.LIBRARY_ROOTS:
        return []
    scheduled = Job.objects.filter(requested_via=RequestedVia.SCHEDULE)
    last = scheduled.filter(kind=JobKind.SCAN).order_by("-created_at").first()
    if not schedule_due(last_started=last.created_at if last else None, now=now, every_hours=hours):
        return []
    if scheduled.filter(status__in=[JobStatus.QUEUED, JobStatus.RUNNING]).exists():
        return []
    return [
        job_create(kind=kind, via=RequestedVia.SCHEDULE) for kind in (JobKind.SCAN, JobKind.ANALYZE)
    ]
