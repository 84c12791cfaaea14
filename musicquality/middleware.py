"""Turn "no such table" on the library database into a page that says what to run."""

import logging
import sqlite3

from django.db import OperationalError
from django.shortcuts import render

from musicquality.schema import MIGRATE_COMMAND, OUR_TABLES

logger = logging.getLogger(__name__)

NEEDED_TABLES = ("library_index", *OUR_TABLES)


def missing_table_in(error: BaseException) -> str | None:
    message = str(error)
    if not message.startswith("no such table: "):
        return None
    table = message.removeprefix("no such table: ").strip()
    return table if table in NEEDED_TABLES else None


class SchemaMissingMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, OperationalError | sqlite3.OperationalError):
            return None
        table = missing_table_in(exception)
        if table is None:
            return None
        logger.warning("page %s needs table %s: schema not migrated", request.path, table)
        return render(
            request,
            "schema_missing.html",
            {"table": table, "migrate_command": MIGRATE_COMMAND},
            status=503,
        )
