"""analyze_quality: which files it (re)analyses, bad files, resume, and the legacy CLI writing."""

import csv
import os
import shutil
import subprocess
import sys
import textwrap
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connections

from quality.models import FileQuality, LibraryFile
from quality.services import analysis
from quality.services.analysis import (
    ANALYZER_VERSION,
    file_quality_analyze_all,
    file_quality_refresh,
)
from quality.services.encoding import EncodeSpec, audio_encode
from tests.conftest import LIBRARY_DBS, REPO_ROOT, manage_env, run_manage
from tests.legacy import legacy_library_create

pytestmark = [
    pytest.mark.django_db(databases=LIBRARY_DBS, transaction=True),
    pytest.mark.usefixtures("clean_library"),
]

SPECS = [
    EncodeSpec("m", "mp3", "libmp3lame", bit_rate=192_000),
    EncodeSpec("f", "flac", "flac", sample_fmt="s16"),
    EncodeSpec("a", "m4a", "aac", bit_rate=128_000),
    EncodeSpec("o", "opus", "libopus", sample_rate=48_000, bit_rate=96_000),
]


@pytest.fixture
def music(tmp_path) -> Path:
    folder = tmp_path / "music"
    for number, spec in enumerate(SPECS):
        (folder / f"a{number % 2}").mkdir(parents=True, exist_ok=True)
        audio_encode(path=folder / f"a{number % 2}" / f"t{number}.{spec.extension}", spec=spec)
    return folder


def scan(folder):
    call_command("scan_library", str(folder), workers=1, stdout=StringIO())


def analyse(**options) -> str:
    out = StringIO()
    call_command("analyze_quality", workers=1, stdout=out, **options)
    return out.getvalue()


def test_one_row_per_active_file_then_nothing_to_do(music):
    scan(music)
    LibraryFile.objects.filter(file_path__endswith="t3.opus").update(is_active=False)
    output = analyse()
    assert "Analysed 3, skipped 0" in output
    assert FileQuality.objects.count() == 3
    assert set(FileQuality.objects.values_list("analyzer_version", flat=True)) == {ANALYZER_VERSION}
    assert "Analysed 0, skipped 3 (up to date)" in analyse()


def test_changed_files_and_old_versions_are_reanalysed_force_does_all(music):
    scan(music)
    analyse()
    old = FileQuality.objects.get(library_file__file_path__endswith="t0.mp3")
    FileQuality.objects.filter(id=old.id).update(analyzer_version="0.0.1+score.0")
    newer = FileQuality.objects.get(library_file__file_path__endswith="t1.flac")
    LibraryFile.objects.filter(id=newer.library_file_id).update(
        file_mtime="2999-01-01T00:00:00+00:00"
    )
    assert "Analysed 2, skipped 2" in analyse()
    assert FileQuality.objects.get(id=old.id).analyzer_version == ANALYZER_VERSION
    assert "Analysed 4, skipped 0" in analyse(force=True)
    assert FileQuality.objects.count() == 4


def test_limit_and_path_prefix(music):
    scan(music)
    assert "Analysed 1, skipped 0 (up to date), 3 left for the next run (--limit)," in analyse(
        limit=1
    )
    assert "Analysed 2," in analyse(path_prefix=str(music / "a1"))
    assert FileQuality.objects.count() == 3


def test_bad_files_get_no_row_are_counted_listed_and_written_to_csv(music, tmp_path):
    (music / "a0" / "empty.flac").write_bytes(b"")
    scan(music)
    good = music / "a0" / "t0.mp3"
    truncated = music / "a1" / "t1.flac"
    gone = music / "a0" / "t2.m4a"
    analyse()  # all good first: a stale row must go when its file turns bad
    truncated.write_bytes(truncated.read_bytes()[:30])
    gone.unlink()
    library_file = LibraryFile.objects.create(
        file_path=str(music / "a0" / "empty.flac"), filename="empty.flac", file_format="flac",
        file_size=0, metadata_hash="x", file_content_hash="HASH_FAILED",
        indexed_at="2026-01-01T00:00:00+00:00", file_mtime="2026-01-01T00:00:00+00:00",
    )  # fmt: skip
    errors_csv = tmp_path / "errors.csv"
    output = analyse(force=True, errors_csv=errors_csv)
    assert "errors 3 (1 corrupt, 1 empty, 1 missing)" in output
    for path in (truncated, gone, Path(library_file.file_path)):
        assert str(path) in output
        assert not FileQuality.objects.filter(library_file__file_path=str(path)).exists()
    assert FileQuality.objects.filter(library_file__file_path=str(good)).exists()
    with errors_csv.open() as handle:
        rows = list(csv.DictReader(handle))
    assert sorted(row["kind"] for row in rows) == ["corrupt", "empty", "missing"]


def test_file_quality_refresh_contract(music):
    scan(music)
    library_file = LibraryFile.objects.get(file_path__endswith="t0.mp3")
    row = file_quality_refresh(library_file=library_file)
    assert (row.codec, row.bitrate, row.bitrate_mode, row.quality_score) == (
        "MP3",
        192,
        "CBR",
        50.0,
    )
    Path(library_file.file_path).unlink()
    assert file_quality_refresh(library_file=library_file) is None
    assert not FileQuality.objects.filter(library_file=library_file).exists()


def test_interrupted_run_keeps_committed_batches_and_the_next_run_resumes(music, monkeypatch):
    for number in range(20):
        shutil.copyfile(music / "a0" / "t0.mp3", music / "a0" / f"copy{number}.mp3")
    scan(music)
    monkeypatch.setattr(analysis, "BATCH_SIZE", 5)
    monkeypatch.setattr(analysis, "CHUNK_SIZE", 5)
    calls = []

    def progress(done, total):
        calls.append(done)
        if done >= 10:
            raise KeyboardInterrupt

    result = file_quality_analyze_all(workers=1, progress=progress)
    assert result.interrupted
    committed = FileQuality.objects.count()
    assert 0 < committed < 24
    assert committed == result.analysed
    second = file_quality_analyze_all(workers=1)
    assert not second.interrupted
    assert second.analysed == 24 - committed
    assert FileQuality.objects.count() == 24


def test_analyze_runs_after_a_large_population(music, monkeypatch):
    scan(music)
    monkeypatch.setattr(analysis, "ANALYZE_THRESHOLD", 4)
    file_quality_analyze_all(workers=1)
    with connections["library"].cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM sqlite_stat1 WHERE tbl = 'file_quality'")
        assert cursor.fetchone()[0] > 0


def test_two_worker_processes(music):
    scan(music)
    out = StringIO()
    call_command("analyze_quality", workers=2, stdout=out)
    assert FileQuality.objects.count() == 4


LEGACY_WRITER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from tests.legacy import legacy_connect, legacy_row, legacy_row_insert
    conn = legacy_connect(Path(sys.argv[1]))
    stop = Path(sys.argv[2])
    n = 0
    while not stop.exists() or n < 50:
        legacy_row_insert(conn, legacy_row(100000 + n))
        conn.commit()
        n += 1
        time.sleep(0.002)
    print(n)
    """
)


def test_legacy_cli_writing_at_the_same_time_never_hits_a_locked_database(tmp_path):
    """A real second process writes rows the way the Music Tools CLI does (WAL, DEFERRED,
    30 s timeout) during a real ``analyze_quality`` run with two workers."""
    music = tmp_path / "music"
    music.mkdir()
    seed_file = audio_encode(
        path=music / "seed.mp3", spec=EncodeSpec("m", "mp3", "libmp3lame", bit_rate=128_000)
    )
    for number in range(1500):
        shutil.copyfile(seed_file, music / f"{number:04d}.mp3")
    env = manage_env(tmp_path)
    legacy_library_create(Path(env["MUSICQUALITY_LIBRARY_DB"]))
    assert run_manage(env, "migrate", "--database=library", "-v0").returncode == 0
    assert run_manage(env, "scan_library", str(music)).returncode == 0
    stop = tmp_path / "stop"
    writer = subprocess.Popen(
        [sys.executable, "-c", LEGACY_WRITER, env["MUSICQUALITY_LIBRARY_DB"], str(stop)],
        cwd=REPO_ROOT,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        result = run_manage(env, "analyze_quality", "--force", "--workers", "2")
    finally:
        stop.touch()
        out, err = writer.communicate(timeout=60)
    assert result.returncode == 0, result.stderr
    assert "locked" not in result.stdout + result.stderr
    assert writer.returncode == 0, err
    assert int(out) >= 50
    assert "Analysed 1501," in result.stdout


def test_a_fifo_that_replaced_an_indexed_file_is_counted_not_waited_for(music, tmp_path):
    env = manage_env(tmp_path)
    legacy_library_create(Path(env["MUSICQUALITY_LIBRARY_DB"]))
    assert run_manage(env, "migrate", "--database=library", "-v0").returncode == 0
    assert run_manage(env, "scan_library", str(music)).returncode == 0
    replaced = music / "a0" / "t0.mp3"
    replaced.unlink()
    os.mkfifo(replaced)
    try:
        result = run_manage(env, "analyze_quality", "--workers", "1", timeout=60)
    except subprocess.TimeoutExpired:
        pytest.fail("analyze_quality blocked on a FIFO")
    assert result.returncode == 0, result.stderr
    assert "Analysed 3," in result.stdout and "1 unreadable" in result.stdout
    assert f"unreadable: {replaced} (not a regular file" in result.stdout


def test_an_unreadable_file_leaves_the_backlog_until_it_changes(music, client, django_user_model):
    """A corrupt file is recorded with its reason, counted apart and shown so; the next run
    does not try it again (nor count it as backlog) until the file changes."""
    from quality.models import ACTIVE_SQL
    from quality.selectors import (
        UNREADABLE_CONDITION,
        UNREADABLE_FROM,
        analysis_backlog_count,
        unreadable_files_count,
        unreadable_files_list,
    )

    bad = music / "a1" / "t1.flac"
    bad.write_bytes(bad.read_bytes()[:30])  # a truncated FLAC: mutagen cannot read it
    scan(music)
    assert "errors 1 (1 corrupt)" in analyse()
    (unreadable,) = unreadable_files_list()
    assert (unreadable.file_path, unreadable.kind) == (str(bad), "corrupt") and unreadable.message
    assert (analysis_backlog_count(), unreadable_files_count()) == (0, 1)
    # counted from the unreadable files, each found by its id: never a walk of library_index,
    # which every page showing the count would pay after each change of the library
    with connections["library"].cursor() as cursor:
        cursor.execute(
            f"EXPLAIN QUERY PLAN SELECT count(*) {UNREADABLE_FROM} "
            f"WHERE li.{ACTIVE_SQL} AND {UNREADABLE_CONDITION}"
        )
        plan = [row[3] for row in cursor.fetchall()]
    assert plan[0] == "SCAN u" and not any(step.startswith("SCAN li") for step in plan), plan
    second = analyse()
    assert "Analysed 0, skipped 3 (up to date), 1 unreadable since the last try" in second
    assert "errors 0" in second

    client.force_login(django_user_model.objects.create_superuser("root", password="pw-tests"))
    page = client.get(f"/files/{unreadable.id}/").content.decode()
    assert 'id="unreadable"' in page and "corrupt" in page and 'id="not-analysed"' not in page
    listed = client.get("/files/unreadable/").content.decode()
    assert str(bad) in listed and f'href="/files/{unreadable.id}/"' in listed
    overview = client.get("/").content.decode()
    assert 'id="next-unreadable" data-count="1"' in overview
    assert client.get("/health").json()["unreadable_files"] == 1

    # --force tries it again (still corrupt); a repaired file is read by the next plain run
    assert "errors 1 (1 corrupt)" in analyse(force=True)
    audio_encode(path=bad, spec=SPECS[1])
    os.utime(bad, (2_000_000_000, 2_000_000_000))
    scan(music)
    assert analysis_backlog_count() == 1
    assert "Analysed 1," in analyse()
    assert unreadable_files_count() == 0 and unreadable_files_list() == []
    assert FileQuality.objects.filter(library_file__file_path=str(bad)).exists()


def test_a_summary_from_before_summary_unreadable_is_built_before_the_backlog_is_read(music):
    """A library whose summary predates ``summary_unreadable`` (an older release's layout),
    or was dropped: scan and analyse build it instead of failing on a missing table."""
    from quality.services.summary import summary_state_read, summary_tables_drop

    with connections["library"].cursor() as cursor:
        summary_tables_drop(cursor)
    scan(music)
    assert "Analysed 4, skipped 0" in analyse()
    with connections["library"].cursor() as cursor:
        cursor.execute("SELECT count(*) FROM summary_unreadable")
        assert cursor.fetchone() == (0,)
        assert summary_state_read(cursor) is not None
