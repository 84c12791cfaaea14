"""Reads for duplicate finding, the quarantine and the audit log (no writes here)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db import connections
from django.db.models import Avg, Count, Max, Min, Q, QuerySet

from dedup.models import DedupHistory
from dedup.rules import Candidate, DuplicateGroup, DuplicateReport, duplicate_groups_build
from musicquality.aggregates import Total
from musicquality.fields import iso_timestamp_parse
from musicquality.library_cache import library_cached
from quality.hashing import is_hash_marker
from quality.models import ACTIVE_SQL, LibraryFile, active_q

PENDING_NOTE_PREFIX = "PENDING:"
"""``notes`` of a history row whose file a dedupe run was about to move
(docs/deletion-protocol.md)."""

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


def _candidates(queryset: QuerySet[LibraryFile]) -> list[Candidate]:
    rows = queryset.values_list(*_CANDIDATE_FIELDS)
    return [Candidate(*row) for row in rows.iterator(chunk_size=5000)]


# The likely members of duplicate groups: rows sharing their sampled content hash or their
# metadata hash with another active row. Each hash is grouped once through its covering
# idx_active_*_hash index, in index order, and only the members are joined to file_quality.
MEMBERS_SQL = f"""
WITH shared_content AS (
    SELECT file_content_hash AS hash FROM library_index WHERE {ACTIVE_SQL}
    GROUP BY file_content_hash HAVING COUNT(*) > 1
),
shared_metadata AS (
    SELECT metadata_hash AS hash FROM library_index WHERE {ACTIVE_SQL}
    GROUP BY metadata_hash HAVING COUNT(*) > 1
),
members AS (
    SELECT li.id FROM shared_content s
    JOIN library_index li ON li.{ACTIVE_SQL} AND li.file_content_hash = s.hash
    UNION
    SELECT li.id FROM shared_metadata s
    JOIN library_index li ON li.{ACTIVE_SQL} AND li.metadata_hash = s.hash
)
SELECT li.id, li.file_path, li.file_size, li.metadata_hash, li.file_content_hash, li.artist,
       li.title, li.album, li.duration, li.file_format, li.indexed_at, fq.quality_score,
       fq.is_lossless, fq.bit_depth, fq.sample_rate, fq.bitrate
FROM members JOIN library_index li ON li.id = members.id
LEFT JOIN file_quality fq ON fq.library_file_id = li.id
"""


def _members() -> list[Candidate]:
    with connections["library"].cursor() as cursor:
        cursor.execute(MEMBERS_SQL)
        rows = cursor.fetchall()
    return [
        Candidate(
            id=row[0],
            file_path=row[1],
            file_size=row[2],
            metadata_hash=row[3],
            file_content_hash=row[4],
            artist=row[5],
            title=row[6],
            album=row[7],
            duration=row[8],
            file_format=row[9],
            indexed_at=iso_timestamp_parse(row[10]),
            quality_score=row[11],
            is_lossless=None if row[12] is None else bool(row[12]),
            bit_depth=row[13],
            sample_rate=row[14],
            bitrate=row[15],
        )
        for row in rows
    ]


def duplicate_candidates_list(*, members_only: bool = True) -> list[Candidate]:
    """Active ``library_index`` rows with their quality facts, for grouping.

    With ``members_only`` (the default), only rows that share their sampled content hash or
    their metadata hash with another active row (:data:`MEMBERS_SQL`): a superset of every
    duplicate group's members (a group is made of files sharing one of the two), so the
    grouping rule runs over those instead of the whole library.
    ``tests/dedup/test_selectors.py`` checks that both give the same groups.

    Plain tuples rather than model instances: grouping needs only these columns.
    """
    if members_only:
        return _members()
    return _candidates(LibraryFile.objects.filter(active_q()))


MAX_GROUP_ROUNDS = 8


def duplicate_candidates_around(*, file_id: int) -> list[Candidate]:
    """The active rows that can decide which duplicate groups ``file_id`` belongs to.

    Grouping only ever compares files sharing a content hash or a metadata hash, so the rows
    connected to the file through shared hashes (collected until no new hash appears) give
    it exactly the groups a run over the whole library would.
    """
    found: dict[int, Candidate] = {}
    content: set[str] = set()
    metadata: set[str] = set()
    match = Q(id=file_id)
    for _ in range(MAX_GROUP_ROUNDS):
        new = [
            c
            for c in _candidates(LibraryFile.objects.filter(active_q()).filter(match))
            if c.id not in found
        ]
        if not new:
            break
        found.update((c.id, c) for c in new)
        # A marker hash or an untagged file's metadata hash never groups anything.
        new_content = {
            c.file_content_hash for c in new if not is_hash_marker(c.file_content_hash)
        } - content
        new_metadata = {c.metadata_hash for c in new if c.is_tagged} - metadata
        content |= new_content
        metadata |= new_metadata
        match = Q(file_content_hash__in=new_content) | Q(metadata_hash__in=new_metadata)
    return list(found.values())


def duplicate_groups_of_file(*, file_id: int) -> list[DuplicateGroup]:
    """The duplicate groups (keeper first) that hold ``file_id``, as ``find_duplicates`` would
    report them without its full-content confirmation: exact groups are suggestions."""
    report = duplicate_groups_build(duplicate_candidates_around(file_id=file_id), same_content=None)
    return [
        group
        for group in report.groups
        if group.keeper.id == file_id or any(r.candidate.id == file_id for r in group.removals)
    ]


def duplicate_groups_suggested() -> DuplicateReport:
    """Every duplicate group of the library by the one grouping rule, without the full-content
    reads (exact groups are suggestions until ``find_duplicates`` or ``dedupe`` confirm them).
    Reused until the library changes (:mod:`musicquality.library_cache`)."""
    return library_cached(
        "duplicate_groups",
        lambda: duplicate_groups_build(duplicate_candidates_list(), same_content=None),
    )


def dedup_history_count() -> int:
    return DedupHistory.objects.count()


def dedup_history_of_file(*, library_file: LibraryFile) -> list[DedupHistory]:
    """Every ``dedup_history`` row that kept this file, was this row, or shares one of its
    hashes (its sampled content hash only when it is not a marker)."""
    match = (
        Q(kept_file_id=library_file.pk)
        | Q(original_library_id=library_file.pk)
        | Q(metadata_hash=library_file.metadata_hash)
    )
    if not is_hash_marker(library_file.file_content_hash):
        match |= Q(file_content_hash=library_file.file_content_hash)
    return list(DedupHistory.objects.filter(match).order_by("-deleted_at", "-id"))


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
            bytes_freed=Total("file_size"),
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
            bytes_freed=int(row["bytes_freed"]),
            recoverable=row["recoverable"],
            exact=row["exact"],
        )
        for row in rows
    ]
