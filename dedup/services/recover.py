"""Recovery: moving quarantined files back into the library, re-indexed and re-analysed.

Used by ``manage.py recover`` and the admin action "Recover selected files". A file is never
written over an existing one, and a ``recovery_path`` outside the quarantine directory is
refused (the path comes from a database row, which is not trusted to point somewhere safe).
The order (move, re-index, then ``can_recover = 0``) makes a re-run after an interruption
finish the job: a row still marked recoverable whose file is already back at the target is
simply re-indexed and closed.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from dedup.models import DedupHistory
from dedup.selectors import PENDING_NOTE_PREFIX, dedup_history_for_recovery
from dedup.services.files import (
    DedupRefused,
    empty_dirs_remove,
    file_move,
    library_root_of,
    quarantine_dir,
    quarantine_lock,
    quarantine_path_check,
)
from dedup.services.notes import note_append
from quality.hashing import content_hash_sampled
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
    """Where a file goes back to: its original path, or the same sub-path under ``to``."""
    original = Path(history.file_path)
    root = library_root_of(original)
    if to is not None:
        relative = original.relative_to(root) if root else original.relative_to(original.anchor)
        return Path(os.path.abspath(to)) / relative
    if root is None:
        raise DedupRefused(
            f"{original} is outside MUSICQUALITY_LIBRARY_ROOTS: add its folder to the roots, "
            "or restore elsewhere with --to DIR"
        )
    return original


@dataclass(frozen=True)
class PlannedRecovery:
    """One line of a recovery's dry run: a quarantined file, where it would go back, and
    why it would not (when that can be seen already)."""

    history: DedupHistory
    target: str | None
    problem: str | None


def recovery_preview(
    *, ids: list[int] | None = None, session: str | None = None
) -> list[PlannedRecovery]:
    """What :func:`dedup_history_recover` would do (read-only): target paths and problems."""
    planned = []
    for history in dedup_history_for_recovery(ids=ids, session=session):
        target: Path | None = None
        problem = None
        try:
            source = _recoverable_source(history)
            target = recovery_target(history, to=None)
            if not source.is_file():
                raise DedupRefused(f"quarantined file {source} is missing")
            if os.path.lexists(target):
                raise DedupRefused(f"{target} already exists: it would not be overwritten")
        except DedupRefused as error:
            problem = str(error)
        planned.append(PlannedRecovery(history, str(target) if target else None, problem))
    return planned


def _reindex(target: Path) -> tuple[int, bool]:
    """Index and analyse the restored file through the scanning/analysis services.

    Raises ``ValueError`` when the file is not readable audio (it is back, just not indexed).
    """
    library_file = library_file_index(path=target)
    quality = file_quality_refresh(library_file=library_file)
    return library_file.id, quality is not None


def _recoverable_source(history: DedupHistory) -> Path:
    """The quarantined file of a row that may be recovered; DedupRefused says why not."""
    if (history.notes or "").startswith(PENDING_NOTE_PREFIX):
        raise DedupRefused("its move was interrupted: run `manage.py dedupe --resume` first")
    if not history.can_recover:
        raise DedupRefused("not recoverable (already recovered or purged): see its notes")
    return quarantine_path_check(history.recovery_path)


def _history_recover(history: DedupHistory, *, to: Path | None) -> RecoveryOutcome:
    source = _recoverable_source(history)
    target = recovery_target(history, to=to)
    if source.is_file():
        if os.path.lexists(target):
            raise DedupRefused(f"{target} already exists: not overwritten (use --to DIR)")
        if content_hash_sampled(path=source) != history.file_content_hash:
            raise DedupRefused(f"quarantined file {source} changed since it was moved: left there")
        file_move(src=source, dst=target)
        empty_dirs_remove(start=source.parent, stop=quarantine_dir())
    elif not (target.is_file() and content_hash_sampled(path=target) == history.file_content_hash):
        raise DedupRefused(f"quarantined file {source} is missing")
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
    progress: Callable[[int, int], None] | None = None,
) -> list[RecoveryOutcome]:
    """Recover the files of the given history rows (or of a whole session); never raises
    for one file, each outcome says what happened. ``progress(done, total)`` after each."""
    rows = dedup_history_for_recovery(ids=ids, session=session)
    outcomes = [
        RecoveryOutcome(
            history_id=missing, file_path="", recovered=False, detail="no such history row"
        )
        for missing in sorted(set(ids or ()) - {row.id for row in rows})
    ]
    with quarantine_lock():
        for done, history in enumerate(rows):
            if progress is not None:
                progress(done, len(rows))
            try:
                outcomes.append(_history_recover(history, to=to))
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
