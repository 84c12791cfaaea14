"""The ``notes`` column of ``dedup_history``: one timestamped line per event, oldest first."""

from __future__ import annotations

from musicquality.fields import utc_now_iso


def note_line(text: str) -> str:
    return f"{utc_now_iso()} {text}"


def note_append(existing: str | None, text: str) -> str:
    return f"{existing}\n{note_line(text)}" if existing else note_line(text)
