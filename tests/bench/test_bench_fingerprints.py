"""bench/bench_fingerprints.py runs on its own and prints its figures (never asserts timings).

A real process in ``--quick`` mode with an empty cache folder: it must make its audio and
fingerprint pools itself (nothing from outside the repository) and report the decode share,
the grouping's seconds, peak RSS, recall and precision.
"""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from tests.conftest import REPO_ROOT

pytestmark = pytest.mark.slow

NUMBER = r"(\d+(?:\.\d+)?)"


def test_quick_run_rebuilds_its_caches_and_prints_its_figures(tmp_path):
    cache = tmp_path / "cache"
    run = subprocess.run(
        [sys.executable, "bench/bench_fingerprints.py", "--quick", "--cache", str(cache)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    out = run.stdout
    rows = re.findall(
        rf"^\s+\d+s (FLAC|MP3 VBR|AAC 128k)\s+{NUMBER}\s+{NUMBER}\s+{NUMBER}%", out, re.M
    )
    assert sorted(r[0] for r in rows) == sorted(["FLAC", "MP3 VBR", "AAC 128k"] * 2)
    assert re.search(rf"^decode: worst added share -?{NUMBER}% .*goal <= 30%", out, re.M), out
    timing = re.search(
        rf"^group: 2000 fingerprints in {NUMBER} s wall .* peak RSS {NUMBER} MB", out, re.M
    )
    assert timing, out
    quality = re.search(rf"^group: recall {NUMBER} .* precision {NUMBER} ", out, re.M)
    assert quality, out
    recall, precision = (float(x) for x in quality.groups())
    assert 0.0 <= recall <= 1.0 and 0.0 <= precision <= 1.0
    # the planted silence and white noise are excluded (a fact of how they were made)
    assert "planted degenerate 15, all excluded: True" in out
    made = sorted(p.name for p in cache.iterdir() if not p.name.startswith("."))
    assert [n for n in made if n.endswith(".npz")] == [
        "bench_pool_12x20s.npz",
        "measure_cache_1p_15s.npz",
    ]
    assert len([n for n in made if n.startswith("decode_")]) == 6
