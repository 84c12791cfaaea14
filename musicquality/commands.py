"""The base of every management command that works on the library database."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import OperationalError, router

from musicquality.library_db import LibraryDatabaseError, library_ready_check
from musicquality.monitoring.rules import QueryOrigin
from musicquality.monitoring.timing import library_queries_timed


class LibraryCommand(BaseCommand):
    """Checks the library database before ``handle`` and turns its failures into one line.

    Subclasses that need our tables (at the current schema version) set
    ``requires_schema_v2 = True``.
    """

    requires_schema_v2 = False
    query_origin = QueryOrigin.COMMAND

    @property
    def command_name(self) -> str:
        """``scan_library`` for ``quality/management/commands/scan_library.py``: the name its
        library queries are timed under (musicquality.monitoring)."""
        return type(self).__module__.rsplit(".", 1)[-1]

    def execute(self, *args, **options):
        try:
            path = library_ready_check(requires_schema_v2=self.requires_schema_v2)
        except LibraryDatabaseError as error:
            raise CommandError(str(error)) from None
        try:
            with library_queries_timed(query_name=self.command_name, origin=self.query_origin):
                return super().execute(*args, **options)
        except (OperationalError, sqlite3.OperationalError) as error:
            if "locked" in str(error) or "busy" in str(error):
                raise CommandError(
                    f"library database {path} stayed locked by another program: wait until it "
                    "finishes, then run the command again (work already committed is kept)"
                ) from None
            raise CommandError(_database_error_text(error, library_path=path)) from None

    def export_write(self, target: str, text: str) -> None:
        """An export (``--json``, ``--csv``) to the file ``target``, or to stdout for ``-``."""
        if target == "-":
            self.stdout.write(text, ending="")
            return
        try:
            Path(target).write_text(text, encoding="utf-8")
        except OSError as error:
            raise CommandError(f"cannot write {target}: {error.strerror}") from None

    def confirm_or_stop(self, question: str, *, stdin) -> None:
        """Ask ``question [y/N]`` on the terminal; any answer but yes stops the command before
        anything changed."""
        self.stdout.write(f"{question} [y/N] ", ending="")
        self.stdout.flush()
        if stdin.readline().strip().lower() not in {"y", "yes"}:
            raise CommandError("not confirmed: nothing changed")


def _database_error_text(error: Exception, *, library_path) -> str:
    """Name the database a missing table belongs in (the app's own, or the library)."""
    message = str(error)
    table = message.removeprefix("no such table: ").strip()
    for model in apps.get_models():
        if message.startswith("no such table: ") and model._meta.db_table == table:
            alias = router.db_for_write(model)
            if alias != "library":
                name = settings.DATABASES[alias]["NAME"]
                return f"app database {name}: {message}: run `python manage.py migrate`"
    return f"library database {library_path}: {message}"
