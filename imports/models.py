"""Import vettings and their files, in the app database (docs/imports.md).

A vetting is what the Imports page reviews; applying it moves files, and each file's row is
also the intent record of that move: ``state = moving`` with its ``destination`` is written
(committed) before the file moves, so a run killed at any instant is settled by the next one
from the filesystem (``dedup.services.files.interrupted_move_state``), as the deletion protocol
settles ``dedup_history``. Nothing here is the user's music data: the library database keeps
``library_index``, ``dedup_history`` and the Music Tools ``vetting_history`` row of each run.
"""

from django.db import models

from imports.rules import Verdict
from musicquality.fields import IsoTimestampField


class VettingStatus(models.TextChoices):
    RUNNING = "running", "running"
    DONE = "done", "done"
    FAILED = "failed", "failed"


class ImportVetting(models.Model):
    id = models.AutoField(primary_key=True)
    folder = models.TextField()
    started_at = IsoTimestampField()
    finished_at = IsoTimestampField(null=True, blank=True)
    status = models.TextField(choices=VettingStatus.choices, default=VettingStatus.RUNNING)
    error = models.TextField(null=True, blank=True)
    threshold = models.FloatField(help_text="fingerprint similarity of the same recording")
    totals = models.JSONField(default=dict, help_text="files per verdict")
    problems = models.JSONField(default=list, help_text="files that are not readable audio")
    library_unverified = models.IntegerField(
        default=0, help_text="library files without a current verification when vetted"
    )
    started_by = models.TextField(null=True, blank=True)

    class Meta:
        db_table = "import_vetting"
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"vetting {self.id} of {self.folder}"


VERDICT_CHOICES = [(verdict.value, verdict.value) for verdict in Verdict]


class ImportState(models.TextChoices):
    VETTED = "vetted", "vetted (not applied)"
    MOVING = "moving", "moving (intent written)"
    PLACED = "placed", "in the library, the replaced file not yet quarantined"
    DONE = "done", "done"
    LEFT = "left", "left in place"
    FAILED = "failed", "failed"


#: The states an interrupted apply leaves (its intent written, not finished): the next apply
#: settles them first (``imports.services.apply``), and the vetting's page may select them.
OPEN_STATES = (ImportState.MOVING, ImportState.PLACED)


class ImportFile(models.Model):
    id = models.AutoField(primary_key=True)
    vetting = models.ForeignKey(ImportVetting, on_delete=models.CASCADE, related_name="files")
    path = models.TextField()
    verdict = models.TextField(choices=VERDICT_CHOICES)
    reason = models.TextField()
    # what the file is (when it was vetted)
    file_size = models.BigIntegerField()
    file_mtime = models.TextField(
        help_text="its mtime when vetted (ISO): a changed file is not applied"
    )
    content_hash = models.TextField(help_text="sampled hash when vetted")
    artist = models.TextField(null=True, blank=True)
    title = models.TextField(null=True, blank=True)
    album = models.TextField(null=True, blank=True)
    year = models.IntegerField(null=True, blank=True)
    file_format = models.TextField()
    codec = models.TextField(null=True, blank=True)
    bitrate = models.IntegerField(null=True, blank=True)
    sample_rate = models.IntegerField(null=True, blank=True)
    bit_depth = models.IntegerField(null=True, blank=True)
    incoming_score = models.FloatField(null=True, blank=True)
    audio_verdict = models.TextField(null=True, blank=True)
    incoming_badge = models.TextField(blank=True, default="", help_text='e.g. "FLAC 24/96"')
    # what it was measured against
    library_id = models.IntegerField(null=True, blank=True, help_text="library_index id")
    library_match = models.TextField(null=True, blank=True, help_text="its file_path")
    library_score = models.FloatField(null=True, blank=True)
    library_format = models.TextField(null=True, blank=True)
    library_badge = models.TextField(null=True, blank=True, help_text="when it was vetted")
    matched_by = models.TextField(null=True, blank=True)
    confidence = models.FloatField(null=True, blank=True)
    candidate_id = models.IntegerField(
        null=True, blank=True, help_text="the upgrade candidate an upgrade completes"
    )
    duplicate_of = models.TextField(null=True, blank=True, help_text="the import's better copy")
    # applying it
    state = models.TextField(choices=ImportState.choices, default=ImportState.VETTED)
    destination = models.TextField(null=True, blank=True)
    imported_id = models.IntegerField(null=True, blank=True, help_text="its library_index id")
    session_id = models.TextField(null=True, blank=True, help_text="the apply run")
    detail = models.TextField(null=True, blank=True)
    applied_at = IsoTimestampField(null=True, blank=True)

    class Meta:
        db_table = "import_file"
        ordering = ["vetting_id", "path"]
        indexes = [models.Index(fields=["state"], name="import_file_state")]

    def __str__(self) -> str:
        return f"{self.path} ({self.verdict}, {self.state})"
