"""The base of every management command that works on the library database."""

from __future__ import annotations

import sqlite3

from django.core.management.base import BaseCommand, CommandError
from django.db import OperationalError

from musicquality.library_db import (
    LibraryDatabaseError,
    Purpose,
    library_db_check,
    library_db_path,
    library_schema_is_v2,
)
from musicquality.monitoring.rules import QueryOrigin
from musicquality.monitoring.timing import library_queries_timed
from musicquality.schema import MIGRATE_COMMAND


class LibraryCommand(BaseCommand):
    """Checks the library database before ``handle`` and turns its failures into one line.

    Subclasses that need the v2.0.0 tables set ``requires_schema_v2 = True``.
    """

    requires_schema_v2 = False
    query_origin = QueryOrigin.COMMAND

    @property
    def command_name(self) -> str:
        """``scan_library`` for ``quality/management/commands/scan_library.py``: the name its
        library queries are timed under (musicquality.monitoring)."""
        return type(self).__module__.rsplit(".", 1)[-1]

    def execute(self, *args, **options):
        path = library_db_path()
        try:
            library_db_check(path=path, purpose=Purpose.USE)
        except LibraryDatabaseError as error:
            raise CommandError(str(error)) from None
        if self.requires_schema_v2 and not library_schema_is_v2(path=path):
            raise CommandError(
                f"library database {path} has no v2.0.0 tables yet: run `{MIGRATE_COMMAND}` first"
            )
        try:
            with library_queries_timed(query_name=self.command_name, origin=self.query_origin):
                return super().execute(*args, **options)
        except (OperationalError, sqlite3.OperationalError) as error:
            if "locked" in str(error) or "busy" in str(error):
                raise CommandError(
                    f"library database {path} stayed locked by another program: wait until it "
                    "finishes, then run the command again (work already committed is kept)"
                ) from None
            raise CommandError(f"library database {path}: {error}") from None
