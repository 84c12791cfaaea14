"""Reads of the job queue, for the Jobs page and ``/api/jobs/``."""

from __future__ import annotations

import datetime

from django.db.models import QuerySet
from django.utils import timezone

from jobs.models import FINISHED_STATUSES, Job, JobStatus

ERRORS_DAYS = 30


def job_get(*, job_id: int) -> Job | None:
    return Job.objects.select_related("created_by").filter(pk=job_id).first()


def jobs_active() -> list[Job]:
    """Queued and running jobs, oldest first: the order they run in."""
    return list(
        Job.objects.select_related("created_by")
        .filter(status__in=[JobStatus.QUEUED, JobStatus.RUNNING])
        .order_by("id")
    )


def jobs_finished() -> QuerySet[Job]:
    """Every finished job, newest first: the history."""
    return Job.objects.select_related("created_by").filter(status__in=FINISHED_STATUSES)


def jobs_failed_recent(*, now: datetime.datetime | None = None, limit: int = 10) -> list[Job]:
    """The latest failed jobs of the last :data:`ERRORS_DAYS` days, with their messages."""
    since = (now or timezone.now()) - datetime.timedelta(days=ERRORS_DAYS)
    return list(
        Job.objects.filter(status=JobStatus.FAILED, created_at__gte=since).order_by("-id")[:limit]
    )


def jobs_list() -> QuerySet[Job]:
    """All jobs, newest first (``GET /api/jobs/``)."""
    return Job.objects.select_related("created_by").order_by("-id")
