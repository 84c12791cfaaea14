"""Crash safety of an apply run as a background job (``import_apply``, the Imports page's way),
with real processes and SIGKILL.

The folder is vetted by a real ``vet_import`` job; then a real ``manage.py run_job
import_apply --apply`` (the worker's code path, in its own process) applies the same three
files as ``test_apply_crash.py`` (a new recording, an upgrade whose old MP3 goes into
quarantine by the dedupe protocol, a duplicate to the reject folder) and SIGKILLs itself right
after step N (``musicquality.faults``), for every N. After each kill every byte of every input
is still somewhere; then the next apply job, asked for the files the vetting's page still
offers (waiting, or left open by the killed run), finishes or undoes what was interrupted and
the library ends as after an uninterrupted job.
"""

from __future__ import annotations

import json
import signal
import sqlite3
from pathlib import Path

import pytest

from tests.conftest import run_manage
from tests.imports.helpers import case_env, case_make, db_rows, manage_ok
from tests.imports.services.test_apply_crash import (
    LINK_STEPS,
    assert_every_byte_somewhere,
    end_state,
    inputs_of,
    template,  # noqa: F401 (the fixture: the library and the three incoming files)
)

pytestmark = pytest.mark.slow

OFFERED = ("vetted", "moving", "placed")  # the states the vetting's page lets one select


def job_env(case: Path, **extra: str) -> dict[str, str]:
    return case_env(case, MUSICQUALITY_IMPORT_ROOTS=str(case / "incoming"), **extra)


@pytest.fixture(scope="module")
def vetted(template, tmp_path_factory):  # noqa: F811
    """The template with its import folder vetted by a ``vet_import`` job."""
    root, made = template
    vetted_root = case_make(root, tmp_path_factory.mktemp("job-crash") / "vetted")
    manage_ok(
        job_env(vetted_root),
        "run_job",
        "vet_import",
        "--json",
        json.dumps({"folder": str(vetted_root / "incoming")}),
    )
    [(verdicts,)] = db_rows(
        vetted_root / "app.sqlite3", "SELECT group_concat(verdict) FROM import_file"
    )
    assert sorted(verdicts.split(",")) == ["duplicate", "new", "upgrade"]
    return vetted_root, made


def job_case_make(vetted_root: Path, case: Path) -> Path:
    """A copy of the vetted template whose databases (the app's too) name the copy's paths."""
    case_make(vetted_root, case)
    conn = sqlite3.connect(case / "app.sqlite3")
    old, new = str(vetted_root), str(case)
    conn.execute("UPDATE import_vetting SET folder = replace(folder, ?, ?)", (old, new))
    for column in ("path", "library_match", "duplicate_of"):
        conn.execute(f"UPDATE import_file SET {column} = replace({column}, ?, ?)", (old, new))
    conn.commit()
    conn.close()
    return case


def offered_files(case: Path) -> tuple[int, list[int]]:
    rows = db_rows(
        case / "app.sqlite3",
        f"SELECT vetting_id, id FROM import_file WHERE state IN {OFFERED} ORDER BY id",
    )
    [(vetting,)] = db_rows(case / "app.sqlite3", "SELECT id FROM import_vetting")
    return vetting, [file_id for _vetting, file_id in rows]


def apply_job(case: Path, files: list[int], **extra: str):
    vetting, _offered = offered_files(case)
    arguments = {
        "vetting": vetting,
        "files": files,
        "into": str(case / "music" / "Imported"),
        "reject_dir": str(case / "rejected"),
    }
    return run_manage(
        job_env(case, **extra),
        "run_job",
        "import_apply",
        "--apply",
        "--json",
        json.dumps(arguments),
    )


@pytest.fixture(scope="module")
def job_finished(vetted, tmp_path_factory) -> dict:
    """The end state of an uninterrupted apply job, whose steps are the command's."""
    vetted_root, _made = vetted
    case = job_case_make(vetted_root, tmp_path_factory.mktemp("job-reference") / "case")
    trace = case / "trace.txt"
    _vetting, files = offered_files(case)
    result = apply_job(case, files, MUSICQUALITY_FAULT_TRACE=str(trace))
    assert result.returncode == 0, result.stderr
    assert "1 imported, 1 replaced, 1 rejected" in result.stdout
    assert [line.split(" ", 1)[1] for line in trace.read_text().splitlines()] == LINK_STEPS
    state = end_state(case)
    assert state["incoming"] == [] and state["partial"] == [] and state["open_imports"] == []
    assert ("music/Artist C/Album C/C.mp3", "music/Artist C/Album C/C.flac", 1, False) in state[
        "history"
    ]
    assert db_rows(
        case / "app.sqlite3", "SELECT status FROM jobs_job WHERE kind = ?", ("import_apply",)
    ) == [("done",)]
    return state


@pytest.mark.parametrize(
    "step", range(1, len(LINK_STEPS) + 1), ids=lambda s: f"{s}-{LINK_STEPS[s - 1]}"
)
def test_an_apply_job_killed_after_any_step_is_finished_by_the_next(
    vetted, job_finished, tmp_path, step
):
    vetted_root, made = vetted
    case = job_case_make(vetted_root, tmp_path / "case")
    inputs = inputs_of(case, made)
    trace = case / "trace.txt"
    _vetting, files = offered_files(case)
    killed = apply_job(
        case,
        files,
        MUSICQUALITY_FAULT_KILL_AFTER_STEPS=str(step),
        MUSICQUALITY_FAULT_TRACE=str(trace),
    )
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert int(trace.read_text().splitlines()[-1].split()[0]) == step
    assert_every_byte_somewhere(case, inputs)
    # the killed job's row says it was running; a worker starting marks it failed
    # (tests/jobs/test_worker.py)
    assert db_rows(
        case / "app.sqlite3", "SELECT status FROM jobs_job WHERE kind = ?", ("import_apply",)
    ) == [("running",)]

    _vetting, offered = offered_files(case)
    if offered:  # killed after the last file's last step, nothing is left to ask for
        resumed = apply_job(case, offered)
        assert resumed.returncode == 0, resumed.stderr
    assert_every_byte_somewhere(case, inputs)
    assert end_state(case) == job_finished
