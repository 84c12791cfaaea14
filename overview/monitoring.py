"""The monitoring facts across the apps: the four alerts, ``/metrics`` and the Monitoring page.

The base (``musicquality.monitoring``) measures and stores; only this layer knows the
analysis backlog (``quality.selectors``), so the alerts are decided here. Each look (a
``/health`` check, a Prometheus scrape, the page) takes a snapshot: the live library size
and backlog, the page queries' p95 over the alert window, the last migration; it stores a
library sample when the last one is older than ``MUSICQUALITY_METRICS_SAMPLE_MINUTES`` and
opens or closes alert episodes when an alert changes.
"""

from __future__ import annotations

import datetime
import logging
from dataclasses import dataclass

from django.conf import settings
from django.db import DatabaseError
from django.utils import timezone

from musicquality.charts import (
    GroupedBarChart,
    LineChart,
    grouped_bar_chart,
    line_chart,
)
from musicquality.library_cache import library_cached
from musicquality.library_db import library_db_path, library_db_size, library_schema_is_v2
from musicquality.models import AlertEpisode, MigrationRecord, RunRecord
from musicquality.monitoring.exposition import MetricsData, metrics_text
from musicquality.monitoring.rules import (
    Alert,
    MonitoringFacts,
    RunKind,
    Thresholds,
    alerts_raised,
)
from musicquality.monitoring.selectors import (
    QueryStats,
    alert_episodes_recent,
    db_growth_per_day,
    library_samples_since,
    migration_failed_since,
    migration_last_get,
    migrations_recent,
    page_queries_get,
    query_stats_by_name,
    query_totals_list,
    runs_last_by_kind,
    runs_recent,
)
from musicquality.monitoring.services import (
    alert_episodes_update,
    library_sample_save,
    store_error_log,
)
from quality.selectors import analysis_backlog_count

logger = logging.getLogger(__name__)

#: The page's charts and tables look this far back.
PAGE_WINDOW = datetime.timedelta(days=7)
QUERY_TABLE_WINDOW = datetime.timedelta(hours=24)
RUNS_SHOWN = 30
#: The charts in full-width cards get a wider box, so that their text keeps its size.
WIDE_WIDTH, WIDE_HEIGHT = 1000, 200


@dataclass(frozen=True)
class AlertState:
    alert: Alert
    raised: bool
    since: datetime.datetime | None
    value: str
    threshold: str

    @property
    def name(self) -> str:
        return self.alert.value


@dataclass(frozen=True)
class MonitoringSnapshot:
    now: datetime.datetime
    thresholds: Thresholds
    facts: MonitoringFacts
    alerts: list[AlertState]
    last_migration: MigrationRecord | None
    store_available: bool

    @property
    def raised_names(self) -> list[str]:
        return [state.name for state in self.alerts if state.raised]


def _alert_texts(facts: MonitoringFacts, thresholds: Thresholds) -> dict[Alert, tuple[str, str]]:
    p95 = facts.query_p95_seconds
    window = int(thresholds.window / datetime.timedelta(minutes=1))
    return {
        Alert.DATABASE_SIZE: (
            f"{facts.db_size_bytes / 1024 / 1024:,.1f} MB",
            f"above {thresholds.db_size_bytes / 1024 / 1024:,.0f} MB",
        ),
        Alert.ANALYSIS_BACKLOG: (
            f"{facts.backlog_files:,} files" if facts.backlog_files is not None else "unknown",
            f"above {thresholds.backlog_files:,} files",
        ),
        Alert.QUERY_TIME: (
            f"p95 {p95 * 1000:,.1f} ms" if p95 is not None else "no page queries",
            f"p95 of page queries above {thresholds.query_seconds * 1000:,.0f} ms "
            f"over {window} min",
        ),
        Alert.MIGRATION_FAILED: (
            (
                f"failing since {facts.migration_failed_since:%Y-%m-%d %H:%M} UTC"
                if facts.migration_failed_since
                else "last migration succeeded (or none recorded)"
            ),
            "last migrate --database=library failed, was refused or rolled back",
        ),
    }


def _backlog_when_v2() -> int | None:
    return analysis_backlog_count() if library_schema_is_v2(path=library_db_path()) else None


def _backlog_or_none() -> int | None:
    """The analysis backlog, or ``None`` while the library has no v2.0.0 tables (a first
    migration that failed or was refused: just when ``/metrics`` must still answer)."""
    return library_cached("monitoring:backlog", _backlog_when_v2)


def monitoring_snapshot_take() -> MonitoringSnapshot:
    """The four alerts now, with since when each raised one is up (see the module)."""
    now = timezone.now()
    thresholds = Thresholds.from_settings()
    db_size = library_db_size()
    backlog = _backlog_or_none()
    store_available = True
    p95, failing_since, last_migration = None, None, None
    try:
        p95 = page_queries_get(since=now - thresholds.window).p95_seconds
        failing_since = migration_failed_since()
        last_migration = migration_last_get()
    except DatabaseError as error:
        store_error_log("stored series not read", error)
        store_available = False
    facts = MonitoringFacts(
        db_size_bytes=db_size,
        backlog_files=backlog,
        query_p95_seconds=p95,
        migration_failed_since=failing_since,
    )
    if store_available:
        library_sample_save(
            db_size_bytes=db_size,
            backlog_files=backlog,
            now=now,
            unless_newer_than=datetime.timedelta(minutes=settings.METRICS_SAMPLE_MINUTES),
        )
    raised = alerts_raised(facts, thresholds)
    since = alert_episodes_update(
        raised=raised, since={Alert.MIGRATION_FAILED: failing_since}, now=now
    )
    texts = _alert_texts(facts, thresholds)
    alerts = [
        AlertState(
            alert=alert,
            raised=up,
            since=since.get(alert) if up else None,
            value=texts[alert][0],
            threshold=texts[alert][1],
        )
        for alert, up in raised.items()
    ]
    return MonitoringSnapshot(
        now=now,
        thresholds=thresholds,
        facts=facts,
        alerts=alerts,
        last_migration=last_migration,
        store_available=store_available,
    )


def metrics_exposition_get() -> bytes:
    """``/metrics`` and ``export_metrics``: the snapshot and the stored series, as text."""
    snapshot = monitoring_snapshot_take()
    totals, last_runs, growth = [], {}, None
    if snapshot.store_available:
        try:
            totals = query_totals_list()
            last_runs = runs_last_by_kind()
            growth = db_growth_per_day(now=snapshot.now)
        except DatabaseError as error:
            store_error_log("stored series not read", error)
    return metrics_text(
        MetricsData(
            db_size_bytes=snapshot.facts.db_size_bytes,
            backlog_files=snapshot.facts.backlog_files,
            growth_bytes_per_day=growth,
            alerts={state.alert: state.raised for state in snapshot.alerts},
            query_totals=totals,
            last_migration=snapshot.last_migration,
            last_runs=last_runs,
        )
    )


# --- the Monitoring page -------------------------------------------------------------------


@dataclass(frozen=True)
class MonitoringPage:
    snapshot: MonitoringSnapshot
    growth_bytes_per_day: float | None
    size_chart: LineChart
    backlog_chart: LineChart
    query_chart: GroupedBarChart
    queries: list[QueryStats]
    throughput_chart: LineChart
    runs: list[RunRecord]
    migrations: list[MigrationRecord]
    episodes: list[AlertEpisode]

    @property
    def query_p95_ms(self) -> float | None:
        p95 = self.snapshot.facts.query_p95_seconds
        return None if p95 is None else p95 * 1000


def _run_series(runs: list[RunRecord]) -> list[tuple[str, list[tuple[float, float]]]]:
    """Files per second of each kind over the last runs, x = the run's place in the list."""
    series = []
    for kind in RunKind:
        points = [
            (float(number), run.files_per_second)
            for number, run in enumerate(runs, start=1)
            if run.kind == kind
        ]
        if points:
            series.append((kind.value, points))
    return series


def monitoring_page_get() -> MonitoringPage:
    snapshot = monitoring_snapshot_take()
    now = snapshot.now
    samples = library_samples_since(since=now - PAGE_WINDOW)
    size_points = [(s.recorded_at.timestamp(), s.db_size_bytes / 1024 / 1024) for s in samples]
    backlog_points = [
        (s.recorded_at.timestamp(), float(s.backlog_files))
        for s in samples
        if s.backlog_files is not None
    ]
    queries = query_stats_by_name(since=now - QUERY_TABLE_WINDOW)
    runs = runs_recent(limit=RUNS_SHOWN)
    return MonitoringPage(
        snapshot=snapshot,
        growth_bytes_per_day=db_growth_per_day(now=now),
        size_chart=line_chart(
            series=[("database size (MB)", size_points)],
            title="Library database size (MB), last 7 days",
            value_format="{:,.1f}",
            x_time=True,
        ),
        backlog_chart=line_chart(
            series=[("backlog (files)", backlog_points)],
            title="Analysis backlog (files), last 7 days",
            x_time=True,
        ),
        query_chart=grouped_bar_chart(
            groups=[
                (q.query_name, (1000 * (q.p50_seconds or 0), 1000 * (q.p95_seconds or 0)))
                for q in queries[:12]
            ],
            series=("p50", "p95"),
            title="Library query time by query (ms), last 24 hours",
            value_format="{:,.1f}",
            width=WIDE_WIDTH,
            height=WIDE_HEIGHT,
        ),
        queries=queries,
        throughput_chart=line_chart(
            series=_run_series(runs),
            title=f"Files per second over the last {RUNS_SHOWN} runs (1 = the oldest)",
            width=WIDE_WIDTH,
            height=WIDE_HEIGHT,
        ),
        runs=list(reversed(runs)),
        migrations=migrations_recent(),
        episodes=alert_episodes_recent(),
    )
