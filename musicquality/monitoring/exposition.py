"""The monitoring facts in Prometheus' text format, written by prometheus-client.

Nothing here comes from a process-local registry: several server processes and the
commands share one store (the app database), so each scrape builds the families from what
is stored. Labels are query names (URL or command names), run kinds, alert names and
process roles: never a path, a tag or a user name.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

from prometheus_client.core import GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_LATEST, generate_latest
from prometheus_client.registry import Collector, CollectorRegistry

from musicquality.models import MigrationRecord, QueryTimingTotal, RunRecord
from musicquality.monitoring.rules import (
    QUERY_BUCKETS,
    Alert,
    MigrationOutcome,
    RunKind,
    buckets_cumulative,
)

METRICS_CONTENT_TYPE = CONTENT_TYPE_LATEST


@dataclass(frozen=True)
class MetricsData:
    db_size_bytes: int
    backlog_files: int | None
    growth_bytes_per_day: float | None
    alerts: Mapping[Alert, bool]
    query_totals: Sequence[QueryTimingTotal]
    last_migration: MigrationRecord | None
    last_runs: Mapping[RunKind, RunRecord]


def _gauge(name: str, documentation: str, value: float | None = None, **kw) -> GaugeMetricFamily:
    if value is None:
        return GaugeMetricFamily(name, documentation, **kw)
    return GaugeMetricFamily(name, documentation, value=value, **kw)


class _StoredFacts(Collector):
    def __init__(self, data: MetricsData):
        self.data = data

    def collect(self) -> Iterator[Metric]:
        data = self.data
        yield _gauge(
            "musicquality_library_db_bytes",
            "Library database size on disk: the file plus its write-ahead log.",
            data.db_size_bytes,
        )
        growth = _gauge(
            "musicquality_library_db_growth_bytes_per_day",
            "Library database growth over the last week of samples.",
        )
        if data.growth_bytes_per_day is not None:
            growth.add_metric([], data.growth_bytes_per_day)
        yield growth
        backlog = _gauge(
            "musicquality_analysis_backlog_files",
            "Active files waiting for analyze_quality (new, changed, or older analyser).",
        )
        if data.backlog_files is not None:
            backlog.add_metric([], data.backlog_files)
        yield backlog
        yield self._query_histogram()
        yield from self._migration()
        yield from self._runs()
        alerts = _gauge(
            "musicquality_alert", "1 while the alert is raised, else 0.", labels=["name"]
        )
        for alert, raised in data.alerts.items():
            alerts.add_metric([alert.value], 1.0 if raised else 0.0)
        yield alerts

    def _query_histogram(self) -> HistogramMetricFamily:
        family = HistogramMetricFamily(
            "musicquality_query_duration_seconds",
            "Library database query time, by the view (URL name) or command that ran it.",
            labels=["query", "origin"],
        )
        for total in self.data.query_totals:
            cumulative = buckets_cumulative(total.buckets)
            bounds = [repr(float(b)) for b in QUERY_BUCKETS] + ["+Inf"]
            family.add_metric(
                [total.query_name, total.origin],
                buckets=list(zip(bounds, map(float, cumulative), strict=True)),
                sum_value=total.total_seconds,
            )
        return family

    def _migration(self) -> Iterator[Metric]:
        last = self.data.last_migration
        success = _gauge(
            "musicquality_migration_last_success",
            "1 when the last migrate --database=library succeeded; 0 when it failed, was "
            "refused or rolled back.",
        )
        duration = _gauge(
            "musicquality_migration_duration_seconds",
            "How long the last migrate --database=library took, whatever its outcome.",
        )
        finished = _gauge(
            "musicquality_migration_last_timestamp_seconds",
            "When the last migrate --database=library ended (Unix time).",
        )
        if last is not None:
            success.add_metric([], 1.0 if last.outcome == MigrationOutcome.SUCCEEDED else 0.0)
            duration.add_metric([], last.duration_seconds)
            finished.add_metric([], last.finished_at.timestamp())
        yield from (success, duration, finished)

    def _runs(self) -> Iterator[Metric]:
        rate = _gauge(
            "musicquality_run_files_per_second",
            "Files per second of the last run of each kind.",
            labels=["kind"],
        )
        rss = _gauge(
            "musicquality_run_peak_rss_bytes",
            "Peak resident memory of the last run of each kind: the command's process "
            "(main) and its largest worker process (worker).",
            labels=["kind", "process"],
        )
        finished = _gauge(
            "musicquality_run_last_timestamp_seconds",
            "When the last run of each kind ended (Unix time).",
            labels=["kind"],
        )
        for kind, run in self.data.last_runs.items():
            rate.add_metric([kind.value], run.files_per_second)
            rss.add_metric([kind.value, "main"], float(run.peak_rss_bytes))
            if run.worker_peak_rss_bytes:
                rss.add_metric([kind.value, "worker"], float(run.worker_peak_rss_bytes))
            finished.add_metric([kind.value], run.finished_at.timestamp())
        yield from (rate, rss, finished)


def metrics_text(data: MetricsData) -> bytes:
    """The Prometheus text exposition of ``data``."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_StoredFacts(data))
    return generate_latest(registry)
