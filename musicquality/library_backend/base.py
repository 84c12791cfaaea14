"""Django's SQLite backend, except that a connection never creates a missing library file.

SQLite creates a missing database file on connect. A page served with a wrong
``MUSICQUALITY_LIBRARY_DB`` (a typo, an unmounted disk) would leave an empty database there,
which the next command then takes for a new, empty library. Here the connection fails
instead (the pages answer 503 saying what to set); only ``migrate --database=library``
starts a new library (``musicquality.library_db.library_file_creation``), and so does the
test database Django builds with it.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from django.db.backends.sqlite3 import base, creation

from musicquality.library_db import (
    library_file_creation,
    library_file_creation_allowed,
    missing_message,
)


class DatabaseCreation(creation.DatabaseCreation):
    def create_test_db(self, *args, **kwargs):
        with library_file_creation():
            return super().create_test_db(*args, **kwargs)


class DatabaseWrapper(base.DatabaseWrapper):
    creation_class = DatabaseCreation

    def get_new_connection(self, conn_params):
        name = conn_params["database"]
        if (
            not library_file_creation_allowed()
            and not self.is_in_memory_db()
            and not os.path.exists(name)
        ):
            # Raised as the driver's error, so Django wraps it as its OperationalError.
            raise sqlite3.OperationalError(missing_message(path=Path(name)))
        return super().get_new_connection(conn_params)
