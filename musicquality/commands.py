"""The base of every management command that works on the library database."""

from __future__ import annotations

import sqlite3

from django.core.management.base import BaseCommand, CommandError
from django.db import OperationalError

from musicquality.library_db import LibraryDatabaseError, library_ready_check


class LibraryCommand(BaseCommand):
    """Checks the library database before ``handle`` and turns its failures into one line.

    Subclasses that need the v2.0.0 tables set ``requires_schema_v2 = True``.
    """

    requires_schema_v2 = False

    def execute(self, *args, **options):
        try:
            path = library_ready_check(requires_schema_v2=self.requires_schema_v2)
        except LibraryDatabaseError as error:
            raise CommandError(str(error)) from None
        try:
            return super().execute(*args, **options)
        except (OperationalError, sqlite3.OperationalError) as error:
            if "locked" in str(error) or "busy" in str(error):
                raise CommandError(
                    f"library database {path} stayed locked by another program: wait until it "
                    "finishes, then run the command again (work already committed is kept)"
                ) from None
            raise CommandError(f"library database {path}: {error}") from None
