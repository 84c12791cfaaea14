import os
from pathlib import Path

from django.conf import settings
from django.core.management.base import CommandError

from dedup.services.files import DedupRefused
from dedup.services.legacy_import import DeletionImportPlan
from musicquality.backups import BackupError
from musicquality.commands import LibraryCommand, printable
from musicquality.legacy_history import LegacyHistoryError
from musicquality.progress import ProgressBar
from overview.services import LegacyImport, legacy_history_import
from upgrades.services import DecisionImportPlan

#: Rows shown per table and status in the report.
FIRST_ROWS = 5


class Command(LibraryCommand):
    help = (
        "Import the Music Tools CLI's own 'migration 002' history: its dedup_history deletion "
        "log into dedup_history, its upgrade_candidates decisions onto musicquality's "
        "candidates of the same files. Reads --from FILE read-only (default "
        "MUSICQUALITY_STREAMING_DB, music_tools.db; the library database itself works once "
        "its 002 tables are renamed *_legacy). Dry run unless --apply; a re-run imports "
        "nothing twice."
    )
    requires_schema_v2 = True

    def add_arguments(self, parser):
        parser.add_argument(
            "--from",
            dest="source",
            metavar="FILE",
            help="the music_tools.db holding the 002 tables (default MUSICQUALITY_STREAMING_DB)",
        )
        parser.add_argument(
            "--restore-root",
            metavar="DIR",
            help="the folder the CLI kept its deleted files in: a deletion is recoverable "
            "only when its restore_location is a file inside DIR with the recorded content",
        )
        parser.add_argument(
            "--apply",
            action="store_true",
            help="write the rows (after a backup of the library database); default: only "
            "say what would be imported",
        )

    def handle(self, *args, **options):
        source = options["source"] or settings.STREAMING_DB
        if not source:
            raise CommandError(
                "no source: give the Music Tools music_tools.db with --from FILE (or set "
                "MUSICQUALITY_STREAMING_DB)"
            )
        source = Path(os.path.abspath(Path(source).expanduser()))
        restore_root = None
        if options["restore_root"]:
            restore_root = Path(os.path.abspath(Path(options["restore_root"]).expanduser()))
        progress = ProgressBar(self.stdout, label="Checking", unit="deletions")
        try:
            result = legacy_history_import(
                source=source,
                restore_root=restore_root,
                apply=options["apply"],
                progress=progress.update,
            )
        except (LegacyHistoryError, DedupRefused) as error:
            raise CommandError(f"{error}") from None
        except BackupError as error:
            raise CommandError(f"{error}; nothing was imported") from None
        finally:
            progress.close()
        self._report(result)

    def _report(self, result: LegacyImport) -> None:
        history = result.history
        self.stdout.write(f"Source: {printable(history.path)}")
        if history.migration_002_at:
            self.stdout.write(f"Music Tools migration 002 ran at {history.migration_002_at}")
        for table in history.tables:
            self.stdout.write(f"  table {table.name}: {table.layout}, {table.rows} rows")
        self._deletions_report(result.deletions)
        self._decisions_report(result.decisions)
        if not result.applied:
            self.stdout.write(
                self.style.NOTICE("Dry run: nothing changed. Run again with --apply to import.")
            )
            return
        if result.backup is None:
            self.stdout.write(self.style.SUCCESS("Nothing to import: everything is already in."))
            return
        self.stdout.write(f"Backed up the library database to {printable(result.backup)}")
        deletions, decisions = result.deletions, result.decisions
        changed = (
            f"; {decisions.changed_since} candidates changed meanwhile, left alone"
            if decisions.changed_since
            else ""
        )
        self.stdout.write(
            self.style.SUCCESS(
                f"Imported {deletions.written} deletions into dedup_history and decisions on "
                f"{decisions.written} upgrade candidates{changed}"
            )
        )

    def _deletions_report(self, plan: DeletionImportPlan) -> None:
        self.stdout.write(f"dedup_history: {len(plan.items)} legacy deletions")
        for status in dict.fromkeys(item.status for item in plan.items):
            items = plan.with_status(status)
            self.stdout.write(f"  {status}: {len(items)}")
            for item in items[:FIRST_ROWS]:
                row = item.row
                if row is None:
                    self.stdout.write(
                        f"    #{item.legacy.id} {printable(item.legacy.original_path)} "
                        f"({item.recovery or status})"
                    )
                    continue
                recoverable = "recoverable" if row.can_recover else "not recoverable"
                self.stdout.write(
                    f"    #{item.legacy.id} {printable(row.file_path)}: {row.deletion_reason}, "
                    f"deleted {row.deleted_at}, {recoverable} ({printable(item.recovery)})"
                )
        recoverable_count = sum(1 for item in plan.to_import if item.recoverable)
        self.stdout.write(f"  of those to import, recoverable: {recoverable_count}")

    def _decisions_report(self, plan: DecisionImportPlan) -> None:
        self.stdout.write(f"upgrade_candidates: {len(plan.items)} legacy decisions")
        for status in dict.fromkeys(item.status for item in plan.items):
            items = plan.with_status(status)
            self.stdout.write(f"  {status}: {len(items)}")
            for item in items[:FIRST_ROWS]:
                action = f" -> {item.user_action}" if item.user_action else ""
                self.stdout.write(
                    f"    #{item.legacy.id} {printable(item.legacy.file_path)}: "
                    f"{printable(item.legacy.upgrade_status)}{action}"
                )
