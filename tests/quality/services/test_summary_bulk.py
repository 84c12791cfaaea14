"""A scan or an analysis that writes most of the library is one bulk run: its batches leave
the summary alone, pages say so meanwhile, and one refill at its end (or when it stops)
makes the summary equal to a full recomputation again, keeping the unreadable files. A bulk
run killed before its refill is found by the next page and put right.

The threshold (``REBUILD_ABOVE`` files, 10,000) is lowered so that a library of a few real
files is "most of the library" (``rebuild_pays``'s other half, more than half the files the
summary holds, is unchanged)."""

from __future__ import annotations

import signal
import sqlite3
import textwrap
from pathlib import Path

import pytest
from django.db import connections

from musicquality.progress import StopRequested
from quality.selectors import analysis_backlog_count, unreadable_files_count
from quality.services import summary as summary_service
from quality.services.analysis import file_quality_analyze_all
from quality.services.scanning import library_scan
from quality.services.summary import (
    CHECKER,
    library_summary_check,
    library_summary_rebuild,
    rebuild_pays,
)
from tests.conftest import LIBRARY_DBS, manage_env, run_django_script, run_manage
from tests.jobs.helpers import music_make
from tests.quality.summary_helpers import assert_summary_is_the_library

pytestmark = pytest.mark.django_db(databases=LIBRARY_DBS, transaction=True)


def summary_files() -> int:
    with connections["library"].cursor() as cursor:
        cursor.execute("SELECT count(*) FROM summary_file")
        return cursor.fetchone()[0]


def bulk_rows() -> int:
    with connections["library"].cursor() as cursor:
        cursor.execute("SELECT count(*) FROM summary_bulk")
        return cursor.fetchone()[0]


@pytest.fixture
def music(tmp_path) -> Path:
    folder = tmp_path / "music"
    files = music_make(folder)
    files["flac"].write_bytes(files["flac"].read_bytes()[:30])  # truncated: unreadable
    return folder


@pytest.fixture
def low_threshold(monkeypatch, clean_library):
    monkeypatch.setattr(summary_service, "REBUILD_ABOVE", 1)
    library_summary_rebuild()
    CHECKER.reset()


class Watcher:
    """A progress callback that looks at the summary as a page would, mid-run."""

    def __init__(self) -> None:
        self.seen: list[tuple[bool, str | None, int | None, int]] = []

    def __call__(self, done: int, total: int) -> None:
        if done:
            freshness = library_summary_check()
            bulk = freshness.bulk
            self.seen.append(
                (
                    freshness.exact,
                    bulk.what if bulk else None,
                    bulk.files if bulk else None,
                    summary_files(),
                )
            )


def test_the_rule_is_many_files_and_most_of_the_library():
    assert rebuild_pays(changed=10_001, known=0)
    assert rebuild_pays(changed=10_001, known=20_000)
    assert not rebuild_pays(changed=10_001, known=20_002)  # not more than half
    assert not rebuild_pays(changed=10_000, known=0)  # not many


def test_a_first_scan_and_analysis_refill_the_summary_once_at_their_end(music, low_threshold):
    scan_watch = Watcher()
    result = library_scan(roots=[music], workers=1, progress=scan_watch)
    assert result.added == 3
    # mid-run: the summary as it was before the scan (empty), and the page says why
    assert scan_watch.seen and all(
        seen == (False, "scan", 3, 0) for seen in scan_watch.seen
    ), scan_watch.seen
    assert bulk_rows() == 0
    assert_summary_is_the_library()

    analysis_watch = Watcher()
    analysed = file_quality_analyze_all(workers=1, progress=analysis_watch)
    assert analysed.analysed == 2 and len(analysed.errors) == 1
    assert analysis_watch.seen and all(
        seen[:3] == (False, "analysis", 3) for seen in analysis_watch.seen
    ), analysis_watch.seen
    assert bulk_rows() == 0
    assert_summary_is_the_library()
    # the refill keeps what the analysis could not read: out of the backlog until it changes
    assert (unreadable_files_count(), analysis_backlog_count()) == (1, 0)
    assert library_summary_check().exact


def test_a_run_of_few_files_keeps_the_summary_batch_by_batch(music, clean_library):
    """At the default threshold three files are no bulk run: pages stay exact throughout."""
    library_summary_rebuild()
    watch = Watcher()
    library_scan(roots=[music], workers=1, progress=watch)
    assert watch.seen and all(seen[:3] == (True, None, None) for seen in watch.seen)
    assert bulk_rows() == 0
    assert_summary_is_the_library()


def test_a_bulk_run_that_stops_still_refills_the_summary(music, low_threshold):
    def stop(done: int, total: int) -> None:
        if done:
            raise StopRequested

    with pytest.raises(StopRequested):
        library_scan(roots=[music], workers=1, progress=stop)
    assert bulk_rows() == 0
    assert summary_files() > 0  # what was written before the stop is in it
    assert_summary_is_the_library()


KILLED_SCAN = textwrap.dedent(
    """
    import os, signal, sys
    from pathlib import Path
    import django
    django.setup()
    from quality.services import scanning, summary
    summary.REBUILD_ABOVE = 1  # three files are most of an empty library
    scanning.BATCH_SIZE = 1  # rows reach the library before the kill
    def progress(done, total):
        if done:
            os.kill(os.getpid(), signal.SIGKILL)
    scanning.library_scan(roots=[Path(sys.argv[1])], workers=1, progress=progress)
    """
)
CHECK = textwrap.dedent(
    """
    import django
    django.setup()
    from quality.services.summary import library_summary_check, library_summary_differences
    freshness = library_summary_check()
    print(freshness.exact, freshness.bulk, library_summary_differences().files)
    """
)


@pytest.mark.slow
def test_a_bulk_run_killed_before_its_refill_is_put_right_by_the_next_page(tmp_path):
    music_make(tmp_path / "music")
    env = manage_env(tmp_path)
    assert run_manage(env, "migrate", "--database=library", "-v0").returncode == 0
    killed = run_django_script(env, KILLED_SCAN, str(tmp_path / "music"))
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    database = sqlite3.connect(tmp_path / "library_index.db")
    try:
        indexed = database.execute("SELECT count(*) FROM library_index").fetchone()[0]
        summarised = database.execute("SELECT count(*) FROM summary_file").fetchone()[0]
        bulk = database.execute("SELECT what, files FROM summary_bulk").fetchall()
    finally:
        database.close()
    assert indexed > 0 and summarised == 0 and bulk == [("scan", 3)]
    checked = run_django_script(env, CHECK)
    assert checked.returncode == 0, checked.stderr
    # the dead run's row is dropped, the comparison puts the summary right: exact, 0 differ
    assert checked.stdout.split() == ["True", "None", "0"]
    database = sqlite3.connect(tmp_path / "library_index.db")
    try:
        assert database.execute("SELECT count(*) FROM summary_bulk").fetchone()[0] == 0
        assert database.execute("SELECT count(*) FROM summary_file").fetchone()[0] == indexed
    finally:
        database.close()


@pytest.mark.django_db(databases=["default", "library"], transaction=True)
def test_pages_say_a_bulk_run_is_running(low_threshold, superuser_client):
    from django.urls import reverse

    from quality.services.summary import library_summary_bulk

    with library_summary_bulk(what="scan", files=5) as bulk:
        assert bulk
        page = superuser_client.get(reverse("file_list")).content.decode()
        health = superuser_client.get(reverse("health")).json()
    assert "A scan of 5 files is running" in page and "brought up to date" in page
    assert health["summary"]["exact"] is False
    assert health["summary"]["bulk"]["what"] == "scan" and health["summary"]["bulk"]["files"] == 5
    after = superuser_client.get(reverse("health")).json()
    assert after["summary"] == {"exact": True, "checked_at": None, "bulk": None}


def test_a_refill_that_fails_leaves_no_run_behind(music, low_threshold, monkeypatch):
    """The refill fails (fault injected in our own function): the error goes up, the run's
    row goes, and the next page's comparison puts the summary right."""

    def refill_fails(cursor):
        raise RuntimeError("refill failed")

    monkeypatch.setattr(summary_service, "summary_files_refill", refill_fails)
    with pytest.raises(RuntimeError, match="refill failed"):
        library_scan(roots=[music], workers=1)
    assert bulk_rows() == 0 and summary_files() == 0
    monkeypatch.undo()
    assert library_summary_check().exact
    assert_summary_is_the_library()
