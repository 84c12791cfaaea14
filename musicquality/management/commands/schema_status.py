from django.core.management.base import CommandError

from musicquality.commands import LibraryCommand
from musicquality.library_db import library_db_path
from musicquality.schema import MIGRATE_COMMAND, SCHEMA_VERSION
from musicquality.selectors import library_status_get


class Command(LibraryCommand):
    help = (
        "Show the library database's schema version, which v2.0.0 tables and indexes are "
        "present or missing, row counts, file size, last backup and integrity. Exits 1 when "
        "the v2.0.0 schema is only partly there, 2 when integrity_check fails."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--no-integrity", action="store_true", help="skip PRAGMA integrity_check (faster)"
        )

    def handle(self, *args, **options):
        status = library_status_get(
            path=library_db_path(), check_integrity=not options["no_integrity"]
        )
        schema = status.schema
        out = self.stdout
        out.write(f"Database:       {status.path}")
        size_mb = status.file_size / 1e6
        out.write(f"File size:      {size_mb:.1f} MB (+ {status.wal_size / 1e6:.1f} MB WAL)")
        out.write(f"Schema version: {schema.version or 'not set (1.0.0)'}")
        for table in (*schema.tables_present, *schema.tables_missing):
            present = table in schema.tables_present
            rows = status.row_counts.get(table)
            label = f"{rows} rows" if present else self.style.ERROR("missing")
            out.write(f"  table {table:<20} {label}")
        out.write(f"  library_index         {status.row_counts.get('library_index', 0)} rows")
        n_idx = len(schema.indexes_present)
        total_idx = n_idx + len(schema.indexes_missing)
        out.write(f"Indexes:        {n_idx}/{total_idx} present")
        if schema.indexes_missing and schema.partial:
            out.write(f"  missing: {', '.join(schema.indexes_missing)}")
        out.write(f"Last backup:    {status.last_backup or 'none found'}")
        if options["no_integrity"]:
            out.write("Integrity:      not checked")
        elif status.integrity == ["ok"]:
            out.write("Integrity:      ok")
        else:
            raise CommandError(
                f"integrity_check failed: {'; '.join(status.integrity[:3])}; restore a backup "
                "with `manage.py dbrestore BACKUP --apply`",
                returncode=2,
            )
        if schema.complete:
            out.write(self.style.SUCCESS(f"Schema {SCHEMA_VERSION} complete."))
        elif schema.absent:
            out.write(f"Schema {SCHEMA_VERSION} not installed: run `{MIGRATE_COMMAND}`.")
        elif schema.partial:
            missing = schema.tables_missing + schema.indexes_missing + schema.columns_missing
            raise CommandError(
                f"schema {schema.version or SCHEMA_VERSION} is partial (missing: "
                f"{', '.join(missing)}): run `{MIGRATE_COMMAND}`",
                returncode=1,
            )
        else:
            out.write(
                self.style.SUCCESS(f"Schema {schema.latest_complete} complete.")
                + f" Schema {SCHEMA_VERSION} is available: run `{MIGRATE_COMMAND}`."
            )
