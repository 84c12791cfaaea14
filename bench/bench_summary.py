"""What the library summary costs our writers, and the whole-library commands at 500,000 rows.

    .venv/bin/python bench/bench_summary.py maintenance --files 50000
    .venv/bin/python bench/bench_summary.py commands --files 500000

``maintenance``: a demo library of real files (``demo_library_make``, built once and kept in
``var/bench/summary/<files>/music``), then scan + analyse from an empty library database,
``--rounds`` times with the summary and as many without it (its tables dropped: every writer
then skips it), alternating, so that a slow spell of a shared machine falls on both. Prints
the medians, the time added, and the time spent inside ``library_summary_refresh`` itself
(measured in the run with the summary: the share that does not depend on the noise).

``commands``: ``identify_upgrades`` (no streaming database; tags from ``library_index``, the
files are not on disk) and ``find_duplicates`` (its full-content confirmation finds the
files missing) on a copy of the synthetic library of ``bench_pages.py`` (built once in
``var/bench/pages/<files>``), each in its own process: wall time and peak RSS (the process
and its largest worker).

Every run prints the load average: on a shared machine the figures are not of record.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from synthetic_library import REPO_ROOT, build, env_for

VAR = REPO_ROOT / "var" / "bench"


def load_average() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def setup_django(folder: Path) -> None:
    sys.path.insert(0, str(REPO_ROOT))
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "musicquality.settings",
            "MUSICQUALITY_DEBUG": "1",
            "MUSICQUALITY_LIBRARY_DB": str(folder / "library_index.db"),
            "MUSICQUALITY_APP_DB": str(folder / "app.sqlite3"),
        }
    )
    import django

    django.setup()


def _fresh_library(folder: Path, template: Path) -> None:
    from django.db import connections

    connections.close_all()
    for suffix in ("", "-wal", "-shm"):
        Path(f"{folder / 'library_index.db'}{suffix}").unlink(missing_ok=True)
    shutil.copyfile(template, folder / "library_index.db")


def maintenance(args) -> None:
    folder = (VAR / "summary" / str(args.files)).resolve()
    folder.mkdir(parents=True, exist_ok=True)
    setup_django(folder)
    from django.core.management import call_command
    from django.db import connections

    from musicquality.parallel import default_workers
    from musicquality.schema import SUMMARY_DDL
    from quality.services import summary as summary_service
    from quality.services.analysis import file_quality_analyze_all
    from quality.services.demo import demo_library_make
    from quality.services.scanning import library_scan

    music = folder / "music"
    if not music.exists():
        started = time.perf_counter()
        demo_library_make(out=folder, files=args.files, seed=1)
        print(f"demo library of {args.files:,} files made in {time.perf_counter() - started:.0f} s")
    template = folder / "empty_library.db"
    if not template.exists():
        call_command("migrate", database="library", verbosity=0)
        connections.close_all()
        shutil.copyfile(folder / "library_index.db", template)
    workers = default_workers()

    refresh_seconds = [0.0]
    original = summary_service.library_summary_refresh

    def timed_refresh(**kwargs):
        started = time.perf_counter()
        try:
            return original(**kwargs)
        finally:
            refresh_seconds[0] += time.perf_counter() - started

    # The writers imported the function by name: time it where they call it.
    import dedup.services.dedupe
    import quality.services.analysis
    import quality.services.scanning
    import quality.services.verification

    for module in (quality.services.scanning, quality.services.analysis,
                   quality.services.verification, dedup.services.dedupe):  # fmt: skip
        module.library_summary_refresh = timed_refresh

    runs: dict[str, list[tuple[float, float]]] = {"with": [], "without": []}
    refresh_shares = []
    print(f"load average before: {load_average()}")
    for round_ in range(args.rounds):
        for mode in ("without", "with") if round_ % 2 else ("with", "without"):
            _fresh_library(folder, template)
            if mode == "without":
                with connections["library"].cursor() as cursor:
                    summary_service.summary_tables_drop(cursor)
                    # the analysis's own record of the files it could not read stays: the
                    # backlog's SQL reads it (without it the analysis builds the summary)
                    (unreadable,) = [s for s in SUMMARY_DDL if "EXISTS summary_unreadable (" in s]
                    cursor.execute(unreadable)
            refresh_seconds[0] = 0.0
            started = time.perf_counter()
            library_scan(roots=[music], workers=workers)
            scanned = time.perf_counter() - started
            file_quality_analyze_all(workers=workers)
            total = time.perf_counter() - started
            runs[mode].append((scanned, total))
            if mode == "with":
                refresh_shares.append(refresh_seconds[0] / total)
            print(
                f"  round {round_ + 1} {mode:<7}: scan {scanned:.1f} s, scan + analyse "
                f"{total:.1f} s, refresh {refresh_seconds[0]:.2f} s (load {load_average()})"
            )
    with_total = statistics.median(total for _, total in runs["with"])
    without_total = statistics.median(total for _, total in runs["without"])
    print(f"\n### Summary maintenance, {args.files:,} files, {workers} workers\n")
    print("| measure | with summary | without | added |")
    print("|---|---:|---:|---:|")
    with_scan = statistics.median(scan for scan, _ in runs["with"])
    without_scan = statistics.median(scan for scan, _ in runs["without"])
    print(
        f"| scan (median of {args.rounds}) | {with_scan:.1f} s | {without_scan:.1f} s | "
        f"{100 * (with_scan / without_scan - 1):+.1f} % |"
    )
    print(
        f"| scan + analyse (median of {args.rounds}) | {with_total:.1f} s | "
        f"{without_total:.1f} s | {100 * (with_total / without_total - 1):+.1f} % |"
    )
    print(
        f"| time inside library_summary_refresh | {100 * statistics.median(refresh_shares):.1f} "
        "% of scan + analyse | | |"
    )
    print(f"\nload average after: {load_average()}")


def _child(command: list[str], env: dict[str, str]) -> tuple[float, str]:
    code = (
        "import resource, subprocess, sys, time\n"
        "started = time.perf_counter()\n"
        "result = subprocess.run(sys.argv[1:], capture_output=True, text=True)\n"
        "seconds = time.perf_counter() - started\n"
        "rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024\n"
        "print(f'{seconds:.2f} {rss:.0f} {result.returncode}')\n"
        "sys.stderr.write(result.stdout[-2000:] + result.stderr[-2000:])\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, *command], env=env, cwd=REPO_ROOT,
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    seconds, rss, status = done.stdout.split()
    if status != "0":
        raise SystemExit(f"{' '.join(command)} failed:\n{done.stderr}")
    return float(seconds), f"{rss} MB" + ("" if status == "0" else f" (exit {status})")


def commands(args) -> None:
    source = (VAR / "pages" / str(args.files)).resolve()
    if not (source / "library_index.db").exists():
        started = time.perf_counter()
        build(source, files=args.files)
        print(f"built a {args.files:,}-file library in {time.perf_counter() - started:.0f} s")
    folder = (VAR / "commands" / str(args.files)).resolve()
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("library_index.db", "app.sqlite3"):
        shutil.copyfile(source / name, folder / name)
    env = env_for(folder)
    manage = [sys.executable, str(REPO_ROOT / "manage.py")]
    print(f"load average before: {load_average()}")
    rows = []
    for label, command in (
        ("identify_upgrades", [*manage, "identify_upgrades"]),
        ("identify_upgrades, again", [*manage, "identify_upgrades"]),
        ("find_duplicates", [*manage, "find_duplicates"]),
    ):
        seconds, rss = _child(command, env)
        rows.append((label, seconds, rss))
        print(f"  {label}: {seconds:.1f} s, peak RSS {rss} (load {load_average()})")
    print(f"\n### Whole-library commands, {args.files:,} rows\n")
    print("| command | wall time | peak RSS (largest process) |")
    print("|---|---:|---:|")
    for label, seconds, rss in rows:
        print(f"| `{label}` | {seconds:.1f} s | {rss} |")
    print(f"\nload average after: {load_average()}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="what", required=True)
    m = sub.add_parser("maintenance", help="summary upkeep during scan + analyse")
    m.add_argument("--files", type=int, default=50_000)
    m.add_argument("--rounds", type=int, default=2)
    c = sub.add_parser("commands", help="identify_upgrades and find_duplicates")
    c.add_argument("--files", type=int, default=500_000)
    args = parser.parse_args()
    maintenance(args) if args.what == "maintenance" else commands(args)
    print(
        f"peak RSS of this process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024} MB"
    )


if __name__ == "__main__":
    main()
