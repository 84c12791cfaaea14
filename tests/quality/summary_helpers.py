"""The library summary against a full recomputation from the tables it summarises.

Every count is recomputed here with plain SQL over ``library_index``, ``file_quality`` and
``audio_verification`` (the reference selectors of ``quality.selectors`` for the backlogs and
verdicts, which the pages used before the summary), the search index is checked by SQLite's
own ``integrity-check`` and against a substring search of ``library_index``, and the pairs
against the report's query 4.
"""

from __future__ import annotations

import pytest
from django.db import connections
from django.utils.dateparse import parse_datetime

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
