"""Pages over a library database that cannot serve them: a 503 page that says what to do
(under ``/api/``, the same advice as JSON).

Three cases, each with its own advice: a table of the v2.0.0 schema is missing (run the
migration), the file does not exist (set ``MUSICQUALITY_LIBRARY_DB``; nothing is created:
``musicquality.library_backend``), or its pages are damaged (restore a backup, with the
command for the newest one).
"""

import logging
import sqlite3

from django.db import DatabaseError
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render

from musicquality.library_db import (
    damaged_message,
    is_damage_error,
    library_db_path,
    missing_message,
)
from musicquality.schema import MIGRATE_COMMAND, OUR_TABLES

logger = logging.getLogger(__name__)

NEEDED_TABLES = ("library_index", *OUR_TABLES)


def missing_table_in(error: BaseException) -> str | None:
    message = str(error)
    if not message.startswith("no such table: "):
        return None
    # "main.dedup_history" when a trigger's statement names it
    table = message.removeprefix("no such table: ").strip().removeprefix("main.")
    return table if table in NEEDED_TABLES else None


def library_file_signature() -> tuple | None:
    """Changes whenever the library file or its WAL is written (a restore, a repair)."""
    path = library_db_path()
    try:
        main = path.stat()
    except OSError:
        return None
    wal = path.with_name(path.name + "-wal")
    wal_state = (wal.stat().st_mtime_ns, wal.stat().st_size) if wal.exists() else None
    return (main.st_ino, main.st_size, main.st_mtime_ns, wal_state)


API_PREFIX = "/api/"


def unavailable_response(request, template: str, context: dict, problem: str) -> HttpResponse:
    """The 503 page, or for the JSON API the same advice as ``{"detail": ...}``."""
    if request.path.startswith(API_PREFIX):
        return JsonResponse({"detail": problem}, status=503)
    return render(request, template, context, status=503)


class LibraryDatabaseMiddleware:
    """Once a page met damaged pages, every page says so (without reading the database)
    until the file changes: a page whose tables happen to be intact must not look as if all
    were well. Pages run no integrity check of their own: it costs a pass over the file."""

    PUBLIC_PREFIXES = ("/login/", "/static/", "/health")

    def __init__(self, get_response):
        self.get_response = get_response
        self.damaged: tuple[tuple | None, str] | None = None

    def __call__(self, request):
        if self.damaged is not None and not request.path.startswith(self.PUBLIC_PREFIXES):
            signature, problem = self.damaged
            if signature == library_file_signature():
                return unavailable_response(
                    request, "library_unavailable.html", {"problem": problem}, problem
                )
            self.damaged = None
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, DatabaseError | sqlite3.DatabaseError):
            return None
        table = missing_table_in(exception)
        if table is not None:
            logger.warning("page %s needs table %s: schema not migrated", request.path, table)
            return unavailable_response(
                request,
                "schema_missing.html",
                {"table": table, "migrate_command": MIGRATE_COMMAND},
                f"this needs the {table} table: run `{MIGRATE_COMMAND}` once",
            )
        path = library_db_path()
        if not path.exists():
            problem = missing_message(path=path)
        elif is_damage_error(exception):
            problem = damaged_message(path=path, detail=str(exception))
            self.damaged = (library_file_signature(), problem)
        else:
            return None
        logger.error("page %s: %s", request.path, problem)
        return unavailable_response(
            request, "library_unavailable.html", {"problem": problem}, problem
        )
