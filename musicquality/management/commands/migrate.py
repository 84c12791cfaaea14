"""Django's ``migrate``, with the library database checked and backed up first."""

from django.core.management.base import CommandError
from django.core.management.commands.migrate import Command as DjangoMigrateCommand
from django.db import connections
from django.db.migrations.executor import MigrationExecutor

from musicquality.backups import BackupError, library_backup_create
from musicquality.commands import DAMAGED_RETURNCODE
from musicquality.library_db import (
    LibraryDatabaseDamaged,
    LibraryDatabaseError,
    Purpose,
    library_db_check,
    library_db_path,
    library_file_creation,
    open_readonly,
)
from musicquality.monitoring.services import migration_recorded
from musicquality.routers import LIBRARY_DB_ALIAS
from musicquality.schema import BOOKKEEPING_TABLES, SchemaError, schema_preflight, table_names


class Command(DjangoMigrateCommand):
    help = (
        DjangoMigrateCommand.help
        + " On the library database (--database=library), checks the file and takes a "
        "verified backup with SQLite's backup API before changing anything."
    )

    def handle(self, *args, **options):
        if options["database"] != LIBRARY_DB_ALIAS:
            return super().handle(*args, **options)
        if options["plan"]:
            self._prepare_library(options)
            with library_file_creation():
                return super().handle(*args, **options)
        with migration_recorded() as record:
            self._prepare_library(options)
            record.checks_passed()
            self.migration_record = record
            with library_file_creation():  # a missing file starts a new library, here only
                result = super().handle(*args, **options)
        if not record.saved and options["verbosity"] >= 1:
            self.stdout.write(
                "(not recorded for monitoring: the app database has no monitoring tables yet; "
                "run `python manage.py migrate` for it)"
            )
        return result

    def migration_progress_callback(self, action, migration=None, fake=False):
        """Count what is applied and unapplied, for the migration's monitoring record."""
        record = getattr(self, "migration_record", None)
        if record is not None:
            record.progress(action)
        return super().migration_progress_callback(action, migration, fake)

    def _prepare_library(self, options) -> None:
        """Refuse a bad file and back up a good one, touching it only read-only until then."""
        path = library_db_path()
        try:
            library_db_check(path=path, purpose=Purpose.MIGRATE)
        except LibraryDatabaseDamaged as error:
            raise CommandError(str(error), returncode=DAMAGED_RETURNCODE) from None
        except LibraryDatabaseError as error:
            raise CommandError(str(error)) from None
        if not path.exists() or options["plan"]:
            return
        conn = open_readonly(path)
        try:
            cursor = conn.cursor()
            if not table_names(cursor) - BOOKKEEPING_TABLES:
                return
            schema_preflight(cursor)
        except SchemaError as error:
            raise CommandError(f"library database {path}: {error}") from None
        finally:
            conn.close()
        if not options["app_label"]:
            executor = MigrationExecutor(connections[LIBRARY_DB_ALIAS])
            if not executor.migration_plan(executor.loader.graph.leaf_nodes()):
                return
        try:
            backup = library_backup_create(db_path=path)
        except BackupError as error:
            raise CommandError(f"{error}; nothing was migrated") from None
        if options["verbosity"] >= 1:
            self.stdout.write(f"Backed up {path} to {backup} (integrity_check ok)")
