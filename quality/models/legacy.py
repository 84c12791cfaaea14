"""Unmanaged models for the tables the Music Tools CLI owns in ``library_index.db``.

They map, field for field, the legacy DDL of docs/legacy-schema.md: ``library_index`` (one row per
audio file, with the legacy sampled content hash and metadata hash), ``library_stats`` (one
row per indexing run), ``vetting_history`` (import vetting runs) and ``settings`` (key/value,
where ``schema_version`` lives). ``managed = False``: Django never creates, alters or drops
them; the v2.0.0 migration only creates them ``IF NOT EXISTS`` so a fresh install works.
"""

from django.db import models
from django.db.models import Q, Value

from musicquality.fields import IsoTimestampField

ACTIVE = 1
"""``library_index.is_active`` of an active file: exactly 1, as the legacy tool reads it (it
writes 1, and 0 for a file its verify step did not find). Any other value (2, NULL) is not
active, everywhere: pages, commands, the scanner."""
ACTIVE_SQL = f"is_active = {ACTIVE}"
"""The one definition in SQL (prefix a table alias: ``f"li.{ACTIVE_SQL}"``)."""
INACTIVE_SQL = f"is_active IS NOT {ACTIVE}"


def active_q(*, prefix: str = "") -> Q:
    """:data:`ACTIVE_SQL` for the ORM (``prefix`` for a related row: ``"library_file__"``).

    Not ``is_active=True``: for a boolean field Django writes ``WHERE is_active``, which is
    true for 2 as well. Comparing with an expression makes it write ``is_active = 1``.
    """
    return Q(**{f"{prefix}is_active": Value(ACTIVE)})


def inactive_q(*, prefix: str = "") -> Q:
    return ~active_q(prefix=prefix) | Q(**{f"{prefix}is_active__isnull": True})


class LibraryFile(models.Model):
    """A row of ``library_index``: one audio file as the legacy indexer sees it."""

    id = models.AutoField(primary_key=True)
    file_path = models.TextField(unique=True)
    filename = models.TextField()
    artist = models.TextField(null=True, blank=True)
    title = models.TextField(null=True, blank=True)
    album = models.TextField(null=True, blank=True)
    year = models.IntegerField(null=True, blank=True)
    duration = models.FloatField(null=True, blank=True, help_text="seconds")
    file_format = models.TextField(help_text="lower-case extension without the dot")
    file_size = models.BigIntegerField(help_text="bytes")
    metadata_hash = models.TextField()
    file_content_hash = models.TextField()
    indexed_at = IsoTimestampField()
    file_mtime = IsoTimestampField()
    last_verified = IsoTimestampField(null=True, blank=True)
    is_active = models.BooleanField(default=True, null=True)

    class Meta:
        managed = False
        db_table = "library_index"
        verbose_name = "library file"
        ordering = ["file_path"]

    def __str__(self) -> str:
        return self.file_path


class LibraryStats(models.Model):
    """A row of ``library_stats``: the totals written at the end of an indexing run."""

    id = models.AutoField(primary_key=True)
    total_files = models.IntegerField(null=True)
    total_size = models.BigIntegerField(null=True)
    formats_breakdown = models.TextField(null=True, help_text="JSON object: format → count")
    artists_count = models.IntegerField(null=True)
    albums_count = models.IntegerField(null=True)
    last_index_time = IsoTimestampField(null=True)
    index_duration = models.FloatField(null=True, help_text="seconds")
    created_at = IsoTimestampField(null=True)

    class Meta:
        managed = False
        db_table = "library_stats"
        verbose_name_plural = "library stats"


class VettingHistory(models.Model):
    """A row of ``vetting_history``: one import folder checked against the library."""

    id = models.AutoField(primary_key=True)
    import_folder = models.TextField()
    total_files = models.IntegerField(null=True)
    duplicates_found = models.IntegerField(null=True)
    new_songs = models.IntegerField(null=True)
    uncertain_matches = models.IntegerField(null=True)
    threshold_used = models.FloatField(null=True)
    vetted_at = IsoTimestampField()

    class Meta:
        managed = False
        db_table = "vetting_history"
        verbose_name_plural = "vetting history"


class LibrarySetting(models.Model):
    """A row of ``settings``: key/value pairs, among them ``schema_version``."""

    key = models.TextField(primary_key=True)
    value = models.TextField(null=True)
    updated_at = IsoTimestampField()

    class Meta:
        managed = False
        db_table = "settings"
