"""Crash safety of ``recover --restore-root`` (a row imported from the Music Tools log), with
real processes and SIGKILL, as ``test_dedupe_crash.py`` does for ``dedupe``.

A real ``manage.py recover ID --restore-root DIR --apply`` kills itself after each step of the
move (``MUSICQUALITY_FAULT_KILL_AFTER_STEPS=N``, ``dedup.faults``), on one filesystem (hard
link + unlink) and on the cross-filesystem path (copy, fsync, verify, rename, unlink). After
each kill the file's bytes are in the CLI's backup folder or at their original path (or
both); the next run finishes: the file is back, once, with its bytes, and the row is closed.
"""

from __future__ import annotations

import hashlib
import random
import signal
import sqlite3
from pathlib import Path

import pytest

from dedup.services.files import PARTIAL_SUFFIX
from tests.conftest import manage_env, run_manage
from tests.legacy import (
    legacy_deletion_add,
    legacy_library_create,
    music_tools_create,
    music_tools_migration_002_apply,
)

pytestmark = pytest.mark.slow

LINK_STEPS = ["linked", "unlinked original"]
COPY_STEPS = ["copied", "copy in place", "unlinked original"]
CONTENT = random.Random(7).randbytes(300 * 1024)


def case_make(case: Path) -> tuple[dict[str, str], int, Path, Path]:
    """A migrated library, the CLI's backup of one deleted file, and that deletion imported."""
    (case / "music").mkdir(parents=True)
    backup_root = case / "mt_backup"
    kept = backup_root / "Artist" / "Song.mp3"
    kept.parent.mkdir(parents=True)
    kept.write_bytes(CONTENT)
    original = case / "music" / "Artist" / "Song.mp3"
    legacy_library_create(case / "library_index.db", [])
    env = manage_env(case, MUSICQUALITY_LIBRARY_ROOTS=str(case / "music"))
    for database in ("default", "library"):
        migrated = run_manage(env, "migrate", f"--database={database}", "-v0")
        assert migrated.returncode == 0, migrated.stderr
    source = music_tools_migration_002_apply(music_tools_create(case / "music_tools.db"))
    conn = sqlite3.connect(source)
    legacy_deletion_add(
        conn,
        original_path=str(original),
        original_hash=hashlib.md5(CONTENT).hexdigest(),
        original_size=len(CONTENT),
        can_restore=1,
        restore_location=str(kept),
        deleted_at="2026-01-10T09:15:30",
    )
    conn.commit()
    conn.close()
    imported = run_manage(
        env, "import_legacy_history", "--from", str(source), "--restore-root", str(backup_root),
        "--apply",
    )  # fmt: skip
    assert imported.returncode == 0, imported.stderr
    conn = sqlite3.connect(case / "library_index.db")
    ((history_id, can_recover),) = conn.execute("SELECT id, can_recover FROM dedup_history")
    conn.close()
    assert can_recover == 1
    return env, history_id, kept, original


def recover(env: dict[str, str], history_id: int, backup_root: Path, **extra: str):
    return run_manage(
        {**env, **extra},
        "recover", str(history_id), "--restore-root", str(backup_root), "--apply",
    )  # fmt: skip


def row_state(case: Path) -> int:
    conn = sqlite3.connect(case / "library_index.db")
    try:
        return conn.execute("SELECT can_recover FROM dedup_history").fetchone()[0]
    finally:
        conn.close()


@pytest.mark.parametrize(
    ("force_copy", "step"),
    [("0", n) for n in range(1, len(LINK_STEPS) + 1)]
    + [("1", n) for n in range(1, len(COPY_STEPS) + 1)],
)
def test_recover_from_the_restore_root_killed_after_any_step(tmp_path, force_copy, step):
    case = tmp_path / "case"
    env, history_id, kept, original = case_make(case)
    backup_root = case / "mt_backup"
    trace = case / "trace.txt"
    killed = recover(
        env,
        history_id,
        backup_root,
        MUSICQUALITY_FAULT_KILL_AFTER_STEPS=str(step),
        MUSICQUALITY_FAULT_TRACE=str(trace),
        MUSICQUALITY_FAULT_FORCE_COPY=force_copy,
    )
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    steps = [line.split(" ", 1)[1] for line in trace.read_text().splitlines()]
    assert steps == (COPY_STEPS if force_copy == "1" else LINK_STEPS)[:step]
    # nothing lost: the bytes are in the backup folder, or at the original path, or both
    places = [p for p in (kept, original) if p.is_file()]
    assert places and all(p.read_bytes() == CONTENT for p in places)
    assert row_state(case) == 1

    finished = recover(env, history_id, backup_root)
    assert finished.returncode == 0, finished.stderr
    assert "1 recovered" in finished.stdout
    assert original.read_bytes() == CONTENT
    assert not kept.exists()
    assert not list(original.parent.glob(f"*{PARTIAL_SUFFIX}"))
    assert row_state(case) == 0
