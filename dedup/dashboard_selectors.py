"""Reads for the ``/dedup/`` dashboard: recent deletions, sessions, and duplicates still there.

``deleted_at`` is ISO-8601 text with a ``T`` (docs/legacy-schema.md), so days come from
``substr(deleted_at, 1, 10)`` and the 30-day cut-off is an ISO string of the same form;
SQLite's ``datetime('now', ...)`` (space-separated) or Django's ``__date`` would compare
or parse those strings wrongly.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass

from django.db import connections

from dedup.models import DedupHistory
from musicquality.keyset import (
    KeysetPage,
    keyset_condition,
    keyset_order,
    keyset_page,
    position_from_token,
)
from musicquality.routers import LIBRARY_DB_ALIAS
from quality.badges import file_quality_badge
from quality.selectors import library_files_by_id
from quality.services.summary import library_summary_check, summary_rows
from quality.summary import SCORE_UNITS

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
    badge1: str = ""
    badge2: str = ""


def recent_cutoff(*, now: datetime.datetime, days: int = RECENT_DAYS) -> datetime.datetime:
    """Midnight (UTC) of the first of the last ``days`` days, today included: the window of
    the per-day chart, so that /dedup/'s table by reason and its chart count the same
    deletions (the summary keeps whole days)."""
    first = now.astimezone(datetime.UTC).date() - datetime.timedelta(days=days - 1)
    return datetime.datetime.combine(first, datetime.time(), tzinfo=datetime.UTC)


def _day(moment: datetime.datetime) -> str:
    return moment.astimezone(datetime.UTC).date().isoformat()


def deletions_by_reason(*, since: datetime.datetime) -> list[ReasonRow]:
    """The report's query 2 from the deletion summary: every file removed on the day of
    ``since`` (UTC) or later, per reason, most first (pending moves included, as in the
    report's query)."""
    labels = dict(DedupHistory._meta.get_field("deletion_reason").flatchoices)
    rows = summary_rows(
        "SELECT reason, sum(files), sum(scored), sum(score_units), sum(bytes) "
        "FROM summary_deletion WHERE day >= %s GROUP BY reason",
        [_day(since)],
    )
    found = [
        ReasonRow(
            deletion_reason=reason,
            label=labels.get(reason, reason),
            count=files,
            avg_quality_deleted=units / SCORE_UNITS / scored if scored else None,
            bytes_freed=int(size),
        )
        for reason, files, scored, units, size in rows
        if files
    ]
    return sorted(found, key=lambda row: (-row.count, row.deletion_reason))


def deletions_per_day(*, now: datetime.datetime, days: int = RECENT_DAYS) -> list[tuple[str, int]]:
    """``(YYYY-MM-DD, files deleted)`` for each of the last ``days`` days (UTC), zeros kept."""
    first = recent_cutoff(now=now, days=days).date()
    counts = dict(
        summary_rows(
            "SELECT day, sum(files) FROM summary_deletion WHERE day >= %s GROUP BY day",
            [first.isoformat()],
        )
    )
    return [
        (day.isoformat(), counts.get(day.isoformat(), 0))
        for day in (first + datetime.timedelta(days=offset) for offset in range(days))
    ]


# The report's query 4, limited to files still in the library, is kept whole in the library
# summary's summary_pair (docs/summary.md): our writers and the reconciliation with the CLI's
# writes keep it, so a page reads only its own rows, through the index of its sort.
NAMED_SORTS = ("artist", "title")
#: Column name (``-`` for descending) -> the summary_pair columns read in index order.
PAIR_SORTS: dict[str, tuple[str, ...]] = {
    "": ("report_order", "id1", "id2"),  # the report's: difference descending, ids ascending
    "score_diff": ("score_diff", "id1", "id2"),
    "artist": ("artist", "id1", "id2"),
    "title": ("title", "id1", "id2"),
    "score1": ("score1", "id1", "id2"),
    "score2": ("score2", "id1", "id2"),
}
PAIRS_PER_PAGE = 10
_PAIR_COLUMNS = "id1, score1, id2, score2, score_diff, artist, title"


def _pair_sort(order_by: str) -> tuple[tuple[str, ...], bool]:
    name = order_by.lstrip("-")
    if name not in PAIR_SORTS:
        return PAIR_SORTS[""], False
    return PAIR_SORTS[name], order_by.startswith("-") and bool(name)


def _pair_from(row: Sequence) -> DuplicatePair:
    id1, score1, id2, score2, score_diff, artist, title = row
    return DuplicatePair(id1, score1, id2, score2, score_diff, artist or None, title or None)


def duplicate_pairs_count(*, min_diff: float = DEFAULT_MIN_SCORE_DIFF) -> int:
    """How many pairs differ by more than ``min_diff`` (a range of idx_summary_pair_diff)."""
    ((count,),) = summary_rows(
        "SELECT count(*) FROM summary_pair WHERE score_diff > %s", [min_diff]
    )
    return count


def duplicate_pairs_with_quality_gap(
    *, min_diff: float = DEFAULT_MIN_SCORE_DIFF, order_by: str = ""
) -> list[DuplicatePair]:
    """Every pair of the report's query 4 over the files still in the library, sorted by
    ``order_by`` (a table column, ``-`` for descending; the report's order by default), with
    the first file's names; paths come from :func:`duplicate_pair_details_fill`."""
    library_summary_check()
    columns, descending = _pair_sort(order_by)
    order = keyset_order(columns, descending=descending, before=False)
    with connections[LIBRARY_DB_ALIAS].cursor() as cursor:
        cursor.execute(
            f"SELECT {_PAIR_COLUMNS} FROM summary_pair WHERE score_diff > %s ORDER BY {order}",
            [min_diff],
        )
        return [_pair_from(row) for row in cursor.fetchall()]


def duplicate_pairs_page(
    *,
    min_diff: float = DEFAULT_MIN_SCORE_DIFF,
    order_by: str = "",
    after: str | None = None,
    before: str | None = None,
    per_page: int = PAIRS_PER_PAGE,
) -> KeysetPage[DuplicatePair]:
    """One page of :func:`duplicate_pairs_with_quality_gap`, by position
    (``musicquality.keyset``), with its paths and names filled in."""
    library_summary_check()
    columns, descending = _pair_sort(order_by)
    position = position_from_token(before or after, length=len(columns))
    is_before = before is not None and position is not None
    where, params = ["score_diff > %s"], [min_diff]
    if position is not None:
        where.append(keyset_condition(columns, descending=descending, before=is_before))
        params += position
    order = keyset_order(columns, descending=descending, before=is_before)
    with connections[LIBRARY_DB_ALIAS].cursor() as cursor:
        cursor.execute(
            f"SELECT {_PAIR_COLUMNS}, {', '.join(columns)} FROM summary_pair "
            f"WHERE {' AND '.join(where)} ORDER BY {order} LIMIT %s",
            [*params, per_page + 1],
        )
        rows = [tuple(row) for row in cursor.fetchall()]
    rows, next_token, previous_token = keyset_page(
        rows,
        per_page=per_page,
        before=is_before,
        started_at_position=position is not None,
        position_of=lambda row: row[7:],
    )
    pairs = [_pair_from(row[:7]) for row in rows]
    duplicate_pair_details_fill(pairs=pairs)
    return KeysetPage(pairs, next_token=next_token, previous_token=previous_token)


def duplicate_pair_details_fill(*, pairs: list[DuplicatePair]) -> None:
    """Set the paths and quality badges, and the first file's artist and title, of the pairs
    a page shows (one query)."""
    files = library_files_by_id(ids={pair.id1 for pair in pairs} | {pair.id2 for pair in pairs})
    for pair in pairs:
        first, second = files.get(pair.id1), files.get(pair.id2)
        if first is not None:
            pair.path1, pair.artist, pair.title = first.file_path, first.artist, first.title
            pair.badge1 = file_quality_badge(first)
        else:
            pair.path1 = pair.artist = pair.title = None
        if second is not None:
            pair.path2, pair.badge2 = second.file_path, file_quality_badge(second)
