"""Commits that must survive a power loss, not only a killed process.

The library connection runs with the report's ``synchronous=NORMAL``
(``musicquality.settings.LIBRARY_PRAGMAS``): in WAL mode that keeps the database consistent
but may take back the last commits after a power loss or an operating-system crash (SQLite
syncs the WAL at checkpoints only). The protocols that move files (dedupe, recover, purge,
an import's apply: each under ``dedup.services.files.quarantine_lock``) commit a history row
and then move a file; that row must be on the disk before the file moves
(docs/deletion-protocol.md), or a power cut could leave a quarantined file with no record.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import DatabaseError, connections

from musicquality.routers import LIBRARY_DB_ALIAS

#: SQLite's ``synchronous=FULL``: the WAL is synced at every commit.
FULL = 2


@contextmanager
def library_commits_durable() -> Iterator[None]:
    """Within the block, every commit on this thread's library connection is synced to the
    disk before it returns; the connection's own setting again after it. Inside a
    transaction already open (a test's) nothing changes: SQLite refuses to change the
    setting there, and nothing in the block commits before that transaction does."""
    connection = connections[LIBRARY_DB_ALIAS]
    if connection.in_atomic_block:
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA synchronous")
        (before,) = cursor.fetchone()
        cursor.execute(f"PRAGMA synchronous={FULL}")
    try:
        yield
    finally:
        try:
            with connection.cursor() as cursor:
                cursor.execute(f"PRAGMA synchronous={int(before)}")
        except DatabaseError:
            pass  # a connection that broke in the block is not reused as it is
