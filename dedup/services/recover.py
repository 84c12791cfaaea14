"""Recovery: moving quarantined files back into the library, re-indexed and re-analysed.

Used by ``manage.py recover`` and the admin action "Recover selected files". A file is never
written over an existing one, and a ``recovery_path`` outside the quarantine directory is
refused (the path comes from a database row, which is not trusted to point somewhere safe).
The order (move, re-index, then ``can_recover = 0``) makes a re-run after an interruption
finish the job: a row still marked recoverable whose file is already back at the target is
simply re-indexed and closed.

Rows imported from the Music Tools deletion log (``import_legacy_history``) have their file in
the CLI's backup folder, not in the quarantine: such a row is recovered only with
``restore_root`` (``recover --restore-root DIR``), and its ``recovery_path`` must lie inside
that folder; every other row stays confined to the quarantine, whatever ``restore_root`` says.
"""

from __future__ import annotations

import errno
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from dedup.legacy import is_imported
from dedup.models import DedupHistory
from dedup.selectors import PENDING_NOTE_PREFIX, dedup_history_for_recovery
from dedup.services.files import (
    DedupRefused,
    empty_dirs_remove,
    file_move,
    fsync_dir,
    library_root_of,
    partial_remove,
    path_inside,
    quarantine_dir,
    quarantine_lock,
    quarantine_overlap_check,
    quarantine_path_check,
    real_path,
    restore_path_check,
    restore_root_check,
)
from dedup.services.notes import note_append
from quality.hashing import content_hash_full, content_hash_sampled, content_matches_hash
from quality.services.analysis import file_quality_refresh
from quality.services.scanning import library_file_index

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class RecoveryOutcome:
    history_id: int
    file_path: str
    recovered: bool
    detail: str
    restored_to: str | None = None
    library_file_id: int | None = None
    analysed: bool = False


def recovery_target(history: DedupHistory, *, to: Path | None) -> Path:
    """Where a file goes back to: its original path, or the same sub-path under ``to``.

    The stored path is normalised (``..`` removed) and, to be compared, resolved: a target
    whose real place is outside the library roots (or outside ``to``), through ``..`` or a
    symlinked folder, is refused, as is one inside the quarantine.
    """
    original = Path(os.path.abspath(history.file_path))
    root = library_root_of(original)
    if to is not None:
        base = real_path(to)
        if root is not None:
            relative = real_path(original).relative_to(real_path(root))
        else:
            relative = original.relative_to(original.anchor)
        target = base / relative
        if not path_inside(target, base):
            raise DedupRefused(f"{target} would be outside --to {to}: refused")
    elif root is None:
        raise DedupRefused(
            f"{original} is outside MUSICQUALITY_LIBRARY_ROOTS (after resolving symbolic "
            "links): add its folder to the roots, or restore elsewhere with --to DIR"
        )
    else:
        target = original
    if path_inside(target, quarantine_dir()):
        raise DedupRefused(f"{target} is inside the quarantine folder: refused")
    return target


#: What a recovery says of an id that is no dedup_history row (applied or a dry run).
NO_SUCH_HISTORY_ROW = "no such history row"


@dataclass(frozen=True)
class RecoveryPlanItem:
    """One line of a recovery's dry run (``recover`` without ``--apply``, the Recover page): a
    quarantined file, where it would go back (when that is known), and why it would not be
    recovered, as far as can be seen without moving it."""

    history: DedupHistory
    target: Path | None
    problem: str | None = None
    already_back: bool = False
    """The file is at its target already (an interrupted recovery): it is only re-indexed
    (and a copy left at the source by a move killed midway is removed)."""


def dedup_history_recovery_plan(
    *,
    ids: list[int] | None = None,
    session: str | None = None,
    to: Path | None = None,
    restore_root: Path | None = None,
) -> list[RecoveryPlanItem]:
    """What :func:`dedup_history_recover` would do with these rows (read-only): the same
    checks (quarantine overlap, ``recovery_path`` in its session folder, or for an imported
    row in ``restore_root``, target inside the roots or ``to`` and outside the quarantine,
    nothing overwritten, content unchanged)."""
    quarantine_overlap_check()
    if restore_root is not None:
        restore_root_check(restore_root)
    items = []
    for history in dedup_history_for_recovery(ids=ids, session=session):
        target: Path | None = None
        try:
            source = _recoverable_source(history, restore_root=restore_root)
            target = recovery_target(history, to=to)
            already_back = _already_back(history, source=source, target=target)
        except DedupRefused as error:
            items.append(RecoveryPlanItem(history, target, str(error)))
        else:
            items.append(RecoveryPlanItem(history, target, already_back=already_back))
    return items


def _reindex(target: Path) -> tuple[int, bool]:
    """Index and analyse the restored file through the scanning/analysis services.

    Raises ``ValueError`` when the file is not readable audio (it is back, just not indexed).
    """
    library_file = library_file_index(path=target)
    quality = file_quality_refresh(library_file=library_file)
    return library_file.id, quality is not None


def _recoverable_source(history: DedupHistory, *, restore_root: Path | None) -> Path:
    """The quarantined file of a row that may be recovered (for an imported row, its file in
    ``restore_root``); DedupRefused says why not."""
    if (history.notes or "").startswith(PENDING_NOTE_PREFIX):
        raise DedupRefused("its move was interrupted: run `manage.py dedupe --resume` first")
    if not history.can_recover:
        raise DedupRefused("not recoverable (already recovered or purged): see its notes")
    if is_imported(history.notes):
        if restore_root is None:
            raise DedupRefused(
                "imported from Music Tools: its file is in the CLI's backup folder; give that "
                "folder with `manage.py recover ID --restore-root DIR`"
            )
        return restore_path_check(history.recovery_path, root=restore_root)
    return quarantine_path_check(history.recovery_path, session_id=history.deletion_session_id)


def _content_unchanged(history: DedupHistory, *, path: Path) -> bool:
    """Whether ``path`` holds the deleted file: its sampled hash, or for an imported row the
    hash the CLI recorded (sampled or a full digest, ``quality.hashing.content_matches_hash``)."""
    if is_imported(history.notes):
        return content_matches_hash(path=path, stored=history.file_content_hash) is True
    return content_hash_sampled(path=path) == history.file_content_hash


def _move_interrupted(history: DedupHistory, *, source: Path, target: Path) -> bool:
    """Whether a recovery was killed inside ``file_move``, after the file reached ``target``
    and before ``source`` was unlinked: one file under two names (the hard link), or a
    finished, verified copy with the same bytes. Only the unlink is then left to do."""
    if os.path.islink(target) or not target.is_file():
        return False
    if os.path.samefile(source, target):
        return _content_unchanged(history, path=target)
    return (
        source.stat().st_size == target.stat().st_size
        and content_hash_full(path=source) == content_hash_full(path=target)
        and _content_unchanged(history, path=target)
    )


def _already_back(history: DedupHistory, *, source: Path, target: Path) -> bool:
    """Whether the file is already at ``target`` (a recovery interrupted after its move);
    otherwise check that it can move there. DedupRefused says why not."""
    if source.is_file():
        if _move_interrupted(history, source=source, target=target):
            return True
        if os.path.lexists(target):
            raise DedupRefused(
                f"{target} already exists: it is never overwritten (move it away, or restore "
                "elsewhere with `manage.py recover ID --to DIR`)"
            )
        if not _content_unchanged(history, path=source):
            raise DedupRefused(f"quarantined file {source} changed since it was moved: left there")
        return False
    if target.is_file() and _content_unchanged(history, path=target):
        return True
    if os.path.lexists(source):
        raise DedupRefused(
            f"quarantined file {source} is not a regular file (a folder, FIFO, socket or "
            "device took its place): left there; put the file back and recover again"
        )
    raise DedupRefused(f"quarantined file {source} is missing")


def _partial_remove(target: Path) -> None:
    """Remove what a cross-filesystem copy killed before its rename left next to ``target``;
    a name too long to carry the partial suffix cannot have one."""
    try:
        partial_remove(target)
    except OSError as error:
        if error.errno != errno.ENAMETOOLONG:
            raise


def _history_recover(
    history: DedupHistory, *, to: Path | None, restore_root: Path | None
) -> RecoveryOutcome:
    source = _recoverable_source(history, restore_root=restore_root)
    target = recovery_target(history, to=to)
    if _already_back(history, source=source, target=target):
        if source.is_file():  # killed inside file_move: finish it
            source.unlink()
            fsync_dir(source.parent)
    else:
        file_move(src=source, dst=target)
        if not is_imported(history.notes):  # the CLI's backup folder is not ours to tidy
            empty_dirs_remove(start=source.parent, stop=quarantine_dir())
    _partial_remove(target)
    try:
        library_file_id, analysed = _reindex(target)
        note = f"recovered to {target} (library_index id {library_file_id})"
    except ValueError as error:
        library_file_id, analysed = None, False
        note = f"recovered to {target}, but not re-indexed: {error}"
    DedupHistory.objects.filter(id=history.id).update(
        can_recover=False, notes=note_append(history.notes, note)
    )
    logger.info("recovered %s to %s", history.file_path, target)
    return RecoveryOutcome(
        history_id=history.id,
        file_path=history.file_path,
        recovered=True,
        detail="recovered",
        restored_to=str(target),
        library_file_id=library_file_id,
        analysed=analysed,
    )


def dedup_history_recover(
    *,
    ids: list[int] | None = None,
    session: str | None = None,
    to: Path | None = None,
    restore_root: Path | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> list[RecoveryOutcome]:
    """Recover the files of the given history rows (or of a whole session); never raises
    for one file, each outcome says what happened. ``progress(done, total)`` after each.
    ``restore_root``: the Music Tools backup folder, for rows imported from its log."""
    quarantine_overlap_check()
    if restore_root is not None:
        restore_root_check(restore_root)
    rows = dedup_history_for_recovery(ids=ids, session=session)
    outcomes = [
        RecoveryOutcome(
            history_id=missing, file_path="", recovered=False, detail=NO_SUCH_HISTORY_ROW
        )
        for missing in sorted(set(ids or ()) - {row.id for row in rows})
    ]
    with quarantine_lock():
        for done, history in enumerate(rows):
            if progress is not None:
                progress(done, len(rows))
            try:
                outcomes.append(_history_recover(history, to=to, restore_root=restore_root))
            except (DedupRefused, OSError) as error:
                logger.warning("not recovered: history row %s: %s", history.id, error)
                outcomes.append(
                    RecoveryOutcome(
                        history_id=history.id,
                        file_path=history.file_path,
                        recovered=False,
                        detail=str(error),
                    )
                )
        if progress is not None:
            progress(len(rows), len(rows))
    return outcomes
