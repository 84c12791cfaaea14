"""make_demo_library: real files of every promised kind, deterministic, with a legacy
music_tools.db. Expected formats are checked with ffprobe, not with our analyser."""

import hashlib
import json
import sqlite3
import subprocess
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from quality.services.demo import demo_library_make
from tests.quality.helpers import tags_read

FILES = 120


def tree_digest(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo")
    return demo_library_make(out=out, files=FILES, seed=7, workers=1)


def ffprobe_codec(path: Path) -> str | None:
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-select_streams", "a:0", "-show_entries",
         "stream=codec_name,sample_rate,channels", "-of", "json", str(path)],
        capture_output=True, text=True, check=False,
    ).stdout  # fmt: skip
    streams = json.loads(out or "{}").get("streams") or []
    return streams[0] if streams else None


def test_files_kinds_and_formats(demo):
    files = [p for p in demo.music_dir.rglob("*") if p.is_file()]
    assert len(files) == FILES == demo.files
    assert demo.by_kind["exact duplicate"] >= 1
    assert demo.by_kind["same track, other format"] >= 1
    assert demo.by_kind["re-tagged copy"] >= 1
    assert len(demo.corrupt) >= 3
    codecs = set()
    for path in files:
        if path in demo.corrupt:
            continue
        stream = ffprobe_codec(path)
        assert stream is not None, path
        codecs.add(stream["codec_name"])
    assert {"mp3", "flac", "aac", "opus", "vorbis"} <= codecs


def test_exact_duplicates_have_identical_bytes(demo):
    digests: dict[str, list[Path]] = {}
    for path in demo.music_dir.rglob("*"):
        if path.is_file() and path not in demo.corrupt:
            digests.setdefault(hashlib.sha256(path.read_bytes()).hexdigest(), []).append(path)
    assert any(len(paths) > 1 for paths in digests.values())


def test_tags_with_isrc(demo):
    tagged = [tags_read(path=p) for p in demo.music_dir.rglob("*") if p not in demo.corrupt]
    tagged = [t for t in tagged if not t.is_empty]
    assert len(tagged) >= FILES - len(demo.corrupt) - 1
    assert all(t.artist and t.title and t.album and t.year for t in tagged)
    assert sum(1 for t in tagged if t.isrc) > len(tagged) // 2


def test_streaming_db(demo):
    conn = sqlite3.connect(demo.streaming_db)
    try:
        services = {r[0] for r in conn.execute("SELECT DISTINCT service FROM tracks")}
        with_isrc = conn.execute("SELECT COUNT(*) FROM tracks WHERE isrc IS NOT NULL").fetchone()
        recent = conn.execute(
            "SELECT COUNT(*) FROM playlist_tracks WHERE added_at >= datetime('now', '-30 days')"
        ).fetchone()
        old = conn.execute(
            "SELECT COUNT(*) FROM playlist_tracks WHERE added_at < datetime('now', '-30 days')"
        ).fetchone()
    finally:
        conn.close()
    assert len(services) >= 3
    assert with_isrc[0] > 0 and recent[0] > 0 and old[0] > 0


def test_same_seed_same_library(demo, tmp_path):
    again = demo_library_make(out=tmp_path, files=FILES, seed=7, workers=2)
    assert tree_digest(again.music_dir) == tree_digest(demo.music_dir)


def test_command_refuses_a_folder_with_music(demo):
    with pytest.raises(CommandError, match="already holds files"):
        call_command("make_demo_library", files=5, out=str(demo.out), stdout=StringIO())
