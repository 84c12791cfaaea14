"""Library query timings, gathered in memory and written once per request or command.

:class:`QueryTimer` is a Django ``execute_wrapper`` for the ``library`` connection. It runs
on every library query, so it does as little as it can: two clock reads, a few additions
and one bucket increment into a list it owns; nothing is written until the request or
command ends, when :func:`musicquality.monitoring.services.query_timings_save` stores the
whole lot in one transaction of the app database. What that costs per query is measured by
``bench/bench_monitoring.py`` (figures in bench/RESULTS.md).

Queries are named after the view (its URL name) or the management command that ran them,
never after their SQL, which holds the user's paths and tags.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterator
from contextlib import contextmanager
from time import perf_counter

from django.db import connections

from musicquality.monitoring.rules import BUCKET_COUNT, QUERY_BUCKETS, QueryOrigin
from musicquality.monitoring.services import query_timings_save
from musicquality.routers import LIBRARY_DB_ALIAS


class QueryTimer:
    """Counts, sums and buckets the duration of every query run through it."""

    __slots__ = ("buckets", "count", "max_seconds", "total_seconds")

    def __init__(self) -> None:
        self.count = 0
        self.total_seconds = 0.0
        self.max_seconds = 0.0
        self.buckets = [0] * BUCKET_COUNT

    def __call__(self, execute, sql, params, many, context):
        started = perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.add(perf_counter() - started)

    def add(self, seconds: float) -> None:
        self.count += 1
        self.total_seconds += seconds
        if seconds > self.max_seconds:
            self.max_seconds = seconds
        self.buckets[bisect.bisect_left(QUERY_BUCKETS, seconds)] += 1


def query_timer_save(timer: QueryTimer, *, query_name: str, origin: QueryOrigin) -> None:
    """Store what ``timer`` gathered (nothing when it saw no query); never raise for it."""
    if not timer.count:
        return
    query_timings_save(timer=timer, query_name=query_name, origin=origin)


@contextmanager
def library_queries_timed(*, query_name: str, origin: QueryOrigin) -> Iterator[QueryTimer]:
    """Time every library query run inside the block; store them when it ends, even when
    it raises (a failed command's queries were still run)."""
    timer = QueryTimer()
    try:
        with connections[LIBRARY_DB_ALIAS].execute_wrapper(timer):
            yield timer
    finally:
        query_timer_save(timer, query_name=query_name, origin=origin)
