"""The time series lives in the app database: runs recorded by one process are read by the
next (a restart), in Prometheus' text format. Real processes, real audio, real workers."""

import shutil
import sqlite3
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import CORPUS_DIR, manage_env, run_manage
from tests.legacy import legacy_library_create

pytestmark = pytest.mark.slow

RUNS_SQL = "SELECT kind, files, files_per_second, peak_rss_bytes, worker_peak_rss_bytes FROM "
RUNS_SQL += "monitoring_run ORDER BY id"


def app_rows(env, sql: str) -> list[tuple]:
    conn = sqlite3.connect(env["MUSICQUALITY_APP_DB"])
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def test_runs_recorded_by_one_process_are_exported_by_the_next(tmp_path):
    music = tmp_path / "music"
    music.mkdir()
    for name in ("bpm.mp3", "coverart.ogg", "date.mp3", "discc.ogg"):
        shutil.copyfile(CORPUS_DIR / name, music / name)
    env = manage_env(tmp_path)
    legacy_library_create(Path(env["MUSICQUALITY_LIBRARY_DB"]))
    for args in (
        ("migrate", "-v0"),
        ("migrate", "--database=library", "-v0"),
        ("scan_library", str(music), "--workers", "2"),
        ("analyze_quality", "--workers", "2"),
    ):
        result = run_manage(env, *args)
        assert result.returncode == 0, result.stderr

    runs = app_rows(env, RUNS_SQL)
    assert [(kind, files) for kind, files, *_ in runs] == [("scan", 4), ("analyze", 4)]
    for _, _, rate, own, worker in runs:
        assert rate > 0 and own > 20 * 1024 * 1024 and worker > 10 * 1024 * 1024
    samples = app_rows(env, "SELECT backlog_files FROM monitoring_library_sample ORDER BY id")
    assert samples == [(4,), (0,)]  # after the scan, after the analysis

    out = tmp_path / "musicquality.prom"
    result = run_manage(env, "export_metrics", "--out", str(out))  # a new process
    assert result.returncode == 0, result.stderr
    families = {f.name: f for f in text_string_to_metric_families(out.read_text())}
    rates = {
        s.labels["kind"]: s.value for s in families["musicquality_run_files_per_second"].samples
    }
    assert rates == pytest.approx({kind: rate for kind, _, rate, _, _ in runs})
    rss = {
        (s.labels["kind"], s.labels["process"]): s.value
        for s in families["musicquality_run_peak_rss_bytes"].samples
    }
    assert rss[("analyze", "main")] == runs[1][3] and rss[("analyze", "worker")] == runs[1][4]
    queries = {
        s.labels["query"]
        for s in families["musicquality_query_duration_seconds"].samples
        if s.name.endswith("_count")
    }
    assert {"scan_library", "analyze_quality"} <= queries
    assert families["musicquality_analysis_backlog_files"].samples[0].value == 0
    assert not list(tmp_path.glob("*.tmp"))


def test_export_metrics_refuses_a_missing_folder(tmp_path):
    env = manage_env(tmp_path)
    legacy_library_create(Path(env["MUSICQUALITY_LIBRARY_DB"]))
    result = run_manage(env, "export_metrics", "--out", str(tmp_path / "no" / "x.prom"))
    assert result.returncode != 0
    assert "folder" in result.stderr and "not found" in result.stderr
