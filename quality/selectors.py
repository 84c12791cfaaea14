"""Reads of the library: files and their analyses, the analysis backlog, the distribution.

The analysis backlog has one definition, :data:`BACKLOG_CONDITION`: a file is waiting for
analysis when it has no ``file_quality`` row, when it changed after it was analysed, or when
its row was made by another analyser version (a new scoring revision re-scores everything).
``analyze_quality`` works through exactly the files this counts, and every page that shows a
backlog counts with it.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import NamedTuple

from django.db import connections
from django.db.models import Count, Max
from django.utils.dateparse import parse_datetime

from musicquality.aggregates import Total
from quality.distribution import (
    SCORE_BIN_WIDTH,
    SCORE_BINS,
    SUMMED,
    QualityDistribution,
    quality_distribution,
    score_bin_bounds,
)
from quality.models import (
    ACTIVE_SQL,
    INACTIVE_SQL,
    FileQuality,
    LibraryFile,
    LibrarySetting,
    LibraryStats,
    active_q,
)
from quality.score import quality_score_parts
from quality.versions import ANALYZER_VERSION

DB = "library"

# --- the analysis backlog ------------------------------------------------------------------

#: The one definition of "waiting for analysis", over ``library_index li LEFT JOIN
#: file_quality fq``; its parameter is the current analyser version.
BACKLOG_CONDITION = (
    "(fq.id IS NULL OR fq.analyzer_version IS NULL OR fq.analyzer_version != %s "
    "OR fq.analyzed_at < li.file_mtime)"
)
_ACTIVE_FILES_SQL = """
SELECT {columns}
FROM library_index li LEFT JOIN file_quality fq ON fq.library_file_id = li.id
WHERE li.{active} {pending} {prefix}
{tail}
"""


class FileToAnalyse(NamedTuple):
    id: int
    file_path: str
    file_format: str


def _active_files_sql(
    *, columns: str, pending: bool, path_prefix: str | None, tail: str = ""
) -> tuple[str, list]:
    params: list = []
    pending_sql = ""
    if pending:
        pending_sql = f"AND {BACKLOG_CONDITION}"
        params.append(ANALYZER_VERSION)
    prefix_sql = ""
    if path_prefix:
        prefix_sql = "AND substr(li.file_path, 1, %s) = %s"
        params += [len(path_prefix), path_prefix]
    sql = _ACTIVE_FILES_SQL.format(
        columns=columns, active=ACTIVE_SQL, pending=pending_sql, prefix=prefix_sql, tail=tail
    )
    return sql, params


def files_to_analyse(
    *, force: bool = False, path_prefix: str | None = None, limit: int | None = None
) -> list[FileToAnalyse]:
    """Active files in the backlog (every active file with ``force``), by id."""
    sql, params = _active_files_sql(
        columns="li.id, li.file_path, li.file_format",
        pending=not force,
        path_prefix=path_prefix,
        tail="ORDER BY li.id" + (" LIMIT %s" if limit is not None else ""),
    )
    if limit is not None:
        params.append(limit)
    with connections[DB].cursor() as cursor:
        cursor.execute(sql, params)
        return [FileToAnalyse(*row) for row in cursor.fetchall()]


def active_files_count(*, path_prefix: str | None = None) -> int:
    sql, params = _active_files_sql(columns="COUNT(*)", pending=False, path_prefix=path_prefix)
    with connections[DB].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()[0]


def analysis_backlog_count(*, path_prefix: str | None = None) -> int:
    """How many active files ``analyze_quality`` would analyse now."""
    sql, params = _active_files_sql(columns="COUNT(*)", pending=True, path_prefix=path_prefix)
    with connections[DB].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()[0]


# --- totals ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class LibraryTotals:
    files: int
    total_size: int


def active_files_totals() -> LibraryTotals:
    totals = LibraryFile.objects.filter(active_q()).aggregate(
        files=Count("id"), total_size=Total("file_size")
    )
    return LibraryTotals(files=totals["files"], total_size=int(totals["total_size"]))


@dataclass(frozen=True)
class LibraryRowCounts:
    library_index: int
    library_index_active: int
    file_quality: int


def library_row_counts() -> LibraryRowCounts:
    return LibraryRowCounts(
        library_index=LibraryFile.objects.count(),
        library_index_active=LibraryFile.objects.filter(active_q()).count(),
        file_quality=FileQuality.objects.count(),
    )


def library_setting_get(*, key: str) -> str | None:
    """A value of the legacy ``settings`` table (``schema_version`` among them)."""
    setting = LibrarySetting.objects.filter(key=key).first()
    return setting.value if setting else None


# --- the quality distribution (report query 3 and the histogram) ---------------------------

# Each of these reads one index in its own order, without sorting the whole table (figures in
# bench/RESULTS.md, "Pages"):
# - per format: idx_quality_upgrade_candidates (format, lossless, score);
# - per score bin: one range count on idx_quality_score per bin;
# - hi-res per format: idx_quality_hires (``+file_format`` keeps the planner off
#   idx_quality_format).
FORMAT_SUMS_SQL = """
SELECT file_format, is_lossless = 1, COUNT(*), SUM(quality_score)
FROM file_quality {where}
GROUP BY file_format, is_lossless
"""
BIN_COUNTS_SQL = """
WITH bins(bin, low, high) AS (VALUES {bounds})
SELECT bin, (SELECT COUNT(*) FROM file_quality WHERE quality_score >= low AND quality_score < high)
FROM bins ORDER BY bin
"""
# The same bins by arithmetic, for the inactive files only: the range counts above, limited to
# them, scan every index entry (measured slower with many inactive files: bench/RESULTS.md).
INACTIVE_BIN_COUNTS_SQL = """
SELECT MIN(MAX(CAST(quality_score / {width} AS INTEGER), 0), {last_bin}), COUNT(*)
FROM file_quality WHERE {inactive}
GROUP BY 1
"""
HIRES_SQL = (
    "SELECT file_format, COUNT(*) FROM file_quality WHERE is_hires = 1 {also} GROUP BY +file_format"
)
INACTIVE_FILES_SQL = f"library_file_id IN (SELECT id FROM library_index WHERE {INACTIVE_SQL})"


def _bin_bounds_values() -> str:
    """``(bin, low, high)`` rows for :data:`BIN_COUNTS_SQL`, open-ended at both extremes."""
    rows = []
    for index in range(SCORE_BINS):
        low, high = score_bin_bounds(index)
        rows.append(f"({index}, {low if index else '-9e999'}, {'9e999' if high is None else high})")
    return ", ".join(rows)


def _format_sums(*, inactive_only: bool) -> list[dict]:
    """Per format: files, score sum, lossless and hi-res files."""
    rows: dict[str, dict] = {}

    def row_for(file_format: str) -> dict:
        return rows.setdefault(
            file_format, {"file_format": file_format, **dict.fromkeys(SUMMED, 0)}
        )

    where = f"WHERE {INACTIVE_FILES_SQL}" if inactive_only else ""
    hires_sql = HIRES_SQL.format(also=f"AND {INACTIVE_FILES_SQL}" if inactive_only else "")
    with connections[DB].cursor() as cursor:
        cursor.execute(FORMAT_SUMS_SQL.format(where=where))
        for file_format, lossless, count, score_sum in cursor.fetchall():
            row = row_for(file_format)
            row["file_count"] += count
            row["score_sum"] += score_sum
            row["lossless_count"] += count if lossless else 0
        cursor.execute(hires_sql)
        for file_format, count in cursor.fetchall():
            row_for(file_format)["hires_count"] += count
    return list(rows.values())


def _bin_counts(*, inactive_only: bool) -> list[int]:
    """Files per score bin: every analysis, or only those of inactive files."""
    counts = [0] * SCORE_BINS
    with connections[DB].cursor() as cursor:
        if inactive_only:
            cursor.execute(
                INACTIVE_BIN_COUNTS_SQL.format(
                    width=SCORE_BIN_WIDTH, last_bin=SCORE_BINS - 1, inactive=INACTIVE_FILES_SQL
                )
            )
        else:
            cursor.execute(BIN_COUNTS_SQL.format(bounds=_bin_bounds_values()))
        for index, count in cursor.fetchall():
            counts[index] += count
    return counts


def quality_distribution_get() -> QualityDistribution:
    """Query 3 and the histogram over active files (see :mod:`quality.distribution`)."""
    return quality_distribution(
        rows=_format_sums(inactive_only=False),
        bins=_bin_counts(inactive_only=False),
        minus=_format_sums(inactive_only=True),
        minus_bins=_bin_counts(inactive_only=True),
    )


# --- runs -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ScanRun:
    finished_at: datetime.datetime | None
    files: int | None
    seconds: float | None

    @property
    def files_per_second(self) -> float | None:
        if not self.files or not self.seconds:
            return None
        return self.files / self.seconds


def _as_datetime(value) -> datetime.datetime | None:
    return parse_datetime(value) if isinstance(value, str) else value


def last_scan_get() -> ScanRun | None:
    stats = LibraryStats.objects.order_by("-id").first()
    if stats is None:
        return None
    return ScanRun(
        finished_at=_as_datetime(stats.last_index_time or stats.created_at),
        files=stats.total_files,
        seconds=stats.index_duration,
    )


def last_analysis_get() -> ScanRun | None:
    last = FileQuality.objects.aggregate(last=Max("analyzed_at"))["last"]
    if last is None:
        return None
    return ScanRun(finished_at=_as_datetime(last), files=None, seconds=None)


# --- one file -------------------------------------------------------------------------------


def library_file_get(*, file_id: int) -> LibraryFile | None:
    """A ``library_index`` row with its analysis (``.quality``) when it has one."""
    return LibraryFile.objects.select_related("quality").filter(pk=file_id).first()


def file_quality_of(library_file: LibraryFile) -> FileQuality | None:
    return getattr(library_file, "quality", None)


def score_parts_get(quality: FileQuality) -> list[tuple[str, float]]:
    """The stored analysis's score, term by term, by the current formula."""
    return quality_score_parts(
        codec=quality.codec,
        bitrate_kbps=quality.bitrate,
        sample_rate=quality.sample_rate,
        bit_depth=quality.bit_depth,
        channels=quality.channels,
        bitrate_mode=quality.bitrate_mode,
    )


def library_files_by_id(*, ids: set[int]) -> dict[int, LibraryFile]:
    """Active or not, with their analysis: for pages that show a handful of files."""
    return {row.pk: row for row in LibraryFile.objects.select_related("quality").filter(id__in=ids)}
