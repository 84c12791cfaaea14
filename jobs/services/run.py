"""Running a job in the worker: the library lock, progress into the row, cancel, the end.

One job at a time per library: every job holds an exclusive ``flock`` on a lock file named
after the library database while it works, and a job that finds it held waits (still
``queued``, its message naming the job it waits for) until the holder is done. The kernel
drops the lock of a process that dies, so a killed worker never leaves it behind.

Progress comes through the services' own callbacks (``progress(done, total)``,
``on_item()``), as a command's progress bar does. :class:`JobReporter` writes them into the
row at most :attr:`JobReporter.INTERVAL` apart and, at the same moments, looks whether the
user asked to cancel: if so it raises :class:`JobCancelled`, which the services let through
after committing what they hold (``musicquality.progress.StopRequested``), so a cancelled
job stops at its next batch and leaves the library as a Ctrl-C would.

A worker killed mid-job cannot write anything more: :func:`jobs_orphaned_settle`, run when a
worker starts, marks the jobs that a dead worker was running ``failed`` with a message, and
hands back those it had taken but not started, to be queued again.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import logging
import os
import socket
import threading
import time
import traceback
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from jobs.models import Job, JobStatus
from jobs.services.kinds import JobFailed, job_kind_run
from musicquality.commands import printable
from musicquality.library_db import library_db_path
from musicquality.progress import StopRequested

logger = logging.getLogger(__name__)

LOCK_POLL_SECONDS = 0.5
LOG_TAIL_LINES = 200


class JobCancelled(StopRequested):
    """The user cancelled the job: raised from its progress callback."""


class _Abandoned(Exception):
    """The job is no longer queued (cancelled while it waited): nothing to do."""


# --- which worker ---------------------------------------------------------------------------


def _process_start(pid: int) -> str:
    """The process's start time in clock ticks since boot (Linux), or "" where unknown: with
    the pid, it names one process even after the pid is reused."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return ""
    return stat.rsplit(")", 1)[1].split()[19]


def worker_id() -> str:
    """``host:pid:start`` of this process."""
    pid = os.getpid()
    return f"{socket.gethostname()}:{pid}:{_process_start(pid)}"


def worker_alive(worker: str) -> bool:
    """Whether the process named by ``worker`` still runs (a worker on another host counts
    as alive: it cannot be told from here)."""
    host, _, rest = worker.partition(":")
    pid_text, _, start = rest.partition(":")
    if host != socket.gethostname() or not pid_text.isdigit():
        return True
    if worker == worker_id():
        return True
    pid = int(pid_text)
    if pid == os.getpid():
        return False  # this pid's earlier life
    if Path("/proc").is_dir():
        now = _process_start(pid)
        return bool(now) and (not start or now == start)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


# --- the library lock ------------------------------------------------------------------------


def library_lock_path() -> Path:
    """Beside the queue file, one per library database (by its path)."""
    digest = hashlib.sha256(str(library_db_path()).encode()).hexdigest()[:16]
    queue = Path(settings.JOBS_QUEUE_DB)
    return queue.with_name(f"{queue.stem}-library-{digest}.lock")


def _waiting_message(job_id: int) -> str:
    holder = Job.objects.filter(status=JobStatus.RUNNING).exclude(pk=job_id).order_by("id").first()
    if holder is None:
        return "waiting for the library: another job holds it"
    return f"waiting for job #{holder.pk} ({holder.kind}) to finish"


@contextlib.contextmanager
def library_lock_wait(*, job_id: int) -> Iterator[None]:
    """Hold the library lock for the block, waiting while another job holds it; raises
    :class:`_Abandoned` when the job is cancelled meanwhile."""
    path = library_lock_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = open(path, "a+b")  # noqa: SIM115 (held for the whole block)
    try:
        told = False
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                pass
            state = Job.objects.filter(pk=job_id).values_list("status", "cancel_requested").first()
            if state is None or state[0] != JobStatus.QUEUED or state[1]:
                raise _Abandoned()
            if not told:
                Job.objects.filter(pk=job_id, status=JobStatus.QUEUED).update(
                    message=_waiting_message(job_id), updated_at=timezone.now()
                )
                told = True
            time.sleep(LOCK_POLL_SECONDS)
        yield
    finally:
        handle.close()


# --- progress ---------------------------------------------------------------------------------


class JobReporter:
    """A service's progress listener that writes into the job's row (and may cancel it)."""

    INTERVAL = 0.1
    """Seconds between two writes of the row: a few per second, whatever the service's pace."""

    def __init__(self, job_id: int, *, listener: Callable[[int, int | None], None] | None = None):
        self.job_id = job_id
        self.done = 0
        self.total: int | None = None
        self.lines: deque[str] = deque(maxlen=LOG_TAIL_LINES)
        self.listener = listener
        self._last_write = 0.0

    def update(self, done: int, total: int | None = None) -> None:
        self.done = done
        if total is not None:
            self.total = total
        if self.listener is not None:
            self.listener(self.done, self.total)
        now = time.monotonic()
        if now - self._last_write >= self.INTERVAL:
            self.flush()

    def advance(self, count: int = 1) -> None:
        self.update(self.done + count)

    def log(self, line: str) -> None:
        """One line of the job's log: a file name's control characters and bytes that are
        not UTF-8 escaped (``musicquality.commands.printable``), so that a name can neither
        forge a line nor stop the row being written (SQLite text is UTF-8)."""
        self.lines.append(printable(line)[:1000])

    @property
    def log_tail(self) -> str:
        return "\n".join(self.lines)

    def flush(self) -> None:
        """Write progress and log, then raise :class:`JobCancelled` if cancel was asked."""
        self._last_write = time.monotonic()
        Job.objects.filter(pk=self.job_id).update(
            done=self.done, total=self.total, log_tail=self.log_tail, updated_at=timezone.now()
        )
        if Job.objects.filter(pk=self.job_id, cancel_requested=True).exists():
            raise JobCancelled()


# --- one job ---------------------------------------------------------------------------------


def _finish(job_id: int, status: str, message: str, reporter: JobReporter, **extra) -> None:
    now = timezone.now()
    message = printable(message)  # one line, storable whatever file name it quotes
    Job.objects.filter(pk=job_id, status__in=[JobStatus.QUEUED, JobStatus.RUNNING]).update(
        status=status,
        message=message,
        done=reporter.done,
        total=reporter.total,
        log_tail=reporter.log_tail,
        finished_at=now,
        updated_at=now,
        **extra,
    )
    logger.info("job %s %s: %s", job_id, status, message)


def _progress_text(reporter: JobReporter) -> str:
    return f"{reporter.done}/{reporter.total}" if reporter.total else f"{reporter.done}"


def job_execute(*, job_id: int, listener: Callable[[int, int | None], None] | None = None) -> None:
    """Run a queued job to its end (the worker's task, or ``run_job`` in-process).

    Never raises for the job's own failure: the row says what happened. A job that is no
    longer queued (cancelled, or taken by another worker) is left alone.
    """
    now = timezone.now()
    claimed = Job.objects.filter(pk=job_id, status=JobStatus.QUEUED, worker="").update(
        worker=worker_id(), updated_at=now
    )
    if not claimed:
        logger.info("job %s is not waiting to run (cancelled or taken): skipped", job_id)
        return
    job = Job.objects.get(pk=job_id)
    reporter = JobReporter(job_id, listener=listener)
    try:
        with library_lock_wait(job_id=job_id):
            started = Job.objects.filter(
                pk=job_id, status=JobStatus.QUEUED, cancel_requested=False
            ).update(
                status=JobStatus.RUNNING,
                started_at=timezone.now(),
                message="running",
                updated_at=timezone.now(),
            )
            if not started:
                raise _Abandoned()
            outcome = job_kind_run(kind=job.kind, arguments=job.arguments, reporter=reporter)
    except _Abandoned:
        _finish(job_id, JobStatus.CANCELLED, "cancelled before it started", reporter)
    except StopRequested:
        _finish(
            job_id,
            JobStatus.CANCELLED,
            f"cancelled at {_progress_text(reporter)}: what was written until then is kept; "
            "run it again to carry on",
            reporter,
        )
    except JobFailed as error:
        _finish(job_id, JobStatus.FAILED, str(error), reporter)
    except Exception as error:
        logger.exception("job %s failed", job_id)
        for line in traceback.format_exc().splitlines()[-20:]:
            reporter.log(line)
        _finish(job_id, JobStatus.FAILED, f"{type(error).__name__}: {error}", reporter)
    else:
        if reporter.total is None:
            reporter.total = reporter.done
        _finish(job_id, JobStatus.DONE, outcome.message, reporter, result=outcome.result)


# --- after a worker died ---------------------------------------------------------------------

_SETTLE_LOCK = threading.Lock()


def jobs_orphaned_settle(*, queued_in_huey: Iterable[int] = ()) -> list[int]:
    """When a worker starts: what dead workers left behind.

    A job ``running`` in a worker process that no longer exists is marked ``failed`` (the
    services committed in batches, so the library is as a killed command leaves it). A job
    ``queued`` that a dead worker had taken (it was waiting for the lock), or that is in no
    queue (``queued_in_huey``: the job ids Huey still holds), is returned, its worker cleared,
    to be queued again.
    """
    requeue: list[int] = []
    pending = set(queued_in_huey)
    with _SETTLE_LOCK:
        for job in Job.objects.filter(status__in=[JobStatus.RUNNING, JobStatus.QUEUED]):
            if job.worker and worker_alive(job.worker):
                continue
            if job.status == JobStatus.RUNNING:
                now = timezone.now()
                if Job.objects.filter(
                    pk=job.pk, status=JobStatus.RUNNING, worker=job.worker
                ).update(
                    status=JobStatus.FAILED,
                    message=(
                        f"the worker running this job ({job.worker or 'unknown'}) stopped at "
                        f"{job.done}/{job.total or '?'} (killed or crashed): what was written "
                        "until then is kept; run the job again to carry on"
                    ),
                    finished_at=now,
                    updated_at=now,
                ):
                    logger.warning("job %s failed: its worker %s is gone", job.pk, job.worker)
            elif (job.worker or job.pk not in pending) and Job.objects.filter(
                pk=job.pk, status=JobStatus.QUEUED, worker=job.worker
            ).update(worker="", updated_at=timezone.now()):
                requeue.append(job.pk)
    return requeue
