"""Reads for the ``/dedup/`` dashboard: recent deletions, sessions, and duplicates still there.

``deleted_at`` is ISO-8601 text with a ``T`` (DESIGN.md §3), so days come from
``substr(deleted_at, 1, 10)`` and the 30-day cut-off is an ISO string of the same form;
SQLite's ``datetime('now', ...)`` (space-separated) or Django's ``__date`` would compare
or parse those strings wrongly.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db import connections
from django.db.models import Avg, Count, Max, Min, Q, QuerySet, Sum
from django.db.models.functions import Substr

from dedup.models import DedupHistory

RECENT_DAYS = 30
DEFAULT_MIN_SCORE_DIFF = 20.0
GIB = 1024**3


@dataclass(frozen=True)
class ReasonRow:
    """One line of the report's Appendix B query 2."""

    deletion_reason: str
    label: str
    count: int
    avg_quality_deleted: float | None
    bytes_freed: int

    @property
    def gb_freed(self) -> float:
        return self.bytes_freed / GIB


@dataclass(frozen=True)
class DuplicatePair:
    """One line of the report's Appendix B query 4: same artist and title, scores far apart."""

    artist: str | None
    title: str | None
    id1: int
    path1: str
    score1: float
    id2: int
    path2: str
    score2: float
    score_diff: float


def recent_cutoff(*, now: datetime.datetime, days: int = RECENT_DAYS) -> datetime.datetime:
    return now - datetime.timedelta(days=days)


def deletions_by_reason(*, since: datetime.datetime) -> list[ReasonRow]:
    labels = dict(DedupHistory._meta.get_field("deletion_reason").flatchoices)
    rows = (
        DedupHistory.objects.filter(deleted_at__gte=since)
        .values("deletion_reason")
        .annotate(
            count=Count("id"),
            avg_quality_deleted=Avg("quality_score"),
            bytes_freed=Sum("file_size"),
        )
        .order_by("-count", "deletion_reason")
    )
    return [
        ReasonRow(label=labels.get(row["deletion_reason"], row["deletion_reason"]), **row)
        for row in rows
    ]


def deletions_per_day(*, now: datetime.datetime, days: int = RECENT_DAYS) -> list[tuple[str, int]]:
    """``(YYYY-MM-DD, files deleted)`` for each of the last ``days`` days (UTC), zeros kept."""
    today = now.astimezone(datetime.UTC).date()
    first = today - datetime.timedelta(days=days - 1)
    counts = dict(
        DedupHistory.objects.filter(
            deleted_at__gte=datetime.datetime.combine(first, datetime.time(), datetime.UTC)
        )
        .annotate(day=Substr("deleted_at", 1, 10))
        .values("day")
        .annotate(n=Count("id"))
        .values_list("day", "n")
    )
    return [
        (day.isoformat(), counts.get(day.isoformat(), 0))
        for day in (first + datetime.timedelta(days=offset) for offset in range(days))
    ]


def dedup_sessions(rows: QuerySet[DedupHistory] | None = None) -> QuerySet:
    """One row per ``deletion_session_id`` with its totals, newest first."""
    rows = DedupHistory.objects.all() if rows is None else rows
    return (
        rows.order_by()
        .values("deletion_session_id")
        .annotate(
            started=Min("deleted_at"),
            finished=Max("deleted_at"),
            files=Count("id"),
            bytes_freed=Sum("file_size"),
            avg_score=Avg("quality_score"),
            recoverable=Count("id", filter=Q(can_recover=True)),
        )
        .order_by("-started")
    )


QUERY_4 = """
SELECT li1.artist, li1.title,
       li1.id, li1.file_path, fq1.quality_score,
       li2.id, li2.file_path, fq2.quality_score,
       ABS(fq1.quality_score - fq2.quality_score) AS score_diff
FROM library_index li1
JOIN library_index li2 ON li1.metadata_hash = li2.metadata_hash
JOIN file_quality fq1 ON li1.id = fq1.library_file_id
JOIN file_quality fq2 ON li2.id = fq2.library_file_id
WHERE li1.id < li2.id
  AND li1.is_active = 1 AND li2.is_active = 1
  AND ABS(fq1.quality_score - fq2.quality_score) > %s
ORDER BY score_diff DESC, li1.id, li2.id
"""


def duplicate_pairs_with_quality_gap(
    *, min_diff: float = DEFAULT_MIN_SCORE_DIFF
) -> list[DuplicatePair]:
    """The report's query 4, limited to files still in the library (``is_active = 1``)."""
    with connections["library"].cursor() as cursor:
        cursor.execute(QUERY_4, [min_diff])
        return [DuplicatePair(*row) for row in cursor.fetchall()]
