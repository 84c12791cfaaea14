from pathlib import Path

from django.core.management.base import CommandError

from musicquality.backups import BackupError, library_restore
from musicquality.commands import LibraryCommand
from musicquality.library_db import library_db_path


class Command(LibraryCommand):
    help = (
        "Restore the library database from a backup made by dbbackup or migrate (the "
        "report's level-2 rollback). Dry run unless --apply; the current contents are saved "
        "as a .pre-restore_ copy first."
    )

    verify_pages = False  # a damaged database is what a restore is for

    def add_arguments(self, parser):
        parser.add_argument("backup", type=Path, help="backup file to restore from")
        parser.add_argument(
            "--apply", action="store_true", help="really restore (default: only check and say)"
        )

    def handle(self, *args, **options):
        db_path = library_db_path()
        backup = options["backup"].expanduser().resolve()
        try:
            plan = library_restore(db_path=db_path, backup_path=backup, apply=options["apply"])
        except BackupError as error:
            raise CommandError(str(error)) from None
        if not plan.applied:
            self.stdout.write(
                f"Dry run: {backup} passed its checks and would replace the contents of "
                f"{db_path}. Run again with --apply to restore."
            )
            return
        damaged = " (damaged, as they were)" if plan.safety_copy_damaged else ""
        self.stdout.write(f"Previous contents{damaged} saved to {plan.safety_copy_path}")
        self.stdout.write(self.style.SUCCESS(f"Restored {db_path} from {backup}"))
