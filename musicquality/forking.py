"""Forked workers must never free what they inherited.

A forked child holds copies of its parent's objects but only the forking thread. When the
child's garbage collector frees an inherited PyAV filter graph (an ``av.AudioResampler``'s,
its slice threads left behind in the parent), FFmpeg waits for those threads forever: a
scan, an import vetting or a test's process pool then hangs with no CPU used (seen in CI:
``avfilter_graph_free`` -> ``avpriv_slicethread_free`` under ``gc_collect_main`` in the
child). So before every fork the parent collects its garbage (where the threads exist) and
freezes what is left (``gc.freeze``: the child's collector never looks at it); the parent
unfreezes after the fork. Installed once per process, on import of the base package.
"""

from __future__ import annotations

import gc
import os

_installed = False


def _before_fork() -> None:
    gc.collect()
    gc.freeze()


def fork_gc_guard_install() -> None:
    global _installed
    if _installed or not hasattr(os, "register_at_fork"):
        return
    os.register_at_fork(before=_before_fork, after_in_parent=gc.unfreeze)
    _installed = True
