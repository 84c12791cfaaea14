"""Crash safety of ``dedupe --apply`` (docs/deletion-protocol.md), with real processes and SIGKILL.

A real ``manage.py dedupe --apply --yes`` runs over a small library on disk and kills itself
(``MUSICQUALITY_FAULT_KILL_AFTER_STEPS=N``, see ``musicquality.faults``) right after step N of
the protocol, for every N of an uninterrupted run, on one filesystem (hard link + unlink) and on
the cross-filesystem path (copy, fsync, verify, rename, unlink); a few more runs are killed
from outside at random moments. After each kill, every original file's bytes must be at
its original path, or in quarantine with a history row pointing there; then the next run
(``dedupe --apply --yes`` or ``dedupe --resume``) must finish cleanly. The same protocol run
as a background job (``run_job dedupe --apply``) is killed mid-move too: the next worker marks
the job failed, and the next run finishes the work.
"""

from __future__ import annotations

import functools
import hashlib
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT, manage_env, run_manage
from tests.dedup.helpers import sha256
from tests.legacy import legacy_content_hash, legacy_library_create, legacy_row

pytestmark = pytest.mark.slow

# name → (group, content seed); the first file of each group is indexed first: the keeper.
FILES = {
    "x/keep.flac": ("x", 1),
    "x/copy1.flac": ("x", 1),
    "copies/x.flac": ("x", 1),
    "y/keep.mp3": ("y", 2),
    "old/y.mp3": ("y", 2),
    "z/unique.mp3": ("z", 3),
}
KEEPERS = {"x/keep.flac", "y/keep.mp3", "z/unique.mp3"}
REMOVED = set(FILES) - KEEPERS
LINK_STEPS = ["verified", "history written", "linked", "unlinked original", "moved", "finished"]
COPY_STEPS = [
    "verified",
    "history written",
    "copied",
    "copy in place",
    "unlinked original",
    "moved",
    "finished",
]


def content(seed: int) -> bytes:
    # 300 KiB: large enough for all three sampled regions, small enough to keep runs quick
    return random.Random(seed).randbytes(300 * 1024)


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Path:
    """A migrated library (legacy rows, v2.0.0 tables) and its files, copied for each case."""
    root = tmp_path_factory.mktemp("crash-template")
    rows = []
    for index, (name, (group, seed)) in enumerate(FILES.items()):
        path = root / "music" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content(seed))
        rows.append(
            legacy_row(
                index,
                artist=f"Artist {group}",
                title=f"Title {group}",
                filename=path.name,
                file_path=str(path),
                file_format=path.suffix[1:],
                file_size=path.stat().st_size,
                file_content_hash=legacy_content_hash(path),
                duration=120.0,
            )
        )
        time.sleep(0.002)  # distinct indexed_at: the first of each group is the oldest
    legacy_library_create(root / "library_index.db", rows)
    for database in ("default", "library"):
        migrated = run_manage(manage_env(root), "migrate", f"--database={database}", "-v0")
        assert migrated.returncode == 0, migrated.stderr
    return root


def case_make(template: Path, case: Path) -> Path:
    shutil.copytree(template, case)
    conn = sqlite3.connect(case / "library_index.db")
    conn.execute(
        "UPDATE library_index SET file_path = replace(file_path, ?, ?)",
        (str(template), str(case)),
    )
    conn.commit()
    conn.close()
    return case


def case_env(case: Path, **extra: str) -> dict[str, str]:
    return manage_env(case, MUSICQUALITY_LIBRARY_ROOTS=str(case / "music"), **extra)


def history_rows(case: Path) -> dict[str, tuple[str, int, str]]:
    conn = sqlite3.connect(case / "library_index.db")
    try:
        return {
            file_path: (recovery_path, can_recover, notes or "")
            for file_path, recovery_path, can_recover, notes in conn.execute(
                "SELECT file_path, recovery_path, can_recover, notes FROM dedup_history"
            )
        }
    finally:
        conn.close()


def indexed_paths(case: Path) -> set[str]:
    conn = sqlite3.connect(case / "library_index.db")
    try:
        return {row[0] for row in conn.execute("SELECT file_path FROM library_index")}
    finally:
        conn.close()


def assert_every_file_accounted_for(case: Path) -> None:
    """The invariant: each original's bytes at its path, or in quarantine with a history row
    pointing there."""
    history = history_rows(case)
    quarantine = case / "quarantine"
    for name, (_, seed) in FILES.items():
        path = case / "music" / name
        digest = sha256_of(seed)
        if path.is_file() and sha256(path) == digest:
            continue
        assert str(path) in history, f"{name} left its path without a history row"
        recovery_path = Path(history[str(path)][0])
        assert recovery_path.is_relative_to(quarantine)
        assert recovery_path.is_file(), f"{name}: not at its path nor at {recovery_path}"
        assert sha256(recovery_path) == digest, f"{name}: quarantined bytes differ"


def assert_settled(case: Path) -> None:
    history = history_rows(case)
    indexed = indexed_paths(case)
    assert not [p for p, (_, _, notes) in history.items() if notes.startswith("PENDING:")]
    assert not list((case / "quarantine").rglob("*.musicquality-partial"))
    for file_path, (recovery_path, can_recover, _) in history.items():
        assert can_recover == 1
        assert Path(recovery_path).is_file() and not Path(file_path).exists()
        assert file_path not in indexed
    assert_every_file_accounted_for(case)


def assert_finished(case: Path) -> None:
    """The same end state as a run that was never interrupted."""
    assert_settled(case)
    history = history_rows(case)
    assert {str(case / "music" / name) for name in REMOVED} == set(history)
    assert indexed_paths(case) == {str(case / "music" / name) for name in KEEPERS}
    for name in KEEPERS:
        assert sha256(case / "music" / name) == sha256_of(FILES[name][1])


@functools.cache
def sha256_of(seed: int) -> str:
    return hashlib.sha256(content(seed)).hexdigest()


def trace_of(template: Path, case: Path, **extra: str) -> list[str]:
    case_make(template, case)
    trace = case / "trace.txt"
    done = run_manage(
        case_env(case, MUSICQUALITY_FAULT_TRACE=str(trace), **extra), "dedupe", "--apply", "--yes"
    )
    assert done.returncode == 0, done.stderr
    assert_finished(case)
    return [line.split(" ", 1)[1] for line in trace.read_text().splitlines()]


def test_an_uninterrupted_run_passes_the_expected_steps(template, tmp_path):
    assert trace_of(template, tmp_path / "link") == LINK_STEPS * len(REMOVED)
    copy = trace_of(template, tmp_path / "copy", MUSICQUALITY_FAULT_FORCE_COPY="1")
    assert copy == COPY_STEPS * len(REMOVED)


def kill_and_recover(template: Path, case: Path, step: int, *, resume_only: bool, **extra) -> None:
    case_make(template, case)
    trace = case / "trace.txt"
    killed = run_manage(
        case_env(
            case,
            MUSICQUALITY_FAULT_KILL_AFTER_STEPS=str(step),
            MUSICQUALITY_FAULT_TRACE=str(trace),
            **extra,
        ),
        "dedupe",
        "--apply",
        "--yes",
    )
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert int(trace.read_text().splitlines()[-1].split()[0]) == step
    assert_every_file_accounted_for(case)

    if resume_only:
        resumed = run_manage(case_env(case), "dedupe", "--resume")
        assert resumed.returncode == 0, resumed.stderr
        assert_settled(case)
    finished = run_manage(case_env(case, **extra), "dedupe", "--apply", "--yes")
    assert finished.returncode == 0, finished.stderr
    assert_finished(case)


@pytest.mark.parametrize("step", range(1, len(LINK_STEPS) * len(REMOVED) + 1))
def test_killed_after_any_step_on_one_filesystem(template, tmp_path, step):
    kill_and_recover(template, tmp_path / "case", step, resume_only=step % 2 == 1)


@pytest.mark.parametrize("step", range(1, len(COPY_STEPS) + 1))
def test_killed_after_any_step_of_a_cross_filesystem_copy(template, tmp_path, step):
    kill_and_recover(
        template,
        tmp_path / "case",
        step,
        resume_only=step % 2 == 0,
        MUSICQUALITY_FAULT_FORCE_COPY="1",
    )


@pytest.mark.parametrize("seed", range(4))
def test_killed_from_outside_at_a_random_moment(template, tmp_path, seed):
    case = case_make(template, tmp_path / "case")
    process = subprocess.Popen(
        [sys.executable, str(REPO_ROOT / "manage.py"), "dedupe", "--apply", "--yes"],
        cwd=REPO_ROOT,
        env=case_env(case, MUSICQUALITY_FAULT_FORCE_COPY=str(seed % 2)),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    time.sleep(random.Random(seed).uniform(0.3, 0.9))
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=60)
    assert_every_file_accounted_for(case)
    finished = run_manage(case_env(case), "dedupe", "--apply", "--yes")
    assert finished.returncode == 0, finished.stderr
    assert_finished(case)


def test_a_dedupe_job_killed_mid_move_is_failed_by_the_next_worker_and_finishes_later(
    template, tmp_path
):
    """The same protocol run as a background job (``run_job``, in-process as the worker runs
    it), killed between the hard link and the unlink of a move."""
    from tests.e2e.conftest import worker_start, worker_stop

    case = case_make(template, tmp_path / "case")
    assert run_manage(case_env(case), "migrate", "-v0").returncode == 0  # the app database
    killed = run_manage(
        case_env(case, MUSICQUALITY_FAULT_KILL_AFTER_STEPS="3"), "run_job", "dedupe", "--apply"
    )
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert_every_file_accounted_for(case)
    app = sqlite3.connect(case / "app.sqlite3")
    assert app.execute("SELECT status FROM jobs_job").fetchall() == [("running",)]

    worker = worker_start(case_env(case), case / "worker.log")
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            ((status, message),) = app.execute("SELECT status, message FROM jobs_job").fetchall()
            if status != "running":
                break
            time.sleep(0.2)
    finally:
        worker_stop(worker)
        app.close()
    assert status == "failed" and "(killed or crashed)" in message
    finished = run_manage(case_env(case), "run_job", "dedupe", "--apply")
    assert finished.returncode == 0, finished.stderr
    assert_finished(case)
