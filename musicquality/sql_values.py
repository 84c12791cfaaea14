"""Values as SQLite stores them, whoever wrote them: no column type is enforced."""

from __future__ import annotations


def sql_text(value: object) -> str | None:
    """A value of a column meant to hold text, as text. SQLite lets any column hold a BLOB
    (a tool that bound bytes): UTF-8 bytes are read as text, other bytes as no value, and
    numbers spelled out, so that a bad row can only fail to match, never stop the run.
    (Used on the legacy history, the CLI's streaming tables and every stored timestamp.)"""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bytes):
        try:
            return value.decode("utf-8")
        except UnicodeDecodeError:
            return None
    return str(value)
