"""Reads for duplicate finding, the quarantine and the audit log (no writes here)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import Avg, Count, Max, Min, Q, QuerySet, Sum

from dedup.models import DedupHistory
from dedup.rules import Candidate
from quality.models import LibraryFile

PENDING_NOTE_PREFIX = "PENDING:"
"""``notes`` of a history row whose file a dedupe run was about to move (DESIGN.md §7)."""

_CANDIDATE_FIELDS = (
    "id",
    "file_path",
    "file_size",
    "metadata_hash",
    "file_content_hash",
    "artist",
    "title",
    "album",
    "duration",
    "file_format",
    "indexed_at",
    "quality__quality_score",
    "quality__is_lossless",
    "quality__bit_depth",
    "quality__sample_rate",
    "quality__bitrate",
)


def duplicate_candidates_list() -> list[Candidate]:
    """Every active ``library_index`` row with its quality facts, for grouping.

    Plain tuples rather than model instances: this runs over the whole library (50,000+
    rows) and grouping needs only these columns.
    """
    rows = LibraryFile.objects.filter(is_active=True).values_list(*_CANDIDATE_FIELDS)
    return [Candidate(*row) for row in rows.iterator(chunk_size=5000)]


def dedup_history_pending() -> list[DedupHistory]:
    """History rows written by a run that was interrupted before it finished their move."""
    return list(
        DedupHistory.objects.filter(
            can_recover=False, notes__startswith=PENDING_NOTE_PREFIX
        ).order_by("id")
    )


def dedup_history_for_recovery(
    *, ids: list[int] | None = None, session: str | None = None
) -> list[DedupHistory]:
    queryset = DedupHistory.objects.all()
    if ids is not None:
        queryset = queryset.filter(id__in=ids)
    if session is not None:
        queryset = queryset.filter(deletion_session_id=session)
    return list(queryset.order_by("id"))


def dedup_history_purgeable(*, deleted_before: datetime.datetime) -> list[DedupHistory]:
    return list(
        DedupHistory.objects.filter(can_recover=True, deleted_at__lt=deleted_before).order_by(
            "deleted_at", "id"
        )
    )


@dataclass(frozen=True)
class DedupSessionSummary:
    """One dedupe run as a user thinks of it: when, how many files, how much space."""

    session_id: str
    started_at: datetime.datetime | str
    finished_at: datetime.datetime | str
    files: int
    bytes_freed: int
    recoverable: int
    exact: int

    @property
    def gb_freed(self) -> float:
        return self.bytes_freed / 1024**3


def dedup_sessions_totals(*, rows: QuerySet[DedupHistory] | None = None) -> QuerySet:
    """One row per ``deletion_session_id`` of ``rows`` with its totals, newest first.

    A file counts once it left the library: pending rows (an interrupted move) are not
    counted.
    """
    rows = DedupHistory.objects.all() if rows is None else rows
    done = ~Q(notes__startswith=PENDING_NOTE_PREFIX) | Q(notes__isnull=True)
    return (
        rows.filter(done)
        .order_by()
        .values("deletion_session_id")
        .annotate(
            started_at=Min("deleted_at"),
            finished_at=Max("deleted_at"),
            files=Count("id"),
            bytes_freed=Sum("file_size"),
            avg_score=Avg("quality_score"),
            recoverable=Count("id", filter=Q(can_recover=True)),
            exact=Count("id", filter=Q(deletion_reason="exact_duplicate")),
        )
        .order_by("-finished_at")
    )


def dedup_sessions_summary(*, limit: int | None = None) -> list[DedupSessionSummary]:
    """Per-session totals, newest first, for the admin's header."""
    rows = dedup_sessions_totals()
    if limit is not None:
        rows = rows[:limit]
    return [
        DedupSessionSummary(
            session_id=row["deletion_session_id"],
            started_at=row["started_at"],
            finished_at=row["finished_at"],
            files=row["files"],
            bytes_freed=row["bytes_freed"] or 0,
            recoverable=row["recoverable"],
            exact=row["exact"],
        )
        for row in rows
    ]
