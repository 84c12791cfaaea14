"""Django's ``migrate``, with the library database checked and backed up first."""

from django.core.management.base import CommandError
from django.core.management.commands.migrate import Command as DjangoMigrateCommand
from django.db import connections
from django.db.migrations.executor import MigrationExecutor

from musicquality.backups import BackupError, library_backup_create
from musicquality.library_db import LibraryDatabaseError, Purpose, library_db_check, library_db_path
from musicquality.schema import BOOKKEEPING_TABLES


def _has_tables(alias: str) -> bool:
    with connections[alias].cursor() as cursor:
        cursor.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        return bool({row[0] for row in cursor.fetchall()} - BOOKKEEPING_TABLES)


class Command(DjangoMigrateCommand):
    help = (
        DjangoMigrateCommand.help
        + " On the library database (--database=library), checks the file and takes a "
        "verified backup with SQLite's backup API before changing anything."
    )

    def handle(self, *args, **options):
        if options["database"] == "library":
            self._prepare_library(options)
        return super().handle(*args, **options)

    def _prepare_library(self, options) -> None:
        path = library_db_path()
        try:
            library_db_check(path=path, purpose=Purpose.MIGRATE)
        except LibraryDatabaseError as error:
            raise CommandError(str(error)) from None
        if not path.exists() or options["plan"] or not _has_tables("library"):
            return
        executor = MigrationExecutor(connections["library"])
        targets = executor.loader.graph.leaf_nodes()
        if options["app_label"]:
            targets = None  # a targeted migrate (e.g. a rollback): back up whenever it runs
        plan = executor.migration_plan(targets) if targets else [True]
        if not plan:
            return
        try:
            backup = library_backup_create(db_path=path)
        except BackupError as error:
            raise CommandError(f"{error}; nothing was migrated") from None
        if options["verbosity"] >= 1:
            self.stdout.write(f"Backed up {path} to {backup} (integrity_check ok)")
