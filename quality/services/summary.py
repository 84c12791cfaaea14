"""Keeping the library summary (docs/summary.md) equal to what it summarises.

- :func:`library_summary_refresh`: our writers (scan, analysis, verification, dedupe,
  recover) call it in their own transaction with the ids they wrote; it recomputes those
  files' ``summary_file`` rows and, for the files whose facts changed, moves their buckets in
  ``summary_count``, their text in the search index and their duplicate pairs.
- :func:`library_summary_reconcile`: the Music Tools CLI writes ``library_index`` without
  telling us (and gets no trigger from us): one SQL comparison of every row's facts with its
  summary row finds what differs, and the same refresh puts it right.
- :func:`library_summary_rebuild`: from nothing (first migration, a new layout, a new
  analyser or verifier version, whose backlog flags are other).
- :func:`library_summary_check`: what a page calls first: nothing when the library has not
  changed since it was last compared; otherwise a comparison in the request for a small
  library, or in a background thread for a large one while the page says how old its
  numbers are (:class:`SummaryFreshness`).
"""

from __future__ import annotations

import datetime
import itertools
import json
import logging
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.conf import settings
from django.db import connections, transaction

from musicquality.fields import utc_now_iso
from musicquality.routers import LIBRARY_DB_ALIAS
from musicquality.schema import (
    SUMMARY_DDL,
    SUMMARY_HISTORY_FILL,
    SUMMARY_TABLES,
    SUMMARY_TRIGGERS,
)
from quality.selectors import FACTS_SQL, facts_sql_params
from quality.summary import (
    FACT_COLUMNS,
    PAIR_COLUMNS,
    SEARCH_COLUMNS,
    SUMMARY_LAYOUT,
    buckets_delta,
    changed_columns,
    fact_value,
    sqlite_number,
)
from quality.versions import ANALYZER_VERSION, VERIFIER_VERSION

logger = logging.getLogger(__name__)

#: Ids per statement (a JSON list through ``json_each``, so no parameter limit applies).
REFRESH_CHUNK = 2000
#: Ids per write transaction of a reconciliation, so the CLI never waits long.
RECONCILE_BATCH = 1000
#: A reconciliation that finds more files changed than this, and more than half of those the
#: summary holds, rebuilds it instead.
REBUILD_ABOVE = 10_000

_COLUMNS_SQL = ", ".join(FACT_COLUMNS)
_SEARCH_SQL = ", ".join(SEARCH_COLUMNS)
_IDS = "(SELECT value FROM json_each(%s))"

# Pairs of equal scores are left out: the page's threshold is at least 0 and the difference
# must be above it, so they are never shown (and a folder of copies of one file would make
# its square of them).
PAIRS_OF_SQL = f"""
INSERT OR IGNORE INTO summary_pair
    (id1, id2, score1, score2, score_diff, report_order, artist, title)
SELECT f1.id, f2.id, f1.quality_score, f2.quality_score,
       abs(f1.quality_score - f2.quality_score), -abs(f1.quality_score - f2.quality_score),
       f1.artist, f1.title
FROM summary_file p
JOIN summary_file o ON o.metadata_hash = p.metadata_hash AND o.active = 1 AND o.analysed = 1
     AND o.id != p.id
JOIN summary_file f1 ON f1.id = min(p.id, o.id)
JOIN summary_file f2 ON f2.id = max(p.id, o.id)
WHERE p.id IN {_IDS} AND p.active = 1 AND p.analysed = 1
  AND o.quality_score != p.quality_score
"""
ALL_PAIRS_SQL = """
INSERT INTO summary_pair (id1, id2, score1, score2, score_diff, report_order, artist, title)
SELECT m1.id, m2.id, m1.quality_score, m2.quality_score,
       abs(m1.quality_score - m2.quality_score), -abs(m1.quality_score - m2.quality_score),
       m1.artist, m1.title
FROM summary_file m1
JOIN summary_file m2 ON m2.metadata_hash = m1.metadata_hash AND m2.active = 1
     AND m2.analysed = 1 AND m1.id < m2.id AND m2.quality_score != m1.quality_score
WHERE m1.active = 1 AND m1.analysed = 1
"""
COUNT_ADD_SQL = """
INSERT INTO summary_count (bucket, files, bytes, score_units) VALUES (%s, %s, %s, %s)
ON CONFLICT(bucket) DO UPDATE SET files = files + excluded.files,
    bytes = bytes + excluded.bytes, score_units = score_units + excluded.score_units
"""
#: Ids whose summary row is missing, extra or different from the facts: the comparison of
#: every row (one pass over library_index and the joined analyses, in SQLite).
DIFFERENT_IDS_SQL = (
    f"WITH f({_COLUMNS_SQL}) AS ({FACTS_SQL.format(where='')}) "
    "SELECT f.id FROM f LEFT JOIN summary_file m ON m.id = f.id WHERE m.id IS NULL OR NOT ("
    + " AND ".join(f"f.{c} IS m.{c}" for c in FACT_COLUMNS[1:])
    + ") UNION ALL SELECT id FROM summary_file WHERE id NOT IN (SELECT id FROM library_index)"
)


@dataclass(frozen=True)
class SummaryState:
    layout: str
    analyzer_version: str
    verifier_version: str
    generation: int
    built_at: str

    @property
    def current(self) -> bool:
        """Built by these rules for this analyser and verifier."""
        return (self.layout, self.analyzer_version, self.verifier_version) == (
            SUMMARY_LAYOUT,
            ANALYZER_VERSION,
            VERIFIER_VERSION,
        )


def summary_state_read(cursor) -> SummaryState | None:
    """The summary's state row; None when the summary tables are missing or never built."""
    cursor.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'summary_state'")
    if cursor.fetchone() is None:
        return None
    cursor.execute(
        "SELECT layout, analyzer_version, verifier_version, generation, built_at "
        "FROM summary_state WHERE id = 1"
    )
    row = cursor.fetchone()
    return SummaryState(*row) if row else None


def summary_tables_create(cursor) -> None:
    for statement in (*SUMMARY_DDL, *SUMMARY_TRIGGERS.values()):
        cursor.execute(statement)


def summary_tables_drop(cursor) -> None:
    """The triggers first: a trigger left without its table would fail every write of
    ``dedup_history`` and ``upgrade_candidates``."""
    for trigger in SUMMARY_TRIGGERS:
        cursor.execute(f"DROP TRIGGER IF EXISTS {trigger}")
    for table in reversed(SUMMARY_TABLES):
        cursor.execute(f"DROP TABLE IF EXISTS {table}")


def _facts(cursor, ids: Sequence[int]) -> dict[int, tuple]:
    cursor.execute(
        FACTS_SQL.format(where=f"WHERE li.id IN {_IDS}"), [*facts_sql_params(), json.dumps(ids)]
    )
    return {row[0]: tuple(row) for row in cursor.fetchall()}


def _stored(cursor, ids: Sequence[int]) -> dict[int, tuple]:
    cursor.execute(f"SELECT {_COLUMNS_SQL} FROM summary_file WHERE id IN {_IDS}", [json.dumps(ids)])
    return {row[0]: tuple(row) for row in cursor.fetchall()}


def _search_values(row: Sequence) -> list:
    return [fact_value(row, "id"), *(fact_value(row, c) for c in SEARCH_COLUMNS)]


def _generation_bump(cursor) -> None:
    cursor.execute("UPDATE summary_state SET generation = generation + 1 WHERE id = 1")


def _refresh_chunk(cursor, ids: Sequence[int]) -> int:
    old = _stored(cursor, ids)
    new = _facts(cursor, ids)
    changed = [i for i in ids if old.get(i) != new.get(i)]
    if not changed:
        return 0
    removed = [old[i] for i in changed if i in old]
    added = [new[i] for i in changed if i in new]
    searched = [i for i in changed if changed_columns(old.get(i), new.get(i), SEARCH_COLUMNS)]
    paired = [i for i in changed if changed_columns(old.get(i), new.get(i), PAIR_COLUMNS)]
    placeholders = ", ".join("%s" for _ in FACT_COLUMNS)
    search_placeholders = ", ".join("%s" for _ in SEARCH_COLUMNS)
    cursor.executemany(
        f"INSERT INTO summary_search (summary_search, rowid, {_SEARCH_SQL}) "
        f"VALUES ('delete', %s, {search_placeholders})",
        [_search_values(old[i]) for i in searched if i in old],
    )
    gone = [i for i in changed if i not in new]
    if gone:
        cursor.execute(f"DELETE FROM summary_file WHERE id IN {_IDS}", [json.dumps(gone)])
    cursor.executemany(
        f"INSERT INTO summary_file ({_COLUMNS_SQL}) VALUES ({placeholders})",
        [new[i] for i in changed if i not in old and i in new],
    )
    # Only the columns that changed, so that SQLite updates only the indexes that hold them.
    updates: dict[tuple[int, ...], list[list]] = {}
    for i in changed:
        if i in old and i in new:
            before, after = old[i], new[i]
            positions = tuple(p for p in range(1, len(after)) if before[p] != after[p])
            updates.setdefault(positions, []).append([*(after[p] for p in positions), i])
    for positions, rows in updates.items():
        assignments = ", ".join(f"{FACT_COLUMNS[p]} = %s" for p in positions)
        cursor.executemany(f"UPDATE summary_file SET {assignments} WHERE id = %s", rows)
    cursor.executemany(
        f"INSERT INTO summary_search (rowid, {_SEARCH_SQL}) VALUES (%s, {search_placeholders})",
        [_search_values(new[i]) for i in searched if i in new],
    )
    if paired:
        paired_json = json.dumps(paired)
        cursor.execute(f"DELETE FROM summary_pair WHERE id1 IN {_IDS}", [paired_json])
        cursor.execute(f"DELETE FROM summary_pair WHERE id2 IN {_IDS}", [paired_json])
        cursor.execute(PAIRS_OF_SQL, [paired_json])
    delta = buckets_delta(removed=removed, added=added)
    cursor.executemany(
        COUNT_ADD_SQL,
        [(bucket, *map(sqlite_number, values)) for bucket, values in delta.items()],
    )
    return len(changed)


def library_summary_refresh(*, cursor, ids: Iterable[int] = (), paths: Iterable[str] = ()) -> int:
    """Bring the summary rows of these files (by id or path) up to date, in the caller's
    transaction; returns how many changed. Nothing is done while the summary is not built
    or built for another layout (it will be built whole)."""
    state = summary_state_read(cursor)
    if state is None or state.layout != SUMMARY_LAYOUT:
        return 0
    wanted = sorted(set(ids))
    path_list = list(paths)
    for start in range(0, len(path_list), REFRESH_CHUNK):
        cursor.execute(
            f"SELECT id FROM library_index WHERE file_path IN {_IDS}",
            [json.dumps(path_list[start : start + REFRESH_CHUNK])],
        )
        wanted.extend(row[0] for row in cursor.fetchall())
    wanted = sorted(set(wanted))
    changed = sum(
        _refresh_chunk(cursor, wanted[start : start + REFRESH_CHUNK])
        for start in range(0, len(wanted), REFRESH_CHUNK)
    )
    if changed:
        _generation_bump(cursor)
    return changed


def library_summary_touch(*, cursor) -> None:
    """Something the summary does not hold but duplicate groups depend on changed (the
    fingerprint matches): a new generation, so that groups computed before are stale."""
    if summary_state_read(cursor) is not None:
        _generation_bump(cursor)


def library_summary_rebuild() -> int:
    """Build the summary from nothing, in one write transaction; returns the files."""
    with (
        transaction.atomic(using=LIBRARY_DB_ALIAS),
        connections[LIBRARY_DB_ALIAS].cursor() as cursor,
    ):
        return summary_build(cursor)


def summary_build(cursor) -> int:
    """(Re)create the summary tables and fill them from the library (the caller's
    transaction; the migration calls it with its own cursor)."""
    state = summary_state_read(cursor)
    generation = state.generation + 1 if state else 1
    summary_tables_drop(cursor)
    summary_tables_create(cursor)
    cursor.execute(
        f"INSERT INTO summary_file ({_COLUMNS_SQL}) {FACTS_SQL.format(where='')}",
        facts_sql_params(),
    )
    cursor.execute(f"SELECT {_COLUMNS_SQL} FROM summary_file")
    files = 0
    totals: dict[str, list[int]] = {}
    while rows := cursor.fetchmany(10_000):
        files += len(rows)
        for bucket, values in buckets_delta(removed=(), added=rows).items():
            entry = totals.setdefault(bucket, [0, 0, 0])
            for position, value in enumerate(values):
                entry[position] += value
    cursor.executemany(
        COUNT_ADD_SQL,
        [(bucket, *map(sqlite_number, values)) for bucket, values in totals.items()],
    )
    cursor.execute("INSERT INTO summary_search (summary_search) VALUES ('rebuild')")
    cursor.execute(ALL_PAIRS_SQL)
    for statement in SUMMARY_HISTORY_FILL:
        cursor.execute(statement)
    cursor.execute(
        "INSERT INTO summary_state (id, layout, analyzer_version, verifier_version, generation, "
        "built_at) VALUES (1, %s, %s, %s, %s, %s)",
        [SUMMARY_LAYOUT, ANALYZER_VERSION, VERIFIER_VERSION, generation, utc_now_iso()],
    )
    return files


@dataclass(frozen=True)
class ReconcileResult:
    changed: int
    rebuilt: bool
    seconds: float


@dataclass(frozen=True)
class SummaryDifferences:
    files: int
    rebuild: bool


def _different_ids() -> list[int]:
    with connections[LIBRARY_DB_ALIAS].cursor() as cursor:
        cursor.execute(DIFFERENT_IDS_SQL, facts_sql_params())
        return sorted({row[0] for row in cursor.fetchall()})


def library_summary_differences() -> SummaryDifferences:
    """How many files' summary rows differ from the library (nothing written)."""
    with connections[LIBRARY_DB_ALIAS].cursor() as cursor:
        state = summary_state_read(cursor)
    if state is None or not state.current:
        return SummaryDifferences(0, True)
    return SummaryDifferences(len(_different_ids()), False)


def library_summary_ensure() -> None:
    """Build the summary now when the table the analysis backlog reads, ``summary_unreadable``,
    is missing: a library whose summary predates it (made by an older release, before the
    first page view that would rebuild it) or whose summary was dropped. Without it the
    backlog's SQL cannot run; with it (every other time) this is one lookup."""
    with connections[LIBRARY_DB_ALIAS].cursor() as cursor:
        cursor.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'summary_unreadable'"
        )
        if cursor.fetchone() is not None:
            return
    library_summary_rebuild()


def library_summary_reconcile() -> ReconcileResult:
    """Compare every file's facts with its summary row and refresh those that differ
    (written by the Music Tools CLI, or by anything else that is not one of our writers);
    rebuild a summary that is missing or was built by other rules."""
    started = time.perf_counter()
    with connections[LIBRARY_DB_ALIAS].cursor() as cursor:
        state = summary_state_read(cursor)
    if state is None or not state.current:
        files = library_summary_rebuild()
        return ReconcileResult(files, True, time.perf_counter() - started)
    different = _different_ids()
    with connections[LIBRARY_DB_ALIAS].cursor() as cursor:
        cursor.execute("SELECT count(*) FROM summary_file")
        (known,) = cursor.fetchone()
    if len(different) > REBUILD_ABOVE and len(different) > known // 2:
        # Most of it changed behind our back (a library filled by another program): one
        # pass in SQL is faster than refreshing file by file.
        files = library_summary_rebuild()
        return ReconcileResult(files, True, time.perf_counter() - started)
    changed = 0
    for start in range(0, len(different), RECONCILE_BATCH):
        with (
            transaction.atomic(using=LIBRARY_DB_ALIAS),
            connections[LIBRARY_DB_ALIAS].cursor() as cursor,
        ):
            changed += library_summary_refresh(
                cursor=cursor, ids=different[start : start + RECONCILE_BATCH]
            )
    return ReconcileResult(changed, False, time.perf_counter() - started)


# --- freshness: what a page calls before it reads the summary --------------------------------


@dataclass(frozen=True)
class SummaryFreshness:
    """Whether the summary was compared with the whole library since its last change.

    ``exact``: yes, every number is the library's now. Otherwise the numbers include every
    change our own writers made, and the Music Tools CLI's up to ``checked_at`` (None: not
    compared yet since this server started); a comparison is running.
    """

    exact: bool
    checked_at: datetime.datetime | None = None

    def as_json(self) -> dict:
        """As ``/health`` and the API say it: ``{"exact": …, "checked_at": …}``."""
        return {
            "exact": self.exact,
            "checked_at": self.checked_at.isoformat() if self.checked_at else None,
        }

    @property
    def age_seconds(self) -> float | None:
        if self.exact or self.checked_at is None:
            return None
        return (datetime.datetime.now(datetime.UTC) - self.checked_at).total_seconds()


class _Checker:
    """The state of this process's comparisons (one at a time, in a daemon thread)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.running = False
        self.checked_token: tuple | None = None
        self.seen_token: tuple | None = None
        self.seen_at = 0.0
        #: wall time at which the last completed background comparison began its read
        self.last_started: float | None = None
        self.last_requested = 0.0

    def reset(self) -> None:
        with self.lock:
            self.checked_token = self.seen_token = None
            self.last_started = None
            self.seen_at = self.last_requested = 0.0


CHECKER = _Checker()


def _data_token() -> tuple | None:
    connection = connections[LIBRARY_DB_ALIAS]
    if connection.in_atomic_block:
        return None
    connection.ensure_connection()
    raw = connection.connection
    (version,) = raw.execute("PRAGMA data_version").fetchone()
    return (_connection_serial(connection, raw), version, raw.total_changes)


_SERIALS = itertools.count(1)


def _connection_serial(connection, raw) -> int:
    """A number for this SQLite connection that no later one gets (``id()`` is reused once a
    closed connection is freed, and a new one counts its changes from 0 again: its token
    could equal a checked one)."""
    held = getattr(connection, "summary_connection_serial", None)
    if held is None or held[0] is not raw:
        held = (raw, next(_SERIALS))
        connection.summary_connection_serial = held  # the raw connection kept: its id unique
    return held[1]


def _indexed_files() -> int:
    with connections[LIBRARY_DB_ALIAS].cursor() as cursor:
        cursor.execute("SELECT files FROM summary_count WHERE bucket = 'indexed'")
        row = cursor.fetchone()
    return row[0] if row else 0


def _check_in_thread() -> None:
    started = time.time()
    try:
        library_summary_reconcile()
        with CHECKER.lock:
            CHECKER.last_started = started
    except Exception:  # a background comparison must never take the server down
        logger.exception("comparing the library summary with the library failed")
    finally:
        connections.close_all()
        with CHECKER.lock:
            CHECKER.running = False


def _background_check() -> None:
    now = time.time()
    with CHECKER.lock:
        if CHECKER.running or now - CHECKER.last_requested < settings.SUMMARY_CHECK_SECONDS:
            return
        CHECKER.running = True
        CHECKER.last_requested = now
    threading.Thread(target=_check_in_thread, name="summary-check", daemon=True).start()


def library_summary_check() -> SummaryFreshness:
    """Make the summary usable now and say how fresh it is.

    Unchanged library since the last comparison (``PRAGMA data_version`` and this
    connection's own writes): exact, at no cost. A summary missing or built by other rules,
    or a library of at most ``SUMMARY_INLINE_MAX_FILES`` files: compared (or built) here,
    exact. Otherwise a comparison starts in a background thread (at most one every
    ``SUMMARY_CHECK_SECONDS``) and the page shows the summary as of the last one.
    """
    token = _data_token()
    if token is not None and token == CHECKER.checked_token:
        return SummaryFreshness(exact=True)
    with connections[LIBRARY_DB_ALIAS].cursor() as cursor:
        state = summary_state_read(cursor)
    if state is None or not state.current or _indexed_files() <= settings.SUMMARY_INLINE_MAX_FILES:
        library_summary_reconcile()
        after = _data_token()
        if token is not None and after is not None and after[1] == token[1]:
            CHECKER.checked_token = after  # nobody else committed while we compared
        return SummaryFreshness(exact=True)
    now = time.time()
    with CHECKER.lock:
        if token != CHECKER.seen_token:
            CHECKER.seen_token, CHECKER.seen_at = token, now
        last = CHECKER.last_started
        if token is not None and last is not None and last >= CHECKER.seen_at:
            # A comparison began after this state was first seen, and nothing was committed
            # since: the summary is the library's.
            CHECKER.checked_token = token
            return SummaryFreshness(exact=True)
    _background_check()
    checked_at = datetime.datetime.fromtimestamp(last, datetime.UTC) if last else None
    return SummaryFreshness(exact=False, checked_at=checked_at)


def summary_rows(sql: str, params: Sequence = ()) -> list[tuple]:
    """The rows of a query over the summary's tables, once :func:`library_summary_check` has
    made it usable (the readers of the summary's counts, in every app)."""
    library_summary_check()
    with connections[LIBRARY_DB_ALIAS].cursor() as cursor:
        cursor.execute(sql, list(params))
        return cursor.fetchall()
