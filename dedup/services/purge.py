"""Purging the quarantine: the only place where dedup deletes file contents for good.

Only rows that are still recoverable and older than the cut-off are considered, only paths
inside the quarantine directory are unlinked, and the history row stays, with a note.
"""

from __future__ import annotations

import datetime
import logging
from dataclasses import dataclass

from dedup.models import DedupHistory
from dedup.selectors import dedup_history_purgeable
from dedup.services.files import (
    DedupRefused,
    empty_dirs_remove,
    quarantine_dir,
    quarantine_lock,
    quarantine_overlap_check,
    quarantine_path_check,
)
from dedup.services.notes import note_append

logger = logging.getLogger(__name__)


WOULD_PURGE = "would purge"
PURGED = "purged"


@dataclass(frozen=True)
class PurgeItem:
    history: DedupHistory
    path: str
    size: int
    detail: str
    purged: bool = False

    @property
    def deletes(self) -> bool:
        """Whether this file is (or, in a dry run, would be) deleted: refused rows and files
        already gone count for nothing."""
        return self.detail in (WOULD_PURGE, PURGED)


def _purge_one(history: DedupHistory, *, apply: bool) -> PurgeItem:
    try:
        path = quarantine_path_check(history.recovery_path, session_id=history.deletion_session_id)
    except DedupRefused as error:
        return PurgeItem(history, history.recovery_path or "", 0, str(error))
    size = path.stat().st_size if path.is_file() else 0
    if not apply:
        return PurgeItem(
            history, str(path), size, WOULD_PURGE if path.is_file() else "already gone"
        )
    if path.is_file():
        path.unlink()
        empty_dirs_remove(start=path.parent, stop=quarantine_dir())
        note, detail = "purged from quarantine", PURGED
    else:
        note, detail = "purge: the file was already gone from quarantine", "already gone"
    DedupHistory.objects.filter(id=history.id).update(
        can_recover=False, notes=note_append(history.notes, note)
    )
    logger.info("%s: %s", path, detail)
    return PurgeItem(history, str(path), size, detail, purged=True)


def quarantine_purge(*, older_than: datetime.timedelta, apply: bool) -> list[PurgeItem]:
    """Delete quarantined files moved more than ``older_than`` ago (dry run unless ``apply``)."""
    quarantine_overlap_check()
    cutoff = datetime.datetime.now(datetime.UTC) - older_than
    rows = dedup_history_purgeable(deleted_before=cutoff)
    if not apply:
        return [_purge_one(history, apply=False) for history in rows]
    with quarantine_lock():
        return [_purge_one(history, apply=True) for history in rows]
