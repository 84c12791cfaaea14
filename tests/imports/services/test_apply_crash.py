"""Crash safety of ``vet_import --apply`` (docs/imports.md), with real processes and SIGKILL.

A real ``manage.py vet_import FOLDER --apply --into DIR --reject-dir DIR --yes`` imports a new
recording, upgrades an MP3 candidate (its old file quarantined by the dedupe protocol) and
rejects a duplicate, and kills itself (``MUSICQUALITY_FAULT_KILL_AFTER_STEPS=N``, see
``musicquality.faults``) right after step N, for every N of an uninterrupted run, on one
filesystem (hard link + unlink) and at the copy steps of the cross-filesystem path; a few
more runs are killed from outside at random moments. After each kill, every byte of every
input is still somewhere (at its source, at the destination its intent row names, or in
quarantine with a history row pointing there); then the next run finishes or undoes what was
interrupted and ends as an uninterrupted run does.
"""

from __future__ import annotations

import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT, run_manage
from tests.imports.helpers import (
    case_env,
    case_make,
    db_rows,
    every_file_digest,
    sha256,
    template_make,
)

pytestmark = pytest.mark.slow

KEPT_INCOMING = ("new1", "b_low", "c_flac")
LINK = ["intent written", "linked", "unlinked original", "import moved"]
COPY = ["intent written", "copied", "copy in place", "unlinked original", "import moved"]
QUARANTINE_LINK = ["verified", "history written", "linked", "unlinked original"]
QUARANTINE_COPY = ["verified", "history written", "copied", "copy in place", "unlinked original"]


def expected_steps(move: list[str], quarantine: list[str]) -> list[str]:
    """B.mp3 (rejected), C.flac (upgrade), new1.flac (new), in path order."""
    return [
        *move,
        "import finished",
        *move,
        "import indexed",
        "candidate completed",
        *quarantine,
        "moved",
        "finished",
        "import finished",
        *move,
        "import indexed",
        "import finished",
    ]


LINK_STEPS = expected_steps(LINK, QUARANTINE_LINK)
COPY_STEPS = expected_steps(COPY, QUARANTINE_COPY)


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    root = tmp_path_factory.mktemp("crash-template")
    made = template_make(root)
    for name, path in made.incoming.items():
        if name not in KEPT_INCOMING:
            (root / path).unlink()
    for path in made.not_audio:
        (root / path).unlink()
    return root, made


def inputs_of(case: Path, made) -> dict[str, tuple[Path, str]]:
    names = {**made.library, **{n: made.incoming[n] for n in KEPT_INCOMING}}
    return {name: (case / path, sha256(case / path)) for name, path in names.items()}


def apply_args(case: Path) -> list[str]:
    return [
        "vet_import",
        str(case / "incoming"),
        "--apply",
        "--into",
        str(case / "music" / "Imported"),
        "--reject-dir",
        str(case / "rejected"),
        "--yes",
        "--workers",
        "1",
    ]


def assert_every_byte_somewhere(case: Path, inputs) -> None:
    """Each input's bytes: at its path; or (incoming) at the destination of its intent row;
    or (library) in quarantine with a history row pointing there."""
    where = every_file_digest(case)
    history = {
        path: recovery
        for path, recovery in db_rows(
            case / "library_index.db", "SELECT file_path, recovery_path FROM dedup_history"
        )
    }
    intents = {
        path: destination
        for path, destination in db_rows(
            case / "app.sqlite3",
            "SELECT path, destination FROM import_file WHERE destination IS NOT NULL",
        )
    }
    for name, (path, digest) in inputs.items():
        assert digest in where, f"{name}: its bytes are nowhere"
        if path.is_file() and sha256(path) == digest:
            continue
        if str(path) in intents:
            assert sha256(Path(intents[str(path)])) == digest, f"{name}: not at its destination"
        else:
            assert str(path) in history, f"{name} left its path without a record"
            recovery = Path(history[str(path)])
            assert recovery.is_relative_to(case / "quarantine")
            assert sha256(recovery) == digest, f"{name}: quarantined bytes differ"


def end_state(case: Path) -> dict:
    db, app = case / "library_index.db", case / "app.sqlite3"
    relative = lambda path: str(Path(path).relative_to(case))  # noqa: E731
    return {
        "indexed": sorted(
            relative(p) for (p,) in db_rows(db, "SELECT file_path FROM library_index")
        ),
        "history": sorted(
            (relative(path), relative(kept), recoverable, notes.startswith("PENDING:"))
            for path, kept, recoverable, notes in db_rows(
                db, "SELECT file_path, kept_file_path, can_recover, notes FROM dedup_history"
            )
        ),
        "candidates": sorted(
            db_rows(
                db,
                "SELECT uc.user_action, j.job_status FROM upgrade_candidates uc "
                "LEFT JOIN upgrade_jobs j ON j.candidate_id = uc.id",
            ),
            key=str,
        ),
        "rejected": sorted(
            str(p.relative_to(case)) for p in (case / "rejected").rglob("*") if p.is_file()
        ),
        "incoming": sorted(
            str(p.relative_to(case)) for p in (case / "incoming").rglob("*") if p.is_file()
        ),
        "partial": list(case.rglob("*.musicquality-partial")),
        "open_imports": db_rows(
            app, "SELECT path, state FROM import_file WHERE state IN ('moving', 'placed', 'failed')"
        ),
    }


@pytest.fixture(scope="module")
def finished(template, tmp_path_factory) -> dict:
    """The end state of an uninterrupted run."""
    root, _made = template
    case = case_make(root, tmp_path_factory.mktemp("crash-reference") / "case")
    result = run_manage(case_env(case), *apply_args(case))
    assert result.returncode == 0, result.stderr
    state = end_state(case)
    assert state["incoming"] == [] and state["partial"] == [] and state["open_imports"] == []
    assert ("music/Artist C/Album C/C.mp3", "music/Artist C/Album C/C.flac", 1, False) in state[
        "history"
    ]
    assert "music/Imported/Newcomer/Debut/new1.flac" in state["indexed"]
    return state


def trace_of(template, case: Path, **extra: str) -> list[str]:
    root, _made = template
    case_make(root, case)
    trace = case / "trace.txt"
    result = run_manage(
        case_env(case, MUSICQUALITY_FAULT_TRACE=str(trace), **extra), *apply_args(case)
    )
    assert result.returncode == 0, result.stderr
    return [line.split(" ", 1)[1] for line in trace.read_text().splitlines()]


def test_an_uninterrupted_run_passes_the_expected_steps(template, finished, tmp_path):
    assert trace_of(template, tmp_path / "link") == LINK_STEPS
    copy = trace_of(template, tmp_path / "copy", MUSICQUALITY_FAULT_FORCE_COPY="1")
    assert copy == COPY_STEPS
    assert end_state(tmp_path / "copy") == finished


def kill_and_resume(template, finished, case: Path, step: int, **extra: str) -> None:
    root, made = template
    case_make(root, case)
    inputs = inputs_of(case, made)
    trace = case / "trace.txt"
    killed = run_manage(
        case_env(
            case,
            MUSICQUALITY_FAULT_KILL_AFTER_STEPS=str(step),
            MUSICQUALITY_FAULT_TRACE=str(trace),
            **extra,
        ),
        *apply_args(case),
    )
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert int(trace.read_text().splitlines()[-1].split()[0]) == step
    assert_every_byte_somewhere(case, inputs)

    resumed = run_manage(case_env(case, **extra), *apply_args(case))
    assert resumed.returncode == 0, resumed.stderr
    assert_every_byte_somewhere(case, inputs)
    assert end_state(case) == finished


@pytest.mark.parametrize(
    "step", range(1, len(LINK_STEPS) + 1), ids=lambda s: f"{s}-{LINK_STEPS[s - 1]}"
)
def test_killed_after_any_step_on_one_filesystem(template, finished, tmp_path, step):
    kill_and_resume(template, finished, tmp_path / "case", step)


COPY_ONLY = [
    n
    for n, label in enumerate(COPY_STEPS, start=1)
    if label in ("copied", "copy in place", "unlinked original")
]


@pytest.mark.parametrize("step", COPY_ONLY, ids=lambda s: f"{s}-{COPY_STEPS[s - 1]}")
def test_killed_at_the_copy_steps_of_a_cross_filesystem_move(template, finished, tmp_path, step):
    kill_and_resume(template, finished, tmp_path / "case", step, MUSICQUALITY_FAULT_FORCE_COPY="1")


@pytest.mark.parametrize("seed", range(2))
def test_killed_from_outside_at_a_random_moment(template, finished, tmp_path, seed):
    root, made = template
    case = case_make(root, tmp_path / "case")
    inputs = inputs_of(case, made)
    process = subprocess.Popen(
        [sys.executable, str(REPO_ROOT / "manage.py"), *apply_args(case)],
        cwd=REPO_ROOT,
        env=case_env(case, MUSICQUALITY_FAULT_FORCE_COPY=str(seed % 2)),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    time.sleep(random.Random(seed).uniform(1.0, 4.0))
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=120)
    assert_every_byte_somewhere(case, inputs)
    resumed = run_manage(case_env(case), *apply_args(case))
    assert resumed.returncode == 0, resumed.stderr
    assert end_state(case) == finished
