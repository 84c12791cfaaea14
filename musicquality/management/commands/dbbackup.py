from django.core.management.base import CommandError

from musicquality.backups import BackupError, library_backup_create
from musicquality.commands import LibraryCommand
from musicquality.library_db import library_db_path


class Command(LibraryCommand):
    help = (
        "Back up the library database with SQLite's online backup API (safe while the Music "
        "Tools CLI writes), next to it or in MUSICQUALITY_BACKUP_DIR, and check the copy."
    )

    def handle(self, *args, **options):
        try:
            backup = library_backup_create(db_path=library_db_path())
        except BackupError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(self.style.SUCCESS(f"Backup written and checked: {backup}"))
