"""Reads of the library: files and their analyses, the analysis backlog, the distribution.

The analysis backlog has one definition, :data:`BACKLOG_CONDITION`: a file is waiting for
analysis when it has no ``file_quality`` row, when it changed after it was analysed, or when
its row was made by another analyser version (a new scoring revision re-scores everything),
unless the analysis could not read it and it has not changed since
(:data:`UNREADABLE_CONDITION`: counted apart, with the reason).
``analyze_quality`` works through exactly the files this counts, and every page that shows a
backlog counts with it.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import NamedTuple

from django.db import connections
from django.db.models import Count, Max, Q

from musicquality.aggregates import Total
from musicquality.keyset import (
    KeysetPage,
    keyset_condition,
    keyset_order,
    keyset_page,
    position_from_token,
)
from musicquality.library_db import library_db_path, library_schema_is_v2
from musicquality.routers import APP_DB_ALIAS, LIBRARY_DB_ALIAS
from musicquality.timestamps import timestamp_parse
from quality.distribution import (
    SCORE_BIN_WIDTH,
    SCORE_BINS,
    SUMMED,
    QualityDistribution,
    quality_distribution,
    score_bin_bounds,
)
from quality.fingerprints import (
    MAX_OFFSET,
    SAME_RECORDING,
    FingerprintUnavailable,
    fingerprint_decode,
    fingerprint_similarity,
)
from quality.hashing import is_hash_marker
from quality.models import (
    ACTIVE_SQL,
    AudioMatch,
    AudioVerification,
    FileQuality,
    LibraryFile,
    LibrarySetting,
    LibraryStats,
    QualityHistory,
    Verdict,
    active_q,
)
from quality.recordings import (
    LINK_STRENGTH as ALL_LINK_KINDS,
)
from quality.recordings import (
    AudioMatchFact,
    Candidate,
    recording_groups,
    recording_links,
)
from quality.score import AudioEvidence, quality_score_parts
from quality.summary import CODEC_SEPARATOR, NO_NUMBER, SCORE_UNITS, SEARCH_COLUMNS, Bucket
from quality.versions import ANALYZER_VERSION, VERIFIER_VERSION

# --- the analysis backlog ------------------------------------------------------------------

#: A file the analysis could not read, unchanged since (``summary_unreadable``), over
#: ``library_index li``: shown as unreadable with the reason, counted apart, and out of the
#: backlog until it changes (``analyze_quality --force`` tries it again).
UNREADABLE_CONDITION = (
    "EXISTS (SELECT 1 FROM summary_unreadable u WHERE u.id = li.id "
    "AND u.file_mtime IS li.file_mtime)"
)
#: The one definition of "waiting for analysis", over ``library_index li LEFT JOIN
#: file_quality fq``; its parameter is the current analyser version.
BACKLOG_CONDITION = (
    "((fq.id IS NULL OR fq.analyzer_version IS NULL OR fq.analyzer_version != %s "
    f"OR fq.analyzed_at < li.file_mtime) AND NOT {UNREADABLE_CONDITION})"
)
_ACTIVE_FILES_SQL = """
SELECT {columns}
FROM library_index li LEFT JOIN file_quality fq ON fq.library_file_id = li.id {joins}
WHERE li.{active} {pending} {prefix}
{tail}
"""


class FileToAnalyse(NamedTuple):
    id: int
    file_path: str
    file_format: str
    #: what the file's current verification found (None: not verified since it changed)
    evidence: AudioEvidence | None = None


#: ``audio_verification`` columns an :class:`AudioEvidence` is made of, in its field order.
EVIDENCE_COLUMNS = (
    "verdict", "integrity", "cutoff_hz", "estimated_source", "estimated_source_codec",
    "estimated_source_kbps", "effective_sample_rate", "effective_bit_depth",
)  # fmt: skip
#: A verification counts for the score while it is current: same verifier, file unchanged.
CURRENT_VERIFICATION_SQL = (
    "LEFT JOIN audio_verification av ON av.library_file_id = li.id "
    "AND av.verifier_version = %s AND av.verified_at >= li.file_mtime"
)


def evidence_from(values: Sequence) -> AudioEvidence | None:
    """An :class:`AudioEvidence` from :data:`EVIDENCE_COLUMNS` values (None: no verification)."""
    return AudioEvidence(*values) if values and values[0] is not None else None


def _active_files_sql(
    *, columns: str, pending: bool, path_prefix: str | None, tail: str = "", joins: str = ""
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
        columns=columns,
        active=ACTIVE_SQL,
        pending=pending_sql,
        prefix=prefix_sql,
        tail=tail,
        joins=joins,
    )
    return sql, params


def _unreadable_table_ensure() -> None:
    """The backlog's SQL reads the summary's ``summary_unreadable``: built first if missing
    (``library_summary_ensure``; imported here, the summary service reads this module)."""
    from quality.services.summary import library_summary_ensure

    library_summary_ensure()


def files_to_analyse(
    *, force: bool = False, path_prefix: str | None = None, limit: int | None = None
) -> list[FileToAnalyse]:
    """Active files in the backlog (every active file with ``force``), by id, each with the
    evidence of its current verification (the score is the effective one)."""
    _unreadable_table_ensure()
    sql, params = _active_files_sql(
        columns="li.id, li.file_path, li.file_format, "
        + ", ".join(f"av.{column}" for column in EVIDENCE_COLUMNS),
        pending=not force,
        path_prefix=path_prefix,
        tail="ORDER BY li.id" + (" LIMIT %s" if limit is not None else ""),
        joins=CURRENT_VERIFICATION_SQL,
    )
    params.insert(0, VERIFIER_VERSION)
    if limit is not None:
        params.append(limit)
    with connections[LIBRARY_DB_ALIAS].cursor() as cursor:
        cursor.execute(sql, params)
        return [
            FileToAnalyse(
                id=row[0], file_path=row[1], file_format=row[2], evidence=evidence_from(row[3:])
            )
            for row in cursor.fetchall()
        ]


def active_files_count(*, path_prefix: str | None = None) -> int:
    sql, params = _active_files_sql(columns="COUNT(*)", pending=False, path_prefix=path_prefix)
    with connections[LIBRARY_DB_ALIAS].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()[0]


def analysis_backlog_count(*, path_prefix: str | None = None) -> int:
    """How many active files ``analyze_quality`` would analyse now."""
    _unreadable_table_ensure()
    sql, params = _active_files_sql(columns="COUNT(*)", pending=True, path_prefix=path_prefix)
    with connections[LIBRARY_DB_ALIAS].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()[0]


def analysis_backlog_if_known() -> int | None:
    """:func:`analysis_backlog_count`, or None before schema v2.0.0 (no ``file_quality``
    yet: a first scan of a legacy database), for a run's monitoring sample."""
    if not library_schema_is_v2(path=library_db_path()):
        return None
    return analysis_backlog_count()


@dataclass(frozen=True)
class UnreadableFile:
    """A file the analysis could not read, and why (it stays so until the file changes)."""

    id: int
    file_path: str
    kind: str
    message: str
    failed_at: datetime.datetime | None


#: The unreadable files first (a handful), each then found in library_index by its id.
#: ``CROSS JOIN`` is how SQLite is told to keep that order: left to choose, its planner
#: walked all of library_index, testing each row (bench/RESULTS.md, "Pages at 500,000 files").
UNREADABLE_FROM = "FROM summary_unreadable u CROSS JOIN library_index li ON li.id = u.id"
_UNREADABLE_SQL = f"""
SELECT li.id, li.file_path, u.kind, u.message, u.failed_at
{UNREADABLE_FROM}
WHERE li.{ACTIVE_SQL} AND {UNREADABLE_CONDITION} {{where}}
ORDER BY li.file_path
"""


def unreadable_files_list(*, library_file_id: int | None = None) -> list[UnreadableFile]:
    """The active files the analysis could not read, unchanged since, by path (a handful:
    the list grows with the damaged files, not with the library)."""
    _unreadable_table_ensure()
    where, params = ("AND li.id = %s", [library_file_id]) if library_file_id else ("", [])
    with connections[LIBRARY_DB_ALIAS].cursor() as cursor:
        cursor.execute(_UNREADABLE_SQL.format(where=where), params)
        return [
            UnreadableFile(id_, path, kind, message, timestamp_parse(failed_at))
            for id_, path, kind, message, failed_at in cursor.fetchall()
        ]


def unreadable_files_count(*, path_prefix: str | None = None) -> int:
    _unreadable_table_ensure()
    prefix_sql, params = "", list[int | str]()
    if path_prefix:
        prefix_sql = "AND substr(li.file_path, 1, %s) = %s"
        params = [len(path_prefix), path_prefix]
    with connections[LIBRARY_DB_ALIAS].cursor() as cursor:
        cursor.execute(
            f"SELECT count(*) {UNREADABLE_FROM} "
            f"WHERE li.{ACTIVE_SQL} AND {UNREADABLE_CONDITION} {prefix_sql}",
            params,
        )
        return cursor.fetchone()[0]


# --- the verification backlog ---------------------------------------------------------------

#: The one definition of "waiting for verification" (``verify_audio`` works through exactly
#: these): no ``audio_verification`` row, a row by another verifier version, or a file changed
#: after it was verified. Parameter: the current verifier version.
VERIFY_BACKLOG_CONDITION = (
    "(av.id IS NULL OR av.verifier_version != %s OR av.verified_at < li.file_mtime "
    # verified before it was analysed: its fingerprint had nowhere to go (file_quality)
    "OR (fq.id IS NOT NULL AND fq.acoustid_fingerprint IS NULL "
    "AND json_extract(av.evidence, '$.fingerprint') = 'stored'))"
)
_VERIFY_SQL = f"""
SELECT {{columns}}
FROM library_index li LEFT JOIN audio_verification av ON av.library_file_id = li.id
LEFT JOIN file_quality fq ON fq.library_file_id = li.id
WHERE li.{ACTIVE_SQL} {{pending}} {{prefix}}
{{tail}}
"""


class FileToVerify(NamedTuple):
    id: int
    file_path: str


def _verify_sql(
    *, columns: str, pending: bool, path_prefix: str | None, tail: str = ""
) -> tuple[str, list]:
    params: list = []
    pending_sql = ""
    if pending:
        pending_sql = f"AND {VERIFY_BACKLOG_CONDITION}"
        params.append(VERIFIER_VERSION)
    prefix_sql = ""
    if path_prefix:
        prefix_sql = "AND substr(li.file_path, 1, %s) = %s"
        params += [len(path_prefix), path_prefix]
    sql = _VERIFY_SQL.format(columns=columns, pending=pending_sql, prefix=prefix_sql, tail=tail)
    return sql, params


def files_to_verify(
    *, force: bool = False, path_prefix: str | None = None, limit: int | None = None
) -> list[FileToVerify]:
    """Active files in the verification backlog (every active file with ``force``), by id."""
    sql, params = _verify_sql(
        columns="li.id, li.file_path",
        pending=not force,
        path_prefix=path_prefix,
        tail="ORDER BY li.id" + (" LIMIT %s" if limit is not None else ""),
    )
    if limit is not None:
        params.append(limit)
    with connections[LIBRARY_DB_ALIAS].cursor() as cursor:
        cursor.execute(sql, params)
        return [FileToVerify(*row) for row in cursor.fetchall()]


def verification_backlog_count(*, path_prefix: str | None = None) -> int:
    """How many active files ``verify_audio`` would verify now."""
    sql, params = _verify_sql(columns="COUNT(*)", pending=True, path_prefix=path_prefix)
    with connections[LIBRARY_DB_ALIAS].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()[0]


def verdict_counts() -> dict[str, int]:
    """Active files per verdict of their current verification (every verdict present)."""
    counts = dict.fromkeys(Verdict.values, 0)
    with connections[LIBRARY_DB_ALIAS].cursor() as cursor:
        cursor.execute(
            "SELECT av.verdict, COUNT(*) FROM audio_verification av "
            "JOIN library_index li ON li.id = av.library_file_id "
            f"WHERE li.{ACTIVE_SQL} AND av.verifier_version = %s AND av.verified_at >= "
            "li.file_mtime GROUP BY av.verdict",
            [VERIFIER_VERSION],
        )
        for verdict, count in cursor.fetchall():
            counts[verdict] = counts.get(verdict, 0) + count
    return counts


def verification_of(*, library_file_id: int) -> AudioVerification | None:
    return AudioVerification.objects.filter(library_file_id=library_file_id).first()


def evidence_of(verification: AudioVerification | None) -> AudioEvidence | None:
    """The evidence of a verification row as the score reads it."""
    if verification is None:
        return None
    return AudioEvidence(*(getattr(verification, column) for column in EVIDENCE_COLUMNS))


def verification_is_current(verification: AudioVerification, library_file: LibraryFile) -> bool:
    """Made by this verifier, and not older than the file's last change."""
    return verification.verifier_version == VERIFIER_VERSION and (
        library_file.file_mtime is None
        or verification.verified_at is None
        or verification.verified_at >= library_file.file_mtime
    )


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
# Not active: an inactive row, or none at all (the CLI deletes rows without foreign keys, so
# their analyses stay behind; the summary, one row per library_index row, never counts them).
INACTIVE_FILES_SQL = f"library_file_id NOT IN (SELECT id FROM library_index WHERE {ACTIVE_SQL})"


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
    with connections[LIBRARY_DB_ALIAS].cursor() as cursor:
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
    with connections[LIBRARY_DB_ALIAS].cursor() as cursor:
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


class ContainerCodec(NamedTuple):
    file_format: str
    codec: str
    file_count: int


def codecs_by_container(rows: Iterable[ContainerCodec]) -> dict[str, list[ContainerCodec]]:
    """Per container that holds more than one codec (``m4a``: AAC and ALAC), the files of
    each codec, most first; containers of one codec are left out."""
    found: dict[str, list[ContainerCodec]] = {}
    for row in rows:
        found.setdefault(row.file_format, []).append(row)
    return {
        container: sorted(rows, key=lambda row: (-row.file_count, row.codec))
        for container, rows in found.items()
        if len(rows) > 1
    }


def container_codec_counts() -> dict[str, list[ContainerCodec]]:
    """:func:`codecs_by_container` counted over every active analysed file (the full
    recomputation the summary's codec buckets are tested against; the overview reads
    :attr:`LibrarySummary.codecs_by_container`)."""
    sql = (
        "SELECT coalesce(fq.file_format, ''), coalesce(nullif(fq.codec, ''), '?'), COUNT(*) "
        "FROM file_quality fq "
        f"JOIN library_index li ON li.id = fq.library_file_id WHERE li.{ACTIVE_SQL} "
        "GROUP BY 1, 2"
    )
    with connections[LIBRARY_DB_ALIAS].cursor() as cursor:
        cursor.execute(sql)
        return codecs_by_container(ContainerCodec(*row) for row in cursor.fetchall())


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


def last_scan_get() -> ScanRun | None:
    stats = LibraryStats.objects.order_by("-id").first()
    if stats is None:
        return None
    return ScanRun(
        finished_at=timestamp_parse(stats.last_index_time or stats.created_at),
        files=stats.total_files,
        seconds=stats.index_duration,
    )


def last_analysis_get() -> ScanRun | None:
    last = FileQuality.objects.aggregate(last=Max("analyzed_at"))["last"]
    if last is None:
        return None
    return ScanRun(finished_at=timestamp_parse(last), files=None, seconds=None)


# --- one file -------------------------------------------------------------------------------


def library_file_get(*, file_id: int) -> LibraryFile | None:
    """A ``library_index`` row with its analysis (``.quality``) when it has one."""
    return LibraryFile.objects.select_related("quality", "verification").filter(pk=file_id).first()


def file_quality_of(library_file: LibraryFile) -> FileQuality | None:
    return getattr(library_file, "quality", None)


def score_parts_get(
    quality: FileQuality, *, evidence: AudioEvidence | None = None
) -> list[tuple[str, float]]:
    """The stored analysis's score, term by term, by the current formula (with what the
    file's current verification found)."""
    return quality_score_parts(
        codec=quality.codec,
        bitrate_kbps=quality.bitrate,
        sample_rate=quality.sample_rate,
        bit_depth=quality.bit_depth,
        channels=quality.channels,
        bitrate_mode=quality.bitrate_mode,
        evidence=evidence,
    )


def score_history_of(*, library_file_id: int, limit: int = 20) -> list[QualityHistory]:
    """The file's last score changes, newest first."""
    return list(
        QualityHistory.objects.filter(library_file_id=library_file_id).order_by(
            "-measured_at", "-id"
        )[:limit]
    )


def library_files_by_id(*, ids: set[int]) -> dict[int, LibraryFile]:
    """Active or not, with their analysis: for pages that show a handful of files."""
    return {
        row.pk: row
        for row in LibraryFile.objects.select_related("quality", "verification").filter(id__in=ids)
    }


def audio_disagrees(*, library_file_id: int, other_id: int) -> bool:
    """True when both files' audio is known and says they are different recordings: their
    fingerprints match at no alignment (below ``SAME_RECORDING``, as the recording groups
    compare them; identical decoded audio gives identical fingerprints). Audio not known on
    either side (no fingerprint, or libchromaprint missing) is no contradiction: tags decide
    then."""
    rows = dict(
        FileQuality.objects.filter(library_file_id__in=[library_file_id, other_id]).values_list(
            "library_file_id", "acoustid_fingerprint"
        )
    )
    first, second = rows.get(library_file_id), rows.get(other_id)
    if not first or not second:
        return False
    try:
        similarity = fingerprint_similarity(
            fingerprint_decode(first), fingerprint_decode(second), max_offset=MAX_OFFSET
        )
    except FingerprintUnavailable:
        return False
    return similarity.score < SAME_RECORDING


#: Paths per ``IN (...)`` query: well below SQLite's limit on bound parameters.
PATHS_PER_QUERY = 500


def library_files_by_path(*, paths: Iterable[str]) -> dict[str, LibraryFile]:
    """The ``library_index`` rows of these paths, active or not (a path is indexed once)."""
    wanted = sorted(set(paths))
    found: dict[str, LibraryFile] = {}
    for start in range(0, len(wanted), PATHS_PER_QUERY):
        chunk = wanted[start : start + PATHS_PER_QUERY]
        rows = LibraryFile.objects.filter(file_path__in=chunk)
        found.update((row.file_path, row) for row in rows)
    return found


# --- recordings: the files that may hold the same recording as another ---------------------

#: A file's verification counts for grouping while the file is unchanged since: a stale PCM
#: hash must not join a re-encoded file to its old recording.
UNCHANGED_VERIFICATION_SQL = (
    "LEFT JOIN audio_verification av ON av.library_file_id = li.id "
    "AND av.verified_at >= li.file_mtime"
)
_CANDIDATE_COLUMNS_SQL = (
    "li.id, li.file_path, li.file_size, li.metadata_hash, li.file_content_hash, li.artist, "
    "li.title, li.album, li.duration, li.file_format, li.indexed_at, fq.quality_score, "
    "fq.is_lossless, fq.bit_depth, fq.sample_rate, fq.bitrate, av.verdict, av.pcm_hash, "
    "fq.acoustid_fingerprint IS NOT NULL"
)
_CANDIDATES_SQL = f"""
SELECT {_CANDIDATE_COLUMNS_SQL}
FROM library_index li LEFT JOIN file_quality fq ON fq.library_file_id = li.id
{UNCHANGED_VERIFICATION_SQL}
WHERE li.{ACTIVE_SQL} {{where}}
"""
# The likely members of recording groups: rows sharing their sampled content hash, their
# metadata hash or their PCM hash with another active row, and the rows of fingerprint
# matches (a JSON list of ids, from the app database). Each hash is grouped once through its
# covering index, in index order, and only the members are joined to the other tables.
RECORDING_MEMBERS_SQL = f"""
WITH shared_content AS (
    SELECT file_content_hash AS hash FROM library_index WHERE {ACTIVE_SQL}
    GROUP BY file_content_hash HAVING COUNT(*) > 1
),
shared_metadata AS (
    SELECT metadata_hash AS hash FROM library_index WHERE {ACTIVE_SQL}
    GROUP BY metadata_hash HAVING COUNT(*) > 1
),
shared_pcm AS (
    SELECT pcm_hash AS hash FROM audio_verification WHERE pcm_hash IS NOT NULL
    GROUP BY pcm_hash HAVING COUNT(*) > 1
),
members AS (
    SELECT li.id FROM shared_content s
    JOIN library_index li ON li.{ACTIVE_SQL} AND li.file_content_hash = s.hash
    UNION
    SELECT li.id FROM shared_metadata s
    JOIN library_index li ON li.{ACTIVE_SQL} AND li.metadata_hash = s.hash
    UNION
    SELECT av.library_file_id FROM shared_pcm s JOIN audio_verification av ON av.pcm_hash = s.hash
    UNION
    SELECT value FROM json_each(%s)
)
SELECT {_CANDIDATE_COLUMNS_SQL}
FROM members JOIN library_index li ON li.id = members.id AND li.{ACTIVE_SQL}
LEFT JOIN file_quality fq ON fq.library_file_id = li.id
{UNCHANGED_VERIFICATION_SQL}
"""


def _candidate_from(row: Sequence) -> Candidate:
    return Candidate(
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
        indexed_at=timestamp_parse(row[10]),
        quality_score=row[11],
        is_lossless=None if row[12] is None else bool(row[12]),
        bit_depth=row[13],
        sample_rate=row[14],
        bitrate=row[15],
        verdict=row[16],
        pcm_hash=row[17],
        has_fingerprint=bool(row[18]),
    )


def _candidates_query(sql: str, params: Sequence) -> list[Candidate]:
    with connections[LIBRARY_DB_ALIAS].cursor() as cursor:
        cursor.execute(sql, list(params))
        return [_candidate_from(row) for row in cursor.fetchall()]


def audio_match_facts(*, file_ids: Iterable[int] | None = None) -> list[AudioMatchFact]:
    """The stored fingerprint matches (same recording and similar), all of them or those
    touching ``file_ids``."""
    matches = AudioMatch.objects.using(APP_DB_ALIAS)
    if file_ids is not None:
        ids = list(file_ids)
        matches = matches.filter(Q(file_a__in=ids) | Q(file_b__in=ids))
    return [
        AudioMatchFact(*row)
        for row in matches.values_list("file_a", "file_b", "score", "same_recording")
    ]


def recording_candidates(
    *, members_only: bool = True, audio_matches: Sequence[AudioMatchFact] | None = None
) -> list[Candidate]:
    """Active ``library_index`` rows with the facts grouping and keeper choice need.

    With ``members_only`` (the default), only rows that share a content, metadata or PCM
    hash with another active row, or take part in a fingerprint match
    (:data:`RECORDING_MEMBERS_SQL`): a superset of every recording group's members, so the
    grouping rule runs over those instead of the whole library.
    ``tests/dedup/test_selectors.py`` checks that both give the same groups.
    """
    if not members_only:
        return _candidates_query(_CANDIDATES_SQL.format(where=""), [])
    matches = audio_match_facts() if audio_matches is None else audio_matches
    ids = sorted({match.file_a for match in matches} | {match.file_b for match in matches})
    return _candidates_query(RECORDING_MEMBERS_SQL, [json.dumps(ids)])


MAX_GROUP_ROUNDS = 8


def recording_candidates_around(*, file_id: int) -> tuple[list[Candidate], list[AudioMatchFact]]:
    """The active rows that can decide which recording groups ``file_id`` belongs to, and the
    fingerprint matches between them.

    Grouping only ever joins files sharing a content, metadata or PCM hash, or matched by
    their fingerprints, so the rows connected to the file through those (collected until
    nothing new appears, at most :data:`MAX_GROUP_ROUNDS` steps) give it exactly the groups a
    run over the whole library would.
    """
    found: dict[int, Candidate] = {}
    matches: dict[tuple[int, int], AudioMatchFact] = {}
    seen: dict[str, set[str]] = {"content": set(), "metadata": set(), "pcm": set()}
    where, params = "AND li.id = %s", [str(file_id)]
    for _ in range(MAX_GROUP_ROUNDS):
        new = [
            c
            for c in _candidates_query(_CANDIDATES_SQL.format(where=where), params)
            if c.id not in found
        ]
        if not new:
            break
        found.update((c.id, c) for c in new)
        for match in audio_match_facts(file_ids=[c.id for c in new]):
            matches[(match.file_a, match.file_b)] = match
        # A marker hash or an untagged file's metadata hash never groups anything.
        fresh = {
            "content": {
                c.file_content_hash for c in new if not is_hash_marker(c.file_content_hash)
            },
            "metadata": {c.metadata_hash for c in new if c.is_tagged},
            "pcm": {c.pcm_hash for c in new if c.pcm_hash},
        }
        for kind in fresh:
            fresh[kind] -= seen[kind]
            seen[kind] |= fresh[kind]
        matched = {m.file_a for m in matches.values()} | {m.file_b for m in matches.values()}
        # One indexed lookup per kind, joined by id: an OR across the columns of two tables
        # would read every row of library_index (bench/RESULTS.md, "Pages at 500,000
        # files"). A stale PCM hash may bring a row that shares nothing: a candidate more,
        # never a group more for this file.
        where = (
            "AND li.id IN (SELECT id FROM library_index WHERE file_content_hash IN "
            "(SELECT value FROM json_each(%s)) "
            "UNION SELECT id FROM library_index WHERE metadata_hash IN "
            "(SELECT value FROM json_each(%s)) "
            "UNION SELECT library_file_id FROM audio_verification WHERE pcm_hash IN "
            "(SELECT value FROM json_each(%s)) "
            "UNION SELECT value FROM json_each(%s))"
        )
        params = [
            json.dumps(sorted(fresh["content"])),
            json.dumps(sorted(fresh["metadata"])),
            json.dumps(sorted(fresh["pcm"])),
            json.dumps(sorted(matched - found.keys())),
        ]
    return list(found.values()), list(matches.values())


def recording_candidate_of(*, file_id: int) -> Candidate | None:
    """One active row, as the recording rule sees it (the keeper or the removal of a move)."""
    found = _candidates_query(_CANDIDATES_SQL.format(where="AND li.id = %s"), [file_id])
    return found[0] if found else None


#: The stored fingerprints of the active files (``quality.fingerprints.fingerprint_groups``'s
#: items: id, fingerprint text, duration).
ACTIVE_FINGERPRINTS_SQL = f"""
SELECT li.id, fq.acoustid_fingerprint, li.duration
FROM file_quality fq JOIN library_index li ON li.id = fq.library_file_id
WHERE li.{ACTIVE_SQL} AND fq.acoustid_fingerprint IS NOT NULL
"""


def active_fingerprints() -> list[tuple[int, str, float | None]]:
    with connections[LIBRARY_DB_ALIAS].cursor() as cursor:
        cursor.execute(ACTIVE_FINGERPRINTS_SQL)
        return cursor.fetchall()


def recording_groups_list() -> list[list[Candidate]]:
    """Every recording the library holds more than once (best copy not yet chosen), by the
    one rule of ``quality.recordings``; sampled content hashes count unconfirmed (reading,
    never moving)."""
    matches = audio_match_facts()
    candidates = recording_candidates(audio_matches=matches)
    links = recording_links(candidates, audio_matches=matches, kinds=ALL_LINK_KINDS)
    return recording_groups(candidates, links)


# --- the summary (docs/summary.md) ----------------------------------------------------------

#: One ``summary_file`` row per ``library_index`` row (columns in
#: ``quality.summary.FACT_COLUMNS`` order), from the tables they summarise, by the same
#: definitions as the full counts above (backlogs, current verdict, unchanged verification).
#: ``{where}`` limits the rows; the parameters are :func:`facts_sql_params`.
FACTS_SQL = f"""
SELECT li.id, coalesce(li.{ACTIVE_SQL}, 0), li.file_size, li.file_format, coalesce(li.artist, ''),
    coalesce(li.title, ''), coalesce(li.album, ''), li.file_path, li.metadata_hash,
    li.file_content_hash, li.duration, li.indexed_at, fq.id IS NOT NULL,
    coalesce(fq.file_format, ''), coalesce(fq.codec, ''), coalesce(fq.bitrate, -1),
    coalesce(fq.sample_rate, -1), fq.bit_depth, coalesce(fq.quality_score, -1),
    coalesce(fq.is_lossless = 1, 0), coalesce(fq.is_hires = 1, 0), fq.analyzed_at,
    fq.acoustid_fingerprint IS NOT NULL,
    coalesce({BACKLOG_CONDITION}, 0),
    coalesce({VERIFY_BACKLOG_CONDITION}, 0),
    av.verdict,
    CASE WHEN av.verifier_version = %s AND av.verified_at >= li.file_mtime THEN av.verdict END,
    CASE WHEN av.verified_at >= li.file_mtime THEN av.verdict END,
    CASE WHEN av.verified_at >= li.file_mtime THEN av.pcm_hash END
FROM library_index li
LEFT JOIN file_quality fq ON fq.library_file_id = li.id
LEFT JOIN audio_verification av ON av.library_file_id = li.id
{{where}}
"""


def facts_sql_params() -> list[str]:
    """The parameters of :data:`FACTS_SQL`, before those of its ``{where}``."""
    return [ANALYZER_VERSION, VERIFIER_VERSION, VERIFIER_VERSION]


@dataclass(frozen=True)
class LibrarySummary:
    """The whole library's counts as the summary keeps them (``summary_count``)."""

    counts: dict[str, tuple[int, int, int]]
    last_analysis_at: datetime.datetime | None
    generation: int

    def files_in(self, bucket: str) -> int:
        return self.counts.get(bucket, (0, 0, 0))[0]

    @property
    def totals(self) -> LibraryTotals:
        files, size, _ = self.counts.get(Bucket.ACTIVE, (0, 0, 0))
        return LibraryTotals(files=files, total_size=size)

    @property
    def row_counts(self) -> LibraryRowCounts:
        return LibraryRowCounts(
            library_index=self.files_in(Bucket.INDEXED),
            library_index_active=self.files_in(Bucket.ACTIVE),
            file_quality=self.files_in(Bucket.ANALYSES),
        )

    @property
    def backlog(self) -> int:
        return self.files_in(Bucket.BACKLOG)

    @property
    def verification_backlog(self) -> int:
        return self.files_in(Bucket.VERIFY_BACKLOG)

    @property
    def verdicts(self) -> dict[str, int]:
        return {verdict: self.files_in(Bucket.verdict(verdict)) for verdict in Verdict.values}

    def files_with_codec(self, codec: str) -> int:
        """Active analysed files of this codec, in any container."""
        return sum(
            files
            for bucket, (files, _size, _units) in self.counts.items()
            if bucket.startswith(Bucket.CODEC) and bucket.rpartition(CODEC_SEPARATOR)[2] == codec
        )

    @property
    def codecs_by_container(self) -> dict[str, list[ContainerCodec]]:
        rows = []
        for bucket, (files, _size, _units) in self.counts.items():
            if files and bucket.startswith(Bucket.CODEC):
                quality_format, _, codec = bucket[len(Bucket.CODEC) :].rpartition(CODEC_SEPARATOR)
                rows.append(ContainerCodec(quality_format, codec or "?", files))
        return codecs_by_container(rows)

    @property
    def distribution(self) -> QualityDistribution:
        rows = []
        for bucket, (files, _size, units) in self.counts.items():
            kind, _, quality_format = bucket.partition(":")
            if kind != "format":
                continue
            rows.append(
                {
                    "file_format": quality_format,
                    "file_count": files,
                    "score_sum": units / SCORE_UNITS,
                    "lossless_count": self.files_in(Bucket.lossless(quality_format)),
                    "hires_count": self.files_in(Bucket.hires(quality_format)),
                }
            )
        bins = [self.files_in(Bucket.score_bin(index)) for index in range(SCORE_BINS)]
        return quality_distribution(rows=rows, bins=bins)


def library_summary_get() -> LibrarySummary:
    """The summary's counts (a few dozen rows) and the last analysis (through an index)."""
    with connections[LIBRARY_DB_ALIAS].cursor() as cursor:
        cursor.execute("SELECT bucket, files, bytes, score_units FROM summary_count")
        counts = {row[0]: (row[1], row[2], row[3]) for row in cursor.fetchall()}
        cursor.execute("SELECT max(analyzed_at) FROM summary_file WHERE analyzed_at IS NOT NULL")
        (last,) = cursor.fetchone()
        cursor.execute("SELECT generation FROM summary_state WHERE id = 1")
        row = cursor.fetchone()
    return LibrarySummary(
        counts=counts, last_analysis_at=timestamp_parse(last), generation=row[0] if row else 0
    )


# --- /files/: one page of the active library, through the summary's indexes ------------------

#: Sort name (the table's column) -> the ``summary_file`` columns, each read in index order
#: (``idx_summary_*``), the id last.
FILE_SORTS: dict[str, tuple[str, ...]] = {
    "artist": ("artist", "title", "id"),
    "title": ("title", "id"),
    "album": ("album", "id"),
    "file_format": ("file_format", "id"),
    "codec": ("codec", "id"),
    "bitrate": ("bitrate", "id"),
    "sample_rate": ("sample_rate", "id"),
    "quality_score": ("quality_score", "id"),
    "file_size": ("file_size", "id"),
    "file_path": ("file_path", "id"),
}
DEFAULT_FILE_SORT = "artist"
#: Searches matching at most this many files read their ids from the index first; more, and
#: each row of the sorted walk is looked up in the index instead (bench/RESULTS.md).
SEARCH_IDS_LIMIT = 20_000
#: Shorter words cannot use the trigram index: they are matched with LIKE.
TRIGRAM = 3


@dataclass(frozen=True)
class FileQuery:
    """What ``/files/`` asks for (the filter form's cleaned values)."""

    words: tuple[str, ...] = ()
    #: Exactly this artist (case and all): the artist links of the lists.
    artist: str | None = None
    file_format: str | None = None
    codec: str | None = None
    lossless: bool | None = None
    hires: bool | None = None
    score_min: float | None = None
    score_max: float | None = None
    verdict: str | None = None
    sort: str = DEFAULT_FILE_SORT
    descending: bool = False


def fts_phrase(word: str) -> str:
    """One search word as an FTS5 string: quoted, so that no character of it is an operator
    (``"``, ``*``, ``AND``, ``NEAR``, ``:``, ``^`` are all plain text inside)."""
    return '"' + word.replace('"', '""') + '"'


def like_pattern(word: str) -> str:
    escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _search_where(words: Sequence[str]) -> tuple[list[str], list, bool]:
    """Conditions on ``summary_file m`` for the search words (each must appear in the
    artist, title, album or path, in any case)."""
    where: list[str] = []
    params: list = []
    listed = False
    long_words = [w for w in words if len(w) >= TRIGRAM]
    if long_words:
        match = " ".join(fts_phrase(w) for w in long_words)
        with connections[LIBRARY_DB_ALIAS].cursor() as cursor:
            cursor.execute(
                "SELECT rowid FROM summary_search WHERE summary_search MATCH %s LIMIT %s",
                [match, SEARCH_IDS_LIMIT + 1],
            )
            ids = [row[0] for row in cursor.fetchall()]
        if len(ids) <= SEARCH_IDS_LIMIT:
            where.append("m.id IN (SELECT value FROM json_each(%s))")
            params.append(json.dumps(ids))
            listed = True
        else:
            where.append(
                "EXISTS (SELECT 1 FROM summary_search s WHERE s.rowid = m.id "
                "AND summary_search MATCH %s)"
            )
            params.append(match)
    for word in words:
        if len(word) < TRIGRAM:
            pattern = like_pattern(word)
            where.append(
                "(" + " OR ".join(f"m.{c} LIKE %s ESCAPE '\\'" for c in SEARCH_COLUMNS) + ")"
            )
            params += [pattern] * len(SEARCH_COLUMNS)
    return where, params, listed


#: A filter whose own index holds at most this many active files is read through that index
#: and its rows sorted; otherwise the sort's index is walked, each row tested, until the
#: page is full (bench/RESULTS.md, "Pages at 500,000 files").
FILTER_FIRST_MAX = 10_000
#: The partial index (``WHERE active = 1``) of ``summary_file`` that each sort walks.
FILE_SORT_INDEXES = {
    "artist": "idx_summary_artist",
    "title": "idx_summary_title",
    "album": "idx_summary_album",
    "file_format": "idx_summary_format",
    "codec": "idx_summary_codec",
    "bitrate": "idx_summary_bitrate",
    "sample_rate": "idx_summary_sample_rate",
    "quality_score": "idx_summary_score",
    "file_size": "idx_summary_size",
    "file_path": "idx_summary_path",
}


def _filter_index(query: FileQuery, summary: LibrarySummary) -> str | None:
    """The index of the filter that keeps the fewest files, when it keeps at most
    :data:`FILTER_FIRST_MAX` (counted in the summary: the analysis's format stands for the
    file's, the current verdict for the last one)."""
    sizes: dict[str, int] = {}
    if query.file_format:
        sizes["idx_summary_format"] = summary.files_in(Bucket.format(query.file_format))
    if query.verdict:
        sizes["idx_summary_verdict"] = summary.files_in(Bucket.verdict(query.verdict))
    if query.codec:
        sizes["idx_summary_codec"] = summary.files_with_codec(query.codec)
    if query.score_min is not None or query.score_max is not None:
        low = -1e999 if query.score_min is None else query.score_min
        high = 1e999 if query.score_max is None else query.score_max
        sizes["idx_summary_score"] = sum(
            summary.files_in(Bucket.score_bin(index))
            for index in range(SCORE_BINS)
            if (index == 0 or index * SCORE_BIN_WIDTH <= high)
            and (index == SCORE_BINS - 1 or (index + 1) * SCORE_BIN_WIDTH > low)
        )
        if low <= NO_NUMBER:  # the index holds the files not analysed at -1
            sizes["idx_summary_score"] += summary.totals.files - summary.distribution.analysed
    if not sizes:
        return None
    index, size = min(sizes.items(), key=lambda item: item[1])
    return index if size <= FILTER_FIRST_MAX else None


def _file_where(query: FileQuery) -> tuple[list[str], list, bool]:
    """Conditions on ``summary_file m``, and whether they hold a short list of ids (a
    search the index answered)."""
    where: list[str] = ["m.active = 1"]
    params: list[str | int | float] = []
    if query.artist:
        # the column sorts without case (NOCASE): the first test seeks the index, the
        # second keeps the exact artist
        where.append("m.artist = %s AND m.artist = %s COLLATE BINARY")
        params += [query.artist, query.artist]
    if query.codec:
        where.append("m.analysed = 1 AND m.codec = %s")
        params.append(query.codec)
    if query.file_format:
        where.append("m.file_format = %s")
        params.append(query.file_format)
    for column, wanted in (("lossless", query.lossless), ("hires", query.hires)):
        if wanted is not None:
            where.append(f"m.analysed = 1 AND m.{column} = %s")
            params.append(int(wanted))
    if query.score_min is not None:
        where.append("m.analysed = 1 AND m.quality_score >= %s")
        params.append(query.score_min)
    if query.score_max is not None:
        where.append("m.analysed = 1 AND m.quality_score <= %s")
        params.append(query.score_max)
    if query.verdict:
        where.append("m.verdict = %s")
        params.append(query.verdict)
    search, search_params, listed = _search_where(query.words)
    return where + search, params + search_params, listed


def _file_index_hint(query: FileQuery, *, listed: bool) -> str:
    """Which index SQLite reads, said outright: its statistics cannot know how a filter and a
    sort go together (a rare format at one end of the sizes)."""
    if listed:
        return ""  # a few ids from the search index: looked up by id, then sorted
    if query.artist:
        return "INDEXED BY idx_summary_artist"  # one artist's files, then sorted
    return "INDEXED BY " + (
        _filter_index(query, library_summary_get())
        or FILE_SORT_INDEXES.get(query.sort, FILE_SORT_INDEXES[DEFAULT_FILE_SORT])
    )


class NumberedFiles:
    """The files of a query as Django's paginator takes them (``count()`` and slices), read
    from the summary: for the API's ``?page=`` (issue 15's contract). The count is the
    summary's when nothing is filtered; a slice is read through the sort's index, walking
    past the rows before it (a deep page costs what its offset does: the ``/files/`` page
    goes by position instead, :func:`library_files_page`)."""

    def __init__(self, query: FileQuery):
        self.query = query
        self._count: int | None = None

    def _filtered(self) -> bool:
        q = self.query
        return bool(q.words or q.artist or q.file_format or q.codec or q.verdict) or any(
            v is not None for v in (q.lossless, q.hires, q.score_min, q.score_max)
        )

    def count(self) -> int:
        if self._count is None:
            if not self._filtered():
                self._count = library_summary_get().totals.files
            else:
                where, params, _listed = _file_where(self.query)
                with connections[LIBRARY_DB_ALIAS].cursor() as cursor:
                    cursor.execute(
                        f"SELECT count(*) FROM summary_file m WHERE {' AND '.join(where)}", params
                    )
                    self._count = cursor.fetchone()[0]
        return self._count

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, window: slice) -> list[LibraryFile]:
        start, stop = window.start or 0, window.stop
        if stop is None or stop <= start:
            return []
        columns = FILE_SORTS.get(self.query.sort, FILE_SORTS[DEFAULT_FILE_SORT])
        where, params, listed = _file_where(self.query)
        order = keyset_order(
            [f"m.{c}" for c in columns], descending=self.query.descending, before=False
        )
        with connections[LIBRARY_DB_ALIAS].cursor() as cursor:
            cursor.execute(
                f"SELECT m.id FROM summary_file m {_file_index_hint(self.query, listed=listed)} "
                f"WHERE {' AND '.join(where)} ORDER BY {order} LIMIT %s OFFSET %s",
                [*params, stop - start, start],
            )
            ids = [row[0] for row in cursor.fetchall()]
        files = library_files_by_id(ids=set(ids))
        return [files[i] for i in ids if i in files]


def library_files_numbered(*, query: FileQuery) -> NumberedFiles:
    """The active files of a query, to be paged by number (the API)."""
    return NumberedFiles(query)


def library_files_page(
    *, query: FileQuery, per_page: int, after: str | None = None, before: str | None = None
) -> KeysetPage[LibraryFile]:
    """One page of active files, in the sort's index order, starting after (or ending
    before) a position; never counted, never sorted in memory (docs/summary.md)."""
    columns = FILE_SORTS.get(query.sort, FILE_SORTS[DEFAULT_FILE_SORT])
    qualified = [f"m.{c}" for c in columns]
    position = position_from_token(before or after, length=len(columns))
    is_before = before is not None and position is not None
    where, params, listed = _file_where(query)
    hint = _file_index_hint(query, listed=listed)
    if position is not None:
        where.append(keyset_condition(qualified, descending=query.descending, before=is_before))
        params += position
    order = keyset_order(qualified, descending=query.descending, before=is_before)
    sql = (
        f"SELECT {', '.join(qualified)} FROM summary_file m {hint} WHERE {' AND '.join(where)} "
        f"ORDER BY {order} LIMIT %s"
    )
    with connections[LIBRARY_DB_ALIAS].cursor() as cursor:
        cursor.execute(sql, [*params, per_page + 1])
        keys = [tuple(row) for row in cursor.fetchall()]
    keys, next_token, previous_token = keyset_page(
        keys,
        per_page=per_page,
        before=is_before,
        started_at_position=position is not None,
        position_of=lambda row: row,
    )
    files = library_files_by_id(ids={key[-1] for key in keys})
    return KeysetPage(
        rows=[files[key[-1]] for key in keys if key[-1] in files],
        next_token=next_token,
        previous_token=previous_token,
    )


def library_summary_generation() -> int:
    """The summary's generation: it grows with every change to the files it summarises."""
    with connections[LIBRARY_DB_ALIAS].cursor() as cursor:
        cursor.execute("SELECT generation FROM summary_state WHERE id = 1")
        row = cursor.fetchone()
    return row[0] if row else 0
