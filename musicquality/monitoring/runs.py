"""Throughput and peak memory of each scan / analyze / verify / identify run.

The run commands wrap their one service call in :func:`run_measured` and say how many files
it handled; at the end the run is stored with its files per second and peak RSS, and a
library sample (database size, and the backlog when the command knows it) is taken.

Peak RSS comes from ``getrusage``: ``RUSAGE_SELF`` for the command's process, and
``RUSAGE_CHILDREN`` for the largest of the worker processes it waited for (the process pool
joins its workers before the run ends). Both are high-water marks of the whole process
lifetime, which for a command is the run; a forked worker's RSS includes the pages it
shares with the parent.
"""

from __future__ import annotations

import resource
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from time import perf_counter

from musicquality.library_db import library_db_size
from musicquality.monitoring.rules import RunKind
from musicquality.monitoring.services import library_sample_save, run_save


def _maxrss_bytes(who: int) -> int:
    maxrss = resource.getrusage(who).ru_maxrss
    return maxrss if sys.platform == "darwin" else maxrss * 1024  # Linux: KiB


def peak_rss_bytes() -> tuple[int, int]:
    """(this process, its largest waited-for child) peak resident set size in bytes."""
    return _maxrss_bytes(resource.RUSAGE_SELF), _maxrss_bytes(resource.RUSAGE_CHILDREN)


@dataclass
class RunMeasure:
    """What the command tells about its run: set ``files`` (and ``backlog`` when known)."""

    kind: RunKind
    files: int = 0
    backlog: int | None = None
    seconds: float = 0.0


@contextmanager
def run_measured(*, kind: RunKind | str) -> Iterator[RunMeasure]:
    """Time the block and record it as a run of ``kind`` when it ends without raising (an
    interrupted analysis that returns its partial result is a run; a crash is not)."""
    measure = RunMeasure(kind=RunKind(kind))
    started = perf_counter()
    yield measure
    measure.seconds = perf_counter() - started
    own, worker = peak_rss_bytes()
    run_save(
        kind=measure.kind,
        files=measure.files,
        seconds=measure.seconds,
        peak_rss_bytes=own,
        worker_peak_rss_bytes=worker,
    )
    library_sample_save(db_size_bytes=library_db_size(), backlog_files=measure.backlog)
