"""Keyset pagination: pages that start after (or end before) a row, never at an offset.

An offset makes SQLite walk past every row before the page, and a page count needs every
row counted; a keyset reads the page's rows from an index, wherever the page is, and a row
inserted between two requests cannot push another one onto the next page twice or off it.
A position is the sort key of a row with its id last (``(artist, title, id)``), carried in
the query string as an opaque, URL-safe token (:func:`position_token`).
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar
from urllib.parse import urlencode

T = TypeVar("T")

AFTER = "after"
BEFORE = "before"
#: The longest token accepted (a path can be long; anything past this is not ours).
MAX_TOKEN_LENGTH = 8192


def position_token(values: Sequence) -> str:
    text = json.dumps(list(values), ensure_ascii=False, separators=(",", ":"))
    return base64.urlsafe_b64encode(text.encode("utf-8")).decode("ascii").rstrip("=")


def position_from_token(token: str | None, *, length: int) -> list | None:
    """The position a token holds, or None for a missing or damaged one (the first page):
    ``length`` values, each a string, a number or null."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        values = json.loads(raw.decode("utf-8"))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        return None
    if not isinstance(values, list) or len(values) != length:
        return None
    if not all(v is None or isinstance(v, str | int | float) for v in values):
        return None
    if isinstance(values[-1], bool) or not isinstance(values[-1], int):
        return None
    return values


def keyset_condition(columns: Sequence[str], *, descending: bool, before: bool) -> str:
    """``(a, b, id) > (%s, %s, %s)`` (row values: SQLite walks the index from there)."""
    forward = descending == before
    operator = ">" if forward else "<"
    return f"({', '.join(columns)}) {operator} ({', '.join('%s' for _ in columns)})"


def keyset_order(columns: Sequence[str], *, descending: bool, before: bool) -> str:
    """The index order to read in: reversed for a page that ends before a row."""
    reverse = descending != before
    return ", ".join(f"{column}{' DESC' if reverse else ''}" for column in columns)


@dataclass
class KeysetPage(Generic[T]):
    """One page of rows and the positions of its neighbours (None: there is none)."""

    rows: list[T]
    next_token: str | None = None
    previous_token: str | None = None
    query: dict[str, str] = field(default_factory=dict)
    #: before the parameter names, for a page with several tables (``p-`` → ``p-after``)
    prefix: str = ""

    @property
    def is_first(self) -> bool:
        return self.previous_token is None

    def _others(self) -> dict[str, str]:
        ours = {f"{self.prefix}{name}" for name in (AFTER, BEFORE, "page")}
        return {k: v for k, v in self.query.items() if k not in ours}

    def _link(self, name: str, token: str | None) -> str | None:
        if token is None:
            return None
        query = self._others()
        query[f"{self.prefix}{name}"] = token
        return "?" + urlencode(query)

    @property
    def next_url(self) -> str | None:
        return self._link(AFTER, self.next_token)

    @property
    def previous_url(self) -> str | None:
        return self._link(BEFORE, self.previous_token)

    @property
    def first_url(self) -> str:
        query = self._others()
        return "?" + urlencode(query) if query else "?"


def keyset_page(
    rows: list,
    *,
    per_page: int,
    before: bool,
    started_at_position: bool,
    position_of,
) -> tuple[list, str | None, str | None]:
    """Rows read ``per_page + 1`` at a time in index order, as the page shows them, with the
    tokens of the next and previous pages."""
    more = len(rows) > per_page
    rows = rows[:per_page]
    if before:
        rows.reverse()
    if not rows:
        return rows, None, None
    first, last = position_token(position_of(rows[0])), position_token(position_of(rows[-1]))
    if before:
        return rows, last, first if more else None
    return rows, last if more else None, first if started_at_position else None
