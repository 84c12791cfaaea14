"""Throughput and peak memory of each scan / analyze / verify / identify run.

The run commands and the jobs of those kinds wrap their one service call in
:func:`run_measured` and say how many files it handled; at the end the run is stored with
its files per second and peak RSS, and a library sample (database size, and the backlog when
the caller knows it) is taken.

Peak RSS of the process: on Linux its high-water mark is reset when the run starts
(``/proc/self/clear_refs``) and read from ``VmHWM`` when it ends, so a job run by the
long-lived worker reports its own peak, not the worker's highest so far; elsewhere
``getrusage(RUSAGE_SELF)``, the process lifetime's (for a command, the run's). The worker
processes' peak is ``getrusage(RUSAGE_CHILDREN)``, the largest child the process waited for
(the pool joins its workers before the run ends): it cannot be reset, so a run whose
children stayed below an earlier run's in the same process records 0 ("not known"). A
forked worker's RSS includes the pages it shares with the parent.
"""

from __future__ import annotations

import resource
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
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


PROC_STATUS = Path("/proc/self/status")
PROC_CLEAR_REFS = Path("/proc/self/clear_refs")
CLEAR_REFS_PEAK_RSS = "5"  # proc(5): "reset the peak resident set size"


def peak_rss_reset() -> bool:
    """Start this process's peak RSS afresh (Linux); False where that is not possible."""
    try:
        PROC_CLEAR_REFS.write_text(CLEAR_REFS_PEAK_RSS)
    except OSError:
        return False
    return _vm_hwm_bytes() is not None


def _vm_hwm_bytes() -> int | None:
    """``VmHWM`` of ``/proc/self/status``: the peak RSS since the last reset."""
    try:
        for line in PROC_STATUS.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024  # kB
    except (OSError, ValueError, IndexError):
        return None
    return None


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
    own_reset = peak_rss_reset()
    worker_before = _maxrss_bytes(resource.RUSAGE_CHILDREN)
    started = perf_counter()
    yield measure
    measure.seconds = perf_counter() - started
    own, worker = peak_rss_bytes()
    if own_reset:
        own = _vm_hwm_bytes() or own
    if worker_before and worker <= worker_before:
        worker = 0  # this run's workers, if any, stayed below an earlier run's: not known
    run_save(
        kind=measure.kind,
        files=measure.files,
        seconds=measure.seconds,
        peak_rss_bytes=own,
        worker_peak_rss_bytes=worker,
    )
    library_sample_save(db_size_bytes=library_db_size(), backlog_files=measure.backlog)
