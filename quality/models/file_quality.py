"""``file_quality`` (schema v2.0.0): the analysed audio properties and score of one file."""

from django.db import models

from musicquality.fields import IsoTimestampField
from quality.models.legacy import LibraryFile

AUDIO_EXTENSIONS = (
    "mp3", "flac", "m4a", "m4b", "mp4", "aac", "wav", "aif", "aiff", "ogg",
    "oga", "opus", "wma", "ape", "wv", "tta", "dsf", "dff", "mpc",
)  # fmt: skip


class FileFormat(models.TextChoices):
    MP3 = "mp3", "MP3"
    FLAC = "flac", "FLAC"
    M4A = "m4a", "M4A"
    M4B = "m4b", "M4B"
    MP4 = "mp4", "MP4"
    AAC = "aac", "AAC (ADTS)"
    WAV = "wav", "WAV"
    AIF = "aif", "AIF"
    AIFF = "aiff", "AIFF"
    OGG = "ogg", "Ogg"
    OGA = "oga", "OGA"
    OPUS = "opus", "Opus"
    WMA = "wma", "WMA"
    APE = "ape", "Monkey's Audio"
    WV = "wv", "WavPack"
    TTA = "tta", "TTA"
    DSF = "dsf", "DSF"
    DFF = "dff", "DSDIFF"
    MPC = "mpc", "Musepack"


class BitrateMode(models.TextChoices):
    CBR = "CBR", "constant (CBR)"
    VBR = "VBR", "variable (VBR)"
    ABR = "ABR", "average (ABR)"


class FileQuality(models.Model):
    id = models.AutoField(primary_key=True)
    library_file = models.OneToOneField(
        LibraryFile,
        on_delete=models.CASCADE,
        db_column="library_file_id",
        db_index=False,
        related_name="quality",
    )
    file_format = models.TextField(choices=FileFormat.choices)
    codec = models.TextField(null=True, blank=True)
    bitrate = models.IntegerField(null=True, blank=True, help_text="kbps")
    sample_rate = models.IntegerField(null=True, blank=True, help_text="Hz")
    bit_depth = models.IntegerField(null=True, blank=True, help_text="lossless/PCM only")
    channels = models.IntegerField(null=True, blank=True, default=2)
    quality_score = models.FloatField(help_text="0–100, docs/formulas.md")
    is_lossless = models.BooleanField(null=True, default=False)
    is_hires = models.BooleanField(null=True, default=False)
    bitrate_mode = models.TextField(null=True, blank=True, choices=BitrateMode.choices)
    analyzed_at = IsoTimestampField()
    analyzer_version = models.TextField(null=True, blank=True)
    # schema v2.1.0 (the report's Phase 2)
    acoustid_fingerprint = models.TextField(
        null=True, blank=True, help_text="Chromaprint fingerprint of the first 120 s (compressed)"
    )
    acoustid_id = models.TextField(
        null=True, blank=True, help_text="AcoustID service id (no network look-ups: left empty)"
    )

    class Meta:
        db_table = "file_quality"
        verbose_name = "file quality"
        verbose_name_plural = "file quality"
        indexes = [
            models.Index(fields=["library_file"], name="idx_quality_file_id"),
            models.Index(fields=["-quality_score"], name="idx_quality_score"),
            models.Index(fields=["file_format"], name="idx_quality_format"),
            models.Index(fields=["is_lossless", "-quality_score"], name="idx_quality_lossless"),
            models.Index(
                fields=["file_format", "is_lossless", "quality_score"],
                name="idx_quality_upgrade_candidates",
            ),
            models.Index(fields=["is_hires", "-sample_rate"], name="idx_quality_hires"),
            models.Index(
                fields=["-quality_score"],
                name="idx_quality_lossy_files",
                condition=models.Q(is_lossless=False),
            ),
            models.Index(fields=["acoustid_id"], name="idx_quality_acoustid"),
        ]

    def __str__(self) -> str:
        return f"{self.codec or self.file_format} {self.quality_score}"
