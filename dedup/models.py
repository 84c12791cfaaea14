"""``dedup_history`` (schema v2.0.0): the audit trail of every file a dedup run removed.

A row is written *before* its file moves into quarantine (docs/deletion-protocol.md), and it keeps
what mattered about the file after its ``library_index`` row is gone. ``kept_file_id`` and
``original_library_id`` are plain integers, not foreign keys: the rows they name may no
longer exist, and the audit must outlive them.
"""

from django.db import models

from musicquality.fields import IsoTimestampField


class DeletionReason(models.TextChoices):
    EXACT_DUPLICATE = "exact_duplicate", "exact duplicate"
    METADATA_MATCH = "metadata_match", "metadata match"
    LOWER_QUALITY = "lower_quality", "lower quality"
    USER_REQUESTED = "user_requested", "user requested"


class MatchedBy(models.TextChoices):
    CONTENT_HASH = "content_hash", "content hash"
    METADATA_HASH = "metadata_hash", "metadata hash"
    ACOUSTIC_FINGERPRINT = "acoustic_fingerprint", "acoustic fingerprint"
    AUDIO_HASH = "audio_hash", "identical decoded audio"


class DeletedBy(models.TextChoices):
    SYSTEM = "system", "system"
    USER = "user", "user"
    AUTO_CLEANUP = "auto_cleanup", "automatic clean-up"


class DedupHistory(models.Model):
    id = models.AutoField(primary_key=True)
    deletion_session_id = models.TextField(help_text="one UUID per dedupe run")
    deleted_at = IsoTimestampField()
    file_path = models.TextField()
    filename = models.TextField()
    file_size = models.BigIntegerField(help_text="bytes")
    file_format = models.TextField()
    artist = models.TextField(null=True, blank=True)
    title = models.TextField(null=True, blank=True)
    album = models.TextField(null=True, blank=True)
    year = models.IntegerField(null=True, blank=True)
    duration = models.FloatField(null=True, blank=True)
    bitrate = models.IntegerField(null=True, blank=True)
    sample_rate = models.IntegerField(null=True, blank=True)
    quality_score = models.FloatField(null=True, blank=True)
    metadata_hash = models.TextField()
    file_content_hash = models.TextField()
    deletion_reason = models.TextField(choices=DeletionReason.choices)
    kept_file_path = models.TextField(null=True, blank=True)
    kept_file_id = models.IntegerField(null=True, blank=True)
    confidence_score = models.FloatField(null=True, blank=True)
    matched_by = models.TextField(null=True, blank=True, choices=MatchedBy.choices)
    original_library_id = models.IntegerField(null=True, blank=True)
    can_recover = models.BooleanField(null=True, default=False)
    recovery_path = models.TextField(null=True, blank=True)
    deleted_by = models.TextField(
        null=True, blank=True, default=DeletedBy.SYSTEM, choices=DeletedBy.choices
    )
    notes = models.TextField(null=True, blank=True)

    class Meta:
        db_table = "dedup_history"
        verbose_name = "deletion"
        verbose_name_plural = "dedup history"
        ordering = ["-deleted_at", "-id"]
        indexes = [
            models.Index(fields=["deletion_session_id"], name="idx_dedup_session"),
            models.Index(fields=["-deleted_at"], name="idx_dedup_deleted_at"),
            models.Index(fields=["file_content_hash"], name="idx_dedup_content_hash"),
            models.Index(fields=["metadata_hash"], name="idx_dedup_metadata_hash"),
            models.Index(fields=["can_recover", "-deleted_at"], name="idx_dedup_recoverable"),
            models.Index(fields=["deletion_reason", "-deleted_at"], name="idx_dedup_reason"),
            models.Index(fields=["artist", "title"], name="idx_dedup_artist"),
        ]

    def __str__(self) -> str:
        return f"{self.file_path} ({self.deletion_reason})"


# --- the user's keep-both decisions (in the app database, not the library) -----------------


class DecisionKind(models.TextChoices):
    KEEP_BOTH = "keep_both", "keep both"
    NOT_DUPLICATES = "not_duplicates", "not duplicates"


class DuplicateDecision(models.Model):
    """ "Keep these files, they are not to be deduplicated": an intentional FLAC + AAC for the
    phone, two different songs that share their tags. Listed on ``/dedup/decisions/`` and
    undone there (``undone_at`` set, the row kept as a record).

    Stored in the app database (``musicquality/routers.py``): the library's schema is fixed
    by the design and gets no extra tables. The files are remembered by what survives a
    re-index (``DuplicateDecisionFile``), since library ids alone do not.
    """

    kind = models.TextField(choices=DecisionKind.choices, default=DecisionKind.KEEP_BOTH)
    note = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        "auth.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    undone_at = models.DateTimeField(null=True, blank=True)
    undone_by = models.ForeignKey(
        "auth.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        db_table = "dedup_decision"
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk}"


class DuplicateDecisionFile(models.Model):
    """One file of a decision: its library id, path and sampled content hash when decided
    (``dedup.rules.decision_file_matches`` recognises it by any two of them)."""

    decision = models.ForeignKey(DuplicateDecision, on_delete=models.CASCADE, related_name="files")
    library_file_id = models.IntegerField()
    file_path = models.TextField()
    file_content_hash = models.TextField()

    class Meta:
        db_table = "dedup_decision_file"
        ordering = ["decision_id", "file_path"]

    def __str__(self) -> str:
        return self.file_path
