"""Jobs run for real: gunicorn and a ``manage.py run_huey`` worker over files in a temporary
folder, driven through the API with a logged-in, CSRF-checked session as the pages' script
is. The database is read directly with ``sqlite3``.

The slow scans walk a few thousand hard links of a few real audio files: every link is a
file to read, so a scan lasts long enough to be cancelled, waited for, or killed.
"""

from __future__ import annotations

import http.cookiejar
import json
import os
import re
import signal
import sqlite3
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import run_manage
from tests.e2e.conftest import ADMIN_USER, site_env, site_start, worker_start, worker_stop
from tests.jobs.helpers import music_make

pytestmark = pytest.mark.slow

LINKS = 10_000
POLL_SECONDS = 0.1


class Session:
    """A browser's session, without the browser: cookies, login form, CSRF header."""

    def __init__(self, base_url: str, password: str):
        self.base_url = base_url
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))
        form = self.opener.open(base_url + "/login/").read().decode()
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form).group(1)
        data = urllib.parse.urlencode(
            {"username": ADMIN_USER, "password": password, "csrfmiddlewaretoken": token}
        ).encode()
        self.opener.open(base_url + "/login/", data=data)
        assert self.cookie("sessionid"), "login failed"

    def cookie(self, name: str) -> str | None:
        return next((c.value for c in self.jar if c.name == name), None)

    def request(self, method: str, path: str, body: dict | None = None, *, csrf: bool = True):
        headers = {"Accept": "application/json"}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        if csrf and method != "GET":
            headers["X-CSRFToken"] = self.cookie("csrftoken") or ""
        request = urllib.request.Request(
            self.base_url + path, data=data, headers=headers, method=method
        )
        try:
            with self.opener.open(request) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read())

    def job_start(self, body: dict) -> dict:
        status, job = self.request("POST", "/api/jobs/", body)
        assert status == 202, job
        return job

    def job(self, job_id: int) -> dict:
        status, job = self.request("GET", f"/api/jobs/{job_id}/")
        assert status == 200, job
        return job

    def wait(self, job_id: int, until, timeout: float = 120) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            job = self.job(job_id)
            if until(job):
                return job
            time.sleep(POLL_SECONDS)
        raise AssertionError(f"job {job_id} never reached the state: {job}")

    def finished(self, job_id: int, timeout: float = 120) -> dict:
        return self.wait(job_id, lambda j: j["status"] in {"done", "failed", "cancelled"}, timeout)


def links_make(source: Path, folder: Path, count: int) -> None:
    folder.mkdir(parents=True)
    for index in range(count):
        os.link(source, folder / f"{index:05d}{source.suffix}")


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    folder = tmp_path_factory.mktemp("jobs-worker")
    music = folder / "music"
    files = music_make(music / "small")
    for name in ("cancel", "wait", "kill"):
        links_make(files["mp3"], music / name, LINKS)
    env = worker_env(folder)
    for args in (("migrate", "-v0"), ("migrate", "-v0", "--database=library")):
        result = run_manage(env, *args)
        assert result.returncode == 0, result.stderr
    yield from site_start(folder, MUSICQUALITY_LIBRARY_ROOTS=str(music))


def worker_env(folder: Path) -> dict[str, str]:
    return site_env(folder, MUSICQUALITY_LIBRARY_ROOTS=str(folder / "music"))


@pytest.fixture
def worker(site):
    process = worker_start(worker_env(site.folder), site.folder / "worker.log")
    yield process
    worker_stop(process)


@pytest.fixture
def session(site) -> Session:
    return Session(site.base_url, site.password)


def rows_under(site, folder: str) -> int:
    conn = sqlite3.connect(f"file:{site.library_db}?mode=ro", uri=True)
    try:
        prefix = str(site.folder / "music" / folder) + os.sep
        sql = (
            "SELECT COUNT(*) FROM library_index WHERE is_active = 1 AND substr(file_path, 1, ?) = ?"
        )
        return conn.execute(sql, (len(prefix), prefix)).fetchone()[0]
    finally:
        conn.close()


def test_a_scan_asked_through_the_api_is_run_by_the_worker(site, worker, session):
    small = str(site.folder / "music" / "small")
    status, refused = session.request("POST", "/api/jobs/", {"kind": "scan"}, csrf=False)
    assert status == 403 and "CSRF" in refused["detail"]
    job = session.job_start({"kind": "scan", "paths": [small]})
    assert job["status"] == "queued"
    done = session.finished(job["id"])
    assert done["status"] == "done", done
    assert (done["done"], done["total"]) == (3, 3)
    assert done["message"].startswith("3 audio files found: 3 added")
    assert rows_under(site, "small") == 3


def test_a_job_on_a_missing_folder_ends_failed_with_a_message(site, worker, session):
    missing = site.folder / "music" / "unplugged disk"
    job = session.finished(session.job_start({"kind": "scan", "paths": [str(missing)]})["id"])
    assert job["status"] == "failed"
    assert job["message"] == f"{missing} is not a folder: give the folder(s) that hold your music"


def test_cancel_stops_a_running_scan_at_its_next_batch(site, worker, session):
    job = session.job_start({"kind": "scan", "paths": [str(site.folder / "music" / "cancel")]})
    session.wait(job["id"], lambda j: j["status"] == "running" and j["done"] > 0)
    status, asked = session.request("POST", f"/api/jobs/{job['id']}/cancel/")
    assert status == 202 and asked["cancel_requested"]
    cancelled = session.finished(job["id"])
    assert cancelled["status"] == "cancelled", cancelled
    assert cancelled["message"].startswith(f"cancelled at {cancelled['done']}/{LINKS}")
    assert 0 < cancelled["done"] < LINKS
    # Everything read before the stop was written, nothing after it.
    assert rows_under(site, "cancel") == cancelled["done"]


def test_a_second_heavy_job_waits_for_the_first(site, worker, session):
    scan = session.job_start({"kind": "scan", "paths": [str(site.folder / "music" / "wait")]})
    session.wait(scan["id"], lambda j: j["status"] == "running")
    analyse = session.job_start({"kind": "analyze"})
    waiting = session.wait(analyse["id"], lambda j: j["message"].startswith("waiting"))
    assert waiting["status"] == "queued"
    assert waiting["message"] == f"waiting for job #{scan['id']} (scan) to finish"
    assert session.job(scan["id"])["status"] == "running"
    analysed = session.finished(analyse["id"])
    scanned = session.job(scan["id"])
    assert (scanned["status"], analysed["status"]) == ("done", "done")
    assert analysed["started_at"] >= scanned["finished_at"]
    assert analysed["done"] >= LINKS  # it analysed what the scan had indexed


def test_a_killed_workers_job_is_marked_failed_on_restart(site, worker, session):
    kill = site.folder / "music" / "kill"
    scan = session.job_start({"kind": "scan", "paths": [str(kill)]})
    session.wait(scan["id"], lambda j: j["status"] == "running" and j["done"] > 0)
    waiting = session.job_start({"kind": "analyze"})  # taken by the other worker thread
    session.wait(waiting["id"], lambda j: j["message"].startswith("waiting"))
    worker.send_signal(signal.SIGKILL)
    worker.wait(timeout=30)
    assert session.job(scan["id"])["status"] == "running"  # nobody left to say otherwise

    restarted = worker_start(worker_env(site.folder), site.folder / "worker.log")
    try:
        failed = session.finished(scan["id"], timeout=60)
        assert failed["status"] == "failed"
        assert re.match(
            r"the worker running this job \(.+:\d+:\d*\) stopped at \d+/\d+ \(killed or crashed\)",
            failed["message"],
        ), failed["message"]
        # The job the dead worker had taken, waiting for the lock, runs after all.
        assert session.finished(waiting["id"])["status"] == "done"
        conn = sqlite3.connect(site.library_db)
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        conn.close()
        assert rows_under(site, "kill") <= LINKS
        again = session.finished(session.job_start({"kind": "scan", "paths": [str(kill)]})["id"])
        assert again["status"] == "done", again
        assert rows_under(site, "kill") == LINKS
    finally:
        worker_stop(restarted)
