"""How long ``make demo``'s library takes to build: measured and printed, not asserted (the
machine is shared; bench/RESULTS.md, "Demo library", has the figures and their conditions)."""

from __future__ import annotations

import json
import os
import re
import shutil
import time

import pytest

from tests.conftest import manage_env, run_manage

DEMO_FILES = 2000  # the Makefile's DEMO_FILES


@pytest.mark.slow
@pytest.mark.longest
def test_the_make_demo_library_builds_and_its_time_is_printed(tmp_path, report_line):
    out = tmp_path / "demo"
    load_before = os.getloadavg()
    started = time.monotonic()
    result = run_manage(
        manage_env(tmp_path), "make_demo_library", "--files", str(DEMO_FILES), "--out", str(out),
        timeout=1800,
    )  # fmt: skip
    seconds = time.monotonic() - started
    try:
        assert result.returncode == 0, result.stderr
        manifest = json.loads((out / "manifest.json").read_text())
        assert manifest["file_count"] == len(manifest["files"]) == DEMO_FILES
        summary = result.stdout.strip().splitlines()[-1]
        assert re.search(rf"^{DEMO_FILES} files \(\d+ recordings, [\d.]+ GB\)", summary)
        report_line(
            f"[demo build] {DEMO_FILES} files in {seconds:.1f} s wall on "
            f"{os.cpu_count()} cores (load average before {load_before[0]:.1f}, after "
            f"{os.getloadavg()[0]:.1f}): {summary}"
        )
    finally:
        shutil.rmtree(out, ignore_errors=True)  # 2 GB: pytest keeps the last runs' folders
