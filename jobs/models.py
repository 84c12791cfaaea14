"""``Job``: one piece of background work, as the Jobs page and ``/api/jobs/`` show it.

In the app database (``default``): the library file never collects web-app state. A row is
written when the job is asked for (``queued``), and the worker updates it while it runs
(``done`` / ``total`` a few times a second, ``message``, ``log_tail``) until it ends
``done``, ``failed`` or ``cancelled``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class JobKind(models.TextChoices):
    SCAN = "scan", "scan the library"
    ANALYZE = "analyze", "analyse quality"
    VERIFY = "verify", "verify the audio (and fingerprint it)"
    FIND_DUPLICATES = "find_duplicates", "find duplicates"
    DEDUPE = "dedupe", "quarantine duplicates"
    RECOVER = "recover", "recover from quarantine"
    IDENTIFY_UPGRADES = "identify_upgrades", "identify upgrades"
    VET_IMPORT = "vet_import", "vet an import folder"
    IMPORT_APPLY = "import_apply", "apply an import"


#: Kinds that move user files: a confirmation first on the pages, staff only everywhere.
FILE_MOVING_KINDS = frozenset({JobKind.DEDUPE, JobKind.RECOVER, JobKind.IMPORT_APPLY})


class JobStatus(models.TextChoices):
    QUEUED = "queued", "queued"
    RUNNING = "running", "running"
    DONE = "done", "done"
    FAILED = "failed", "failed"
    CANCELLED = "cancelled", "cancelled"


FINISHED_STATUSES = frozenset({JobStatus.DONE, JobStatus.FAILED, JobStatus.CANCELLED})


class RequestedVia(models.TextChoices):
    PAGE = "page", "the Jobs page"
    API = "api", "the API"
    COMMAND = "command", "a command"
    SCHEDULE = "schedule", "the schedule"


class Job(models.Model):
    kind = models.TextField(choices=JobKind.choices)
    arguments = models.JSONField(default=dict, blank=True)
    status = models.TextField(choices=JobStatus.choices, default=JobStatus.QUEUED)
    done = models.IntegerField(default=0)
    total = models.IntegerField(
        null=True, blank=True, help_text="unknown until the work is planned"
    )
    message = models.TextField(blank=True, default="")
    log_tail = models.TextField(blank=True, default="", help_text="the last lines of the job's log")
    result = models.JSONField(default=dict, blank=True, help_text="counts of what the job did")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    requested_via = models.TextField(choices=RequestedVia.choices, default=RequestedVia.PAGE)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    cancel_requested = models.BooleanField(default=False)
    worker = models.TextField(
        blank=True, default="", help_text="host:pid:start of the worker process that took it"
    )

    class Meta:
        db_table = "jobs_job"
        ordering = ["-id"]
        indexes = [models.Index(fields=["status", "id"], name="idx_job_status")]

    def __str__(self) -> str:
        return f"job #{self.pk} {self.kind} ({self.status})"

    @property
    def is_finished(self) -> bool:
        return self.status in FINISHED_STATUSES

    @property
    def percent(self) -> float | None:
        if not self.total:
            return 100.0 if self.status == JobStatus.DONE else None
        return min(100.0, 100.0 * self.done / self.total)

    @property
    def seconds(self) -> float | None:
        if self.started_at is None:
            return None
        end = self.finished_at or self.updated_at
        return max(0.0, (end - self.started_at).total_seconds())
