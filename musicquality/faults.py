"""Test-only fault injection for the protocols that move user files (docs/deletion-protocol.md):
``dedupe --apply`` and ``vet_import --apply``.

The crash-safety tests kill real processes between every two steps of the protocol. Each
step calls :func:`fault_point`; with ``MUSICQUALITY_FAULT_KILL_AFTER_STEPS=N`` in the
environment the process SIGKILLs itself right after step N, so every kill point is
reached deterministically. ``MUSICQUALITY_FAULT_TRACE=FILE`` appends each step's label to
FILE (how the test learns how many points a run has), and ``MUSICQUALITY_FAULT_FORCE_COPY=1``
takes the cross-filesystem copy path even on one filesystem. None of these is set in normal
use, and then every function here does nothing.
"""

from __future__ import annotations

import logging
import os
import signal

logger = logging.getLogger(__name__)

KILL_AFTER_STEPS_ENV = "MUSICQUALITY_FAULT_KILL_AFTER_STEPS"
TRACE_ENV = "MUSICQUALITY_FAULT_TRACE"
FORCE_COPY_ENV = "MUSICQUALITY_FAULT_FORCE_COPY"

_steps_done = 0


def fault_point(label: str) -> None:
    global _steps_done
    _steps_done += 1
    trace = os.environ.get(TRACE_ENV)
    if trace:
        with open(trace, "a", encoding="utf-8") as handle:
            handle.write(f"{_steps_done} {label}\n")
    limit = os.environ.get(KILL_AFTER_STEPS_ENV)
    if limit and _steps_done == int(limit):
        logger.warning("fault injection: SIGKILL after step %d (%s)", _steps_done, label)
        os.kill(os.getpid(), signal.SIGKILL)


def force_copy() -> bool:
    return os.environ.get(FORCE_COPY_ENV) == "1"
