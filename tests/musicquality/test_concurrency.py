"""The Music Tools CLI keeps writing to library_index while the app reads and writes."""

import subprocess
import sys
import textwrap

from tests.conftest import REPO_ROOT, manage_env, run_manage
from tests.legacy import legacy_library_create, legacy_row
from tests.musicquality.helpers import db_rows

LEGACY_WRITES = 300
APP_ROUNDS = 200

LEGACY_WRITER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from tests.legacy import legacy_connect, legacy_row, legacy_row_insert
    conn = legacy_connect(Path(sys.argv[1]))
    for i in range(1000, 1000 + int(sys.argv[2])):
        legacy_row_insert(conn, legacy_row(i))  # DEFERRED, as the CLI does
        conn.commit()
        time.sleep(0.001)
    conn.close()
    print("legacy writer done")
    """
)

APP_WORKER = textwrap.dedent(
    f"""
    from django.db import transaction
    from musicquality.fields import utc_now_iso
    from quality.models import FileQuality, LibraryFile
    seen = 0
    for round_ in range({APP_ROUNDS}):
        count = LibraryFile.objects.filter(is_active=True).count()
        assert count >= seen, (count, seen)
        seen = count
        file_id = round_ % 50 + 1
        with transaction.atomic(using="library"):
            FileQuality.objects.update_or_create(
                library_file_id=file_id,
                defaults=dict(file_format="mp3", quality_score=float(round_ % 100),
                              analyzed_at=utc_now_iso()),
            )
    print("app done", seen)
    """
)


def test_legacy_writer_and_app_share_the_file(tmp_path):
    library = legacy_library_create(
        tmp_path / "library_index.db", [legacy_row(i) for i in range(50)]
    )
    env = manage_env(tmp_path, MUSICQUALITY_BUSY_TIMEOUT="30")
    assert run_manage(env, "migrate", "--database=library").returncode == 0

    writer = subprocess.Popen(
        [sys.executable, "-c", LEGACY_WRITER, str(library), str(LEGACY_WRITES)],
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    app = run_manage(env, "shell", "-c", APP_WORKER)
    writer_out, writer_err = writer.communicate(timeout=300)

    assert app.returncode == 0, app.stderr
    assert writer.returncode == 0, writer_err
    assert "legacy writer done" in writer_out
    assert "database is locked" not in app.stderr + writer_err
    assert db_rows(library, "SELECT count(*) FROM library_index") == [(50 + LEGACY_WRITES,)]
    assert db_rows(library, "SELECT count(*) FROM file_quality") == [(50,)]
    assert db_rows(library, "PRAGMA integrity_check") == [("ok",)]
