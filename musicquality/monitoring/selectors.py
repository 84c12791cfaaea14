"""Reads of the monitoring time series (the app database)."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass

from musicquality.models import (
    AlertEpisode,
    LibrarySample,
    MigrationRecord,
    QueryTimingSample,
    QueryTimingTotal,
    RunRecord,
)
from musicquality.monitoring.rules import (
    BUCKET_COUNT,
    QueryOrigin,
    RunKind,
    bucket_quantile,
    buckets_add,
    growth_bytes_per_day,
    migration_failed,
)

GROWTH_WINDOW = datetime.timedelta(days=7)


@dataclass(frozen=True)
class QueryStats:
    """The library queries of one name (or all pooled) over a window."""

    query_name: str
    origin: str
    count: int
    total_seconds: float
    max_seconds: float
    buckets: tuple[int, ...]

    @property
    def mean_seconds(self) -> float | None:
        return self.total_seconds / self.count if self.count else None

    def quantile(self, q: float) -> float | None:
        return bucket_quantile(q, self.buckets, max_seconds=self.max_seconds)

    @property
    def p50_seconds(self) -> float | None:
        return self.quantile(0.5)

    @property
    def p95_seconds(self) -> float | None:
        return self.quantile(0.95)

    @property
    def milliseconds(self) -> dict[str, float | None]:
        """Mean, p50, p95 and max in ms, for the page."""
        return {
            name: None if value is None else value * 1000
            for name, value in (
                ("mean", self.mean_seconds),
                ("p50", self.p50_seconds),
                ("p95", self.p95_seconds),
                ("max", self.max_seconds),
            )
        }


def _pooled(name: str, origin: str, rows: Iterable[tuple]) -> QueryStats:
    count, total, slowest, buckets = 0, 0.0, 0.0, [0] * BUCKET_COUNT
    for row_count, row_total, row_max, row_buckets in rows:
        count += row_count
        total += row_total
        slowest = max(slowest, row_max)
        buckets = buckets_add(buckets, row_buckets)
    return QueryStats(name, origin, count, total, slowest, tuple(buckets))


_STAT_COLUMNS = ("count", "total_seconds", "max_seconds", "buckets")


def page_queries_get(*, since: datetime.datetime) -> QueryStats:
    """Every page query since ``since``, pooled: what the query-time alert reads."""
    rows = QueryTimingSample.objects.filter(
        recorded_at__gte=since, origin=QueryOrigin.PAGE
    ).values_list(*_STAT_COLUMNS)
    return _pooled("all pages", QueryOrigin.PAGE, rows)


def query_stats_by_name(*, since: datetime.datetime) -> list[QueryStats]:
    """Per query name and origin since ``since``, most queries first."""
    grouped: dict[tuple[str, str], list[tuple]] = {}
    rows = QueryTimingSample.objects.filter(recorded_at__gte=since).values_list(
        "query_name", "origin", *_STAT_COLUMNS
    )
    for name, origin, *stats in rows:
        grouped.setdefault((name, origin), []).append(tuple(stats))
    pooled = [_pooled(name, origin, group) for (name, origin), group in grouped.items()]
    return sorted(pooled, key=lambda s: (-s.count, s.query_name))


def query_totals_list() -> list[QueryTimingTotal]:
    return list(QueryTimingTotal.objects.order_by("origin", "query_name"))


def migration_last_get() -> MigrationRecord | None:
    return MigrationRecord.objects.order_by("-finished_at", "-id").first()


def migration_failed_since() -> datetime.datetime | None:
    """When the library migrations started failing: the first failure after the last
    success, while the newest record is a failure; ``None`` otherwise."""
    records = MigrationRecord.objects.order_by("-finished_at", "-id")
    newest = list(records.values_list("outcome", "finished_at")[:1])
    if not migration_failed(outcome for outcome, _ in newest):
        return None
    last_success = records.filter(outcome="succeeded").values_list("finished_at", flat=True)
    after = MigrationRecord.objects.order_by("finished_at", "id")
    if last_success:
        after = after.filter(finished_at__gt=last_success[0])
    return after.values_list("finished_at", flat=True).first()


def migrations_recent(*, limit: int = 10) -> list[MigrationRecord]:
    return list(MigrationRecord.objects.order_by("-finished_at", "-id")[:limit])


def runs_last_by_kind() -> dict[RunKind, RunRecord]:
    found = {}
    for kind in RunKind:
        run = RunRecord.objects.filter(kind=kind).order_by("-finished_at", "-id").first()
        if run is not None:
            found[kind] = run
    return found


def runs_recent(*, kind: RunKind | None = None, limit: int = 30) -> list[RunRecord]:
    """The last ``limit`` runs (of ``kind``), oldest first."""
    runs = RunRecord.objects.order_by("-finished_at", "-id")
    if kind is not None:
        runs = runs.filter(kind=kind)
    return list(reversed(runs[:limit]))


def library_samples_since(*, since: datetime.datetime) -> list[LibrarySample]:
    return list(LibrarySample.objects.filter(recorded_at__gte=since).order_by("recorded_at"))


def db_growth_per_day(*, now: datetime.datetime) -> float | None:
    """Library database growth in bytes per day over the last week of samples."""
    samples = LibrarySample.objects.filter(recorded_at__gte=now - GROWTH_WINDOW).values_list(
        "recorded_at", "db_size_bytes"
    )
    first = samples.order_by("recorded_at", "id").first()
    last = samples.order_by("-recorded_at", "-id").first()
    return growth_bytes_per_day([first, last]) if first and last else None


def alert_episodes_recent(*, limit: int = 20) -> list[AlertEpisode]:
    return list(AlertEpisode.objects.order_by("-raised_at", "-id")[:limit])
