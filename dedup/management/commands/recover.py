import os
from pathlib import Path

from django.core.management.base import CommandError

from dedup.selectors import dedup_history_for_recovery
from dedup.services.files import DedupRefused, quarantine_path_check
from dedup.services.recover import dedup_history_recover, recovery_target
from musicquality.commands import LibraryCommand


class Command(LibraryCommand):
    help = (
        "Move quarantined files back (by dedup_history id, or a whole --session), re-index "
        "and re-analyse them. Never overwrites an existing file: use --to DIR to restore "
        "elsewhere."
    )
    requires_schema_v2 = True

    def add_arguments(self, parser):
        parser.add_argument("ids", nargs="*", type=int, metavar="ID", help="dedup_history ids")
        parser.add_argument("--session", metavar="UUID", help="every file of one dedupe run")
        parser.add_argument(
            "--to",
            metavar="DIR",
            help="restore under DIR (same sub-path as in the library) instead of the original path",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="only say where each file would go"
        )

    def handle(self, *args, **options):
        ids, session = options["ids"] or None, options["session"]
        if not ids and not session:
            raise CommandError(
                "give dedup_history ids or --session UUID (see the admin's dedup history)"
            )
        to = Path(os.path.abspath(Path(options["to"]).expanduser())) if options["to"] else None
        if to is not None and to.exists() and not to.is_dir():
            raise CommandError(f"--to {to} is not a folder: give a folder to restore into")
        if options["dry_run"]:
            self._dry_run(ids=ids, session=session, to=to)
            return
        try:
            outcomes = dedup_history_recover(ids=ids, session=session, to=to)
        except DedupRefused as error:
            raise CommandError(str(error)) from None
        if not outcomes:
            raise CommandError(f"no dedup_history rows for session {session}")
        for outcome in outcomes:
            if outcome.recovered:
                analysed = "" if outcome.analysed else " (not analysable: no quality row)"
                self.stdout.write(
                    f"#{outcome.history_id} recovered to {outcome.restored_to}, library id "
                    f"{outcome.library_file_id}{analysed}"
                )
            else:
                self.stdout.write(
                    self.style.ERROR(f"#{outcome.history_id} {outcome.file_path}: {outcome.detail}")
                )
        recovered = sum(1 for outcome in outcomes if outcome.recovered)
        if not recovered:
            raise CommandError(f"no file recovered ({len(outcomes)} refused: see above)")
        self.stdout.write(
            self.style.SUCCESS(f"{recovered} recovered, {len(outcomes) - recovered} not recovered")
        )

    def _dry_run(self, *, ids, session, to) -> None:
        for history in dedup_history_for_recovery(ids=ids, session=session):
            try:
                quarantine_path_check(history.recovery_path)
                target = recovery_target(history, to=to)
                state = "recoverable" if history.can_recover else "not recoverable"
                self.stdout.write(f"#{history.id} {history.recovery_path} -> {target} ({state})")
            except DedupRefused as error:
                self.stdout.write(self.style.ERROR(f"#{history.id}: {error}"))
        self.stdout.write(self.style.NOTICE("Dry run: nothing changed."))
