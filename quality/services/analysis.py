"""Analyse library files into ``file_quality`` rows: audio facts plus the score (docs/formulas.md).

A file needs (re-)analysis when it has no row, when its ``file_mtime`` is later than the row's
``analyzed_at`` (it changed), or when the row's ``analyzer_version`` differs from
:data:`ANALYZER_VERSION` (package version + scoring revision, so a formula change re-scores
everything). Workers only read files; this process writes in batches of :data:`BATCH_SIZE`
rows, one ``BEGIN IMMEDIATE`` transaction each, so an interrupted run keeps every committed
batch and the next run simply carries on with what is still missing.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from django.db import connections, transaction

from musicquality.fields import utc_now_iso
from musicquality.parallel import chunks_map_started, default_workers
from musicquality.progress import StopRequested
from quality.models import FileQuality, LibraryFile
from quality.score import is_hires, quality_score
from quality.selectors import active_files_count, files_to_analyse
from quality.services.audio import AudioProperties, AudioReadError, audio_properties_read
from quality.versions import ANALYZER_VERSION

logger = logging.getLogger(__name__)

DB = "library"
BATCH_SIZE = 1000
CHUNK_SIZE = 100  # files per worker task
ANALYZE_THRESHOLD = 1000  # rows written in one run after which the planner statistics refresh


COLUMNS = (
    "library_file_id", "file_format", "codec", "bitrate", "sample_rate", "bit_depth", "channels",
    "quality_score", "is_lossless", "is_hires", "bitrate_mode", "analyzed_at", "analyzer_version",
)  # fmt: skip
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

    @property
    def errors_by_kind(self) -> Counter:
        return Counter(error.kind for error in self.errors)

    @property
    def files_per_second(self) -> float:
        done = self.analysed + len(self.errors)
        return done / self.seconds if self.seconds else 0.0

    @property
    def summary(self) -> str:
        """What ``analyze_quality`` and an analysis job say they did."""
        kinds = ", ".join(f"{n} {kind}" for kind, n in sorted(self.errors_by_kind.items()))
        return (
            f"Analysed {self.analysed}, skipped {self.skipped} (up to date), "
            f"errors {len(self.errors)}{f' ({kinds})' if kinds else ''}"
        )


def quality_row(
    *, library_file_id: int, file_format: str, props: AudioProperties, analyzed_at: str
) -> tuple:
    """The ``file_quality`` column values (in :data:`COLUMNS` order) for analysed facts."""
    score = quality_score(
        codec=props.codec,
        bitrate_kbps=props.bitrate,
        sample_rate=props.sample_rate,
        bit_depth=props.bit_depth,
        channels=props.channels,
        bitrate_mode=props.bitrate_mode,
    )
    return (
        library_file_id,
        file_format,
        props.codec,
        props.bitrate,
        props.sample_rate,
        props.bit_depth,
        props.channels,
        score,
        props.is_lossless,
        is_hires(sample_rate=props.sample_rate, bit_depth=props.bit_depth),
        props.bitrate_mode,
        analyzed_at,
        ANALYZER_VERSION,
    )


def _analyse_chunk(chunk: Sequence[tuple[int, str, str]]) -> list:
    """Worker: ``(id, row values)`` or ``(id, AnalysisError)`` per file."""
    out: list[tuple[int, tuple | AnalysisError]] = []
    for library_file_id, path, file_format in chunk:
        try:
            props = audio_properties_read(path)
        except AudioReadError as error:
            out.append((library_file_id, AnalysisError(path, error.kind, str(error))))
            continue
        row = quality_row(
            library_file_id=library_file_id,
            file_format=file_format,
            props=props,
            analyzed_at=utc_now_iso(),
        )
        out.append((library_file_id, row))
    return out


def _write(rows: Sequence[tuple], failed_ids: Sequence[int]) -> None:
    """One transaction: upsert analysed rows, drop stale rows of files that no longer read."""
    with transaction.atomic(using=DB), connections[DB].cursor() as cursor:
        if rows:
            cursor.executemany(UPSERT_SQL, [(*row, row[0]) for row in rows])
        if failed_ids:
            cursor.executemany(
                "DELETE FROM file_quality WHERE library_file_id = %s",
                [(id_,) for id_ in failed_ids],
            )


def file_quality_refresh(*, library_file: LibraryFile) -> FileQuality | None:
    """Analyse one file now and write or replace its row; None (and no row) if unreadable."""
    result = _analyse_chunk([(library_file.id, library_file.file_path, library_file.file_format)])
    _id, outcome = result[0]
    if isinstance(outcome, AnalysisError):
        logger.warning("%s: %s (%s)", outcome.path, outcome.kind, outcome.message)
        _write([], [library_file.id])
        return None
    _write([outcome], [])
    return FileQuality.objects.using(DB).get(library_file_id=library_file.id)


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
    result.skipped = active_files_count(path_prefix=path_prefix) - len(todo)
    rows: list[tuple] = []
    failed: list[int] = []
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
                        failed.append(library_file_id)
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
        with connections[DB].cursor() as cursor:
            cursor.execute("ANALYZE file_quality")
    result.seconds = time.monotonic() - started
    return result
