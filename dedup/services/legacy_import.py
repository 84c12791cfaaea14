"""The Music Tools deletion log into ``dedup_history``: one row per legacy row, once.

Called by ``import_legacy_history`` (through ``overview.services``). No file is moved here:
a legacy row whose file the CLI kept (``restore_location``) becomes recoverable only when
that file is still there, inside the ``--restore-root`` the user names, with the content the
row describes; ``recover --restore-root`` then moves it back like any quarantined file.

What was imported is remembered in the rows themselves: the first line of their notes
(``imported from Music Tools ... (key K)``) carries a key made from the legacy row's values,
so a second run, or a run over a renamed copy of the same table, adds nothing
(docs/legacy-history.md).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path, PurePath

from django.db import transaction

from dedup.legacy import (
    UNKNOWN_DELETED_AT,
    legacy_file_format,
    legacy_quality_score,
    legacy_reason_map,
    legacy_session_id,
)
from dedup.models import DedupHistory
from dedup.selectors import dedup_history_imported_keys
from dedup.services.files import DedupRefused, restore_path_check, restore_root_check
from musicquality.legacy_history import (
    LegacyDeletion,
    imported_note,
    legacy_row_key,
)
from musicquality.routers import LIBRARY_DB_ALIAS
from musicquality.timestamps import timestamp_parse
from quality.hashing import content_matches_hash, hash_form, metadata_hash
from quality.models import ACTIVE, LibraryFile
from quality.selectors import library_files_by_path

logger = logging.getLogger(__name__)

BATCH_SIZE = 500


class DeletionStatus(StrEnum):
    NEW = "to import"
    ALREADY = "already imported"
    REPEATED = "repeated in the source"
    UNREADABLE = "not importable"


@dataclass(frozen=True)
class DeletionImport:
    """One legacy deletion: what it becomes (``row``, unsaved), or why it is not imported."""

    legacy: LegacyDeletion
    status: DeletionStatus
    key: str
    row: DedupHistory | None = None
    recovery: str = ""
    """Where its file can be recovered from, or why it cannot."""

    @property
    def recoverable(self) -> bool:
        return self.row is not None and bool(self.row.can_recover)


@dataclass
class DeletionImportPlan:
    items: list[DeletionImport] = field(default_factory=list)
    written: int = 0
    """Rows written by ``--apply`` (0 in a dry run)."""

    def with_status(self, status: DeletionStatus) -> list[DeletionImport]:
        return [item for item in self.items if item.status == status]

    @property
    def to_import(self) -> list[DeletionImport]:
        return self.with_status(DeletionStatus.NEW)


@dataclass(frozen=True)
class _Recovery:
    recoverable: bool
    detail: str
    path: str | None


def _recovery_decide(legacy: LegacyDeletion, *, restore_root: Path | None) -> _Recovery:
    """``can_recover`` only for a file still inside ``--restore-root`` with the content the
    legacy hash describes, whose original path is absolute (``recover`` puts it back there)."""
    location = legacy.restore_location
    if not location:
        return _Recovery(False, "no restore_location", None)
    if restore_root is None:
        return _Recovery(False, "no --restore-root given", location)
    if not os.path.isabs(legacy.original_path or ""):
        return _Recovery(False, "original_path is not absolute", location)
    try:
        source = restore_path_check(location, root=restore_root)
        if not source.is_file():
            return _Recovery(False, f"{location} does not exist (or is not a file)", location)
        matches = content_matches_hash(path=source, stored=legacy.original_hash)
    except DedupRefused as error:
        return _Recovery(False, str(error), location)
    except (OSError, ValueError) as error:
        return _Recovery(False, f"{location} cannot be read ({error})", location)
    if matches is None:
        return _Recovery(
            False, f"original_hash {legacy.original_hash!r} is of no form that can be checked",
            location,
        )  # fmt: skip
    if not matches:
        return _Recovery(False, f"{source} holds other content than the deleted file", location)
    return _Recovery(True, f"recoverable from {source}", str(source))


def _legacy_values_note(legacy: LegacyDeletion) -> str:
    values = {
        "deletion_reason": legacy.deletion_reason,
        "deleted_at": legacy.deleted_at,
        "deleted_by": legacy.deleted_by,
        "original_size": legacy.original_size,
        "space_saved": legacy.space_saved,
        "original_quality_score": legacy.original_quality_score,
        "kept_hash": legacy.kept_hash,
        "can_restore": None if legacy.can_restore is None else int(legacy.can_restore),
        "restore_location": legacy.restore_location,
    }
    return "legacy values: " + ", ".join(f"{name} {value!r}" for name, value in values.items())


def _history_row(
    legacy: LegacyDeletion,
    *,
    key: str,
    source: Path,
    library: dict[str, LibraryFile],
    restore_root: Path | None,
) -> tuple[DedupHistory, str]:
    path = legacy.original_path or ""
    original = library.get(path)
    kept = library.get(legacy.kept_path or "")
    kept_active = kept is not None and kept.is_active == ACTIVE
    moment = timestamp_parse(legacy.deleted_at)
    reason, understood = legacy_reason_map(
        legacy.deletion_reason, original_hash=legacy.original_hash, kept_hash=legacy.kept_hash
    )
    recovery = _recovery_decide(legacy, restore_root=restore_root)
    lines = [
        imported_note(what=f"{legacy.table} #{legacy.id} of {source}", key=key),
        _legacy_values_note(legacy),
    ]
    if not understood:
        lines.append(
            f"deletion_reason {legacy.deletion_reason!r} is not one of musicquality's: "
            f"recorded as {reason}"
        )
    if moment is None:
        lines.append(
            f"deleted_at {legacy.deleted_at!r} is not a time: recorded as {UNKNOWN_DELETED_AT}"
        )
    if hash_form(legacy.original_hash) is None:
        lines.append(f"original_hash {legacy.original_hash!r} is of no form that can be checked")
    lines.append(
        f"{recovery.detail} (recover ID --restore-root DIR)"
        if recovery.recoverable
        else f"not recoverable: {recovery.detail}"
    )
    if legacy.notes:
        lines.append(f"legacy notes: {legacy.notes}")
    size = legacy.original_size or (original.file_size if original is not None else 0)
    row = DedupHistory(
        deletion_session_id=legacy_session_id(moment),
        deleted_at=moment.isoformat() if moment is not None else UNKNOWN_DELETED_AT,
        file_path=path,
        filename=PurePath(path).name,
        file_size=size,
        file_format=legacy_file_format(path),
        artist=original.artist if original is not None else None,
        title=original.title if original is not None else None,
        album=original.album if original is not None else None,
        year=original.year if original is not None else None,
        duration=original.duration if original is not None else None,
        quality_score=legacy_quality_score(legacy.original_quality_score),
        metadata_hash=(
            original.metadata_hash
            if original is not None
            else metadata_hash(artist=None, title=None, filename_stem=PurePath(path).stem)
        ),
        file_content_hash=legacy.original_hash or "",
        deletion_reason=reason,
        kept_file_path=legacy.kept_path,
        kept_file_id=kept.pk if kept is not None and kept_active else None,
        confidence_score=None,
        matched_by=None,
        original_library_id=original.pk if original is not None else None,
        can_recover=recovery.recoverable,
        recovery_path=recovery.path,
        deleted_by=legacy.deleted_by,
        notes="\n".join(lines),
    )
    return row, recovery.detail


def _deletion_key(legacy: LegacyDeletion) -> str:
    return legacy_row_key(
        "dedup_history",
        legacy.original_path,
        legacy.original_hash,
        legacy.original_size,
        legacy.kept_path,
        legacy.deletion_reason,
        legacy.deleted_at,
        legacy.restore_location,
    )


def dedup_history_import_plan(
    *,
    deletions: Sequence[LegacyDeletion],
    source: Path,
    restore_root: Path | None,
    progress: Callable[[int, int], None] | None = None,
) -> DeletionImportPlan:
    """What importing ``deletions`` would write (read-only; reads each restorable file)."""
    if restore_root is not None:
        restore_root_check(restore_root)
    already = dedup_history_imported_keys()
    paths = {p for legacy in deletions for p in (legacy.original_path, legacy.kept_path) if p}
    library = library_files_by_path(paths=paths)
    plan = DeletionImportPlan()
    seen: set[str] = set()
    for done, legacy in enumerate(deletions):
        if progress is not None:
            progress(done, len(deletions))
        key = _deletion_key(legacy)
        if not legacy.original_path:
            plan.items.append(
                DeletionImport(legacy, DeletionStatus.UNREADABLE, key, recovery="no original_path")
            )
        elif key in already:
            plan.items.append(DeletionImport(legacy, DeletionStatus.ALREADY, key))
        elif key in seen:
            plan.items.append(DeletionImport(legacy, DeletionStatus.REPEATED, key))
        else:
            row, recovery = _history_row(
                legacy, key=key, source=source, library=library, restore_root=restore_root
            )
            plan.items.append(DeletionImport(legacy, DeletionStatus.NEW, key, row, recovery))
        seen.add(key)
    if progress is not None:
        progress(len(deletions), len(deletions))
    return plan


def dedup_history_import_apply(*, plan: DeletionImportPlan) -> DeletionImportPlan:
    """Write the rows of ``plan`` in one transaction, except any that another run imported
    since the plan was made (the keys are read again under the write lock)."""
    with transaction.atomic(using=LIBRARY_DB_ALIAS):
        already = dedup_history_imported_keys()
        rows = [item.row for item in plan.to_import if item.key not in already and item.row]
        DedupHistory.objects.bulk_create(rows, batch_size=BATCH_SIZE)
    plan.written = len(rows)
    logger.info("imported %d Music Tools deletions into dedup_history", len(rows))
    return plan
