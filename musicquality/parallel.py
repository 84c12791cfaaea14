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


#: Held back from a worker between its start and :func:`_worker_signals` (Ctrl-C then
#: ignored there, SIGTERM then ending it).
_STOP_SIGNALS = {signal.SIGINT, signal.SIGTERM}


def _worker_signals() -> None:
    """Ctrl-C is the main process's to handle; SIGTERM (``Pool.terminate``) must end a
    worker even when the parent installed its own handler, as a job worker does (a forked
    child inherits it, and would then outlive the pool's shutdown).

    The worker is born with both blocked (:func:`_stop_signals_blocked`) and unblocks them
    only here, once its own actions are set: a pool stopped right after it started (no
    files to read, a cancel at once) sends SIGTERM to workers still starting, and one that
    ran the parent's handler instead would survive, wait for the task queue's lock the
    parent holds while it stops the pool, and the parent would wait for it forever."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, _STOP_SIGNALS)


@contextmanager
def _stop_signals_blocked() -> Iterator[None]:
    """SIGINT and SIGTERM blocked in this thread for the block: the processes it starts (and
    the pool's threads, which start the replacements of workers that end) inherit the mask,
    so a signal meant for a starting worker waits until :func:`_worker_signals` unblocks it.
    One sent to this process meanwhile waits too, and is delivered on leaving."""
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, _STOP_SIGNALS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


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
    with _stop_signals_blocked():
        pool = multiprocessing.get_context(method).Pool(workers, initializer=_worker_signals)
    try:
        yield pool.imap_unordered(func, chunked(items, chunk_size))
        pool.close()
    finally:
        pool.terminate()
        pool.join()
