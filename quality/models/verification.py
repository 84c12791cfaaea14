"""Schema v2.1.0: what a file's decoded audio says (ours), and the history of its score.

``audio_verification`` holds one row per library file, written by ``verify_audio``
(docs/verification.md); ``quality_history`` (the report's Phase 2) gets a row whenever a
file's score changes, whoever changed it (analysis or verification).
"""

from django.db import models

from musicquality.fields import IsoTimestampField
from quality.models.legacy import LibraryFile


class Verdict(models.TextChoices):
    OK = "ok", "ok"
    LOSSY_SOURCE = "lossy_source", "lossy source"
    UPSAMPLED = "upsampled", "upsampled"
    PADDED_BITS = "padded_bits", "padded bits"
    DAMAGED = "damaged", "damaged"
    INCONCLUSIVE = "inconclusive", "inconclusive"


class Md5Status(models.TextChoices):
    MATCH = "match", "match"
    MISMATCH = "mismatch", "mismatch"
    UNSET = "unset", "unset"
    NOT_APPLICABLE = "n.a.", "n.a."


class AudioVerification(models.Model):
    id = models.AutoField(primary_key=True)
    library_file = models.OneToOneField(
        LibraryFile,
        on_delete=models.CASCADE,
        db_column="library_file_id",
        related_name="verification",
    )
    verified_at = IsoTimestampField()
    verifier_version = models.TextField()
    decoded_seconds = models.FloatField(null=True, blank=True)
    integrity = models.TextField(help_text="'ok', or what is wrong and where")
    md5_status = models.TextField(choices=Md5Status.choices)
    cutoff_hz = models.FloatField(null=True, blank=True, help_text="the spectral wall, if any")
    high_band_floor_db = models.FloatField(
        null=True, blank=True, help_text="the level above the wall, relative to the music"
    )
    effective_sample_rate = models.IntegerField(null=True, blank=True)
    effective_bit_depth = models.IntegerField(null=True, blank=True)
    estimated_source = models.TextField(null=True, blank=True, help_text="e.g. MP3 ≈128 kbps")
    estimated_source_codec = models.TextField(null=True, blank=True)
    estimated_source_kbps = models.IntegerField(null=True, blank=True)
    evidence = models.TextField(null=True, blank=True, help_text="JSON: the measurements")
    verdict = models.TextField(choices=Verdict.choices)
    pcm_hash = models.TextField(null=True, blank=True, help_text="hash of the decoded audio")
    decoder_version = models.TextField(null=True, blank=True)

    class Meta:
        db_table = "audio_verification"
        verbose_name = "audio verification"
        indexes = [
            models.Index(fields=["verdict"], name="idx_verification_verdict"),
            models.Index(fields=["pcm_hash"], name="idx_verification_pcm_hash"),
        ]

    def __str__(self) -> str:
        return f"{self.verdict} ({self.verifier_version})"


class QualityHistory(models.Model):
    id = models.AutoField(primary_key=True)
    library_file = models.ForeignKey(
        LibraryFile,
        on_delete=models.CASCADE,
        db_column="library_file_id",
        db_index=False,
        related_name="quality_history",
    )
    quality_score = models.FloatField()
    measured_at = IsoTimestampField()
    analyzer_version = models.TextField(null=True, blank=True)

    class Meta:
        db_table = "quality_history"
        verbose_name_plural = "quality history"
        indexes = [
            models.Index(fields=["library_file", "measured_at"], name="idx_quality_history_file"),
        ]
