"""A real server and a real browser: gunicorn in production settings, Debian's chromium.

The server is a subprocess on 127.0.0.1 (free port) over database files in a temporary
folder, like ``make demo``: DEBUG off, static files collected and served by whitenoise.
Tests check what the browser shows against the database read directly with ``sqlite3``.
"""

from __future__ import annotations

import json
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT, manage_env, run_manage

ARTIFACTS = REPO_ROOT / "tests" / "artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
ADMIN_USER = "admin"


@dataclass(frozen=True)
class Site:
    base_url: str
    password: str
    library_db: Path
    folder: Path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_up(url: str, server: subprocess.Popen, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {server.returncode}")
        try:
            with urllib.request.urlopen(url + "/health", timeout=2):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"gunicorn did not answer on {url} within {timeout} s")


def site_env(folder: Path, **overrides: str) -> dict[str, str]:
    """The environment of the site's processes (gunicorn, the job worker): production
    settings over the files in ``folder``."""
    return manage_env(
        folder,
        MUSICQUALITY_DEBUG="0",
        MUSICQUALITY_SECRET_KEY="e2e-only-secret-key-0123456789-0123456789-0123456789",
        MUSICQUALITY_STATIC_ROOT=str(folder / "static"),
        **overrides,
    )


def worker_start(env: dict[str, str], log_path: Path) -> subprocess.Popen:
    """The job worker, ``manage.py run_huey``, as ``make demo`` starts it."""
    log = log_path.open("a")
    try:
        return subprocess.Popen(
            [sys.executable, str(REPO_ROOT / "manage.py"), "run_huey"],
            cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
    finally:
        log.close()


def worker_stop(worker: subprocess.Popen) -> None:
    if worker.poll() is None:
        worker.terminate()
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait(timeout=30)


def site_start(folder: Path, **overrides: str):
    """Collect static files, create the admin account, start gunicorn; yield a Site."""
    env = site_env(folder, **overrides)
    for args in (
        ("collectstatic", "--noinput", "-v0"),
        ("ensure_admin", "--username", ADMIN_USER, "--password-file", str(folder / "pw.txt")),
    ):
        result = run_manage(env, *args)
        assert result.returncode == 0, result.stderr
    port = free_port()
    log = (folder / "gunicorn.log").open("w")
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "python:musicquality.gunicorn_config",
         "--bind", f"127.0.0.1:{port}", "--workers", "2",
         "--access-logfile", "-", "musicquality.wsgi"],
        cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    base_url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(base_url, server)
        yield Site(
            base_url=base_url,
            password=(folder / "pw.txt").read_text().strip(),
            library_db=folder / "library_index.db",
            folder=folder,
        )
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()


@pytest.fixture(scope="session")
def synthetic_site(tmp_path_factory):
    """A 600-file library made of rows only (bench/synthetic_library.py): for the dashboards;
    and one vetted import folder."""
    from bench.synthetic_library import build
    from quality.services import audio_make
    from quality.services.music_signal import music_like

    folder = tmp_path_factory.mktemp("e2e-synthetic")
    build(folder, files=600, seed=6)
    # One import vetting, by the job that ran it (so the Imports and Jobs pages have a
    # detail page): a folder of one short FLAC, vetted by ``run_job`` as the worker would.
    incoming = folder / "incoming"
    incoming.mkdir()
    audio_make.encode(
        incoming / "new.flac", music_like(seconds=2.0, seed=6), 44100, "flac", sample_fmt="s16"
    )
    roots = {"MUSICQUALITY_IMPORT_ROOTS": str(incoming)}
    result = run_manage(
        manage_env(folder, **roots),
        "run_job", "vet_import", "--json", json.dumps({"folder": str(incoming)}),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    yield from site_start(folder, **roots)


@pytest.fixture(scope="module")
def browser():
    """Module-scoped: Playwright's sync API keeps an asyncio loop running in this thread
    while it is open, and Django refuses ORM calls from tests that run after it then."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def log_in(browser, site: Site, *, viewport=None):
    page = browser.new_page(viewport=viewport or {"width": 1280, "height": 900})
    page.goto(site.base_url + "/")
    assert page.url.startswith(site.base_url + "/login/")
    page.fill("#id_username", ADMIN_USER)
    page.fill("#id_password", site.password)
    page.click("button[type=submit]")
    page.wait_for_url(site.base_url + "/")
    return page


def query(site: Site, sql: str, params=(), *, app: bool = False) -> list[tuple]:
    """Rows read straight from the site's library database (``app``: its app database),
    read-only, for the expectations."""
    path = site.folder / "app.sqlite3" if app else site.library_db
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def screenshot(page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


@pytest.fixture(scope="module")
def demo_site(tmp_path_factory):
    """A small generated library of real audio run through every step of ``make demo``."""
    folder = tmp_path_factory.mktemp("e2e-demo")
    paths = {
        "MUSICQUALITY_LIBRARY_ROOTS": str(folder / "music"),
        "MUSICQUALITY_STREAMING_DB": str(folder / "music_tools.db"),
    }
    env = manage_env(folder, **paths)
    albums = str(folder / "music" / "Albums")  # the demo keeps its album files (--prefer)
    for args in (
        ("make_demo_library", "--files", "40", "--out", str(folder), "--seed", "6"),
        ("migrate", "-v0"),
        ("migrate", "-v0", "--database=library"),
        ("scan_library", str(folder / "music")),
        ("analyze_quality",),
        ("run_job", "find_duplicates", "--json", json.dumps({"prefer": [albums]})),
        (
            "run_job",
            "dedupe",
            "--apply",
            "--json",
            json.dumps({"min_confidence": 1.0, "prefer": [albums]}),
        ),
        ("run_job", "identify_upgrades"),
    ):
        result = run_manage(env, *args)
        assert result.returncode == 0, f"{args}: {result.stderr}"
    yield from site_start(folder, **paths)
