"""Server time of every web page on a large library, through a real gunicorn server.

Builds (once) a synthetic library of ``--files`` rows (bench/synthetic_library.py), starts
gunicorn with one sync worker on 127.0.0.1 in production settings (DEBUG off, whitenoise
manifest storage), logs in, and requests every page in turn, ``--requests`` rounds.
Server time is gunicorn's own request duration (access-log field ``%(M)s``, milliseconds);
the client's wall time is printed beside it. The baseline, measured in the same run, is the
login page: a template render with no library query, i.e. the framework's floor.

With ``--cold`` another connection commits a write to the library database before every
timed request, as the Music Tools CLI or a scan would, so the pages that reuse results while
the library is unchanged (musicquality.library_cache) recompute them every time: the first
view after a change.

Usage: python bench/bench_pages.py [--files 50000] [--requests 30] [--out var/bench/pages] [--cold]
"""

from __future__ import annotations

import argparse
import http.cookiejar
import os
import re
import socket
import sqlite3
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from synthetic_library import REPO_ROOT, build, env_for

sys.path.insert(0, str(REPO_ROOT))

TARGET_MS = 100.0
LOG_FORMAT = "%(U)s?%(q)s %(s)s %(M)s"


def load_average() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_env(out: Path) -> dict[str, str]:
    env = env_for(out)
    env.update(
        MUSICQUALITY_DEBUG="0",
        MUSICQUALITY_SECRET_KEY="bench-only-secret-key-0123456789-0123456789-0123456789",
        MUSICQUALITY_STATIC_ROOT=str(out / "static"),
    )
    return env


def manage(env: dict[str, str], *args: str) -> str:
    result = subprocess.run(
        [sys.executable, str(REPO_ROOT / "manage.py"), *args],
        cwd=REPO_ROOT, env=env, check=True, capture_output=True, text=True,
    )  # fmt: skip
    return result.stdout


class Session:
    def __init__(self, base: str):
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )

    def get(self, path: str) -> tuple[int, bytes]:
        try:
            with self.opener.open(self.base + path, timeout=30) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()

    def login(self, username: str, password: str) -> None:
        _, body = self.get("/login/")
        token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', body).group(1)
        data = urllib.parse.urlencode(
            {"username": username, "password": password, "csrfmiddlewaretoken": token.decode()}
        ).encode()
        request = urllib.request.Request(
            self.base + "/login/", data=data, headers={"Referer": self.base + "/login/"}
        )
        with self.opener.open(request, timeout=30) as response:
            assert response.url.rstrip("/") == self.base, f"login failed: {response.url}"


def deep_files_page(conn: sqlite3.Connection) -> str:
    """``/files/`` starting half-way through the library, as "Next" links it (a keyset
    position: musicquality.keyset), sorted by score, the unanalysed files included."""
    from musicquality.keyset import position_token

    (active,) = conn.execute("SELECT count(*) FROM summary_file WHERE active = 1").fetchone()
    row = conn.execute(
        "SELECT quality_score, id FROM summary_file WHERE active = 1 "
        "ORDER BY quality_score DESC, id DESC LIMIT 1 OFFSET ?",
        (active // 2,),
    ).fetchone()
    return f"/files/?sort=-quality_score&after={position_token(row)}"


def pages(session: Session, out: Path, files: int) -> list[str]:
    conn = sqlite3.connect(out / "library_index.db")
    dup_id = conn.execute(
        "SELECT min(li1.id) FROM library_index li1 JOIN library_index li2 "
        "ON li1.metadata_hash = li2.metadata_hash AND li1.id <> li2.id"
    ).fetchone()[0]
    deep = deep_files_page(conn)
    conn.close()
    candidates = [
        "/login/",  # baseline
        "/",
        "/files/",
        "/files/?sort=-quality_score",
        "/files/?q=song+0012",
        "/files/?file_format=flac&lossless=true&score_min=90&score_max=100",
        deep,
        "/files/?q=beyonce",  # matches nothing: the index says so at once
        "/files/?q=so",  # two letters: LIKE, stopped at the first page of matches
        f"/files/{dup_id}/",
        "/dedup/",
        "/dedup/?p-sort=artist&s-page=2",
        "/dedup/review/",
        "/jobs/",
        "/monitoring/",
        "/health",
        "/metrics",
        "/api/files/",
        "/api/files/?q=song+0012&page=2",
        f"/api/files/{dup_id}/",
        "/api/duplicates/",
        "/upgrades/",
        "/upgrades/candidates/",
        "/upgrades/candidates/?page=150",
        "/upgrades/albums/",
        "/upgrades/albums/?sort=artist&page=300",
        "/dedup/pairs/",
        "/admin/upgrades/upgradecandidate/",
        "/admin/upgrades/upgradecandidate/?user_action__exact=pending",
        "/admin/upgrades/upgradecandidate/?p=2000",
        "/admin/dedup/deduphistory/",
    ]
    found = []
    for path in candidates:
        status, _ = session.get(path)
        if status == 200:
            found.append(path)
        else:
            print(f"  skipped {path}: HTTP {status} (not on this branch?)")
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=50_000)
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "var" / "bench" / "pages")
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument(
        "--cold", action="store_true", help="change the library before every timed request"
    )
    args = parser.parse_args()
    out = args.out.resolve() / f"{args.files}"
    if args.rebuild or not (out / "library_index.db").exists():
        started = time.perf_counter()
        build(out, files=args.files)
        print(f"built a {args.files}-file library in {time.perf_counter() - started:.1f} s")
    # A library kept from an older run: the app database gets the tables added since (the
    # library's migration would first take a verified backup of the whole file).
    manage(server_env(out), "migrate", "-v0")
    load_before = load_average()
    env = server_env(out)
    manage(env, "collectstatic", "--noinput", "-v0")
    password_file = out / "admin-password.txt"
    manage(env, "ensure_admin", "--password-file", str(password_file))
    port = free_port()
    log = out / "access.log"
    log.unlink(missing_ok=True)
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "python:musicquality.gunicorn_config",
         "--bind", f"127.0.0.1:{port}", "--workers", "1",
         "--access-logfile", str(log), "--access-logformat", LOG_FORMAT, "musicquality.wsgi"],
        cwd=REPO_ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        session = Session(f"http://127.0.0.1:{port}")
        for _ in range(100):
            try:
                session.get("/health")
                break
            except OSError:
                time.sleep(0.1)
        session.login("admin", password_file.read_text().strip())
        paths = pages(session, out, args.files)
        client_ms: dict[str, list[float]] = {}
        writer = sqlite3.connect(out / "library_index.db", timeout=30)
        for _ in range(3):
            for path in paths:
                session.get(path)  # warm the worker's caches and SQLite's page cache
        # Round robin, so that a slow spell of this shared VM falls on every page alike.
        for _ in range(args.requests):
            for path in paths:
                if args.cold:
                    writer.execute(
                        "UPDATE settings SET updated_at = ? WHERE key = 'schema_version'",
                        (f"{time.time():.6f}",),
                    )
                    writer.commit()
                started = time.perf_counter()
                session.get(path)
                client_ms.setdefault(path, []).append(1000 * (time.perf_counter() - started))
        writer.close()
    finally:
        server.terminate()
        server.wait(timeout=30)
    server_ms: dict[str, list[float]] = {}
    for line in log.read_text().splitlines():
        url, _status, ms = line.rsplit(" ", 2)
        path = url[:-1] if url.endswith("?") else url
        server_ms.setdefault(path, []).append(float(ms))
    login = sorted(server_ms["/login/"][-args.requests :])
    baseline = statistics.median(login)
    baseline_p95 = login[min(len(login) - 1, int(0.95 * len(login)))]
    mode = "cold: library changed before each request" if args.cold else "warm"
    print(f"\n{args.files} files, {args.requests} requests per page, 1 gunicorn worker, {mode}")
    print(f"load average at the start {load_before}, at the end {load_average()}")
    print(f"baseline /login/: median {baseline:.1f} ms, p95 {baseline_p95:.1f} ms")
    print(
        f"{'page':<62} {'median':>7} {'p95':>7} {'max':>7} {'client':>7} {'×base':>6} {'p95×b':>6}"
    )
    worst = 0.0
    for path in paths:
        times = sorted(server_ms[path][-args.requests :])
        median = statistics.median(times)
        p95 = times[min(len(times) - 1, int(0.95 * len(times)))]
        worst = max(worst, p95) if path != "/login/" else worst
        client = statistics.median(client_ms[path])
        print(
            f"{path[:62]:<62} {median:>6.1f}  {p95:>6.1f}  {times[-1]:>6.1f}  {client:>6.1f}  "
            f"{median / baseline:>5.1f}  {p95 / max(baseline_p95, 1.0):>5.1f}"
        )
    verdict = "within" if worst <= TARGET_MS else "ABOVE"
    print(f"\nworst p95 {worst:.1f} ms: {verdict} the {TARGET_MS:.0f} ms target (server time, ms)")


if __name__ == "__main__":
    main()
