"""The worker pool of ``musicquality.parallel`` in a real process, as the job worker uses
it: started from a thread of a process with its own SIGTERM handler."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# A job worker (``run_huey``) installs a SIGTERM handler and runs jobs in threads; an
# analysis with no file to read starts a pool and stops it at once.
POOLS_STOPPED_AT_ONCE = textwrap.dedent(
    """
    import signal, sys, threading
    from musicquality.parallel import chunks_map_started

    signal.signal(signal.SIGTERM, lambda *_: print("handler ran in", __import__("os").getpid()))

    def pools() -> None:
        for _ in range(POOLS):
            with chunks_map_started(len, [], workers=2) as results:
                assert list(results) == []
        print("stopped", POOLS)

    thread = threading.Thread(target=pools, daemon=True)
    thread.start()
    thread.join(timeout=TIMEOUT)
    print("hung" if thread.is_alive() else "ended", flush=True)
    __import__("os")._exit(0)
    """
)


def test_a_pool_stopped_as_soon_as_it_started_ends_every_worker(tmp_path):
    """Workers still starting when ``Pool.terminate`` sends SIGTERM must die of it, not run
    the parent's handler and then wait forever for the queue lock the stopping parent holds
    (the parent waiting for them: a job left ``running`` at 0/0)."""
    code = POOLS_STOPPED_AT_ONCE.replace("POOLS", "30").replace("TIMEOUT", "60")
    output = tmp_path / "output.txt"
    with output.open("w") as out:
        # Its own session: a worker left behind (the bug) is killed with it at the end.
        process = subprocess.Popen(
            [sys.executable, "-c", code], cwd=ROOT, stdout=out, stderr=out, start_new_session=True
        )
    try:
        assert process.wait(timeout=120) == 0
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    assert output.read_text().splitlines() == ["stopped 30", "ended"], output.read_text()
