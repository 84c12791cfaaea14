"""Schema v2.2.0 (the report's Phase 3): streaming matches and acquisition jobs.

``streaming_matches`` holds every streaming track ``identify_upgrades`` matched to a
candidate's file, with how sure the match is (``upgrades.rules.match_confidence``); the
candidate's ``available_on_service`` is the best of them. ``upgrade_jobs`` has one row per
approved candidate: ``pending`` until an applied import upgrades the file (``completed``,
``download_source`` = where the copy came from, e.g. ``import:<folder>``), or the user marks
it ``failed`` or ``cancelled``. The app downloads nothing: a job tracks an acquisition the
user makes.
"""

from django.core.exceptions import ValidationError
from django.db import models

from musicquality.fields import IsoTimestampField
from quality.models import LibraryFile
from upgrades.models.candidate import UpgradeCandidate


class StreamingMatch(models.Model):
    id = models.AutoField(primary_key=True)
    library_file = models.ForeignKey(
        LibraryFile,
        on_delete=models.CASCADE,
        db_column="library_file_id",
        db_index=False,
        related_name="streaming_matches",
    )
    service = models.TextField()
    service_track_id = models.TextField(help_text="tracks.id in music_tools.db")
    match_confidence = models.FloatField(help_text="0–1: ISRC 1.0, name and duration lower")
    available_quality = models.TextField(null=True, blank=True)
    checked_at = IsoTimestampField()

    class Meta:
        db_table = "streaming_matches"
        verbose_name_plural = "streaming matches"
        indexes = [
            models.Index(fields=["library_file"], name="idx_streaming_matches_file"),
        ]

    def __str__(self) -> str:
        return f"{self.service} {self.service_track_id} ({self.match_confidence:g})"


class JobStatus(models.TextChoices):
    PENDING = "pending", "pending"
    COMPLETED = "completed", "completed"
    FAILED = "failed", "failed"
    CANCELLED = "cancelled", "cancelled"


def validate_job_status(value: str) -> None:
    if value not in JobStatus.values:
        raise ValidationError(
            f"job_status {value!r} is not allowed: use one of {', '.join(JobStatus.values)}"
        )


class UpgradeJob(models.Model):
    id = models.AutoField(primary_key=True)
    candidate = models.ForeignKey(
        UpgradeCandidate,
        on_delete=models.CASCADE,
        db_column="candidate_id",
        db_index=False,
        related_name="jobs",
    )
    job_status = models.TextField(
        null=True,
        default=JobStatus.PENDING,
        choices=JobStatus.choices,
        validators=[validate_job_status],
    )
    download_source = models.TextField(
        null=True, blank=True, help_text="where the copy came from, e.g. import:<folder>"
    )
    download_started_at = IsoTimestampField(null=True, blank=True)
    download_completed_at = IsoTimestampField(null=True, blank=True)
    error_message = models.TextField(null=True, blank=True)

    class Meta:
        db_table = "upgrade_jobs"
        verbose_name = "upgrade job"
        indexes = [
            models.Index(fields=["candidate"], name="idx_upgrade_jobs_candidate"),
            models.Index(
                fields=["job_status", "-download_completed_at"], name="idx_upgrade_jobs_status"
            ),
        ]

    def __str__(self) -> str:
        return f"job {self.id} ({self.job_status}) for candidate {self.candidate_id}"
