"""Index audio files into ``library_index`` exactly as the Music Tools CLI would, but better.

Rows are in the legacy format (same columns, the same ``metadata_hash`` and sampled
``file_content_hash``, ISO-8601 UTC timestamps, the lower-case extension as ``file_format``) so
rows from either tool compare. Unlike the legacy indexer we read tags of every format (its rows
for ID3-tagged files have no artist/title/album; we complete them on the next scan).

A scan is incremental: a file whose size and mtime match its row is not opened again; a changed
file is updated in place (same id, via an upsert on the unique ``file_path``); a file that
vanished gets ``is_active = 0`` and is never deleted. File reading runs in worker processes,
writes happen here in batches of :data:`BATCH_SIZE` rows per ``BEGIN IMMEDIATE`` transaction.
"""

from __future__ import annotations

import datetime
import json
import logging
import os
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

from django.conf import settings
from django.db import DatabaseError, OperationalError, connections, transaction

from musicquality.fields import utc_now_iso
from musicquality.parallel import chunks_map_started, default_workers
from musicquality.progress import StopRequested
from musicquality.routers import LIBRARY_DB_ALIAS
from musicquality.timestamps import timestamp_parse
from quality.hashing import content_hash_sampled, metadata_hash
from quality.models import ACTIVE, ACTIVE_SQL, AUDIO_EXTENSIONS, LibraryFile, LibraryStats
from quality.services.audio import AudioReadError, audio_properties_read
from quality.services.summary import library_summary_refresh
from quality.services.tags import AudioTags, TagReadError, tagged_file_read

logger = logging.getLogger(__name__)

BATCH_SIZE = 1000
MAX_SQLITE_INTEGER = 2**63 - 1
EXTENSIONS = frozenset(AUDIO_EXTENSIONS)

PROBLEM_UNREADABLE_FOLDER = "unreadable folder"
PROBLEM_SYMLINK_LOOP = "symlink loop"
PROBLEM_NOT_AUDIO = "not audio"
PROBLEM_UNREADABLE_FILE = "unreadable file"
PROBLEM_BAD_TAGS = "tags unreadable (indexed without tags)"
PROBLEM_NAME_NOT_UTF8 = "name not UTF-8"
PROBLEM_NOT_WRITTEN = "not indexed"
PROBLEM_QUARANTINE = "quarantine folder (skipped)"
NAME_NOT_UTF8_MESSAGE = (
    "library_index stores paths as UTF-8 text, as the Music Tools CLI reads them: rename it "
    "to index it"
)


class IndexRow(NamedTuple):
    """The values of one ``library_index`` row, in the column order of :data:`UPSERT_SQL`."""

    file_path: str
    filename: str
    artist: str | None
    title: str | None
    album: str | None
    year: int | None
    duration: float | None
    file_format: str
    file_size: int
    metadata_hash: str
    file_content_hash: str
    indexed_at: str
    file_mtime: str
    is_active: int

    @property
    def has_tags(self) -> bool:
        return self.artist is not None or self.title is not None


ROW_COLUMNS = IndexRow._fields
_UPDATED = ", ".join(f"{c} = excluded.{c}" for c in ROW_COLUMNS if c != "file_path")
UPSERT_SQL = (
    f"INSERT INTO library_index ({', '.join(ROW_COLUMNS)}) "
    f"VALUES ({', '.join('%s' for _ in ROW_COLUMNS)}) "
    f"ON CONFLICT(file_path) DO UPDATE SET {_UPDATED}"
)


@dataclass(frozen=True)
class ScanProblem:
    path: str
    kind: str
    message: str


@dataclass
class ScanResult:
    found: int = 0
    added: int = 0
    updated: int = 0
    completed: int = 0
    unchanged: int = 0
    vanished: int = 0
    problems: list[ScanProblem] = field(default_factory=list)
    seconds: float = 0.0
    stats: LibraryStats | None = None

    @property
    def files_handled(self) -> int:
        """The files the run counts as its work (monitoring's throughput): every file found."""
        return self.found

    @property
    def files_per_second(self) -> float:
        return self.files_handled / self.seconds if self.seconds else 0.0

    @property
    def summary(self) -> str:
        """The one-line account ``scan_library`` and a scan job end with."""
        return (
            f"{self.found} audio files found: {self.added} added, {self.updated} updated, "
            f"{self.completed} completed with tags, {self.unchanged} unchanged, "
            f"{self.vanished} vanished (marked inactive)"
        )


def scan_roots_check(roots: Sequence[Path]) -> None:
    """Every root must be an existing folder: a missing one (an unmounted disk) must not turn
    its files inactive. Raises ``ValueError`` naming it."""
    for root in roots:
        if not root.is_dir():
            raise ValueError(f"{root} is not a folder: give the folder(s) that hold your music")


@dataclass(frozen=True)
class _Known:
    id: int
    size: int
    mtime: str
    is_active: bool
    has_tags: bool


# --- pure helpers ------------------------------------------------------------------------


def mtime_iso(st_mtime: float) -> str:
    return datetime.datetime.fromtimestamp(st_mtime, datetime.UTC).isoformat()


def same_mtime(stored: str | None, st_mtime: float) -> bool:
    """Equal instants, whether the row was written by us or in another ISO form."""
    if not stored:
        return False
    if stored == mtime_iso(st_mtime):
        return True
    parsed = timestamp_parse(stored)
    return parsed is not None and abs(parsed.timestamp() - st_mtime) < 1e-3


def extension_of(name: str) -> str:
    return os.path.splitext(name)[1][1:].lower()


def is_utf8(path: str) -> bool:
    """False for a name with bytes that are not UTF-8 (``os.fsdecode`` keeps them as
    surrogates, which SQLite TEXT cannot hold)."""
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _folder_key(path: Path) -> tuple[int, int] | None:
    try:
        info = os.stat(path)
    except OSError:
        return None
    return (info.st_dev, info.st_ino)


def walk_audio_files(
    root: str, problems: list[ScanProblem], unreadable: list[str]
) -> Iterator[tuple[str, os.stat_result]]:
    """Audio files under ``root`` (following folder symlinks, but never into a loop).

    Names that are not UTF-8 are listed and skipped (a folder once, with everything in it),
    and so is the dedup quarantine folder: its copies are not library files.
    """
    seen: set[tuple[int, int]] = set()
    quarantine = _folder_key(Path(settings.QUARANTINE_DIR))
    stack = [root]
    while stack:
        folder = stack.pop()
        try:
            info = os.stat(folder)
            key = (info.st_dev, info.st_ino)
            if key in seen:
                problems.append(ScanProblem(folder, PROBLEM_SYMLINK_LOOP, "folder already seen"))
                continue
            seen.add(key)
            if key == quarantine:
                problems.append(
                    ScanProblem(folder, PROBLEM_QUARANTINE, "MUSICQUALITY_QUARANTINE_DIR")
                )
                continue
            with os.scandir(folder) as iterator:
                entries = list(iterator)
        except OSError as error:
            problems.append(
                ScanProblem(folder, PROBLEM_UNREADABLE_FOLDER, error.strerror or str(error))
            )
            unreadable.append(folder)
            continue
        for entry in sorted(entries, key=lambda e: e.name, reverse=True):
            if not is_utf8(entry.path):
                if entry.is_dir() or extension_of(entry.name) in EXTENSIONS:
                    problems.append(
                        ScanProblem(entry.path, PROBLEM_NAME_NOT_UTF8, NAME_NOT_UTF8_MESSAGE)
                    )
                continue
            try:
                if entry.is_dir():
                    stack.append(entry.path)
                elif extension_of(entry.name) in EXTENSIONS and entry.is_file():
                    yield entry.path, entry.stat()
            except OSError as error:
                problems.append(
                    ScanProblem(entry.path, PROBLEM_UNREADABLE_FILE, error.strerror or str(error))
                )


# --- worker side (no database) -----------------------------------------------------------


def file_row_read(
    path: str, size: int, st_mtime: float
) -> tuple[IndexRow | None, ScanProblem | None]:
    """The ``library_index`` row values of one file, and a problem worth listing (or None)."""
    problem = None
    try:
        tagged = tagged_file_read(path=Path(path))
        tags, duration = tagged.tags, tagged.duration
    except TagReadError as error:
        if error.not_audio:
            return None, ScanProblem(path, PROBLEM_NOT_AUDIO, str(error))
        if not os.access(path, os.R_OK):
            return None, ScanProblem(path, PROBLEM_UNREADABLE_FILE, str(error))
        try:  # mutagen trusts the extension; the content decides whether this is audio
            audio_properties_read(path)
        except AudioReadError as content_error:
            if content_error.kind in (AudioReadError.KIND_NOT_AUDIO, AudioReadError.KIND_EMPTY):
                return None, ScanProblem(path, PROBLEM_NOT_AUDIO, str(content_error))
        tags, duration = AudioTags(), None
        problem = ScanProblem(path, PROBLEM_BAD_TAGS, str(error))
    filename = os.path.basename(path)
    row = IndexRow(
        file_path=path,
        filename=filename,
        artist=tags.artist,
        title=tags.title,
        album=tags.album,
        year=tags.year,
        duration=duration,
        file_format=extension_of(filename),
        file_size=size,
        metadata_hash=metadata_hash(
            artist=tags.artist, title=tags.title, filename_stem=Path(filename).stem
        ),
        file_content_hash=content_hash_sampled(path=Path(path)),
        indexed_at=utc_now_iso(),
        file_mtime=mtime_iso(st_mtime),
        is_active=1,
    )
    return row, problem


def _read_chunk(chunk: Sequence[tuple[str, int, float]]) -> list:
    return [file_row_read(path, size, mtime) for path, size, mtime in chunk]


# --- database side -----------------------------------------------------------------------


def rows_upsert(rows: Sequence[IndexRow]) -> list[ScanProblem]:
    """Insert or update rows by ``file_path`` (an existing row keeps its id).

    One transaction for the batch; if it fails, each row is written in its own savepoint,
    so that a row SQLite refuses (a name that is not UTF-8, a value out of range) is
    returned as a problem and never costs the other rows of its batch.
    """
    if not rows:
        return []
    try:
        with (
            transaction.atomic(using=LIBRARY_DB_ALIAS),
            connections[LIBRARY_DB_ALIAS].cursor() as cursor,
        ):
            cursor.executemany(UPSERT_SQL, rows)
            library_summary_refresh(cursor=cursor, paths=[row.file_path for row in rows])
        return []
    except (DatabaseError, ValueError, OverflowError) as error:
        if _is_lock_error(error):
            raise
    problems = []
    with (
        transaction.atomic(using=LIBRARY_DB_ALIAS),
        connections[LIBRARY_DB_ALIAS].cursor() as cursor,
    ):
        for row in rows:
            try:
                with transaction.atomic(using=LIBRARY_DB_ALIAS):
                    cursor.execute(UPSERT_SQL, row)
            except (DatabaseError, ValueError, OverflowError) as error:
                if _is_lock_error(error):
                    raise
                kind = PROBLEM_NOT_WRITTEN
                message = f"{type(error).__name__}: {error}"
                if not is_utf8(row.file_path):
                    kind, message = PROBLEM_NAME_NOT_UTF8, NAME_NOT_UTF8_MESSAGE
                problems.append(ScanProblem(row.file_path, kind, message))
        refused = {problem.path for problem in problems}
        library_summary_refresh(
            cursor=cursor, paths=[row.file_path for row in rows if row.file_path not in refused]
        )
    return problems


def _is_lock_error(error: Exception) -> bool:
    """A busy or locked database is the whole batch's problem, never one row's."""
    return isinstance(error, OperationalError) and ("locked" in str(error) or "busy" in str(error))


def library_file_index(*, path: Path) -> LibraryFile:
    """Insert or update the ``library_index`` row of one file; raise ``ValueError`` if not audio
    (or not storable)."""
    path_text = os.path.abspath(path)
    if not is_utf8(path_text):
        raise ValueError(f"{path_text}: {PROBLEM_NAME_NOT_UTF8} ({NAME_NOT_UTF8_MESSAGE})")
    info = os.stat(path_text)
    row, problem = file_row_read(path_text, info.st_size, info.st_mtime)
    if row is None:
        reason = f"{problem.kind} ({problem.message})" if problem else "not indexed"
        raise ValueError(f"{path_text}: {reason}")
    for refused in rows_upsert([row]):
        raise ValueError(f"{path_text}: {refused.kind} ({refused.message})")
    return LibraryFile.objects.using(LIBRARY_DB_ALIAS).get(file_path=path_text)


def _known_rows() -> dict[str, _Known]:
    with connections[LIBRARY_DB_ALIAS].cursor() as cursor:
        cursor.execute(
            "SELECT id, file_path, file_size, file_mtime, is_active, "
            "artist IS NOT NULL OR title IS NOT NULL FROM library_index"
        )
        return {
            path: _Known(id_, size, mtime, active == ACTIVE, bool(has_tags))
            for id_, path, size, mtime, active, has_tags in cursor.fetchall()
        }


def _under(path: str, folders: Sequence[str]) -> bool:
    return any(path == f or path.startswith(f.rstrip(os.sep) + os.sep) for f in folders)


def _vanished_mark(roots: Sequence[str], found: set[str], unreadable: Sequence[str]) -> int:
    with connections[LIBRARY_DB_ALIAS].cursor() as cursor:
        cursor.execute(f"SELECT id, file_path FROM library_index WHERE {ACTIVE_SQL}")
        gone = [
            (id_,)
            for id_, path in cursor.fetchall()
            if path not in found and _under(path, roots) and not _under(path, unreadable)
        ]
    for start in range(0, len(gone), BATCH_SIZE):
        with (
            transaction.atomic(using=LIBRARY_DB_ALIAS),
            connections[LIBRARY_DB_ALIAS].cursor() as cursor,
        ):
            cursor.executemany(
                "UPDATE library_index SET is_active = 0 WHERE id = %s",
                gone[start : start + BATCH_SIZE],
            )
            library_summary_refresh(
                cursor=cursor, ids=[id_ for (id_,) in gone[start : start + BATCH_SIZE]]
            )
    return len(gone)


def library_stats_write(*, seconds: float) -> LibraryStats:
    with connections[LIBRARY_DB_ALIAS].cursor() as cursor:
        cursor.execute(
            "SELECT COUNT(*), TOTAL(file_size), COUNT(DISTINCT artist), "
            f"COUNT(DISTINCT album) FROM library_index WHERE {ACTIVE_SQL}"
        )
        total, size, artists, albums = cursor.fetchone()
        cursor.execute(
            f"SELECT file_format, COUNT(*) FROM library_index WHERE {ACTIVE_SQL} "
            "GROUP BY file_format ORDER BY COUNT(*) DESC, file_format"
        )
        formats = dict(cursor.fetchall())
    now = utc_now_iso()
    with transaction.atomic(using=LIBRARY_DB_ALIAS):
        return LibraryStats.objects.using(LIBRARY_DB_ALIAS).create(
            total_files=total,
            total_size=min(int(size), MAX_SQLITE_INTEGER),  # TOTAL(): no overflow
            formats_breakdown=json.dumps(formats),
            artists_count=artists,
            albums_count=albums,
            last_index_time=now,
            index_duration=round(seconds, 3),
            created_at=now,
        )


@dataclass
class _ScanPlan:
    """What the walk found: which files to read, and which only to complete with tags."""

    found: set[str] = field(default_factory=set)
    to_read: list[tuple[str, int, float]] = field(default_factory=list)
    complete_only: set[str] = field(default_factory=set)
    unreadable: list[str] = field(default_factory=list)


def _scan_plan(
    root_texts: Sequence[str], known: dict[str, _Known], result: ScanResult
) -> _ScanPlan:
    """Walk the roots; a file whose size and mtime match its active, tagged row is unchanged."""
    plan = _ScanPlan()
    for root in root_texts:
        for path, info in walk_audio_files(root, result.problems, plan.unreadable):
            plan.found.add(path)
            row = known.get(path)
            if row and row.size == info.st_size and same_mtime(row.mtime, info.st_mtime):
                if row.is_active and row.has_tags:
                    result.unchanged += 1
                    continue
                if row.is_active:
                    plan.complete_only.add(path)
            plan.to_read.append((path, info.st_size, info.st_mtime))
    result.found = len(plan.found)
    return plan


def _rows_to_write(
    rows: Sequence[tuple[IndexRow | None, ScanProblem | None]],
    *,
    plan: _ScanPlan,
    result: ScanResult,
) -> list[IndexRow]:
    """The rows worth writing; problems listed. A file read only to complete its tags that
    still has none is unchanged: nothing to write."""
    kept = []
    for row, problem in rows:
        if problem:
            result.problems.append(problem)
        if row is None:
            continue
        if row.file_path in plan.complete_only and not row.has_tags:
            result.unchanged += 1
            continue
        kept.append(row)
    return kept


def _rows_write(
    rows: Sequence[IndexRow], *, plan: _ScanPlan, known: dict[str, _Known], result: ScanResult
) -> None:
    """Write a batch, then count what its written rows are (added, updated, completed)."""
    refused = rows_upsert(rows)
    result.problems += refused
    refused_paths = {problem.path for problem in refused}
    for row in rows:
        if row.file_path in refused_paths:
            continue
        if row.file_path in plan.complete_only:
            result.completed += 1
        elif row.file_path in known:
            result.updated += 1
        else:
            result.added += 1


def _rows_read_and_write(
    plan: _ScanPlan,
    *,
    known: dict[str, _Known],
    result: ScanResult,
    workers: int | None,
    progress: Callable[[int, int], None] | None,
) -> None:
    """Read the planned files in worker processes; write their rows in batches.

    A :class:`StopRequested` from ``progress`` writes the rows already read, then goes on up
    (the workers are stopped): vanished files are then not marked, as after Ctrl-C.
    """
    total = len(plan.to_read)
    done = 0
    batch: list[IndexRow] = []
    if progress:
        progress(0, total)
    with chunks_map_started(
        _read_chunk, plan.to_read, workers=workers or default_workers()
    ) as chunks:
        try:
            for chunk in chunks:
                batch += _rows_to_write(chunk, plan=plan, result=result)
                while len(batch) >= BATCH_SIZE:
                    _rows_write(batch[:BATCH_SIZE], plan=plan, known=known, result=result)
                    batch = batch[BATCH_SIZE:]
                done += len(chunk)
                if progress:
                    progress(done, total)
        except StopRequested:
            _rows_write(batch, plan=plan, known=known, result=result)
            raise
    _rows_write(batch, plan=plan, known=known, result=result)


def library_scan(
    *,
    roots: Sequence[Path],
    workers: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> ScanResult:
    """Index every audio file under ``roots``; see the module docstring for the rules.

    Each root must be an existing folder (checked by the caller): a root that is missing,
    perhaps an unmounted disk, must not turn the whole library inactive.
    """
    started = time.monotonic()
    result = ScanResult()
    root_texts = [os.path.abspath(root) for root in roots]
    known = _known_rows()
    plan = _scan_plan(root_texts, known, result)
    _rows_read_and_write(plan, known=known, result=result, workers=workers, progress=progress)
    result.vanished = _vanished_mark(root_texts, plan.found, plan.unreadable)
    result.seconds = time.monotonic() - started
    result.stats = library_stats_write(seconds=result.seconds)
    logger.info(
        "scan: %d found, %d added, %d updated, %d vanished",
        result.found,
        result.added,
        result.updated,
        result.vanished,
    )
    return result
