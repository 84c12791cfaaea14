"""Results of expensive library reads, reused until the library database changes.

SQLite's ``PRAGMA data_version`` changes on a connection whenever *another* connection
(the Music Tools CLI, a scan, another server process) commits to the file, and the Python
connection's ``total_changes`` counts the writes made through this one. With the library
connection kept open between requests (``CONN_MAX_AGE``), the pair identifies the state of
the data exactly: a dashboard is recomputed the first time it is viewed after any change and
served from memory until the next one.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import TypeVar

from django.db import connections

T = TypeVar("T")

_entries: dict[Hashable, tuple[tuple, object]] = {}


def library_data_state() -> tuple | None:
    """A value that changes whenever data in the library database may have changed.

    ``None`` inside a transaction: writes there may still be rolled back, which
    ``total_changes`` would not show, so nothing read there is kept.
    """
    connection = connections["library"]
    if connection.in_atomic_block:
        return None
    connection.ensure_connection()
    raw = connection.connection
    (version,) = raw.execute("PRAGMA data_version").fetchone()
    return (id(raw), version, raw.total_changes)


def library_cached(key: Hashable, compute: Callable[[], T]) -> T:
    """``compute()``, or its result from an earlier call while the library is unchanged."""
    state = library_data_state()
    if state is None:
        return compute()
    entry = _entries.get(key)
    if entry is not None and entry[0] == state:
        return entry[1]  # type: ignore[return-value]
    value = compute()
    _entries[key] = (state, value)
    return value


def library_cache_clear() -> None:
    _entries.clear()
