"""What the library query timing costs: the execute_wrapper on every query, the write per request.

Runs the same library queries through Django's cursor with and without
``musicquality.monitoring.timing.QueryTimer`` installed as an ``execute_wrapper`` and prints
the time per query of each and their ratio. Two queries: ``SELECT 1`` (the wrapper's cost
with nothing to hide behind: the worst case) and an indexed lookup on a 50,000-row table
(what the pages run). Rounds alternate with and without the wrapper, so that a slow spell
of a shared machine falls on both; the median round counts. Then the once-per-request write
(``query_timings_save``: one sample row and the running totals, one transaction on the app
database), timed on a real file.

Usage: python bench/bench_monitoring.py [--queries 20000] [--rounds 7] [--writes 200]
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

ROWS = 50_000


def setup(folder: Path) -> None:
    os.environ.update(
        MUSICQUALITY_DEBUG="1",
        MUSICQUALITY_LIBRARY_DB=str(folder / "library_index.db"),
        MUSICQUALITY_APP_DB=str(folder / "app.sqlite3"),
        DJANGO_SETTINGS_MODULE="musicquality.settings",
    )
    conn = sqlite3.connect(folder / "library_index.db")
    conn.execute("CREATE TABLE bench_rows (id INTEGER PRIMARY KEY, path TEXT, score REAL)")
    conn.executemany(
        "INSERT INTO bench_rows VALUES (?, ?, ?)",
        ((i, f"/music/{i:06d}.flac", i % 100) for i in range(ROWS)),
    )
    conn.commit()
    conn.close()
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)  # the app database, for the write


def run_queries(sql: str, params_of, n: int) -> float:
    from django.db import connections

    with connections["library"].cursor() as cursor:
        started = time.perf_counter()
        for i in range(n):
            cursor.execute(sql, params_of(i))
            cursor.fetchone()
        return time.perf_counter() - started


def per_query_us(sql: str, params_of, n: int, rounds: int) -> tuple[float, float]:
    from django.db import connections

    from musicquality.monitoring.timing import QueryTimer

    run_queries(sql, params_of, n // 10)  # warm the page cache and the statement cache
    bare, timed = [], []
    for _ in range(rounds):
        bare.append(run_queries(sql, params_of, n))
        with connections["library"].execute_wrapper(QueryTimer()):
            timed.append(run_queries(sql, params_of, n))
    return statistics.median(bare) / n * 1e6, statistics.median(timed) / n * 1e6


def write_ms(writes: int) -> float:
    from musicquality.monitoring.rules import QueryOrigin
    from musicquality.monitoring.services import query_timings_save
    from musicquality.monitoring.timing import QueryTimer

    timer = QueryTimer()
    for seconds in (0.0004, 0.002, 0.02):
        timer.add(seconds)
    times = []
    for _ in range(writes):
        started = time.perf_counter()
        query_timings_save(timer=timer, query_name="file_list", origin=QueryOrigin.PAGE)
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--queries", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--writes", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-monitoring-") as folder:
        setup(Path(folder))
        print(f"load average {os.getloadavg()[0]:.2f}; {args.queries} queries x {args.rounds}")
        for label, sql, params_of in (
            ("SELECT 1", "SELECT 1", lambda i: ()),
            (
                f"indexed lookup in {ROWS:,} rows",
                "SELECT path, score FROM bench_rows WHERE id = %s",
                lambda i: (i * 7919 % ROWS,),
            ),
        ):
            bare, timed = per_query_us(sql, params_of, args.queries, args.rounds)
            print(
                f"{label:32} without {bare:6.2f} us/query  with {timed:6.2f} us/query  "
                f"+{timed - bare:5.2f} us  ratio {timed / bare:.3f}"
            )
        print(f"one write per request (sample + totals): median {write_ms(args.writes):.2f} ms")


if __name__ == "__main__":
    main()
