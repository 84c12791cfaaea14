"""Fan file reading out to worker processes; the main process keeps every database write.

Workers only read files (the GIL-bound part: mutagen parsing, hashing) and return plain
tuples; SQLite sees one writer, in batches. Workers ignore SIGINT so that Ctrl-C reaches only
the main process, which stops the pool and keeps what it already committed; they keep the
default SIGTERM, so that stopping the pool always ends them.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from itertools import islice
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")

CHUNK_SIZE = 100


def default_workers() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def chunked(items: Iterable[T], size: int) -> Iterator[list[T]]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


def _worker_signals() -> None:
    """Ctrl-C is the main process's to handle; SIGTERM (``Pool.terminate``) must end a
    worker even when the parent installed its own handler, as a job worker does (a forked
    child inherits it, and would then outlive the pool's shutdown)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def chunks_map(
    func: Callable[[Sequence[T]], list[R]],
    items: Iterable[T],
    *,
    workers: int,
    chunk_size: int = CHUNK_SIZE,
) -> Iterator[list[R]]:
    """``func`` over chunks of ``items``, in ``workers`` processes; results in completion order.

    With one worker everything runs in this process (no pickling, easy to debug and profile).
    ``func`` must be a module-level function so that it can be sent to a worker.
    """
    with chunks_map_started(func, items, workers=workers, chunk_size=chunk_size) as results:
        yield from results


@contextmanager
def chunks_map_started(
    func: Callable[[Sequence[T]], list[R]],
    items: Iterable[T],
    *,
    workers: int,
    chunk_size: int = CHUNK_SIZE,
) -> Iterator[Iterator[list[R]]]:
    """:func:`chunks_map`, with the workers set going on entry rather than at the first
    result: the caller does its own work meanwhile and reads the results later. Leaving the
    block stops the pool, whether or not every result was read."""
    if workers <= 1:
        yield (func(chunk) for chunk in chunked(items, chunk_size))
        return
    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    pool = multiprocessing.get_context(method).Pool(workers, initializer=_worker_signals)
    try:
        yield pool.imap_unordered(func, chunked(items, chunk_size))
        pool.close()
    finally:
        pool.terminate()
        pool.join()
