"""The base of every management command that works on the library database."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError, router

from musicquality.library_db import (
    LibraryDatabaseDamaged,
    LibraryDatabaseError,
    damaged_message,
    is_damage_error,
    library_ready_check,
)
from musicquality.monitoring.rules import QueryOrigin
from musicquality.monitoring.timing import library_queries_timed
from musicquality.routers import LIBRARY_DB_ALIAS


def printable(text: object) -> str:
    """``text`` on one terminal line: control characters (a newline in a file name, an escape
    sequence) shown as ``\\n``, ``\\x1b``..., and the bytes of a name that is not UTF-8 as
    ``\\xff``, so that a hostile or broken file name can neither split nor forge a line of
    output, nor stop the command when it is printed. A backslash stays as it is."""
    out = []
    for char in str(text):
        code = ord(char)
        if 0xDC80 <= code <= 0xDCFF:  # a byte that was not UTF-8 (os.fsdecode's surrogateescape)
            out.append(f"\\x{code - 0xDC00:02x}")
        elif char in _ESCAPES:
            out.append(_ESCAPES[char])
        elif (
            code < 0x20 or 0x7F <= code < 0xA0 or 0xD800 <= code < 0xE000 or char in "\u2028\u2029"
        ):
            out.append(f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")
        else:
            out.append(char)
    return "".join(out)


_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


#: The exit status of a command refused because the library database is damaged (the one
#: ``schema_status`` has always used for a failed ``integrity_check``).
DAMAGED_RETURNCODE = 2


class LibraryCommand(BaseCommand):
    """Checks the library database before ``handle`` and turns its failures into one line.

    Subclasses that need our tables (at the current schema version) set
    ``requires_schema_v2 = True``; a command that must work on a damaged database
    (``dbrestore``) sets ``verify_pages = False``.
    """

    requires_schema_v2 = False
    verify_pages = True
    query_origin = QueryOrigin.COMMAND

    @property
    def command_name(self) -> str:
        """``scan_library`` for ``quality/management/commands/scan_library.py``: the name its
        library queries are timed under (musicquality.monitoring)."""
        return type(self).__module__.rsplit(".", 1)[-1]

    def execute(self, *args, **options):
        try:
            path = library_ready_check(
                requires_schema_v2=self.requires_schema_v2, verify_pages=self.verify_pages
            )
        except LibraryDatabaseDamaged as error:
            raise CommandError(str(error), returncode=DAMAGED_RETURNCODE) from None
        except LibraryDatabaseError as error:
            raise CommandError(str(error)) from None
        try:
            with library_queries_timed(query_name=self.command_name, origin=self.query_origin):
                return super().execute(*args, **options)
        except (DatabaseError, sqlite3.DatabaseError) as error:
            raise library_error_as_command_error(error, path=path) from None
        except CommandError as error:  # one line, even when it names a hostile file name
            raise CommandError(printable(error), returncode=error.returncode) from None

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


def library_error_as_command_error(error: Exception, *, path: Path) -> CommandError:
    """One line for what the library database answered: locked, damaged, or anything else."""
    message = str(error)
    if "locked" in message or "busy" in message:
        return CommandError(
            f"library database {path} stayed locked by another program: wait until it "
            "finishes, then run the command again (work already committed is kept)"
        )
    if is_damage_error(error):
        return CommandError(
            damaged_message(path=path, detail=message), returncode=DAMAGED_RETURNCODE
        )
    return CommandError(printable(_database_error_text(error, library_path=path)))


def _database_error_text(error: Exception, *, library_path) -> str:
    """Name the database a missing table belongs in (the app's own, or the library)."""
    message = str(error)
    table = message.removeprefix("no such table: ").strip().removeprefix("main.")
    for model in apps.get_models():
        if message.startswith("no such table: ") and model._meta.db_table == table:
            alias = router.db_for_write(model)
            if alias != LIBRARY_DB_ALIAS:
                name = settings.DATABASES[alias]["NAME"]
                return f"app database {name}: {message}: run `python manage.py migrate`"
    return f"library database {library_path}: {message}"
