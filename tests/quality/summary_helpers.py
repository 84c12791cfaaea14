"""The library summary against a full recomputation from the tables it summarises.

Every count is recomputed here with plain SQL over ``library_index``, ``file_quality`` and
``audio_verification`` (the reference selectors of ``quality.selectors`` for the backlogs and
verdicts, which the pages used before the summary), the search index is checked by SQLite's
own ``integrity-check`` and against a substring search of ``library_index``, and the pairs
against the report's query 4.
"""

from __future__ import annotations

import datetime

import pytest
from django.db import connections
from django.db.models import Avg, Count, Max, Min, Q
from django.db.models.functions import Substr
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from dedup.dashboard_selectors import deletions_by_reason, deletions_per_day
from dedup.models import DedupHistory
from dedup.selectors import PENDING_NOTE_PREFIX, dedup_history_count, dedup_sessions_totals
from musicquality.aggregates import Total
from quality.selectors import (
    FileQuery,
    active_files_totals,
    analysis_backlog_count,
    container_codec_counts,
    library_files_page,
    library_summary_get,
    quality_distribution_get,
    verdict_counts,
    verification_backlog_count,
)
from quality.services.summary import library_summary_differences
from quality.summary import SCORE_UNITS
from upgrades.models import UpgradeCandidate, UserAction
from upgrades.selectors import (
    UpgradeAlbums,
    upgrade_action_counts,
    upgrade_availability_counts,
    upgrade_candidates_count,
)

# Appendix B query 4 as the report writes it, at threshold 0, limited to active files.
REPORT_QUERY_4 = """
SELECT li1.id, li2.id, fq1.quality_score, fq2.quality_score,
       ABS(fq1.quality_score - fq2.quality_score)
FROM library_index li1
JOIN library_index li2 ON li1.metadata_hash = li2.metadata_hash
JOIN file_quality fq1 ON li1.id = fq1.library_file_id
JOIN file_quality fq2 ON li2.id = fq2.library_file_id
WHERE li1.id < li2.id AND li1.is_active = 1 AND li2.is_active = 1
  AND ABS(fq1.quality_score - fq2.quality_score) > 0
"""


def _rows(sql: str, params=()) -> list[tuple]:
    with connections["library"].cursor() as cursor:
        cursor.execute(sql, list(params))
        return [tuple(row) for row in cursor.fetchall()]


def search_reference(word: str) -> set[int]:
    """Active ids whose artist, title, album or path holds ``word`` (case-insensitive)."""
    needle = word.casefold()
    found = set()
    for id_, *texts in _rows(
        "SELECT id, artist, title, album, file_path FROM library_index WHERE is_active = 1"
    ):
        if any(needle in (text or "").casefold() for text in texts):
            found.add(id_)
    return found


def search_summary(word: str) -> set[int]:
    """What ``/files/?q=word`` finds (the index for three characters or more, LIKE below)."""
    page = library_files_page(query=FileQuery(words=(word,)), per_page=10**6)
    return {file.pk for file in page.rows}


def assert_summary_is_the_library(*, words: tuple[str, ...] = ()) -> None:
    """Every number the summary gives equals its full recomputation now."""
    assert library_summary_differences().files == 0
    summary = library_summary_get()
    assert summary.totals == active_files_totals()
    assert summary.backlog == analysis_backlog_count()
    assert summary.verification_backlog == verification_backlog_count()
    assert summary.verdicts == verdict_counts()
    ((indexed, active, analyses),) = _rows(
        "SELECT (SELECT count(*) FROM library_index), "
        "(SELECT count(*) FROM library_index WHERE is_active = 1), "
        "(SELECT count(*) FROM file_quality WHERE library_file_id IN "
        "(SELECT id FROM library_index))"
    )
    counts = summary.row_counts
    assert (counts.library_index, counts.library_index_active, counts.file_quality) == (
        indexed,
        active,
        analyses,
    )
    mine, full = summary.distribution, quality_distribution_get()
    assert mine.score_bins == full.score_bins
    assert [
        (r.file_format, r.file_count, r.lossless_count, r.hires_count) for r in mine.formats
    ] == [(r.file_format, r.file_count, r.lossless_count, r.hires_count) for r in full.formats]
    assert [r.avg_score for r in mine.formats] == pytest.approx([r.avg_score for r in full.formats])
    assert summary.codecs_by_container == container_codec_counts()
    ((last,),) = _rows(
        "SELECT max(analyzed_at) FROM file_quality WHERE library_file_id IN "
        "(SELECT id FROM library_index)"
    )
    assert summary.last_analysis_at == (parse_datetime(last) if last else None)
    # The search index: SQLite's own check that the index holds exactly the summary's text,
    # and the same files as a plain substring search for each word.
    with connections["library"].cursor() as cursor:
        cursor.execute("INSERT INTO summary_search (summary_search) VALUES ('integrity-check')")
    for word in words:
        assert search_summary(word) == search_reference(word), word
    pairs = sorted(_rows("SELECT id1, id2, score1, score2, score_diff FROM summary_pair"))
    assert pairs == sorted(_rows(REPORT_QUERY_4))
    assert_history_summaries_are_the_tables()


# --- the trigger-kept summaries of dedup_history and upgrade_candidates ---------------------


def sessions_reference(**filters) -> list[dict]:
    """``dedup_sessions_totals`` recomputed with the ORM over every history row: done rows
    (notes not starting with the pending prefix) matching the filters, per session; a
    session's first and last deletion over all its rows."""
    rows = DedupHistory.objects.filter(
        ~Q(notes__startswith=PENDING_NOTE_PREFIX) | Q(notes__isnull=True)
    )
    if filters.get("deletion_reason"):
        rows = rows.filter(deletion_reason=filters["deletion_reason"])
    if filters.get("matched_by"):
        rows = rows.filter(matched_by=filters["matched_by"])
    if filters.get("can_recover") is not None:
        rows = rows.filter(can_recover=filters["can_recover"])
    totals = (
        rows.order_by()
        .values("deletion_session_id")
        .annotate(
            files=Count("id"),
            bytes_freed=Total("file_size"),
            avg_score=Avg("quality_score"),
            recoverable=Count("id", filter=Q(can_recover=True)),
            exact=Count("id", filter=Q(deletion_reason="exact_duplicate")),
        )
    )
    bounds = {
        row["deletion_session_id"]: (row["first"], row["last"])
        for row in DedupHistory.objects.order_by()
        .values("deletion_session_id")
        .annotate(first=Min("deleted_at"), last=Max("deleted_at"))
    }
    found = [
        {
            **row,
            "started_at": bounds[row["deletion_session_id"]][0],
            "finished_at": bounds[row["deletion_session_id"]][1],
        }
        for row in totals
    ]
    return sorted(found, key=lambda row: row["deletion_session_id"])


def assert_history_summaries_are_the_tables() -> None:
    """/dedup/'s chart, reasons, sessions and /upgrades/' counts equal their recomputation."""
    now = timezone.now()
    first_day = (now - datetime.timedelta(days=29)).date().isoformat()
    per_day = dict(
        DedupHistory.objects.annotate(day=Substr("deleted_at", 1, 10))
        .filter(day__gte=first_day)
        .values("day")
        .annotate(n=Count("id"))
        .values_list("day", "n")
    )
    assert {day: n for day, n in deletions_per_day(now=now) if n} == per_day
    since = now - datetime.timedelta(days=7)
    reasons = (
        DedupHistory.objects.annotate(day=Substr("deleted_at", 1, 10))
        .filter(day__gte=since.date().isoformat())
        .values("deletion_reason")
        .annotate(n=Count("id"), size=Total("file_size"), avg=Avg("quality_score"))
    )
    mine = {row.deletion_reason: row for row in deletions_by_reason(since=since)}
    assert set(mine) == {row["deletion_reason"] for row in reasons}
    for row in reasons:
        got = mine[row["deletion_reason"]]
        assert (got.count, got.bytes_freed) == (row["n"], int(row["size"]))
        assert got.avg_quality_deleted == pytest.approx(row["avg"])
    assert dedup_history_count() == DedupHistory.objects.count()
    for filters in (
        {},
        {"deletion_reason": "exact_duplicate"},
        {"matched_by": "content_hash", "can_recover": True},
        {"can_recover": False},
    ):
        mine_sessions = sorted(
            dedup_sessions_totals(**filters), key=lambda row: row["deletion_session_id"]
        )
        reference = sessions_reference(**filters)
        assert [
            {k: v for k, v in row.items() if k not in ("avg_score",)} for row in mine_sessions
        ] == [{k: v for k, v in row.items() if k not in ("avg_score",)} for row in reference], (
            filters
        )
        assert [row["avg_score"] for row in mine_sessions] == pytest.approx(
            [row["avg_score"] for row in reference]
        )
    actions = dict.fromkeys(UserAction.values, 0)
    for row in UpgradeCandidate.objects.values("user_action").annotate(n=Count("id")):
        actions[row["user_action"] or UserAction.PENDING] += row["n"]
    assert upgrade_action_counts() == actions
    services = (
        UpgradeCandidate.objects.filter(user_action=UserAction.PENDING)
        .values("available_on_service")
        .annotate(n=Count("id"))
    )
    assert sorted(upgrade_availability_counts(user_action=UserAction.PENDING)) == sorted(
        (row["available_on_service"] or "unknown", row["n"]) for row in services
    )
    assert upgrade_candidates_count() == UpgradeCandidate.objects.count()
    albums: dict[tuple, list] = {}
    for action, artist, album, priority in (
        UpgradeCandidate.objects.exclude(album__isnull=True)
        .exclude(album="")
        .values_list("user_action", "artist", "album", "priority_score")
    ):
        entry = albums.setdefault((action or "", artist, album), [0, 0.0])
        entry[0] += 1
        entry[1] += priority
    kept = {
        (action, artist, album): (n, units / SCORE_UNITS)
        for action, artist, album, n, units in _rows(
            "SELECT user_action, artist, album, candidates, priority_units "
            "FROM summary_upgrade_album"
        )
    }
    assert set(kept) == set(albums)
    for key, (n, priority) in albums.items():
        assert kept[key][0] == n and kept[key][1] == pytest.approx(priority, abs=1e-5), key
    pending = UpgradeAlbums(user_action=UserAction.PENDING)
    listed = pending[0:None]
    assert len(pending) == len(listed) == sum(1 for key in albums if key[0] == "pending")
    assert [album.priority_sum for album in listed] == sorted(
        (album.priority_sum for album in listed), reverse=True
    )
