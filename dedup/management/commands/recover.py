import os
from pathlib import Path

from django.core.management.base import CommandError

from dedup.services.files import DedupRefused
from dedup.services.recover import (
    NO_SUCH_HISTORY_ROW,
    dedup_history_recover,
    dedup_history_recovery_plan,
)
from musicquality.commands import LibraryCommand, printable


class Command(LibraryCommand):
    help = (
        "Move quarantined files back (by dedup_history id, or a whole --session), re-index "
        "and re-analyse them. Dry run unless --apply. Never overwrites an existing file: use "
        "--to DIR to restore elsewhere. Rows imported from the Music Tools deletion log are "
        "recovered from the CLI's backup folder given with --restore-root DIR."
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
            "--restore-root",
            metavar="DIR",
            help="the folder the Music Tools CLI kept its deleted files in: rows imported by "
            "import_legacy_history are recovered from there (and only from there)",
        )
        parser.add_argument(
            "--apply",
            action="store_true",
            help="really move the files back (default: only say where each would go)",
        )

    def handle(self, *args, **options):
        ids, session = options["ids"] or None, options["session"]
        if not ids and not session:
            raise CommandError(
                "give dedup_history ids or --session UUID (see the admin's dedup history)"
            )
        to = _folder(options["to"])
        if to is not None and to.exists() and not to.is_dir():
            raise CommandError(f"--to {to} is not a folder: give a folder to restore into")
        restore_root = _folder(options["restore_root"])
        if restore_root is not None and not restore_root.is_dir():
            raise CommandError(
                f"--restore-root {restore_root} is not a folder: give the folder the Music Tools "
                "CLI kept its deleted files in"
            )
        if not options["apply"]:
            self._dry_run(ids=ids, session=session, to=to, restore_root=restore_root)
            return
        try:
            outcomes = dedup_history_recover(
                ids=ids, session=session, to=to, restore_root=restore_root
            )
        except DedupRefused as error:
            raise CommandError(str(error)) from None
        if not outcomes:
            raise CommandError(f"no dedup_history rows for session {session}")
        for outcome in outcomes:
            if outcome.recovered:
                analysed = "" if outcome.analysed else " (not analysable: no quality row)"
                self.stdout.write(
                    f"#{outcome.history_id} recovered to {printable(outcome.restored_to)}, "
                    f"library id {outcome.library_file_id}{analysed}"
                )
            else:
                where = f" {printable(outcome.file_path)}" if outcome.file_path else ""
                self.stdout.write(
                    self.style.ERROR(f"#{outcome.history_id}{where}: {printable(outcome.detail)}")
                )
        recovered = sum(1 for outcome in outcomes if outcome.recovered)
        if not recovered:
            raise CommandError(f"no file recovered ({len(outcomes)} refused: see above)")
        self.stdout.write(
            self.style.SUCCESS(f"{recovered} recovered, {len(outcomes) - recovered} not recovered")
        )

    def _dry_run(self, *, ids, session, to, restore_root) -> None:
        try:
            items = dedup_history_recovery_plan(
                ids=ids, session=session, to=to, restore_root=restore_root
            )
        except DedupRefused as error:
            raise CommandError(str(error)) from None
        found = {item.history.id for item in items}
        missing = sorted(set(ids or ()) - found)
        for history_id in missing:
            self.stdout.write(self.style.ERROR(f"#{history_id}: {NO_SUCH_HISTORY_ROW}"))
        if not items:
            if missing:
                raise CommandError(f"nothing to recover ({len(missing)} not found: see above)")
            raise CommandError(f"no dedup_history rows for session {session}")
        for item in items:
            history = item.history
            if item.problem is not None:
                self.stdout.write(self.style.ERROR(f"#{history.id}: {printable(item.problem)}"))
                continue
            state = "already back: re-indexed only" if item.already_back else "recoverable"
            self.stdout.write(
                f"#{history.id} {printable(history.recovery_path)} -> {printable(item.target)} "
                f"({state})"
            )
        self.stdout.write(
            self.style.NOTICE("Dry run: nothing changed. Run again with --apply to recover.")
        )


def _folder(value: str | None) -> Path | None:
    return Path(os.path.abspath(Path(value).expanduser())) if value else None
