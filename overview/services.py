"""Writes that span the music apps: the Music Tools history brought into the library database.

``import_legacy_history`` calls :func:`legacy_history_import`, which reads the CLI's
migration 002 tables (``musicquality.legacy_history``, read-only), plans the deletion log
(``dedup.services.legacy_import``) and the upgrade decisions (``upgrades.services``), and,
with ``apply``, backs the library database up (as ``migrate`` does) and writes each table in
its own transaction. Nothing is ever written to the source.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from dedup.services.legacy_import import (
    DeletionImportPlan,
    dedup_history_import_apply,
    dedup_history_import_plan,
)
from musicquality.backups import library_backup_create
from musicquality.legacy_history import LegacyHistory, legacy_history_read
from musicquality.library_db import library_db_path
from quality.selectors import library_files_by_path
from upgrades.services import (
    DecisionImportPlan,
    upgrade_decisions_import_apply,
    upgrade_decisions_import_plan,
)

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class LegacyImport:
    """What ``import_legacy_history`` found and would do (or did, with ``applied``)."""

    history: LegacyHistory
    deletions: DeletionImportPlan
    decisions: DecisionImportPlan
    applied: bool
    backup: Path | None
    """The backup of the library database made before writing (None when nothing was)."""

    @property
    def anything_to_write(self) -> bool:
        return bool(self.deletions.to_import or self.decisions.to_write)


def legacy_history_import(
    *,
    source: Path,
    restore_root: Path | None = None,
    apply: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> LegacyImport:
    """Plan (and with ``apply`` write) the import of the Music Tools deletion log and
    upgrade decisions in ``source``.

    Raises ``musicquality.legacy_history.LegacyHistoryError`` for a file that cannot be read
    or whose tables are neither layout, ``dedup.services.files.DedupRefused`` for a bad
    ``restore_root`` and ``musicquality.backups.BackupError`` when the backup fails: in every
    case before anything is written.
    """
    history = legacy_history_read(path=source)
    deletions = dedup_history_import_plan(
        deletions=history.deletions, source=source, restore_root=restore_root, progress=progress
    )
    paths = {d.file_path for d in history.decisions if d.file_path}
    decisions = upgrade_decisions_import_plan(
        decisions=history.decisions,
        source=source,
        library_paths=set(library_files_by_path(paths=paths)),
    )
    backup = None
    if apply and (deletions.to_import or decisions.to_write):
        backup = library_backup_create(db_path=library_db_path())
        dedup_history_import_apply(plan=deletions)
        upgrade_decisions_import_apply(plan=decisions)
        logger.info(
            "imported from %s: %d deletions, decisions on %d candidates (backup %s)",
            source,
            deletions.written,
            decisions.written,
            backup,
        )
    return LegacyImport(history, deletions, decisions, applied=apply, backup=backup)
