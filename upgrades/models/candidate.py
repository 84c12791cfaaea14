"""``upgrade_candidates`` (schema v2.0.0): a lossy file worth replacing, and the user's call."""

from django.core.exceptions import ValidationError
from django.db import models

from musicquality.fields import IsoTimestampField
from quality.models import LibraryFile
from upgrades.rules import PriorityParts, priority_parts_stored, priority_why, service_label


class UserAction(models.TextChoices):
    PENDING = "pending", "pending"
    APPROVED = "approved", "approved"
    REJECTED = "rejected", "rejected"
    COMPLETED = "completed", "completed"
    IGNORED = "ignored", "ignored"


def validate_user_action(value: str) -> None:
    if value not in UserAction.values:
        raise ValidationError(
            f"user_action {value!r} is not allowed: use one of {', '.join(UserAction.values)}"
        )


class UpgradeCandidate(models.Model):
    id = models.AutoField(primary_key=True)
    library_file = models.OneToOneField(
        LibraryFile,
        on_delete=models.CASCADE,
        db_column="library_file_id",
        db_index=False,
        related_name="upgrade_candidate",
    )
    file_path = models.TextField()
    current_format = models.TextField()
    current_bitrate = models.IntegerField(null=True, blank=True, help_text="kbps")
    current_quality_score = models.FloatField()
    artist = models.TextField()
    title = models.TextField()
    album = models.TextField(null=True, blank=True)
    duration = models.FloatField(null=True, blank=True)
    isrc = models.TextField(null=True, blank=True)
    recommended_format = models.TextField()
    potential_quality_gain = models.FloatField(null=True, blank=True)
    priority_score = models.FloatField(help_text="0–100, docs/formulas.md")
    available_on_service = models.TextField(null=True, blank=True)
    service_quality = models.TextField(null=True, blank=True)
    checked_at = IsoTimestampField(null=True, blank=True)
    user_action = models.TextField(
        null=True,
        default=UserAction.PENDING,
        choices=UserAction.choices,
        validators=[validate_user_action],
    )
    action_at = IsoTimestampField(null=True, blank=True)
    notes = models.TextField(null=True, blank=True)
    identified_at = IsoTimestampField()
    last_updated = IsoTimestampField()

    class Meta:
        db_table = "upgrade_candidates"
        verbose_name = "upgrade candidate"
        indexes = [
            models.Index(fields=["library_file"], name="idx_upgrade_file_id"),
            models.Index(fields=["-priority_score", "user_action"], name="idx_upgrade_priority"),
            models.Index(fields=["user_action", "-priority_score"], name="idx_upgrade_action"),
            models.Index(
                fields=["current_format", "-priority_score"], name="idx_upgrade_current_format"
            ),
            models.Index(
                fields=["available_on_service", "user_action"], name="idx_upgrade_service"
            ),
            models.Index(fields=["artist", "title"], name="idx_upgrade_artist_title"),
            models.Index(fields=["-identified_at"], name="idx_upgrade_identified"),
        ]

    #: The playlists that earned the listening points, when a page looked them up
    #: (``upgrades.selectors.candidates_playlists_attach``); not a column.
    earned_playlists: tuple[str, ...] = ()

    def __str__(self) -> str:
        return f"{self.artist} – {self.title} ({self.current_format})"

    @property
    def priority_parts(self) -> PriorityParts:
        """The stored priority's parts, by the rule (``upgrades.rules.priority_parts_stored``)."""
        return priority_parts_stored(
            current_score=self.current_quality_score,
            service=self.available_on_service,
            quality=self.service_quality,
            priority=self.priority_score,
        )

    @property
    def priority_why(self) -> str:
        return priority_why(
            self.priority_parts, service=self.service_label, playlists=self.earned_playlists
        )

    @property
    def service_label(self) -> str:
        return service_label(self.available_on_service, self.service_quality)
