"""Acting from the browser: scan with "Scan now" and watch the job's progress bar, then review
a duplicate group, choose the other keeper, quarantine, and recover, all through real jobs
run by a real worker beside gunicorn (as ``make demo`` runs them)."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from tests.conftest import run_manage
from tests.e2e.conftest import (
    log_in,
    query,
    screenshot,
    site_env,
    site_start,
    worker_start,
    worker_stop,
)

pytestmark = [pytest.mark.e2e, pytest.mark.longest]  # the site's set-up

DEMO_FILES = 2500  # enough for a scan that takes a few progress reports
# Few distinct recordings, so the library builds in well under a minute (the rest are copies,
# which cost next to nothing): the scan needs many files, not many recordings.
DEMO_RECORDINGS = 150


@pytest.fixture(scope="module")
def jobs_site(tmp_path_factory):
    """A generated library, migrated but not scanned, with the job worker running."""
    folder = tmp_path_factory.mktemp("e2e-jobs")
    roots = {"MUSICQUALITY_LIBRARY_ROOTS": str(folder / "music")}
    env = site_env(folder, **roots)
    for args in (
        (
            "make_demo_library",
            "--files",
            str(DEMO_FILES),
            "--recordings",
            str(DEMO_RECORDINGS),
            "--out",
            str(folder),
            "--seed",
            "13",
        ),
        ("migrate", "-v0"),
        ("migrate", "-v0", "--database=library"),
    ):
        result = run_manage(env, *args)
        assert result.returncode == 0, f"{args}: {result.stderr}"
    worker = worker_start(env, folder / "worker.log")
    try:
        yield from site_start(folder, **roots)
    finally:
        worker_stop(worker)


@pytest.fixture
def page(browser, jobs_site):
    page = log_in(browser, jobs_site)
    yield page
    page.close()


FINISHED = {"done", "failed", "cancelled"}


def job_finished(page, timeout: float = 120) -> str:
    """The job's status once the page, as the server renders it, says the job ended (the
    script reloads the page then)."""
    from playwright.sync_api import Error

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            status = page.inner_text("#status", timeout=5_000)
        except Error:  # the page is reloading
            status = None
        if status in FINISHED:
            return status
        time.sleep(0.1)
    raise AssertionError("the job page never showed the job finished")


def test_scan_now_shows_the_progress_to_the_end_then_the_files(page, jobs_site):
    from playwright.sync_api import Error

    page.goto(jobs_site.base_url + "/jobs/")
    page.click("#start-scan")
    page.wait_for_url(jobs_site.base_url + "/jobs/*/")
    seen = set()
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            state = page.evaluate(
                "() => { const b = document.querySelector('progress.job-progress');"
                " const j = document.querySelector('.job'); return b && j ?"
                " [b.hasAttribute('value') ? b.value : null, b.max, j.dataset.status] : null; }"
            )
        except Error:  # reloading
            state = None
        if state is not None:
            seen.add((state[0], state[1]))
            if state[2] == "done":
                break
        time.sleep(0.05)
    assert job_finished(page) == "done"
    value, maximum = page.evaluate(
        "() => { const b = document.querySelector('progress.job-progress');"
        " return [b.value, b.max]; }"
    )
    [(indexed,)] = query(jobs_site, "SELECT COUNT(*) FROM library_index WHERE is_active = 1")
    assert value == maximum > 0
    assert any(v is not None and 0 < v < m for v, m in seen), f"never saw it move: {seen}"
    screenshot(page, "job-scan-done")
    page.click("#next a[href='/files/']")
    count = page.inner_text("#result-count")
    assert int(count.split()[0].replace(",", "")) == indexed


def test_review_a_group_change_the_keeper_quarantine_and_recover(page, jobs_site):
    site = jobs_site
    page.goto(site.base_url + "/jobs/")
    page.click("#start-analyze")
    assert job_finished(page) == "done"

    page.goto(site.base_url + "/dedup/review/")
    card = page.locator(".group-card").filter(has_text="exact copies").first
    card.scroll_into_view_if_needed()
    keeper = int(card.locator("input[name=keeper]:checked").get_attribute("value"))
    other = int(card.locator("input[name=keeper]:not(:checked)").first.get_attribute("value"))
    [(keeper_path,)] = query(site, "SELECT file_path FROM library_index WHERE id = ?", (keeper,))
    [(other_path,)] = query(site, "SELECT file_path FROM library_index WHERE id = ?", (other,))
    assert card.locator(".keeper-rule").inner_text()  # the rule, in words
    # Keep the other copy: the script ticks the former keeper for quarantine.
    card.locator(f"input[name=keeper][value='{other}']").check()
    assert card.locator(f"input[name=remove][value='{keeper}']").is_checked()
    assert card.locator(f"input[name=remove][value='{other}']").is_disabled()
    # the values first: ":checked" is a live query, and unchecking shrinks it
    checked = [
        box.get_attribute("value") for box in card.locator("input[name=remove]:checked").all()
    ]
    for value in checked:
        if int(value) != keeper:
            card.locator(f"input[name=remove][value='{value}']").uncheck()
    screenshot(page, "review-keeper-changed")
    card.locator("button.quarantine").click()

    page.wait_for_url(site.base_url + "/jobs/dedupe/")
    assert page.inner_text("#plan-keeper") == other_path
    rows = page.locator("#plan-table tbody tr")
    assert rows.count() == 1 and rows.first.get_attribute("data-id") == str(keeper)
    assert Path(keeper_path).is_file()  # a dry run so far
    screenshot(page, "dedupe-plan")
    page.click("#confirm-quarantine")
    page.wait_for_url(site.base_url + "/jobs/*/")
    assert job_finished(page) == "done"
    assert not os.path.exists(keeper_path) and Path(other_path).is_file()
    [(session, recovery_path)] = query(
        site,
        "SELECT deletion_session_id, recovery_path FROM dedup_history WHERE file_path = ?",
        (keeper_path,),
    )
    assert Path(recovery_path).is_file()

    page.goto(site.base_url + "/dedup/review/")
    page.click(f"#recent-sessions tr[data-session='{session}'] button.recover")
    page.wait_for_url(site.base_url + "/jobs/recover/")
    assert keeper_path in page.inner_text("#recover-table")
    page.click("#confirm-recover")
    page.wait_for_url(site.base_url + "/jobs/*/")
    assert job_finished(page) == "done"
    assert Path(keeper_path).is_file() and not Path(recovery_path).exists()
    [(can_recover,)] = query(
        site, "SELECT can_recover FROM dedup_history WHERE file_path = ?", (keeper_path,)
    )
    assert can_recover == 0
    screenshot(page, "recovered")
