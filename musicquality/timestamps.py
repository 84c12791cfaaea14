"""The one rule for reading a stored timestamp, whoever wrote it.

Timestamps live in TEXT columns written by three hands: ours (``datetime.isoformat()`` in UTC,
the legacy tool's ``T`` form), Django's SQLite spelling (a space, naive) and the Music Tools
CLI, whose own ``datetime.now().isoformat()`` is local and naive, whose column defaults are
SQLite's ``CURRENT_TIMESTAMP`` (UTC, a space), and whose streaming tables may hold Unix time.
Every reader (model fields, selectors, the last scan and analysis times, the scan's mtime
check, the playlists' "added" dates, the legacy history import) goes through
:func:`timestamp_parse`, so a value reads as the same instant everywhere, and a value
nothing can read is ``None`` rather than an error that stops a page or a run.
"""

from __future__ import annotations

import datetime
import re

from musicquality.sql_values import sql_text

_EPOCH_DIGITS = re.compile(r"^\d{9,13}(\.\d+)?$")
_MILLISECONDS_FROM = 10**11


def timestamp_parse(value: object) -> datetime.datetime | None:
    """A stored timestamp as an aware UTC datetime, or None for what none of the forms reads.

    ISO-8601 in any of its spellings (``T`` or a space, with or without fractions and an
    offset, ``Z``, a date alone), and Unix time in seconds or milliseconds. A time without an
    offset is read as UTC, as SQLite's ``CURRENT_TIMESTAMP`` (the column default) writes it.
    A ``datetime`` is returned in UTC (naive read as UTC).
    """
    if value is None or isinstance(value, bool):
        return None
    try:
        if isinstance(value, datetime.datetime):
            moment = value
        elif isinstance(value, int | float):
            return _from_epoch(float(value))
        else:
            text = (sql_text(value) or "").strip()
            if not text:
                return None
            if _EPOCH_DIGITS.match(text):
                return _from_epoch(float(text))
            if text[-1] in "Zz":
                text = text[:-1] + "+00:00"
            moment = datetime.datetime.fromisoformat(text)
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=datetime.UTC)
        return moment.astimezone(datetime.UTC)
    except (ValueError, OverflowError, OSError):
        return None


def _from_epoch(seconds: float) -> datetime.datetime:
    if seconds >= _MILLISECONDS_FROM:
        seconds /= 1000
    return datetime.datetime.fromtimestamp(seconds, datetime.UTC)


def timestamp_normalise(value: object) -> str | None:
    """:func:`timestamp_parse` written as we write every timestamp
    (``2026-01-08T12:00:00.123456+00:00``), or None."""
    moment = timestamp_parse(value)
    return None if moment is None else moment.isoformat()
