"""Results of expensive library reads, reused until the library database changes.

SQLite's ``PRAGMA data_version`` changes on a connection whenever *another* connection
(the Music Tools CLI, a scan, another server process) commits to the file, and the Python
connection's ``total_changes`` counts the writes made through this one. With the library
connection kept open between requests (``CONN_MAX_AGE``), the pair identifies the state of
the data exactly: a dashboard is recomputed the first time it is viewed after any change and
served from memory until the next one.

Keys may carry a page's parameters (a threshold typed by the user), so the cache is bounded:
the least recently used result goes when :data:`MAX_ENTRIES` are held.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import TypeVar

from django.db import connections

from musicquality.routers import LIBRARY_DB_ALIAS

T = TypeVar("T")

MAX_ENTRIES = 64


def library_data_state() -> tuple | None:
    """A value that changes whenever data in the library database may have changed.

    ``None`` inside a transaction: writes there may still be rolled back, which
    ``total_changes`` would not show, so nothing read there is kept.
    """
    connection = connections[LIBRARY_DB_ALIAS]
    if connection.in_atomic_block:
        return None
    connection.ensure_connection()
    raw = connection.connection
    (version,) = raw.execute("PRAGMA data_version").fetchone()
    return (id(raw), version, raw.total_changes)


class LibraryCache:
    """At most ``max_entries`` results, each kept with the library state it was read in."""

    def __init__(self, max_entries: int = MAX_ENTRIES):
        self.max_entries = max_entries
        self._entries: OrderedDict[Hashable, tuple[tuple, object]] = OrderedDict()

    def get(self, key: Hashable, compute: Callable[[], T]) -> T:
        state = library_data_state()
        if state is None:
            return compute()
        entry = self._entries.get(key)
        if entry is not None and entry[0] == state:
            self._entries.move_to_end(key)
            return entry[1]  # type: ignore[return-value]
        value = compute()
        self._entries[key] = (state, value)
        self._entries.move_to_end(key)
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)
        return value

    def clear(self) -> None:
        self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)


LIBRARY_CACHE = LibraryCache()


def library_cached(key: Hashable, compute: Callable[[], T]) -> T:
    """``compute()``, or its result from an earlier call while the library is unchanged."""
    return LIBRARY_CACHE.get(key, compute)
