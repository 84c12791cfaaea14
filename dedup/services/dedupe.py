"""Quarantining duplicates with the deletion safety protocol (docs/deletion-protocol.md).

For each file to remove, strictly in this order:

1. **verify** — its ``library_index`` row is unchanged, the file is a regular file inside
   ``MUSICQUALITY_LIBRARY_ROOTS`` whose sampled hash still equals the row's, its keeper still
   exists and is unchanged, and (exact matches) both are identical in full, byte for byte
   (a full-content comparison: what a full-content hash proves, without collisions);
2. **write intent** — its ``dedup_history`` row (every column; ``recovery_path`` = where it is
   about to go; ``can_recover = 0``; ``notes`` starting with ``PENDING:``), committed;
3. **move** it into ``QUARANTINE_DIR/<session>/<original path>`` (see ``files.file_move``);
4. **finish** — in one transaction, ``can_recover = 1`` and its ``library_index`` row deleted
   (``file_quality`` and ``upgrade_candidates`` go by cascade).

Killed at any instant, a file is therefore at its original path, or in quarantine with a
history row pointing at it (maybe still ``PENDING:``). :func:`pending_settle` looks at the
filesystem for each pending row and completes it (file in quarantine) or undoes it (file
still in place: the intent row is removed, since no deletion happened). Every ``dedupe
--apply`` settles pending rows first; ``dedupe --resume`` does only that.
"""

from __future__ import annotations

import enum
import logging
import os
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePath

from django.db import connections, transaction

from dedup.models import DedupHistory, DeletedBy, MatchedBy
from dedup.rules import (
    DEFAULT_MAX_DURATION_DELTA,
    EXACT_CONFIDENCE,
    Candidate,
    DuplicateGroup,
    DuplicateReport,
    GroupTotals,
    Removal,
    group_keeper_choose,
    groups_at_confidence,
)
from dedup.selectors import PENDING_NOTE_PREFIX, dedup_history_pending
from dedup.services.files import (
    DedupRefused,
    MoveState,
    file_move,
    files_identical,
    interrupted_move_state,
    library_file_check,
    library_root_of,
    library_roots_require,
    quarantine_destination,
    quarantine_lock,
    quarantine_overlap_check,
    quarantine_path_check,
    quarantine_path_for,
)
from dedup.services.find import duplicates_find
from dedup.services.notes import note_append, note_line
from musicquality.faults import fault_point
from musicquality.fields import utc_now_iso
from musicquality.routers import LIBRARY_DB_ALIAS
from quality.hashing import content_hash_sampled
from quality.models import FileQuality, LibraryFile, active_q
from quality.services.decoding import pcm_hash_of
from quality.services.summary import library_summary_refresh

logger = logging.getLogger(__name__)


class KeeperProblem(DedupRefused):
    """The keeper of a group is gone or changed: none of the group's files may go."""


class Settled(enum.StrEnum):
    COMPLETED = "completed"
    UNDONE = "undone"
    KEPT_BOTH = "kept both"
    MISSING = "missing"
    REFUSED = "refused"


@dataclass
class ResumeResult:
    settled: list[tuple[DedupHistory, Settled]] = field(default_factory=list)

    def count(self, outcome: Settled) -> int:
        return sum(1 for _, settled in self.settled if settled is outcome)


@dataclass(frozen=True)
class FileOutcome:
    removal: Removal
    keeper_path: str
    moved: bool
    detail: str
    history_id: int | None = None


@dataclass
class DedupeResult:
    session_id: str
    resumed: ResumeResult
    outcomes: list[FileOutcome] = field(default_factory=list)

    @property
    def quarantined(self) -> list[FileOutcome]:
        return [outcome for outcome in self.outcomes if outcome.moved]

    @property
    def skipped(self) -> list[FileOutcome]:
        return [outcome for outcome in self.outcomes if not outcome.moved]

    @property
    def bytes_freed(self) -> int:
        return sum(outcome.removal.candidate.file_size for outcome in self.quarantined)


@dataclass(frozen=True)
class DedupePlan(GroupTotals):
    report: DuplicateReport
    groups: list[DuplicateGroup]
    min_confidence: float
    pending: int


def dedupe_plan(
    *,
    min_confidence: float,
    prefer: Sequence[PurePath] = (),
    max_duration_delta: float = DEFAULT_MAX_DURATION_DELTA,
    on_compared: Callable[[], None] | None = None,
) -> DedupePlan:
    """What ``dedupe --apply`` would do now (read-only).

    A configuration ``--apply`` would refuse (a quarantine overlapping a library root) is
    refused here too, so that the dry run does not promise what cannot happen.
    """
    quarantine_overlap_check()
    report = duplicates_find(
        prefer=prefer, max_duration_delta=max_duration_delta, on_compared=on_compared
    )
    return DedupePlan(
        report=report,
        groups=groups_at_confidence(report.groups, min_confidence=min_confidence),
        min_confidence=min_confidence,
        pending=len(dedup_history_pending()),
    )


@dataclass(frozen=True)
class GroupChoice:
    """The user's call on one duplicate group (the review page, the API): the file that
    stays and the files to quarantine."""

    keeper_id: int
    remove_ids: tuple[int, ...]


def dedupe_chosen_plan(*, choices: Sequence[GroupChoice]) -> list[DuplicateGroup]:
    """The groups to act on for the user's choices (read-only).

    Each choice must name members of one *current* duplicate group (the grouping rule, with
    the keep-both decisions applied): ids from a browser are checked against the library as
    it is now, never trusted. Each removal is annotated against the chosen keeper. Raises
    :class:`DedupRefused` naming the file otherwise, or for a quarantine overlapping a library
    root (as :func:`dedupe_plan`). :func:`dedupe_apply` then verifies every file again, step
    by step, as for any run.
    """
    quarantine_overlap_check()
    report = duplicates_find(confirm=False)
    group_of = {member.id: group for group in report.groups for member in group.members}
    groups: list[DuplicateGroup] = []
    seen: set[int] = set()
    for choice in choices:
        group = group_of.get(choice.keeper_id)
        if group is None:
            raise DedupRefused(
                f"file {choice.keeper_id} is in no duplicate group now (changed, kept or already "
                "quarantined): reload the duplicates"
            )
        if group.number in seen:
            raise DedupRefused(f"duplicate group {group.number} was chosen twice: choose once")
        seen.add(group.number)
        try:
            groups.append(
                group_keeper_choose(group, keeper_id=choice.keeper_id, remove_ids=choice.remove_ids)
            )
        except ValueError as error:
            raise DedupRefused(f"{error}: reload the duplicates") from None
    return groups


@dataclass(frozen=True)
class PlannedMove:
    """One line of a dry-run plan: a file, where it would go, and a problem seen already."""

    group: DuplicateGroup
    removal: Removal
    destination: str
    problem: str | None


SESSION_PLACEHOLDER = "<session>"


def dedupe_preview(*, groups: Sequence[DuplicateGroup]) -> list[PlannedMove]:
    """The dry run of :func:`dedupe_apply` over ``groups`` (read-only): each move, with the
    problems visible without reading the files (outside the roots, a link, gone, a keeper
    outside the roots, a quarantine path the system cannot create). What :func:`dedupe_apply`
    refuses as a whole (no roots, a quarantine overlapping a root) raises
    :class:`DedupRefused` here too. The run itself checks everything again, and more (hashes,
    byte-for-byte identity)."""
    library_roots_require()
    moves = []
    for group in groups:
        try:
            keeper_root_check(Path(group.keeper.file_path))
            keeper_problem = None
        except KeeperProblem as error:
            keeper_problem = f"group stopped: {error}"
        for removal in group.removals:
            problem = keeper_problem
            destination = quarantine_destination(
                session_id=SESSION_PLACEHOLDER, file_path=removal.candidate.file_path
            )
            try:
                library_file_check(Path(removal.candidate.file_path))
                quarantine_path_for(
                    session_id=SESSION_PLACEHOLDER, file_path=removal.candidate.file_path
                )
            except DedupRefused as error:
                problem = problem or str(error)
            moves.append(PlannedMove(group, removal, str(destination), problem))
    return moves


def dedupe_chosen_apply(
    *,
    choices: Sequence[GroupChoice],
    deleted_by: DeletedBy = DeletedBy.USER,
    on_file: Callable[[], None] | None = None,
) -> DedupeResult:
    """Quarantine the files the user chose (:func:`dedupe_chosen_plan`), by the protocol."""
    return dedupe_apply(
        groups=dedupe_chosen_plan(choices=choices), deleted_by=deleted_by, on_file=on_file
    )


def dedupe_confident_apply(
    *,
    min_confidence: float,
    prefer: Sequence[PurePath] = (),
    deleted_by: DeletedBy = DeletedBy.SYSTEM,
    on_compared: Callable[[], None] | None = None,
    on_file: Callable[[], None] | None = None,
) -> DedupeResult:
    """``dedupe --apply --yes`` in one call: plan at ``min_confidence``, then the protocol."""
    plan = dedupe_plan(min_confidence=min_confidence, prefer=prefer, on_compared=on_compared)
    return dedupe_apply(groups=plan.groups, deleted_by=deleted_by, on_file=on_file)


# --- the protocol -------------------------------------------------------------------------


@dataclass(frozen=True)
class _KeeperState:
    path: Path
    stat_key: tuple[int, int, int]


def _stat_key(path: Path) -> tuple[int, int, int]:
    stat = path.stat()
    return (stat.st_size, stat.st_mtime_ns, stat.st_ino)


def keeper_root_check(path: Path) -> None:
    """A keeper outside the library roots stops its group: no copy inside the roots is
    quarantined in favour of one that dedupe does not look after."""
    if library_root_of(path) is None:
        raise KeeperProblem(
            f"keeper {path} is outside MUSICQUALITY_LIBRARY_ROOTS: no copy inside the roots is "
            "quarantined in favour of one outside (add its folder to the roots, or move it in)"
        )


def _keeper_verify(group: DuplicateGroup) -> _KeeperState:
    keeper = group.keeper
    row = LibraryFile.objects.filter(active_q(), id=keeper.id).first()
    if row is None or row.file_path != keeper.file_path:
        raise KeeperProblem(f"keeper {keeper.file_path} is no longer in the library index")
    path = Path(row.file_path)
    keeper_root_check(path)
    if path.is_symlink() or not path.is_file():
        raise KeeperProblem(f"keeper {path} is missing")
    before = _stat_key(path)
    if content_hash_sampled(path=path) != row.file_content_hash:
        raise KeeperProblem(f"keeper {path} changed since it was indexed: rescan first")
    return _KeeperState(path=path, stat_key=before)


def _keeper_unchanged(keeper: _KeeperState) -> None:
    try:
        if _stat_key(keeper.path) == keeper.stat_key:
            return
    except OSError:
        raise KeeperProblem(f"keeper {keeper.path} disappeared during the run") from None
    raise KeeperProblem(f"keeper {keeper.path} changed during the run")


def _decoded_audio_identical(first: Path, second: Path) -> bool:
    """Identical decoded audio is acted on by default: both files are decoded again rather
    than the stored hashes trusted (a file that no longer decodes whole is left alone)."""
    first_hash = pcm_hash_of(first)
    return first_hash is not None and first_hash == pcm_hash_of(second)


def _removal_verify(
    removal: Removal, *, group: DuplicateGroup, keeper: _KeeperState
) -> tuple[LibraryFile, Path]:
    candidate = removal.candidate
    row = LibraryFile.objects.filter(active_q(), id=candidate.id).first()
    if row is None or row.file_path != candidate.file_path:
        raise DedupRefused(
            f"{candidate.file_path}: its library_index row changed since the duplicates were "
            "found: run again"
        )
    path = library_file_check(Path(row.file_path))
    if content_hash_sampled(path=path) != row.file_content_hash:
        raise DedupRefused(f"{path} changed since it was indexed: rescan, then run again")
    if os.path.samefile(path, keeper.path):
        raise DedupRefused(f"{path} is the keeper itself (a hard link): left alone")
    matched_by = removal.matched_by or group.matched_by
    if matched_by == MatchedBy.CONTENT_HASH and not files_identical(path, keeper.path):
        raise DedupRefused(f"{path} is not byte-identical to its keeper {keeper.path}: left alone")
    audio_match = removal.confidence >= EXACT_CONFIDENCE and matched_by == MatchedBy.AUDIO_HASH
    if audio_match and not _decoded_audio_identical(path, keeper.path):
        raise DedupRefused(
            f"{path}: its decoded audio is no longer identical to its keeper {keeper.path}: "
            "run verify_audio, then again"
        )
    _keeper_unchanged(keeper)
    return row, path


def _history_intent_write(
    *,
    row: LibraryFile,
    removal: Removal,
    group: DuplicateGroup,
    session_id: str,
    destination: Path,
    deleted_by: DeletedBy,
) -> DedupHistory:
    quality = FileQuality.objects.filter(library_file_id=row.id).first()
    with transaction.atomic(using=LIBRARY_DB_ALIAS):
        return DedupHistory.objects.create(
            deletion_session_id=session_id,
            deleted_at=utc_now_iso(),
            file_path=row.file_path,
            filename=row.filename,
            file_size=row.file_size,
            file_format=row.file_format,
            artist=row.artist,
            title=row.title,
            album=row.album,
            year=row.year,
            duration=row.duration,
            bitrate=quality.bitrate if quality else None,
            sample_rate=quality.sample_rate if quality else None,
            quality_score=quality.quality_score if quality else None,
            metadata_hash=row.metadata_hash,
            file_content_hash=row.file_content_hash,
            deletion_reason=removal.reason,
            kept_file_path=group.keeper.file_path,
            kept_file_id=group.keeper.id,
            confidence_score=removal.confidence,
            matched_by=removal.matched_by or group.matched_by,
            original_library_id=row.id,
            can_recover=False,
            recovery_path=str(destination),
            deleted_by=deleted_by,
            notes=f"{PENDING_NOTE_PREFIX} {note_line('moving into quarantine')}",
        )


def _history_finish(history: DedupHistory, *, note: str = "moved into quarantine") -> None:
    """Mark the file recoverable and drop its index row, in one transaction."""
    with transaction.atomic(using=LIBRARY_DB_ALIAS):
        DedupHistory.objects.filter(id=history.id).update(can_recover=True, notes=note_line(note))
        if history.original_library_id is not None:
            LibraryFile.objects.filter(
                id=history.original_library_id, file_path=history.file_path
            ).delete()
            with connections[LIBRARY_DB_ALIAS].cursor() as cursor:
                library_summary_refresh(cursor=cursor, ids=[history.original_library_id])


def pending_settle(history: DedupHistory) -> Settled:
    """Complete or undo one interrupted move, judging by where the file is now."""
    source = Path(history.file_path)
    try:
        destination = quarantine_path_check(
            history.recovery_path, session_id=history.deletion_session_id
        )
    except DedupRefused as error:
        logger.error("history row %s left pending: %s", history.id, error)
        return Settled.REFUSED
    state = interrupted_move_state(src=source, dst=destination)
    if state is MoveState.BOTH_IDENTICAL and library_root_of(source) is not None:
        os.unlink(source)
        _history_finish(history, note="moved into quarantine (finished after interruption)")
        return Settled.COMPLETED
    if state in (MoveState.BOTH_IDENTICAL, MoveState.BOTH_DIFFERENT):
        DedupHistory.objects.filter(id=history.id).update(
            can_recover=True,
            notes=note_line(
                "interrupted move: the original changed (or is outside the library roots), "
                "so both copies were kept and the library index left as it was"
            ),
        )
        return Settled.KEPT_BOTH
    if state is MoveState.AT_DESTINATION:
        _history_finish(history, note="moved into quarantine (finished after interruption)")
        return Settled.COMPLETED
    if state is MoveState.AT_SOURCE:
        DedupHistory.objects.filter(id=history.id).delete()
        logger.info("undid interrupted move of %s: the file never left", source)
        return Settled.UNDONE
    DedupHistory.objects.filter(id=history.id).update(
        notes=note_append(
            (history.notes or "").removeprefix(PENDING_NOTE_PREFIX).strip(),
            "interrupted move: the file was found at neither path",
        )
    )
    logger.error("%s: found neither at its path nor in quarantine", source)
    return Settled.MISSING


def dedup_history_settle() -> ResumeResult:
    """Settle every pending history row (:func:`pending_settle`). The caller holds
    :func:`~dedup.services.files.quarantine_lock`: every run that moves files into quarantine
    does this first."""
    result = ResumeResult()
    for history in dedup_history_pending():
        try:
            settled = pending_settle(history)
        except OSError as error:
            logger.error("history row %s left pending: %s", history.id, error)
            settled = Settled.REFUSED
        result.settled.append((history, settled))
    return result


def dedupe_resume() -> ResumeResult:
    """Finish (or undo) what an interrupted ``dedupe --apply`` left pending."""
    library_roots_require()
    with quarantine_lock():
        return dedup_history_settle()


def _removal_quarantine(
    removal: Removal,
    *,
    group: DuplicateGroup,
    keeper: _KeeperState,
    session_id: str,
    deleted_by: DeletedBy,
) -> FileOutcome:
    row, path = _removal_verify(removal, group=group, keeper=keeper)
    fault_point("verified")
    destination = quarantine_path_for(session_id=session_id, file_path=row.file_path)
    history = _history_intent_write(
        row=row,
        removal=removal,
        group=group,
        session_id=session_id,
        destination=destination,
        deleted_by=deleted_by,
    )
    fault_point("history written")
    try:
        file_move(src=path, dst=destination)
    except (OSError, DedupRefused) as error:
        try:
            outcome = pending_settle(history)
        except OSError as settle_error:
            raise DedupRefused(
                f"{path} could not be moved into quarantine ({error}), and its history row "
                f"{history.id} stays pending ({settle_error}): the next run settles it"
            ) from None
        if outcome is Settled.COMPLETED:
            return FileOutcome(removal, keeper.path.as_posix(), True, "quarantined", history.id)
        raise DedupRefused(f"{path} could not be moved into quarantine ({error})") from None
    fault_point("moved")
    _history_finish(history)
    fault_point("finished")
    logger.info("quarantined %s (keeper %s)", path, keeper.path)
    return FileOutcome(removal, keeper.path.as_posix(), True, str(destination), history.id)


def dedupe_apply(
    *,
    groups: Sequence[DuplicateGroup],
    deleted_by: DeletedBy = DeletedBy.SYSTEM,
    on_file: Callable[[], None] | None = None,
) -> DedupeResult:
    """Quarantine every removal of ``groups``, one run = one ``deletion_session_id``.

    A keeper that is missing or changed stops its whole group; any other refusal skips one
    file. Both are reported in the result, never raised.
    """
    library_roots_require()
    with quarantine_lock():
        result = DedupeResult(session_id=str(uuid.uuid4()), resumed=dedup_history_settle())
        for group in groups:
            keeper: _KeeperState | None = None
            stopped: str | None = None
            for removal in group.removals:
                if stopped is None:
                    try:
                        keeper = keeper or _keeper_verify(group)
                        outcome = _removal_quarantine(
                            removal,
                            group=group,
                            keeper=keeper,
                            session_id=result.session_id,
                            deleted_by=deleted_by,
                        )
                    except KeeperProblem as error:
                        stopped = f"group stopped: {error}"
                        outcome = FileOutcome(removal, group.keeper.file_path, False, stopped)
                    except DedupRefused as error:
                        outcome = FileOutcome(removal, group.keeper.file_path, False, str(error))
                else:
                    outcome = FileOutcome(removal, group.keeper.file_path, False, stopped)
                if not outcome.moved:
                    logger.warning("skipped %s: %s", removal.candidate.file_path, outcome.detail)
                result.outcomes.append(outcome)
                if on_file is not None:
                    on_file()
        return result


def replaced_file_quarantine(
    *, keeper: Candidate, removal: Removal, session_id: str, deleted_by: DeletedBy
) -> FileOutcome:
    """Quarantine one library file that another now replaces (an applied import's upgrade:
    ``keeper`` is the new file, already indexed), by the same protocol, step for step, as
    :func:`dedupe_apply`: verify both, history row first, move, finish. The caller holds
    :func:`~dedup.services.files.quarantine_lock` and has settled pending rows. A refusal is
    returned as an outcome that did not move, never raised."""
    group = DuplicateGroup(
        number=0,
        matched_by=removal.matched_by or MatchedBy.ACOUSTIC_FINGERPRINT,
        keeper=keeper,
        removals=(removal,),
    )
    try:
        state = _keeper_verify(group)
        return _removal_quarantine(
            removal, group=group, keeper=state, session_id=session_id, deleted_by=deleted_by
        )
    except DedupRefused as error:
        logger.warning("kept %s: %s", removal.candidate.file_path, error)
        return FileOutcome(removal, keeper.file_path, False, str(error))
