"""The monitoring time series, in the app database (``default``), never the music database.

The router sends this app (``musicquality``) to ``default``: these rows describe the web app
and its runs, not the user's music. Every table with a time column is pruned after
``MUSICQUALITY_METRICS_RETENTION_DAYS`` (``musicquality.monitoring.services``), except the
cumulative query totals, which Prometheus reads as ever-growing counters.
"""

from __future__ import annotations

from django.db import models

from musicquality.monitoring.rules import MigrationOutcome, QueryOrigin, RunKind


class QueryTimingSample(models.Model):
    """The library queries of one request or one command, by the view or command that ran
    them: a count, a sum, the slowest, and the histogram of ``rules.QUERY_BUCKETS``."""

    recorded_at = models.DateTimeField(db_index=True)
    query_name = models.CharField(max_length=120)
    origin = models.CharField(max_length=16, choices=[(o.value, o.value) for o in QueryOrigin])
    count = models.PositiveIntegerField()
    total_seconds = models.FloatField()
    max_seconds = models.FloatField()
    buckets = models.JSONField(help_text="count per bucket of rules.QUERY_BUCKETS, then +Inf")

    class Meta:
        db_table = "monitoring_query_sample"


class QueryTimingTotal(models.Model):
    """Every library query ever timed, by name: the counters behind the Prometheus
    histogram (never pruned, one row per query name)."""

    query_name = models.CharField(max_length=120)
    origin = models.CharField(max_length=16, choices=[(o.value, o.value) for o in QueryOrigin])
    count = models.PositiveBigIntegerField(default=0)
    total_seconds = models.FloatField(default=0.0)
    buckets = models.JSONField()
    updated_at = models.DateTimeField()

    class Meta:
        db_table = "monitoring_query_total"
        constraints = [
            models.UniqueConstraint(fields=["query_name", "origin"], name="monitoring_query_once")
        ]


class MigrationRecord(models.Model):
    """One ``migrate --database=library``: its outcome and how long it took, written through
    the app database so that it survives the migration's own rollback."""

    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(db_index=True)
    duration_seconds = models.FloatField()
    outcome = models.CharField(
        max_length=16, choices=[(o.value, o.value) for o in MigrationOutcome]
    )
    applied = models.PositiveIntegerField(default=0)
    unapplied = models.PositiveIntegerField(default=0)
    message = models.TextField(blank=True, default="")

    class Meta:
        db_table = "monitoring_migration"


class RunRecord(models.Model):
    """One scan, analysis, verification or identification run."""

    kind = models.CharField(max_length=16, choices=[(k.value, k.value) for k in RunKind])
    finished_at = models.DateTimeField(db_index=True)
    files = models.PositiveIntegerField()
    seconds = models.FloatField()
    files_per_second = models.FloatField()
    peak_rss_bytes = models.PositiveBigIntegerField(help_text="the command's own process")
    worker_peak_rss_bytes = models.PositiveBigIntegerField(
        default=0, help_text="the largest worker process it waited for (0: none)"
    )

    class Meta:
        db_table = "monitoring_run"


class LibrarySample(models.Model):
    """The library database's size (file + WAL) and the analysis backlog at one moment."""

    recorded_at = models.DateTimeField(db_index=True)
    db_size_bytes = models.PositiveBigIntegerField()
    backlog_files = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        db_table = "monitoring_library_sample"


class AlertEpisode(models.Model):
    """An alert from when it was raised to when it cleared (open while ``cleared_at`` is
    null): the "since when" of the Monitoring page."""

    name = models.CharField(max_length=40)
    raised_at = models.DateTimeField()
    cleared_at = models.DateTimeField(null=True, blank=True, db_index=True)

    class Meta:
        db_table = "monitoring_alert"
