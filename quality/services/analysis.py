"""Analyse library files into ``file_quality`` rows: audio facts plus the score (docs/formulas.md).

A file needs (re-)analysis when it has no row, when its ``file_mtime`` is later than the row's
``analyzed_at`` (it changed), or when the row's ``analyzer_version`` differs from
:data:`ANALYZER_VERSION` (package version + scoring revision, so a formula change re-scores
everything). Workers only read files; this process writes in batches of :data:`BATCH_SIZE`
rows, one ``BEGIN IMMEDIATE`` transaction each, so an interrupted run keeps every committed
batch and the next run simply carries on with what is still missing.
"""

from __future__ import annotations

import json
import logging
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

from django.db import connections, transaction

from musicquality.fields import utc_now_iso
from musicquality.parallel import chunks_map_started, default_workers
from musicquality.progress import StopRequested
from musicquality.routers import LIBRARY_DB_ALIAS
from quality.models import FileQuality, LibraryFile
from quality.score import AudioEvidence, effective_is_hires, quality_score
from quality.selectors import (
    FileToAnalyse,
    active_files_count,
    analysis_backlog_count,
    files_to_analyse,
    unreadable_files_count,
)
from quality.services.audio import AudioProperties, AudioReadError, audio_properties_read
from quality.services.summary import library_summary_refresh
from quality.versions import ANALYZER_VERSION

logger = logging.getLogger(__name__)

BATCH_SIZE = 1000
CHUNK_SIZE = 100  # files per worker task
ANALYZE_THRESHOLD = 1000  # rows written in one run after which the planner statistics refresh


class QualityRow(NamedTuple):
    """The ``file_quality`` values analysis writes for one file, in :data:`UPSERT_SQL` order."""

    library_file_id: int
    file_format: str
    codec: str
    bitrate: int | None
    sample_rate: int | None
    bit_depth: int | None
    channels: int | None
    quality_score: float
    is_lossless: bool
    is_hires: bool
    bitrate_mode: str | None
    analyzed_at: str
    analyzer_version: str


class ScoreChange(NamedTuple):
    """A ``quality_history`` row: a file's score changed (or was first measured)."""

    library_file_id: int
    quality_score: float
    measured_at: str
    analyzer_version: str


COLUMNS = QualityRow._fields
# The SELECT ... WHERE EXISTS form skips rows whose library_index row the legacy CLI removed
# meanwhile, instead of failing the whole batch on the foreign key.
UPSERT_SQL = (
    f"INSERT INTO file_quality ({', '.join(COLUMNS)}) "
    f"SELECT {', '.join('%s' for _ in COLUMNS)} "
    "WHERE EXISTS (SELECT 1 FROM library_index WHERE id = %s) "
    "ON CONFLICT(library_file_id) DO UPDATE SET "
    + ", ".join(f"{c} = excluded.{c}" for c in COLUMNS if c != "library_file_id")
)


@dataclass(frozen=True)
class AnalysisError:
    path: str
    kind: str
    message: str


@dataclass
class AnalysisResult:
    analysed: int = 0
    skipped: int = 0
    errors: list[AnalysisError] = field(default_factory=list)
    seconds: float = 0.0
    interrupted: bool = False
    #: files left out because they did not read last time and have not changed since
    unreadable: int = 0
    #: files of the backlog left for a later run by ``--limit``
    left: int = 0

    @property
    def errors_by_kind(self) -> Counter:
        return Counter(error.kind for error in self.errors)

    @property
    def files_handled(self) -> int:
        """The files the run read (monitoring's throughput): analysed or failed."""
        return self.analysed + len(self.errors)

    @property
    def files_per_second(self) -> float:
        return self.files_handled / self.seconds if self.seconds else 0.0

    @property
    def summary(self) -> str:
        """What ``analyze_quality`` and an analysis job say they did."""
        kinds = ", ".join(f"{n} {kind}" for kind, n in sorted(self.errors_by_kind.items()))
        unreadable = (
            f", {self.unreadable} unreadable since the last try (--force tries them again)"
            if self.unreadable
            else ""
        )
        return (
            f"Analysed {self.analysed}, skipped {self.skipped} (up to date){unreadable}"
            f"{left_for_later(self.left)}, errors {len(self.errors)}"
            f"{f' ({kinds})' if kinds else ''}"
        )


def left_for_later(left: int) -> str:
    """The part of a run's summary that says ``--limit`` left files of the backlog undone
    (they are not up to date: the next run takes them)."""
    return f", {left:,} left for the next run (--limit)" if left else ""


def quality_row(
    *,
    library_file_id: int,
    file_format: str,
    props: AudioProperties,
    analyzed_at: str,
    evidence: AudioEvidence | None = None,
) -> QualityRow:
    """The ``file_quality`` values for analysed facts: the effective score, given what the
    file's current verification found (``evidence``)."""
    score = quality_score(
        codec=props.codec,
        bitrate_kbps=props.bitrate,
        sample_rate=props.sample_rate,
        bit_depth=props.bit_depth,
        channels=props.channels,
        bitrate_mode=props.bitrate_mode,
        evidence=evidence,
    )
    return QualityRow(
        library_file_id=library_file_id,
        file_format=file_format,
        codec=props.codec,
        bitrate=props.bitrate,
        sample_rate=props.sample_rate,
        bit_depth=props.bit_depth,
        channels=props.channels,
        quality_score=score,
        is_lossless=props.is_lossless,
        is_hires=effective_is_hires(
            sample_rate=props.sample_rate, bit_depth=props.bit_depth, evidence=evidence
        ),
        bitrate_mode=props.bitrate_mode,
        analyzed_at=analyzed_at,
        analyzer_version=ANALYZER_VERSION,
    )


def _analyse_chunk(chunk: Sequence[FileToAnalyse]) -> list:
    """Worker: ``(id, QualityRow)`` or ``(id, AnalysisError)`` per file."""
    out: list[tuple[int, QualityRow | AnalysisError]] = []
    for file in chunk:
        try:
            props = audio_properties_read(file.file_path)
        except AudioReadError as error:
            out.append((file.id, AnalysisError(file.file_path, error.kind, str(error))))
            continue
        row = quality_row(
            library_file_id=file.id,
            file_format=file.file_format,
            props=props,
            analyzed_at=utc_now_iso(),
            evidence=file.evidence,
        )
        out.append((file.id, row))
    return out


HISTORY_SQL = (
    "INSERT INTO quality_history (library_file_id, quality_score, measured_at, analyzer_version) "
    "SELECT %s, %s, %s, %s WHERE EXISTS (SELECT 1 FROM library_index WHERE id = %s)"
)


def scores_of(cursor, library_file_ids: Sequence[int]) -> dict[int, float]:
    """The stored scores of these files (those that have a ``file_quality`` row)."""
    scores: dict[int, float] = {}
    for start in range(0, len(library_file_ids), 500):
        ids = list(library_file_ids[start : start + 500])
        cursor.execute(
            "SELECT library_file_id, quality_score FROM file_quality WHERE library_file_id IN "
            f"({', '.join('%s' for _ in ids)})",
            ids,
        )
        scores.update(cursor.fetchall())
    return scores


def quality_history_append(cursor, changes: Sequence[ScoreChange]) -> None:
    """One ``quality_history`` row per change: whenever a file's score changes, whoever
    changed it (analysis, verification), it is recorded (rows of files gone meanwhile are
    skipped)."""
    cursor.executemany(HISTORY_SQL, [(*change, change.library_file_id) for change in changes])


#: A file that did not read, as it is now (``summary_unreadable``: out of the backlog until
#: its ``file_mtime`` changes).
UNREADABLE_UPSERT_SQL = (
    "INSERT OR REPLACE INTO summary_unreadable (id, file_mtime, kind, message, failed_at) "
    "SELECT id, file_mtime, %s, %s, %s FROM library_index WHERE id = %s"
)


def _write(rows: Sequence[QualityRow], failed: Sequence[tuple[int, AnalysisError]]) -> None:
    """One transaction: upsert analysed rows (recording each changed score), drop stale rows
    of files that no longer read and record why they did not (the file page shows it, the
    backlog leaves them out until they change)."""
    failed_ids = [library_file_id for library_file_id, _ in failed]
    with (
        transaction.atomic(using=LIBRARY_DB_ALIAS),
        connections[LIBRARY_DB_ALIAS].cursor() as cursor,
    ):
        if rows:
            before = scores_of(cursor, [row.library_file_id for row in rows])
            cursor.executemany(UPSERT_SQL, [(*row, row.library_file_id) for row in rows])
            quality_history_append(
                cursor,
                [
                    ScoreChange(
                        row.library_file_id,
                        row.quality_score,
                        row.analyzed_at,
                        row.analyzer_version,
                    )
                    for row in rows
                    if before.get(row.library_file_id) != row.quality_score
                ],
            )
        if failed_ids:
            cursor.executemany(
                "DELETE FROM file_quality WHERE library_file_id = %s",
                [(id_,) for id_ in failed_ids],
            )
            now = utc_now_iso()
            cursor.executemany(
                UNREADABLE_UPSERT_SQL,
                [(error.kind, error.message[:500], now, id_) for id_, error in failed],
            )
        if rows:  # read now: no longer unreadable (one statement: the table is small)
            cursor.execute(
                "DELETE FROM summary_unreadable WHERE id IN (SELECT value FROM json_each(%s))",
                [json.dumps([row.library_file_id for row in rows])],
            )
        library_summary_refresh(
            cursor=cursor, ids=[*(row.library_file_id for row in rows), *failed_ids]
        )


def file_quality_refresh(*, library_file: LibraryFile) -> FileQuality | None:
    """Analyse one file now and write or replace its row; None (and no row) if unreadable."""
    result = _analyse_chunk(
        [FileToAnalyse(library_file.id, library_file.file_path, library_file.file_format)]
    )
    _id, outcome = result[0]
    if isinstance(outcome, AnalysisError):
        logger.warning("%s: %s (%s)", outcome.path, outcome.kind, outcome.message)
        _write([], [(library_file.id, outcome)])
        return None
    _write([outcome], [])
    return FileQuality.objects.using(LIBRARY_DB_ALIAS).get(library_file_id=library_file.id)


def file_quality_analyze_all(
    *,
    workers: int | None = None,
    force: bool = False,
    path_prefix: str | None = None,
    limit: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> AnalysisResult:
    """Analyse every active file that needs it. Ctrl-C returns with ``interrupted`` set; a
    :class:`~musicquality.progress.StopRequested` from ``progress`` writes what was read and
    goes on up."""
    started = time.monotonic()
    result = AnalysisResult()
    todo = files_to_analyse(force=force, path_prefix=path_prefix, limit=limit)
    result.unreadable = 0 if force else unreadable_files_count(path_prefix=path_prefix)
    active = active_files_count(path_prefix=path_prefix)
    backlog = active if force else analysis_backlog_count(path_prefix=path_prefix)
    result.left = backlog - len(todo)
    result.skipped = active - backlog - result.unreadable
    rows: list[QualityRow] = []
    failed: list[tuple[int, AnalysisError]] = []
    done = 0
    if progress:
        progress(0, len(todo))
    try:
        with chunks_map_started(
            _analyse_chunk, todo, workers=workers or default_workers(), chunk_size=CHUNK_SIZE
        ) as chunks:
            for chunk in chunks:
                for library_file_id, outcome in chunk:
                    if isinstance(outcome, AnalysisError):
                        result.errors.append(outcome)
                        failed.append((library_file_id, outcome))
                    else:
                        rows.append(outcome)
                done += len(chunk)
                if len(rows) + len(failed) >= BATCH_SIZE:
                    _write(rows, failed)
                    result.analysed += len(rows)
                    rows, failed = [], []
                if progress:
                    try:
                        progress(done, len(todo))
                    except StopRequested:
                        _write(rows, failed)  # what was read is kept, then stop
                        raise
        _write(rows, failed)
        result.analysed += len(rows)
    except KeyboardInterrupt:
        result.interrupted = True
        logger.warning("analysis interrupted: %d rows committed", result.analysed)
    if result.analysed >= ANALYZE_THRESHOLD:
        with connections[LIBRARY_DB_ALIAS].cursor() as cursor:
            cursor.execute("ANALYZE file_quality")
    result.seconds = time.monotonic() - started
    return result
