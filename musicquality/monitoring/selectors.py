"""Reads of the monitoring time series (the app database)."""

from __future__ import annotations

import datetime
import json
from dataclasses import dataclass

from django.db import connections, router

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


_SAMPLES = "monitoring_query_sample"
#: Pooled in SQL: the sums, and the bucket lists grouped by their text (a few hundred distinct
#: lists among thousands of samples), each decoded once and counted as many times as it
#: occurs. Decoding every sample's JSON cost more than the rest of ``/health`` and
#: ``/monitoring/`` at a few thousand requests in the window; SQLite's ``json_each`` summing
#: them was slower still (bench/RESULTS.md, "Pages at 500,000 files", third session).
_TOTALS_SQL = (
    "SELECT {group} sum(s.count), total(s.total_seconds), max(s.max_seconds) "
    f"FROM {_SAMPLES} s WHERE s.recorded_at >= %s {{where}} {{group_by}}"
)
_BUCKETS_SQL = (
    f"SELECT {{group}} s.buckets, count(*) FROM {_SAMPLES} s "
    "WHERE s.recorded_at >= %s {where} GROUP BY {group} s.buckets"
)


def _stats_pooled(
    *, since: datetime.datetime, origin: QueryOrigin | None, by_name: bool
) -> dict[tuple[str, str], tuple[int, float, float, list[int]]]:
    """(query name, origin) -> count, seconds, slowest, buckets, of the samples since
    ``since`` (one pool, keyed ``("", "")``, unless ``by_name``)."""
    connection = connections[router.db_for_read(QueryTimingSample)]
    group = "s.query_name, s.origin," if by_name else ""
    group_by = "GROUP BY s.query_name, s.origin" if by_name else ""
    where, params = "", [connection.ops.adapt_datetimefield_value(since)]
    if origin is not None:
        where, params = "AND s.origin = %s", [*params, origin.value]

    def key(row: tuple) -> tuple[str, str]:
        return (row[0], row[1]) if by_name else ("", "")

    pooled: dict[tuple[str, str], tuple[int, float, float, list[int]]] = {}
    with connection.cursor() as cursor:
        cursor.execute(_TOTALS_SQL.format(group=group, where=where, group_by=group_by), params)
        for row in cursor.fetchall():
            count, total, slowest = row[-3:]
            if count:
                pooled[key(row)] = (count, total, slowest, [0] * BUCKET_COUNT)
        cursor.execute(_BUCKETS_SQL.format(group=group, where=where), params)
        for row in cursor.fetchall():
            text, times = row[-2:]
            entry = pooled.get(key(row))
            if entry is not None:
                buckets = entry[3]
                for index, value in enumerate(json.loads(text)[:BUCKET_COUNT]):
                    buckets[index] += value * times
    return pooled


_NOTHING = (0, 0.0, 0.0, [0] * BUCKET_COUNT)


def page_queries_get(*, since: datetime.datetime) -> QueryStats:
    """Every page query since ``since``, pooled: what the query-time alert reads."""
    count, total, slowest, buckets = _stats_pooled(
        since=since, origin=QueryOrigin.PAGE, by_name=False
    ).get(("", ""), _NOTHING)
    return QueryStats("all pages", QueryOrigin.PAGE, count, total, slowest, tuple(buckets))


def query_stats_by_name(*, since: datetime.datetime) -> list[QueryStats]:
    """Per query name and origin since ``since``, most queries first."""
    pooled = [
        QueryStats(name, origin, count, total, slowest, tuple(buckets))
        for (name, origin), (count, total, slowest, buckets) in _stats_pooled(
            since=since, origin=None, by_name=True
        ).items()
    ]
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
