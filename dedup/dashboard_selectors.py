"""Reads for the ``/dedup/`` dashboard: recent deletions, sessions, and duplicates still there.

``deleted_at`` is ISO-8601 text with a ``T`` (docs/legacy-schema.md), so days come from
``substr(deleted_at, 1, 10)`` and the 30-day cut-off is an ISO string of the same form;
SQLite's ``datetime('now', ...)`` (space-separated) or Django's ``__date`` would compare
or parse those strings wrongly.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from operator import attrgetter
from typing import Any

from django.db import connections
from django.db.models import Avg, Count
from django.db.models.functions import Substr

from dedup.models import DedupHistory
from musicquality.aggregates import Total
from musicquality.library_cache import library_cached
from quality.models import ACTIVE_SQL, LibraryFile

RECENT_DAYS = 30
DEFAULT_MIN_SCORE_DIFF = 20.0
GIB = 1024**3


@dataclass(frozen=True)
class ReasonRow:
    """One line of the report's query 2 (docs/report.md)."""

    deletion_reason: str
    label: str
    count: int
    avg_quality_deleted: float | None
    bytes_freed: int

    @property
    def gb_freed(self) -> float:
        return self.bytes_freed / GIB


@dataclass
class DuplicatePair:
    """One line of the report's query 4 (docs/report.md): same metadata hash, scores far apart.

    Paths and names are filled in for the rows a page shows
    (:func:`duplicate_pair_details_fill`).
    """

    id1: int
    score1: float
    id2: int
    score2: float
    score_diff: float
    artist: str | None = None
    title: str | None = None
    path1: str | None = None
    path2: str | None = None


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
            bytes_freed=Total("file_size"),
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


# The report's query 4, limited to files still in the library and without paths or names.
# Starting the self-join from the metadata hashes that occur more than once, read from the
# covering idx_active_metadata_hash, is what keeps it several times faster than the report's
# form (bench/RESULTS.md, "Pages"); the rest is a lookup of file_quality per member.
QUERY_4 = f"""
WITH shared AS (
    SELECT metadata_hash FROM library_index WHERE {ACTIVE_SQL}
    GROUP BY metadata_hash HAVING count(*) > 1
),
members AS (
    SELECT li.id, li.metadata_hash, fq.quality_score
    FROM shared
    JOIN library_index li ON li.{ACTIVE_SQL} AND li.metadata_hash = shared.metadata_hash
    JOIN file_quality fq ON fq.library_file_id = li.id
)
SELECT m1.id AS id1, m1.quality_score AS score1, m2.id AS id2, m2.quality_score AS score2,
       ABS(m1.quality_score - m2.quality_score) AS score_diff
FROM members m1
JOIN members m2 ON m2.metadata_hash = m1.metadata_hash AND m1.id < m2.id
WHERE ABS(m1.quality_score - m2.quality_score) > %s
ORDER BY score_diff DESC, m1.id, m2.id
"""
NAMED_SORTS = ("artist", "title")


def duplicate_pairs_with_quality_gap(
    *, min_diff: float = DEFAULT_MIN_SCORE_DIFF, order_by: str = ""
) -> list[DuplicatePair]:
    """The report's query 4 over the files still in the library, sorted by ``order_by``.

    The same pairs as the report's form, without paths, and without
    names unless they are the sort key: :func:`duplicate_pair_details_fill` adds them to the
    rows a page shows. The rows are reused until the library database
    changes (:mod:`musicquality.library_cache`).
    """
    with_names = order_by.lstrip("-") in NAMED_SORTS
    rows = library_cached(
        ("query_4", min_diff, with_names), lambda: _query_4_rows(min_diff, with_names=with_names)
    )
    pairs = [DuplicatePair(*row) for row in rows]  # the columns in the fields' order
    duplicate_pairs_sort(pairs=pairs, order_by=order_by)
    return pairs


def _query_4_rows(min_diff: float, *, with_names: bool) -> list[tuple]:
    sql = QUERY_4
    if with_names:
        sql = (
            f"SELECT pairs.*, li.artist, li.title FROM ({QUERY_4}) AS pairs "
            "JOIN library_index li ON li.id = pairs.id1 "
            "ORDER BY pairs.score_diff DESC, pairs.id1, pairs.id2"
        )
    with connections["library"].cursor() as cursor:
        cursor.execute(sql, [min_diff])
        return cursor.fetchall()


PAIR_SORT_KEYS: dict[str, Callable[[DuplicatePair], Any]] = {
    "artist": lambda pair: (pair.artist is not None, pair.artist or ""),
    "title": lambda pair: (pair.title is not None, pair.title or ""),
    "score1": attrgetter("score1"),
    "score2": attrgetter("score2"),
    "score_diff": attrgetter("score_diff"),
}


def duplicate_pairs_sort(*, pairs: list[DuplicatePair], order_by: str) -> None:
    """Sort in place by a table column name (``-`` for descending); unknown names are ignored.

    Done here with a plain key, in django-tables2's order (``None`` first, then ``<``); the
    table shows the list as it is (:class:`dedup.tables.PresortedListData`).
    """
    key = PAIR_SORT_KEYS.get(order_by.lstrip("-"))
    if key is not None:
        pairs.sort(key=key, reverse=order_by.startswith("-"))


def duplicate_pair_details_fill(*, pairs: list[DuplicatePair]) -> None:
    """Set the paths, and the first file's artist and title, of the pairs a page shows."""
    ids = {pair.id1 for pair in pairs} | {pair.id2 for pair in pairs}
    files = {
        row[0]: row
        for row in LibraryFile.objects.filter(id__in=ids)
        .values_list("id", "file_path", "artist", "title")
        .order_by()
    }
    missing = (None, None, None, None)
    for pair in pairs:
        _, pair.path1, pair.artist, pair.title = files.get(pair.id1, missing)
        pair.path2 = files.get(pair.id2, missing)[1]
