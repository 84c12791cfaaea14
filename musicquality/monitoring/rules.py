"""The monitoring rules, as pure functions of plain values (docs/monitoring.md).

One place each: the query-time histogram's buckets and the quantile read from them, the four
alerts of the report (§10.3) and their thresholds, the database growth rate.
"""

from __future__ import annotations

import bisect
import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from django.conf import settings

#: Upper bounds (seconds) of the query-time histogram; a last bucket (+Inf) takes the rest.
#: 0.1 s, the report's alert, is a bound, so "p95 above 100 ms" is read exactly.
QUERY_BUCKETS: tuple[float, ...] = (
    0.0005,
    0.001,
    0.0025,
    0.005,
    0.01,
    0.025,
    0.05,
    0.1,
    0.25,
    0.5,
    1.0,
    2.5,
    5.0,
    10.0,
)
BUCKET_COUNT = len(QUERY_BUCKETS) + 1


class QueryOrigin(StrEnum):
    """Who ran a library query. Only ``page`` queries count for the query-time alert: the
    pages' queries are the report's "indexed queries" (filtered, sorted, paginated through
    the indexes); a command's bulk writes and full scans and the monitoring endpoints' own
    counts are measured but judged by their throughput instead."""

    PAGE = "page"
    COMMAND = "command"
    MONITORING = "monitoring"


class RunKind(StrEnum):
    SCAN = "scan"
    ANALYZE = "analyze"
    VERIFY = "verify"
    IDENTIFY = "identify"


class MigrationOutcome(StrEnum):
    SUCCEEDED = "succeeded"  # applied what was pending, or nothing was
    ROLLED_BACK = "rolled_back"  # a migration was unapplied (e.g. ``quality zero``)
    FAILED = "failed"  # raised while migrating: its transaction rolled back
    REFUSED = "refused"  # the checks before migrating said no; nothing ran


#: As plain strings: an Enum member hashes by its name, so a stored "failed" would not be
#: found in a set of members.
FAILED_OUTCOMES = frozenset(
    o.value
    for o in (MigrationOutcome.ROLLED_BACK, MigrationOutcome.FAILED, MigrationOutcome.REFUSED)
)


class Alert(StrEnum):
    """The report's four alerts. The names keep the report's figures whatever the
    thresholds are set to (``MUSICQUALITY_ALERT_*``)."""

    DATABASE_SIZE = "database_size_above_500MB"
    ANALYSIS_BACKLOG = "analysis_backlog_above_1000"
    QUERY_TIME = "query_time_above_100ms"
    MIGRATION_FAILED = "migration_failed"


@dataclass(frozen=True)
class Thresholds:
    db_size_bytes: int
    backlog_files: int
    query_seconds: float
    window: datetime.timedelta

    @classmethod
    def from_settings(cls) -> Thresholds:
        return cls(
            db_size_bytes=int(settings.ALERT_DB_SIZE_MB * 1024 * 1024),
            backlog_files=int(settings.ALERT_BACKLOG_FILES),
            query_seconds=settings.ALERT_QUERY_MS / 1000,
            window=datetime.timedelta(minutes=settings.ALERT_WINDOW_MINUTES),
        )


def db_size_alert_raised(db_size_bytes: int, thresholds: Thresholds) -> bool:
    return db_size_bytes > thresholds.db_size_bytes


def backlog_alert_raised(backlog_files: int | None, thresholds: Thresholds) -> bool:
    return backlog_files is not None and backlog_files > thresholds.backlog_files


def query_time_alert_raised(p95_seconds: float | None, thresholds: Thresholds) -> bool:
    return p95_seconds is not None and p95_seconds > thresholds.query_seconds


def migration_failed(outcomes_newest_first: Iterable[str]) -> bool:
    """The last library migration failed, was refused or rolled back."""
    for outcome in outcomes_newest_first:
        return outcome in FAILED_OUTCOMES
    return False


@dataclass(frozen=True)
class MonitoringFacts:
    """What the four alerts are decided from, all counts and sizes."""

    db_size_bytes: int
    backlog_files: int | None  # None: the library has no v2.0.0 tables to count it from
    query_p95_seconds: float | None
    migration_failed_since: datetime.datetime | None


def alerts_raised(facts: MonitoringFacts, thresholds: Thresholds) -> dict[Alert, bool]:
    """Each of the four alerts, raised or not, in the report's order."""
    return {
        Alert.DATABASE_SIZE: db_size_alert_raised(facts.db_size_bytes, thresholds),
        Alert.ANALYSIS_BACKLOG: backlog_alert_raised(facts.backlog_files, thresholds),
        Alert.QUERY_TIME: query_time_alert_raised(facts.query_p95_seconds, thresholds),
        Alert.MIGRATION_FAILED: facts.migration_failed_since is not None,
    }


# --- the histogram -------------------------------------------------------------------------


def bucket_index(seconds: float) -> int:
    """The bucket a duration falls in: the first bound it does not exceed (Prometheus' ``le``),
    or the last (+Inf) bucket."""
    return bisect.bisect_left(QUERY_BUCKETS, seconds)


def buckets_add(total: Sequence[int], more: Sequence[int]) -> list[int]:
    return [a + b for a, b in zip(total, more, strict=True)]


def buckets_cumulative(buckets: Sequence[int]) -> list[int]:
    running, out = 0, []
    for count in buckets:
        running += count
        out.append(running)
    return out


def bucket_quantile(q: float, buckets: Sequence[int], *, max_seconds: float) -> float | None:
    """The ``q`` quantile of durations counted in ``buckets``, as Prometheus'
    ``histogram_quantile`` reads it: linear within the bucket the rank falls in, the largest
    duration seen for the last (+Inf) bucket. ``None`` when nothing was counted."""
    total = sum(buckets)
    if not total:
        return None
    rank = q * total
    below = 0
    for index, count in enumerate(buckets):
        if count and below + count >= rank:
            if index == len(QUERY_BUCKETS):
                return max_seconds
            lower = QUERY_BUCKETS[index - 1] if index else 0.0
            upper = min(QUERY_BUCKETS[index], max(max_seconds, lower))
            return lower + (upper - lower) * (rank - below) / count
        below += count
    return max_seconds


# --- size growth ---------------------------------------------------------------------------

GROWTH_MIN_SPAN = datetime.timedelta(hours=1)


def growth_bytes_per_day(
    samples: Sequence[tuple[datetime.datetime, int]],
) -> float | None:
    """Bytes per day between the first and the last sample (oldest first), or ``None`` when
    they are less than an hour apart (too short to say anything per day)."""
    if len(samples) < 2:
        return None
    (first_at, first), (last_at, last) = samples[0], samples[-1]
    span = last_at - first_at
    if span < GROWTH_MIN_SPAN:
        return None
    return (last - first) / (span / datetime.timedelta(days=1))
