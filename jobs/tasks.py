"""The Huey tasks (found by ``manage.py run_huey``): run a job, the schedule, and settling
what a killed worker left when a worker starts. Thin: each calls one service."""

from __future__ import annotations

import logging

from django.db import close_old_connections
from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import HUEY, db_periodic_task, db_task, on_startup

from jobs.rules import SCHEDULE_CHECK_MINUTES
from jobs.services.queue import jobs_enqueue_again, schedule_run_due
from jobs.services.run import job_execute, jobs_orphaned_settle

logger = logging.getLogger(__name__)


def queue_tables_create() -> None:
    """Create the queue file and its tables if they are missing (settings: Huey is told not
    to at start-up). In immediate mode the queue is in memory and needs none."""
    create = getattr(HUEY.storage, "initialize_schema", None)
    if create is not None:
        create()


queue_tables_create()


@db_task()
def job_run(job_id: int) -> None:
    job_execute(job_id=job_id)


@on_startup()
def worker_started() -> None:
    try:
        queued = {task.args[0] for task in HUEY.pending() if task.name == "job_run" and task.args}
        jobs_enqueue_again(job_ids=jobs_orphaned_settle(queued_in_huey=queued))
    finally:
        close_old_connections()


@db_periodic_task(crontab(minute=f"*/{SCHEDULE_CHECK_MINUTES}"))
def schedule_tick() -> None:
    for job in schedule_run_due(now=timezone.now()):
        logger.info("scheduled job %s (%s) queued", job.pk, job.kind)
