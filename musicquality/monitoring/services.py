"""Writes of the monitoring time series, all to the app database (``default``).

Recording must never break what it records: a page, a scan or a migration goes on when the
app database cannot take the row (not migrated yet, locked past the busy timeout). Such a
failure is logged (a missing table only at debug level: ``migrate`` for the app database has
simply not been run yet) and reported to the caller as ``False``.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from time import perf_counter
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import DatabaseError, connections, transaction
from django.utils import timezone

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
    Alert,
    MigrationOutcome,
    QueryOrigin,
    RunKind,
    buckets_add,
)
from musicquality.routers import APP_DB_ALIAS

if TYPE_CHECKING:
    from musicquality.monitoring.timing import QueryTimer

logger = logging.getLogger(__name__)


def store_file_exists() -> bool:
    """The app database file is there (or is an in-memory test database). Recording never
    creates it: SQLite would make an empty file on connect, next to a library that a check
    is refusing, say."""
    name = str(connections[APP_DB_ALIAS].settings_dict["NAME"])
    return name.startswith("file:") or name == ":memory:" or Path(name).exists()


def store_is_missing(error: BaseException) -> bool:
    """The monitoring tables are not there: the app database was never migrated."""
    return "no such table: monitoring_" in str(error)


def store_error_log(what: str, error: DatabaseError) -> None:
    level = logging.DEBUG if store_is_missing(error) else logging.WARNING
    logger.log(level, "monitoring: %s (%s)", what, error)


def _recorded(what: str, write: Callable[[], object]) -> bool:
    if not store_file_exists():
        logger.debug("monitoring: %s not recorded (no app database yet)", what)
        return False
    try:
        with transaction.atomic(using=APP_DB_ALIAS):
            write()
    except DatabaseError as error:
        store_error_log(f"{what} not recorded", error)
        return False
    return True


def query_timings_save(
    *,
    timer: QueryTimer,
    query_name: str,
    origin: QueryOrigin,
    now: datetime.datetime | None = None,
) -> bool:
    """One sample row and the running totals for ``query_name``, in one transaction."""
    at = now or timezone.now()

    def write() -> None:
        QueryTimingSample.objects.create(
            recorded_at=at,
            query_name=query_name,
            origin=origin,
            count=timer.count,
            total_seconds=timer.total_seconds,
            max_seconds=timer.max_seconds,
            buckets=list(timer.buckets),
        )
        total, _ = QueryTimingTotal.objects.get_or_create(
            query_name=query_name,
            origin=origin,
            defaults={"buckets": [0] * BUCKET_COUNT, "updated_at": at},
        )
        total.count += timer.count
        total.total_seconds += timer.total_seconds
        total.buckets = buckets_add(total.buckets, timer.buckets)
        total.updated_at = at
        total.save()

    return _recorded(f"query timings of {query_name}", write)


def migration_outcome_save(
    *,
    started_at: datetime.datetime,
    seconds: float,
    outcome: MigrationOutcome,
    applied: int = 0,
    unapplied: int = 0,
    message: str = "",
) -> bool:
    return _recorded(
        f"migration outcome {outcome}",
        lambda: MigrationRecord.objects.create(
            started_at=started_at,
            finished_at=started_at + datetime.timedelta(seconds=seconds),
            duration_seconds=seconds,
            outcome=outcome,
            applied=applied,
            unapplied=unapplied,
            message=message,
        ),
    )


def run_save(
    *,
    kind: RunKind,
    files: int,
    seconds: float,
    peak_rss_bytes: int,
    worker_peak_rss_bytes: int = 0,
    finished_at: datetime.datetime | None = None,
) -> bool:
    return _recorded(
        f"{kind} run",
        lambda: RunRecord.objects.create(
            kind=kind,
            finished_at=finished_at or timezone.now(),
            files=files,
            seconds=seconds,
            files_per_second=files / seconds if seconds > 0 else 0.0,
            peak_rss_bytes=peak_rss_bytes,
            worker_peak_rss_bytes=worker_peak_rss_bytes,
        ),
    )


def library_sample_save(
    *,
    db_size_bytes: int,
    backlog_files: int | None,
    now: datetime.datetime | None = None,
    unless_newer_than: datetime.timedelta | None = None,
) -> bool:
    """A size-and-backlog sample, then old rows pruned.

    ``unless_newer_than`` skips the sample when the last one is that recent: the pages and
    the Prometheus scrapes sample at most every ``MUSICQUALITY_METRICS_SAMPLE_MINUTES``.
    """
    at = now or timezone.now()
    if unless_newer_than is not None and store_file_exists():
        try:
            if LibrarySample.objects.filter(recorded_at__gt=at - unless_newer_than).exists():
                return False
        except DatabaseError as error:
            store_error_log("library sample not recorded", error)
            return False
    saved = _recorded(
        "library sample",
        lambda: LibrarySample.objects.create(
            recorded_at=at, db_size_bytes=db_size_bytes, backlog_files=backlog_files
        ),
    )
    if saved:
        monitoring_prune(now=at)
    return saved


def retention_cutoff(now: datetime.datetime) -> datetime.datetime:
    return now - datetime.timedelta(days=settings.METRICS_RETENTION_DAYS)


def monitoring_prune(*, now: datetime.datetime | None = None) -> dict[str, int]:
    """Delete what is older than ``MUSICQUALITY_METRICS_RETENTION_DAYS``.

    The newest migration record stays whatever its age: ``migration_failed`` is decided by
    the last migration, and an old failure must not clear itself by ageing out. Open alert
    episodes stay too, and the cumulative query totals are never pruned.
    """
    cutoff = retention_cutoff(now or timezone.now())
    deleted: dict[str, int] = {}

    def write() -> None:
        newest_migration = MigrationRecord.objects.order_by("-finished_at", "-id").first()
        old_migrations = MigrationRecord.objects.filter(finished_at__lt=cutoff)
        if newest_migration is not None:
            old_migrations = old_migrations.exclude(pk=newest_migration.pk)
        for label, queryset in (
            ("query_samples", QueryTimingSample.objects.filter(recorded_at__lt=cutoff)),
            ("library_samples", LibrarySample.objects.filter(recorded_at__lt=cutoff)),
            ("runs", RunRecord.objects.filter(finished_at__lt=cutoff)),
            ("migrations", old_migrations),
            ("alert_episodes", AlertEpisode.objects.filter(cleared_at__lt=cutoff)),
        ):
            deleted[label] = queryset.delete()[0]

    _recorded("pruning", write)
    return deleted


def _open_episodes() -> dict[str, AlertEpisode]:
    return {e.name: e for e in AlertEpisode.objects.filter(cleared_at__isnull=True)}


def alert_episodes_update(
    *,
    raised: Mapping[Alert, bool],
    since: Mapping[Alert, datetime.datetime | None],
    now: datetime.datetime | None = None,
) -> dict[Alert, datetime.datetime]:
    """Open an episode for each alert newly raised (from ``since[alert]`` when the evidence
    says when it began, else now), close the ones that cleared; return when each raised
    alert was raised. Reads first and writes (one transaction) only on a change, so a scrape
    every few seconds takes no write lock while nothing changes."""
    at = now or timezone.now()
    fallback = {alert: min(since.get(alert) or at, at) for alert, up in raised.items() if up}

    def changed(open_episodes: dict[str, AlertEpisode]) -> bool:
        return any((alert.value in open_episodes) != up for alert, up in raised.items())

    def write() -> None:
        open_episodes = _open_episodes()
        for alert, up in raised.items():
            episode = open_episodes.get(alert.value)
            if up and episode is None:
                open_episodes[alert.value] = AlertEpisode.objects.create(
                    name=alert.value, raised_at=fallback[alert]
                )
            elif not up and episode is not None:
                episode.cleared_at = at
                episode.save(update_fields=["cleared_at"])
                del open_episodes[alert.value]
        current.update(open_episodes)

    if not store_file_exists():
        return fallback
    try:
        current = _open_episodes()
    except DatabaseError as error:
        store_error_log("alert episodes not read", error)
        return fallback
    if changed(current) and not _recorded("alert episodes", write):
        return fallback
    return {
        alert: current[alert.value].raised_at if alert.value in current else fallback[alert]
        for alert in fallback
    }


class MigrationRun:
    """What ``migrate --database=library`` did, as Django reports its progress."""

    def __init__(self) -> None:
        self.checked = False
        self.applied = 0
        self.unapplied = 0
        self.saved = False

    def checks_passed(self) -> None:
        """The checks before migrating passed: a failure from now on is a failed migration,
        not a refusal."""
        self.checked = True

    def progress(self, action: str) -> None:
        if action == "apply_success":
            self.applied += 1
        elif action == "unapply_success":
            self.unapplied += 1

    def outcome(self, error: BaseException | None) -> MigrationOutcome:
        if error is not None:
            return MigrationOutcome.FAILED if self.checked else MigrationOutcome.REFUSED
        return MigrationOutcome.ROLLED_BACK if self.unapplied else MigrationOutcome.SUCCEEDED


def _first_line(error: BaseException) -> str:
    lines = str(error).strip().splitlines()
    return f"{type(error).__name__}: {lines[0] if lines else ''}"[:500]


@contextmanager
def migration_recorded() -> Iterator[MigrationRun]:
    """Record the migration run inside the block, however it ends: its outcome and duration
    go to the app database (another connection than the library's, so the migration's own
    rollback cannot take the record with it), then any error goes on up."""
    run = MigrationRun()
    started_at = timezone.now()
    started = perf_counter()
    error: BaseException | None = None
    try:
        yield run
    except BaseException as caught:
        error = caught
        raise
    finally:
        run.saved = migration_outcome_save(
            started_at=started_at,
            seconds=perf_counter() - started,
            outcome=run.outcome(error),
            applied=run.applied,
            unapplied=run.unapplied,
            message=_first_line(error) if error is not None else "",
        )
