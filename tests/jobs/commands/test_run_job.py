"""``run_job``: a job run in this process as the worker would run it, or queued for it."""

import json
import sqlite3
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from jobs.models import Job, JobStatus, RequestedVia
from quality.models import LibraryFile
from tests.conftest import LIBRARY_DBS, manage_env, run_manage
from tests.dedup.helpers import library_db_checksum, tree_checksum

pytestmark = [
    pytest.mark.django_db(databases=LIBRARY_DBS, transaction=True),
    pytest.mark.usefixtures("clean_library"),
]


def run(*args) -> str:
    out = StringIO()
    call_command("run_job", *args, stdout=out)
    return out.getvalue()


def test_a_job_runs_here_and_shows_on_the_jobs_page(music_files):
    text = run("scan")
    job = Job.objects.get()
    assert (job.status, job.requested_via) == (JobStatus.DONE, RequestedVia.COMMAND)
    assert text.strip() == f"job #{job.pk} scan: done: {job.message}"
    assert LibraryFile.objects.count() == 3


def test_a_job_that_fails_exits_with_its_message(music_root):
    with pytest.raises(CommandError, match=r"scan: failed: .*missing is not a folder"):
        run("scan", "--json", f'{{"paths": ["{music_root / "missing"}"]}}')


def test_moving_files_is_a_dry_run_without_apply(dedup_library, tmp_path):
    before = (tree_checksum(tmp_path), library_db_checksum())
    text = run("dedupe", "--json", '{"min_confidence": 1.0}')
    assert text.startswith("Dry run: nothing changed.")
    assert (tree_checksum(tmp_path), library_db_checksum()) == before
    assert Job.objects.count() == 0
    run("dedupe", "--apply", "--json", '{"min_confidence": 1.0}')
    assert not dedup_library.path("a2").exists()


def test_a_dedupe_job_keeps_the_copy_under_a_preferred_folder(dedup_library):
    # a1 (indexed first) would be kept; with prefer, the copy in Backup/ is kept instead
    backup = dedup_library.path("a3").parent
    run("find_duplicates", "--json", json.dumps({"prefer": [str(backup)]}))
    run("dedupe", "--apply", "--json", json.dumps({"min_confidence": 1.0, "prefer": [str(backup)]}))
    assert dedup_library.path("a3").exists()
    assert not dedup_library.path("a1").exists() and not dedup_library.path("a2").exists()


def test_bad_arguments_are_refused_before_anything_is_made(music_root):
    with pytest.raises(CommandError, match="unknown argument 'colour'"):
        run("analyze", "--json", '{"colour": "red"}')
    with pytest.raises(CommandError, match="not JSON"):
        run("analyze", "--json", "{")
    assert Job.objects.count() == 0


def test_queue_leaves_the_job_to_the_worker(tmp_path):
    env = manage_env(tmp_path)
    for args in (("migrate", "-v0"), ("migrate", "-v0", "--database=library")):
        assert run_manage(env, *args).returncode == 0
    queued = run_manage(env, "run_job", "analyze", "--queue")
    assert queued.returncode == 0, queued.stderr
    assert "queued: the worker (manage.py run_huey) runs it" in queued.stdout
    conn = sqlite3.connect(tmp_path / "app.sqlite3")
    assert conn.execute("SELECT kind, status FROM jobs_job").fetchall() == [("analyze", "queued")]
    conn.close()
    queue = sqlite3.connect(tmp_path / "app-jobs.sqlite3")
    assert queue.execute("SELECT COUNT(*) FROM task").fetchone() == (1,)
    queue.close()
