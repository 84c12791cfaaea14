"""Benchmark: scan_library + analyze_quality on a generated library, against a raw loop.

    .venv/bin/python bench/bench_scan_analysis.py --files 10000
    .venv/bin/python bench/bench_scan_analysis.py --files 50000

Everything happens in a temporary folder: a demo library (``demo_library_make``), a fresh
library database, then, in this order and over the same files:

1. baseline: a raw single-process ``mutagen.File()`` loop (also warms the page cache, so the
   runs after it read from memory as well);
2. ``library_scan`` with all cores (the scan_library service);
3. analysis with all cores (the analyze_quality service);
4. analysis again with ``--force`` and one worker: files/s per worker, compared with (1);
5. Appendix B query 3 (quality distribution) on the resulting ``file_quality`` rows, median
   of 20 runs.

Peak RSS is ``ru_maxrss`` of this process and of the largest worker process. Prints a
Markdown table for bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

QUERY_3 = """
SELECT file_format, COUNT(*) AS file_count, AVG(quality_score) AS avg_score,
       SUM(CASE WHEN is_lossless = 1 THEN 1 ELSE 0 END) AS lossless_count,
       SUM(CASE WHEN is_hires = 1 THEN 1 ELSE 0 END) AS hires_count
FROM file_quality GROUP BY file_format ORDER BY file_count DESC
"""


def setup_django(folder: Path) -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
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
    from django.core.management import call_command

    call_command("migrate", database="library", verbosity=0)


def raw_mutagen_loop(paths: list[Path]) -> float:
    import mutagen

    started = time.perf_counter()
    for path in paths:
        with contextlib.suppress(Exception):  # damaged files count like the rest
            mutagen.File(path)
    return len(paths) / (time.perf_counter() - started)


def rss_mb(who: int) -> float:
    return resource.getrusage(who).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", type=Path, default=None, help="use/keep this folder")
    args = parser.parse_args()

    folder = args.keep or Path(tempfile.mkdtemp(prefix="mq-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    setup_django(folder)
    from django.db import connections

    from musicquality.parallel import default_workers
    from quality.services.analysis import file_quality_analyze_all
    from quality.services.demo import demo_library_make
    from quality.services.scanning import library_scan

    music = folder / "music"
    started = time.perf_counter()
    if not music.exists():
        demo_library_make(out=folder, files=args.files, seed=args.seed)
    generate_s = time.perf_counter() - started
    paths = [p for p in music.rglob("*") if p.is_file()]
    workers = default_workers()

    raw_fps = raw_mutagen_loop(paths)

    started = time.perf_counter()
    scan = library_scan(roots=[music], workers=workers)
    scan_s = time.perf_counter() - started

    analysis = file_quality_analyze_all(workers=workers)
    analysis_s = analysis.seconds

    single = file_quality_analyze_all(workers=1, force=True)
    per_worker_fps = (single.analysed + len(single.errors)) / single.seconds

    with connections["library"].cursor() as cursor:
        timings = []
        for _ in range(20):
            t0 = time.perf_counter()
            cursor.execute(QUERY_3)
            cursor.fetchall()
            timings.append((time.perf_counter() - t0) * 1000)
        cursor.execute("SELECT COUNT(*) FROM file_quality")
        rows = cursor.fetchone()[0]

    total_s = scan_s + analysis_s
    print(f"\n### {len(paths):,} files ({workers} cores, seed {args.seed})\n")
    print("| measure | value |")
    print("|---|---|")
    print(f"| demo library generation | {generate_s:.1f} s |")
    print(f"| raw `mutagen.File()` loop, 1 process | {raw_fps:,.0f} files/s |")
    scan_fps = len(paths) / scan_s
    print(f"| scan_library ({workers} workers) | {scan_s:.1f} s, {scan_fps:,.0f} files/s |")
    print(
        f"| analyze_quality ({workers} workers) | {analysis_s:.1f} s, "
        f"{analysis.files_per_second:,.0f} files/s, {len(analysis.errors)} errors |"
    )
    print(
        f"| analysis, 1 worker | {per_worker_fps:,.0f} files/s = "
        f"**{per_worker_fps / raw_fps:.2f}x** the raw loop (target ≥ 0.8x) |"
    )
    print(f"| scan + analyse | **{total_s:.1f} s** (target ≤ 60 s for 50,000) |")
    print(
        f"| peak RSS | main {rss_mb(resource.RUSAGE_SELF):.0f} MB, largest worker "
        f"{rss_mb(resource.RUSAGE_CHILDREN):.0f} MB (target ≤ 300 MB) |"
    )
    print(
        f"| Appendix B query 3 on {rows:,} rows | median {statistics.median(timings):.1f} ms, "
        f"max {max(timings):.1f} ms (target ≤ 100 ms) |"
    )
    problems = len(scan.problems)
    print(f"| scan: found / added / problems | {scan.found} / {scan.added} / {problems} |")
    print(f"\nfolder: {folder}")


if __name__ == "__main__":
    main()
