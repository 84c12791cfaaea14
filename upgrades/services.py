"""Writes on upgrade candidates: identify them from the analysed library, and the user's triage.

``upgrade_candidates_identify`` is re-runnable: it refreshes scores and availability of the
candidates it finds, but the decision columns (``user_action``, ``action_at``, ``notes``)
belong to the user and are only ever written by the triage functions below, except the one
case where the facts settle the matter: the file was upgraded, or its recording is held as a
better copy (one candidate per recording, its best copy), so the candidate is completed (with
a dated note saying why).
"""

from __future__ import annotations

import csv
import datetime
import logging
import os
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import NamedTuple, TextIO

from django.db import connections, transaction

from musicquality.fields import utc_now_iso
from musicquality.legacy_history import (
    LegacyDecision,
    imported_keys,
    imported_note,
    legacy_row_key,
)
from musicquality.parallel import chunks_map_started, default_workers
from musicquality.routers import APP_DB_ALIAS, LIBRARY_DB_ALIAS
from musicquality.timestamps import timestamp_normalise
from quality.recordings import Candidate
from quality.selectors import recording_groups_list
from quality.services.recordings import audio_matches_refresh
from quality.services.tags import isrc_normalise, tags_only_read
from upgrades import rules
from upgrades.models import (
    ImportedDecision,
    JobStatus,
    StreamingMatch,
    UpgradeCandidate,
    UpgradeJob,
    UserAction,
    validate_user_action,
)
from upgrades.selectors import (
    EligibleFile,
    KnownCandidate,
    imported_decision_keys,
    lossless_alac_counts,
    upgrade_album_candidate_ids,
    upgrade_candidates_by_path,
    upgrade_candidates_known,
    upgrade_candidates_outgrown,
    upgrade_candidates_pending_of,
    upgrade_candidates_replaced,
    upgrade_candidates_with_action,
    upgrade_eligible_files,
)
from upgrades.streaming import NOTHING_TO_MATCH, StreamingCatalog, streaming_catalog_load

logger = logging.getLogger(__name__)

BATCH_SIZE = 1000
#: Candidates written per transaction: few enough commits to be cheap, and the write lock
#: held for a fraction of a second (the legacy CLI waits up to 30 s for it).
UPSERT_BATCH_SIZE = 5000
#: Below this many files to read, a process pool costs more than it saves.
PARALLEL_FROM = 200

ProgressCallback = Callable[[int, int], None]


@dataclass
class IdentifySummary:
    threshold: float
    recommended_format: str
    streaming_db: Path | None
    streaming_tracks: int = 0
    new: int = 0
    refreshed: int = 0
    completed: int = 0
    tags_read: int = 0
    matched_by_isrc: int = 0
    matched_by_name: int = 0
    by_availability: Counter = field(default_factory=Counter)

    @property
    def candidates(self) -> int:
        return self.new + self.refreshed

    @property
    def files_handled(self) -> int:
        """The candidates the run wrote or completed (monitoring's throughput)."""
        return self.candidates + self.completed


@dataclass(frozen=True, slots=True)
class FileTags:
    artist: str | None
    title: str | None
    album: str | None
    isrc: str | None


NO_TAGS = FileTags(None, None, None, None)


class CandidateRow(NamedTuple):
    """The values ``identify_upgrades`` writes for one candidate, in :data:`_UPSERT_SQL`'s
    column order (the decision columns ``action_at`` and ``notes`` are the user's)."""

    library_file_id: int
    file_path: str
    current_format: str
    current_bitrate: int | None
    current_quality_score: float
    artist: str
    title: str
    album: str | None
    duration: float | None
    isrc: str | None
    recommended_format: str
    potential_quality_gain: float
    priority_score: float
    available_on_service: str
    service_quality: str | None
    checked_at: str | None
    user_action: str
    identified_at: str
    last_updated: str


class StreamingMatchRow(NamedTuple):
    """One ``streaming_matches`` row (schema v2.2.0), in :data:`_MATCH_INSERT_SQL` order."""

    library_file_id: int
    service: str
    service_track_id: str
    match_confidence: float
    available_quality: str
    checked_at: str


@dataclass
class _IdentifyRun:
    """What one run needs for every file: the previous candidates, the catalogue, the totals,
    and the streaming matches found (by file)."""

    known: dict[int, KnownCandidate]
    catalog: StreamingCatalog | None
    summary: IdentifySummary
    stamp: str
    matches: dict[int, list[StreamingMatchRow]] = field(default_factory=dict)

    def row(self, eligible: EligibleFile, tags: FileTags) -> CandidateRow:
        return _candidate_row(
            eligible,
            self.known.get(eligible.library_file_id),
            tags,
            self.catalog,
            self.summary,
            self.stamp,
            self.matches,
        )


def upgrade_candidates_identify(
    *,
    threshold: float = rules.DEFAULT_THRESHOLD,
    format_override: str | None = None,
    streaming_db: Path | None,
    workers: int | None = None,
    on_progress: ProgressCallback | None = None,
) -> IdentifySummary:
    """Create or refresh a candidate for every active lossy file scoring below ``threshold``,
    and complete the open candidates whose file has since been upgraded.

    Tags (for the ISRC) are read only from files new or changed since the last run, in
    ``workers`` processes (default: one per core) that start before the streaming catalogue
    is loaded, so that both proceed together. ``on_progress(done, total)`` counts tag reads,
    then candidates written. Raises ``ValueError`` for a bad threshold or format and
    :class:`~upgrades.streaming.StreamingDatabaseError` for an unreadable streaming DB, before
    anything is written.
    """
    if not 0 < threshold <= 100:
        raise ValueError(f"threshold {threshold:g} is out of range: give a score in (0, 100]")
    override = rules.format_choice(format_override) if format_override else None
    now = datetime.datetime.now(datetime.UTC)
    known = upgrade_candidates_known()
    audio_matches_refresh()  # a no-op unless fingerprints changed since the last refresh
    lesser = rules.recording_lesser_copies(recording_groups_list())
    files = [
        eligible
        for eligible in upgrade_eligible_files(threshold=threshold)
        if eligible.library_file_id not in lesser
    ]
    kept, to_read = _files_tags_kept(files, known)
    if len(to_read) < PARALLEL_FROM:
        workers = 1
    total = len(to_read) + len(files)
    with chunks_map_started(
        _tags_chunk, to_read, workers=workers or default_workers()
    ) as tags_chunks:
        run = _identify_run_start(
            known=known,
            streaming_db=streaming_db,
            threshold=threshold,
            override=override,
            now=now,
        )
        rows = _candidate_rows_make(
            files, kept=kept, tags_chunks=tags_chunks, run=run, total=total, progress=on_progress
        )
    summary = run.summary
    for start in range(0, len(files), UPSERT_BATCH_SIZE):
        batch = files[start : start + UPSERT_BATCH_SIZE]
        _candidates_upsert(
            [rows[f.library_file_id] for f in batch],
            matches=[m for f in batch for m in run.matches.get(f.library_file_id, ())],
        )
        if on_progress:
            on_progress(summary.tags_read + start + len(batch), total)
    _streaming_matches_prune(stamp=run.stamp)
    summary.completed = _candidates_complete_outgrown(
        threshold=threshold, stamp=run.stamp, lesser=lesser
    )
    logger.info(
        "identify: %d new, %d refreshed, %d completed (threshold %g)",
        summary.new,
        summary.refreshed,
        summary.completed,
        threshold,
    )
    return summary


def _identify_run_start(
    *,
    known: dict[int, KnownCandidate],
    streaming_db: Path | None,
    threshold: float,
    override: str | None,
    now: datetime.datetime,
) -> _IdentifyRun:
    """Load the streaming catalogue and choose the recommended format (while tags are read)."""
    catalog = streaming_catalog_load(path=streaming_db, now=now) if streaming_db else None
    alac, lossless = lossless_alac_counts()
    summary = IdentifySummary(
        threshold=threshold,
        recommended_format=rules.recommended_format(
            alac_files=alac, lossless_files=lossless, override=override
        ),
        streaming_db=streaming_db,
        streaming_tracks=catalog.track_count if catalog else 0,
    )
    return _IdentifyRun(known=known, catalog=catalog, summary=summary, stamp=now.isoformat())


def _candidate_rows_make(
    files: list[EligibleFile],
    *,
    kept: list[tuple[int, FileTags]],
    tags_chunks: Iterable[list[tuple[int, tuple]]],
    run: _IdentifyRun,
    total: int,
    progress: ProgressCallback | None,
) -> dict[int, CandidateRow]:
    """One row per eligible file: from the kept tags first, then as the workers read."""
    by_id = {f.library_file_id: f for f in files}
    rows: dict[int, CandidateRow] = {}
    for library_file_id, tags in kept:
        rows[library_file_id] = run.row(by_id[library_file_id], tags)
    for chunk in tags_chunks:
        for library_file_id, values in chunk:
            rows[library_file_id] = run.row(by_id[library_file_id], FileTags(*values))
        run.summary.tags_read += len(chunk)
        if progress:
            progress(run.summary.tags_read, total)
    return rows


_PENDING = UserAction.PENDING.value


def _candidate_row(
    eligible: EligibleFile,
    known: KnownCandidate | None,
    tags: FileTags,
    catalog: StreamingCatalog | None,
    summary: IdentifySummary,
    stamp: str,
    matches: dict[int, list[StreamingMatchRow]],
) -> CandidateRow:
    artist = tags.artist or eligible.artist
    title = tags.title or eligible.title
    if catalog is None:
        match = NOTHING_TO_MATCH
    else:
        match = catalog.match(
            isrc=tags.isrc, artist=artist, title=title, duration=eligible.duration
        )
        if match.matched_by == "isrc":
            summary.matched_by_isrc += 1
        elif match.matched_by == "name":
            summary.matched_by_name += 1
        if match.tracks:
            matches[eligible.library_file_id] = [
                StreamingMatchRow(
                    library_file_id=eligible.library_file_id,
                    service=track.service,
                    service_track_id=track.id,
                    match_confidence=rules.match_confidence(
                        matched_by=match.matched_by,
                        file_seconds=eligible.duration,
                        track_ms=track.duration_ms,
                    ),
                    available_quality=rules.service_quality(track.service),
                    checked_at=stamp,
                )
                for track in match.tracks
            ]
    verdict = rules.availability_decide(
        checked=match.checked, services=(track.service for track in match.tracks)
    )
    score = eligible.quality_score
    priority = rules.upgrade_priority(
        current_score=score, availability=verdict.availability, listening=match.listening
    )
    if known is None:
        summary.new += 1
    else:
        summary.refreshed += 1
    summary.by_availability[verdict.service] += 1
    return CandidateRow(
        library_file_id=eligible.library_file_id,
        file_path=eligible.file_path,
        current_format=eligible.file_format,
        current_bitrate=eligible.bitrate,
        current_quality_score=score,
        artist=artist or "",
        title=title or Path(eligible.filename).stem,
        album=tags.album or eligible.album,
        duration=eligible.duration,
        isrc=isrc_normalise(tags.isrc),
        recommended_format=summary.recommended_format,
        potential_quality_gain=rules.potential_quality_gain(current_score=score),
        priority_score=priority,
        available_on_service=verdict.service,
        service_quality=verdict.service_quality,
        checked_at=stamp if catalog is not None else None,
        user_action=_PENDING,
        identified_at=stamp,
        last_updated=stamp,
    )


def _files_tags_kept(
    files: list[EligibleFile], known: dict[int, KnownCandidate]
) -> tuple[list[tuple[int, FileTags]], list[tuple[int, str]]]:
    """Which tags to keep from the last run and which files to read again.

    Tags are kept when the file has not changed since (tag parsing is the slow part of
    identify, and a re-run mostly meets unchanged files), read again otherwise; a file that
    is not on disk gets no tags (its ``library_index`` row still counts). Returns the kept
    tags per file and the ``(library_file_id, path)`` of the files to read.
    """
    kept: list[tuple[int, FileTags]] = []
    to_read: list[tuple[int, str]] = []
    for eligible in files:
        previous = known.get(eligible.library_file_id)
        try:
            st_mtime: float | None = os.stat(eligible.file_path).st_mtime
        except OSError:
            st_mtime = None
        if previous is not None and _tags_unchanged(eligible, previous, st_mtime):
            kept.append(
                (
                    eligible.library_file_id,
                    FileTags(
                        previous.artist or None,
                        previous.title or None,
                        previous.album,
                        previous.isrc,
                    ),
                )
            )
        elif st_mtime is not None:
            to_read.append((eligible.library_file_id, eligible.file_path))
        else:
            kept.append((eligible.library_file_id, NO_TAGS))
    return kept, to_read


def _tags_unchanged(
    eligible: EligibleFile, previous: KnownCandidate, st_mtime: float | None
) -> bool:
    """The file is where it was and not modified since the last run stored its tags (a file
    not on disk counts as unchanged: its stored tags are the best there is)."""
    if previous.file_path != eligible.file_path:
        return False
    if st_mtime is None:
        return True
    mtime = datetime.datetime.fromtimestamp(st_mtime, datetime.UTC)
    return bool(previous.last_updated and mtime <= previous.last_updated)


def _tags_chunk(chunk: Sequence[tuple[int, str]]) -> list[tuple[int, tuple]]:
    """Run in a worker process: plain tuples travel back. Only the tags matching needs are
    read, not the audio stream (:func:`~quality.services.tags.tags_only_read`)."""
    results = []
    for library_file_id, path in chunk:
        found = tags_only_read(path=Path(path))
        results.append((library_file_id, (found.artist, found.title, found.album, found.isrc)))
    return results


_UPSERT_COLUMNS = CandidateRow._fields
#: Refreshed on a re-run; ``user_action``, ``action_at``, ``notes`` and ``identified_at`` not.
_REFRESHED_COLUMNS = tuple(
    c for c in _UPSERT_COLUMNS if c not in {"library_file_id", "user_action", "identified_at"}
)
_UPSERT_SQL = (
    f"INSERT INTO {UpgradeCandidate._meta.db_table} ({', '.join(_UPSERT_COLUMNS)}) "
    f"VALUES ({', '.join('?' for _ in _UPSERT_COLUMNS)}) "
    "ON CONFLICT(library_file_id) DO UPDATE SET "
    + ", ".join(f"{c} = excluded.{c}" for c in _REFRESHED_COLUMNS)
)


_MATCH_TABLE = StreamingMatch._meta.db_table
_MATCH_INSERT_SQL = (
    f"INSERT INTO {_MATCH_TABLE} ({', '.join(StreamingMatchRow._fields)}) "
    f"VALUES ({', '.join('%s' for _ in StreamingMatchRow._fields)})"
)


def _candidates_upsert(rows: list[CandidateRow], *, matches: list[StreamingMatchRow]) -> None:
    """One statement per batch: an ORM save per row would cost more than the matching. The
    batch's files' streaming matches are replaced by this run's in the same transaction, so
    a candidate's ``available_on_service`` is always the best of its stored matches."""
    with (
        transaction.atomic(using=LIBRARY_DB_ALIAS),
        connections[LIBRARY_DB_ALIAS].cursor() as cursor,
    ):
        cursor.executemany(_UPSERT_SQL, rows)
        cursor.executemany(
            f"DELETE FROM {_MATCH_TABLE} WHERE library_file_id = %s",
            [(row.library_file_id,) for row in rows],
        )
        cursor.executemany(_MATCH_INSERT_SQL, matches)


def _streaming_matches_prune(*, stamp: str) -> None:
    """Drop the matches this run did not write: files that are no longer candidates."""
    with (
        transaction.atomic(using=LIBRARY_DB_ALIAS),
        connections[LIBRARY_DB_ALIAS].cursor() as cursor,
    ):
        cursor.execute(f"DELETE FROM {_MATCH_TABLE} WHERE checked_at <> %s", [stamp])


def _candidates_complete_outgrown(
    *, threshold: float, stamp: str, lesser: dict[int, Candidate]
) -> int:
    """Complete the open candidates whose file was upgraded in place (re-analysed as lossless
    or scoring at or above the threshold) or replaced by such a file (the old one vanished),
    and the pending ones whose recording has a better copy (``lesser``: decisions the user
    made stay as they are)."""
    reasons: list[tuple[int, str | None, str]] = []
    for candidate_id, notes, library_file_id in upgrade_candidates_pending_of(
        library_file_ids=lesser.keys()
    ):
        better = lesser[library_file_id]
        reasons.append(
            (candidate_id, notes, rules.superseded_reason(better=better, threshold=threshold))
        )
    for candidate_id, notes, is_lossless, score, codec in upgrade_candidates_outgrown(
        threshold=threshold
    ).values_list(
        "id",
        "notes",
        "library_file__quality__is_lossless",
        "library_file__quality__quality_score",
        "library_file__quality__codec",
    ):
        why = rules.completion_reason(
            is_lossless=bool(is_lossless), score=score, codec=codec, threshold=threshold
        )
        reasons.append((candidate_id, notes, why))
    for replacement in upgrade_candidates_replaced():
        if rules.is_upgrade_candidate(
            is_lossless=replacement.is_lossless,
            score=replacement.quality_score,
            threshold=threshold,
            verdict=replacement.verdict,
        ):
            continue
        why = rules.completion_reason(
            is_lossless=replacement.is_lossless,
            score=replacement.quality_score,
            codec=replacement.codec,
            threshold=threshold,
            replaced_by=replacement.file_path,
        )
        reasons.append((replacement.candidate_id, replacement.notes, why))
    first_reasons = {pk: (pk, notes, why) for pk, notes, why in reversed(reasons)}
    rows = [
        (
            stamp,
            stamp,
            rules.note_appended(notes, f"completed automatically: {why}", when=stamp),
            pk,
        )
        for pk, notes, why in first_reasons.values()
    ]
    table = UpgradeCandidate._meta.db_table
    with transaction.atomic(using=LIBRARY_DB_ALIAS):
        with connections[LIBRARY_DB_ALIAS].cursor() as cursor:
            cursor.executemany(
                f"UPDATE {table} SET user_action = 'completed', action_at = ?, "
                "last_updated = ?, notes = ? WHERE id = ?",
                rows,
            )
        _jobs_follow(candidate_ids=list(first_reasons), action=UserAction.COMPLETED, stamp=stamp)
    return len(rows)


# --- triage --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ActionResult:
    action: str
    changed: int
    unchanged: int


def upgrade_candidates_act(
    *, candidate_ids: Iterable[int], action: str, note: str | None = None
) -> ActionResult:
    """Set the user's decision on candidates: ``action_at`` now, ``note`` appended to their
    notes; their acquisition jobs follow (:func:`_jobs_follow`). Those already at ``action``
    are left as they are (their ``action_at`` keeps the moment of the decision). Raises
    ``ValidationError`` for an action outside the allowed set.
    """
    validate_user_action(action)
    ids = sorted(set(candidate_ids))
    stamp = utc_now_iso()
    changed: list[int] = []
    with transaction.atomic(using=LIBRARY_DB_ALIAS):
        for start in range(0, len(ids), BATCH_SIZE):
            chunk = UpgradeCandidate.objects.filter(pk__in=ids[start : start + BATCH_SIZE])
            to_change = list(chunk.exclude(user_action=action).values_list("id", "notes"))
            if note and note.strip():
                for candidate_id, notes in to_change:
                    UpgradeCandidate.objects.filter(pk=candidate_id).update(
                        user_action=action,
                        action_at=stamp,
                        last_updated=stamp,
                        notes=rules.note_appended(notes, note, when=stamp),
                    )
            else:
                UpgradeCandidate.objects.filter(pk__in=[pk for pk, _ in to_change]).update(
                    user_action=action, action_at=stamp, last_updated=stamp
                )
            changed += [pk for pk, _ in to_change]
        _jobs_follow(candidate_ids=changed, action=action, stamp=stamp)
    logger.info("%d upgrade candidates set to %s", len(changed), action)
    return ActionResult(action=action, changed=len(changed), unchanged=len(ids) - len(changed))


def upgrade_album_act(*, artist: str, album: str, action: str) -> ActionResult:
    """Set the decision on every pending candidate of one album (the album view's button)."""
    ids = upgrade_album_candidate_ids(artist=artist, album=album, user_action=UserAction.PENDING)
    return upgrade_candidates_act(candidate_ids=ids, action=action)


def upgrade_candidate_edit(
    *, candidate: UpgradeCandidate, user_action: str, notes: str | None
) -> UpgradeCandidate:
    """Save an edit of one candidate's decision and notes (the admin change form);
    ``action_at`` moves only when the action changes."""
    validate_user_action(user_action)
    stamp = utc_now_iso()
    fields = ["notes", "last_updated"]
    previous = (
        UpgradeCandidate.objects.filter(pk=candidate.pk).values_list("user_action", flat=True).get()
    )
    if previous != user_action:
        candidate.action_at = stamp
        fields += ["user_action", "action_at"]
    candidate.user_action = user_action
    candidate.notes = notes or None
    candidate.last_updated = stamp
    with transaction.atomic(using=LIBRARY_DB_ALIAS):
        candidate.save(update_fields=fields)
        if previous != user_action:
            _jobs_follow(candidate_ids=[candidate.pk], action=user_action, stamp=stamp)
    return candidate


# --- acquisition jobs (upgrade_jobs) ---------------------------------------------------------


def _jobs_follow(
    *, candidate_ids: Sequence[int], action: str, stamp: str, source: str | None = None
) -> None:
    """Keep the acquisition jobs in step with their candidates' decisions (one job per
    candidate): approved → a ``pending`` job (made, or a cancelled or failed one reopened);
    completed → its pending job ``completed`` (``source``: where the copy came from; with a
    source, a job is made if there was none, so the acquisition is on record); any other
    decision → its pending job ``cancelled``. Runs inside the caller's transaction."""
    ids = list(candidate_ids)
    for start in range(0, len(ids), BATCH_SIZE):
        chunk = ids[start : start + BATCH_SIZE]
        jobs = UpgradeJob.objects.filter(candidate_id__in=chunk)
        pending = jobs.filter(job_status=JobStatus.PENDING)
        if action == UserAction.APPROVED:
            jobs.filter(job_status__in=[JobStatus.CANCELLED, JobStatus.FAILED]).update(
                job_status=JobStatus.PENDING, download_completed_at=None
            )
            have = set(jobs.values_list("candidate_id", flat=True))
            UpgradeJob.objects.bulk_create(
                UpgradeJob(candidate_id=pk, job_status=JobStatus.PENDING)
                for pk in chunk
                if pk not in have
            )
        elif action == UserAction.COMPLETED:
            pending.update(
                job_status=JobStatus.COMPLETED, download_completed_at=stamp, download_source=source
            )
            if source is not None:
                have = set(jobs.values_list("candidate_id", flat=True))
                UpgradeJob.objects.bulk_create(
                    UpgradeJob(
                        candidate_id=pk,
                        job_status=JobStatus.COMPLETED,
                        download_source=source,
                        download_started_at=stamp,
                        download_completed_at=stamp,
                    )
                    for pk in chunk
                    if pk not in have
                )
        else:
            pending.update(job_status=JobStatus.CANCELLED)


@dataclass(frozen=True)
class Acquisition:
    """What :func:`upgrade_candidate_acquire` did to a candidate and its job."""

    candidate_id: int
    job_id: int | None
    completed: bool
    detail: str


def upgrade_candidate_acquire(
    *,
    candidate_id: int,
    replaced_by_id: int,
    replaced_by_path: str,
    source: str,
    started_at: str | None = None,
) -> Acquisition:
    """An applied import upgraded this candidate's file: the candidate is completed with a
    dated note, its job completed with ``download_source = source`` (one is made if there was
    none), and the candidate is re-pointed at the new file (``replaced_by_id``) so that it and
    its job outlive the old file's ``library_index`` row, which the deletion protocol removes
    next (``ON DELETE CASCADE`` would take them with it). Its other columns keep describing
    the file that was replaced. Idempotent: a second call finds it done.

    A pending candidate the new file already has (made by ``identify_upgrades`` in between) is
    a machine proposal and is dropped; one the user decided on is kept, and then this
    candidate is completed in place and goes with the old file's row (said in ``detail``).
    """
    stamp = utc_now_iso()
    with transaction.atomic(using=LIBRARY_DB_ALIAS):
        candidate = UpgradeCandidate.objects.filter(pk=candidate_id).first()
        if candidate is None:
            return Acquisition(candidate_id, None, False, "no such candidate (already gone)")
        repoint = candidate.library_file_id != replaced_by_id
        detail = "completed"
        if repoint:
            other = UpgradeCandidate.objects.filter(library_file_id=replaced_by_id).first()
            if other is not None and other.user_action == UserAction.PENDING:
                other.delete()
            elif other is not None:
                repoint = False
                detail = (
                    f"completed in place: the new file already has candidate {other.pk} "
                    f"({other.user_action})"
                )
        if candidate.user_action != UserAction.COMPLETED:
            candidate.notes = rules.note_appended(
                candidate.notes,
                f"completed: replaced by {replaced_by_path} (from {source})",
                when=stamp,
            )
            candidate.user_action = UserAction.COMPLETED
            candidate.action_at = stamp
        if repoint:
            candidate.library_file_id = replaced_by_id
        candidate.last_updated = stamp
        candidate.save(
            update_fields=["library_file", "user_action", "action_at", "notes", "last_updated"]
        )
        _jobs_follow(
            candidate_ids=[candidate.pk], action=UserAction.COMPLETED, stamp=stamp, source=source
        )
        job = UpgradeJob.objects.filter(candidate_id=candidate.pk).order_by("-id").first()
        if job is not None and job.download_started_at is None and started_at:
            job.download_started_at = started_at
            job.save(update_fields=["download_started_at"])
    return Acquisition(candidate.pk, job.pk if job else None, True, detail)


def upgrade_job_close(*, job_ids: Iterable[int], status: str, message: str | None = None) -> int:
    """The user's call on acquisition jobs: ``failed`` (with what went wrong) or ``cancelled``.
    Only pending jobs change; returns how many did."""
    if status not in (JobStatus.FAILED, JobStatus.CANCELLED):
        raise ValueError(f"job status {status!r}: the user may set failed or cancelled")
    with transaction.atomic(using=LIBRARY_DB_ALIAS):
        return UpgradeJob.objects.filter(pk__in=list(job_ids), job_status=JobStatus.PENDING).update(
            job_status=status, error_message=(message or "").strip() or None
        )


# --- export --------------------------------------------------------------------------------

#: CSV column → candidate field, in the order of the file.
EXPORT_COLUMNS = {
    "artist": "artist",
    "title": "title",
    "album": "album",
    "isrc": "isrc",
    "service": "available_on_service",
    "service_quality": "service_quality",
    "current_format": "current_format",
    "current_bitrate": "current_bitrate",
    "current_quality_score": "current_quality_score",
    "priority_score": "priority_score",
    "recommended_format": "recommended_format",
    "file_path": "file_path",
}


def upgrade_candidates_export(*, user_action: str, out: TextIO) -> int:
    """Write the candidates with ``user_action`` as CSV, highest priority first (the shopping
    list); returns the number of rows."""
    validate_user_action(user_action)
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(EXPORT_COLUMNS)
    count = 0
    rows = upgrade_candidates_with_action(user_action=user_action).values_list(
        *EXPORT_COLUMNS.values()
    )
    for row in rows:
        writer.writerow(["" if value is None else value for value in row])
        count += 1
    return count


# --- the Music Tools decisions (import_legacy_history) ---------------------------------------


class DecisionStatus(StrEnum):
    DECIDED = "decision to import"
    NOTES = "notes to import"
    CONFLICT = "conflict: musicquality's decision kept"
    ALREADY = "already imported"
    NO_DECISION = "no decision (pending, no notes)"
    NOT_CANDIDATE = "in the library, not a candidate"
    NOT_IN_LIBRARY = "no longer in the library"


#: The statuses that write to a candidate (its notes, and for DECIDED its decision).
DECISION_WRITES = (DecisionStatus.DECIDED, DecisionStatus.NOTES, DecisionStatus.CONFLICT)


@dataclass(frozen=True)
class DecisionImport:
    """One legacy decision and what it does to the candidate of its file (if any)."""

    legacy: LegacyDecision
    status: DecisionStatus
    key: str
    candidate_id: int | None = None
    user_action: str | None = None
    """The decision the candidate gets (DECIDED), or the one it keeps (CONFLICT)."""
    action_at: str | None = None
    note: str = ""
    """The dated line appended to the candidate's notes."""


@dataclass
class DecisionImportPlan:
    items: list[DecisionImport] = field(default_factory=list)
    source: str = ""
    """The file the decisions were read from."""
    written: int = 0
    """Candidates written by ``--apply`` (0 in a dry run)."""
    changed_since: int = 0
    """Candidates left alone by ``--apply`` because they changed after the plan was made."""

    def with_status(self, status: DecisionStatus) -> list[DecisionImport]:
        return [item for item in self.items if item.status == status]

    @property
    def to_write(self) -> list[DecisionImport]:
        return [item for item in self.items if item.status in DECISION_WRITES]


def _decision_key(legacy: LegacyDecision) -> str:
    return legacy_row_key(
        "upgrade_candidates",
        legacy.file_path,
        legacy.upgrade_status,
        legacy.identified_at,
        legacy.upgraded_at,
        legacy.notes,
    )


def _decision_moment(legacy: LegacyDecision) -> str | None:
    """When the user decided: ``upgraded_at``, else ``last_checked``, else ``identified_at``."""
    for value in (legacy.upgraded_at, legacy.last_checked, legacy.identified_at):
        moment = timestamp_normalise(value)
        if moment is not None:
            return moment
    return None


def upgrade_decisions_import_plan(
    *, decisions: Sequence[LegacyDecision], source: Path, library_paths: set[str]
) -> DecisionImportPlan:
    """What importing the Music Tools decisions would do (read-only).

    Each legacy row goes to the candidate musicquality identified for the same ``file_path``:
    its status becomes ``user_action`` (``rules.LEGACY_UPGRADE_STATUSES``) with ``action_at``
    from the legacy row, unless the candidate already has a decision other than ``pending``
    (a conflict: the decision stays, the legacy one is noted). Its notes are appended on a
    dated line that marks the import. A legacy row without a candidate is only listed
    (``library_paths``: the files still in the library).
    """
    candidates = upgrade_candidates_by_path(paths={d.file_path for d in decisions if d.file_path})
    # imported before: recorded in the app database, or (imports before that record) on the
    # candidate's notes
    already = imported_decision_keys(keys=[_decision_key(d) for d in decisions])
    already |= {
        key for candidate in candidates.values() for key in imported_keys([candidate.notes])
    }
    planned: dict[int, str | None] = {}
    plan = DecisionImportPlan(source=str(source))
    for legacy in decisions:
        key = _decision_key(legacy)
        candidate = candidates.get(legacy.file_path or "")
        if candidate is None:
            status = (
                DecisionStatus.NOT_CANDIDATE
                if legacy.file_path in library_paths
                else DecisionStatus.NOT_IN_LIBRARY
            )
            plan.items.append(DecisionImport(legacy, status, key))
            continue
        if key in already:
            plan.items.append(DecisionImport(legacy, DecisionStatus.ALREADY, key, candidate.id))
            continue
        action = rules.legacy_upgrade_status_map(legacy.upgrade_status)
        current = planned.get(candidate.id, candidate.user_action)
        decided = action not in (None, UserAction.PENDING)
        if not decided and not (legacy.notes or "").strip():
            plan.items.append(DecisionImport(legacy, DecisionStatus.NO_DECISION, key, candidate.id))
            continue
        when = _decision_moment(legacy)
        what = f"upgrade_candidates #{legacy.id} of {source}"
        text = f"status {legacy.upgrade_status!r}"
        if not decided:
            status, kept = DecisionStatus.NOTES, current
            if action is None:
                text += " (not a decision musicquality knows: not taken over)"
        elif current in (None, UserAction.PENDING) or current == action:
            status, kept = DecisionStatus.DECIDED, action
            text += f" -> {action}"
        else:
            status, kept = DecisionStatus.CONFLICT, current
            text += f" -> {action}: conflict, musicquality's decision {current} kept"
        if legacy.notes and legacy.notes.strip():
            text += f"; legacy notes: {' '.join(legacy.notes.split())}"
        note = f"{imported_note(what=what, key=key)}: {text}"
        planned[candidate.id] = kept
        plan.items.append(DecisionImport(legacy, status, key, candidate.id, kept, when, note))
    return plan


def upgrade_decisions_import_apply(*, plan: DecisionImportPlan) -> DecisionImportPlan:
    """Write the decisions and notes of ``plan`` in one transaction. A candidate whose
    decision or notes changed since the plan was read (triage meanwhile) is left alone."""
    by_candidate: dict[int, list[DecisionImport]] = {}
    for item in plan.to_write:
        if item.candidate_id is not None:
            by_candidate.setdefault(item.candidate_id, []).append(item)
    stamp = utc_now_iso()
    written = changed_since = 0
    recorded = imported_decision_keys(keys=[item.key for item in plan.to_write])
    imported: list[ImportedDecision] = []
    with transaction.atomic(using=LIBRARY_DB_ALIAS):
        current = {
            row[0]: row[1:]
            for row in UpgradeCandidate.objects.filter(pk__in=list(by_candidate)).values_list(
                "id", "user_action", "notes"
            )
        }
        for candidate_id, items in by_candidate.items():
            if candidate_id not in current:
                changed_since += 1
                continue
            action, notes = current[candidate_id]
            if (imported_keys([notes]) | recorded) & {item.key for item in items}:
                changed_since += 1
                continue
            values: dict[str, object] = {"last_updated": stamp}
            for item in items:
                if item.status == DecisionStatus.DECIDED:
                    if action not in (None, UserAction.PENDING, item.user_action):
                        continue  # decided in musicquality since the plan: kept
                    if action != item.user_action:
                        values["user_action"] = action = item.user_action
                        values["action_at"] = item.action_at or stamp
                notes = rules.note_appended(notes, item.note, when=item.action_at or stamp)
                imported.append(
                    ImportedDecision(
                        key=item.key,
                        candidate_id=candidate_id,
                        source=plan.source,
                        imported_at=stamp,
                    )
                )
            values["notes"] = notes
            UpgradeCandidate.objects.filter(pk=candidate_id).update(**values)
            written += 1
    # After the library's commit: a kill in between leaves the keys on the notes alone, which
    # the next plan reads too.
    ImportedDecision.objects.using(APP_DB_ALIAS).bulk_create(
        imported, ignore_conflicts=True, batch_size=500
    )
    plan.written, plan.changed_since = written, changed_since
    logger.info("imported Music Tools decisions into %d upgrade candidates", written)
    return plan
