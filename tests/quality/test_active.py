"""One definition of an active file, ``is_active = 1`` as the legacy tool reads it: every
selector, raw SQL or ORM, counts the same rows, and sums of file sizes never overflow."""

import pytest
from django.db import connections

from dedup.selectors import duplicate_candidates_list
from overview.selectors import health_get
from quality.selectors import (
    active_files_count,
    active_files_totals,
    analysis_backlog_count,
    files_to_analyse,
    library_row_counts,
    quality_distribution_get,
)
from tests.conftest import LIBRARY_DBS
from tests.factories import file_quality_make, library_file_make
from upgrades.selectors import upgrade_eligible_files

pytestmark = pytest.mark.django_db(databases=LIBRARY_DBS)


def is_active_set(row, value) -> None:
    """Write ``is_active`` as the legacy tool or another program may have left it."""
    with connections["library"].cursor() as cursor:
        cursor.execute("UPDATE library_index SET is_active = %s WHERE id = %s", [value, row.id])


@pytest.fixture
def mixed_rows():
    """Two active files, and one each with is_active 0, 2 and NULL; all analysed, lossy, 40."""
    rows = {}
    for value in (1, 1, 0, 2, None):
        row = library_file_make(artist="Same", title="Song", file_content_hash="5_" + "ab" * 32)
        file_quality_make(row, quality_score=40.0, analyzer_version="old")
        is_active_set(row, value)
        rows.setdefault(value, []).append(row.id)
    return rows


def test_every_reader_counts_exactly_the_rows_with_is_active_1(mixed_rows, superuser_client):
    active = sorted(mixed_rows[1])
    assert active_files_totals().files == 2
    assert active_files_count() == 2
    assert library_row_counts().library_index_active == 2
    assert health_get()["row_counts"]["library_index_active"] == 2
    assert sorted(f.id for f in files_to_analyse(force=True)) == active
    assert analysis_backlog_count() == 2
    assert quality_distribution_get().analysed == 2
    assert sorted(c.id for c in duplicate_candidates_list()) == active
    assert sorted(c.id for c in duplicate_candidates_list(members_only=False)) == active
    assert sorted(f.library_file_id for f in upgrade_eligible_files(threshold=70)) == active
    page = superuser_client.get("/files/").content.decode()
    assert all(f"/files/{i}/" in page for i in active)
    assert not any(f"/files/{i}/" in page for v in (0, 2, None) for i in mixed_rows[v])
    api = superuser_client.get("/api/files/").json()
    assert sorted(row["id"] for row in api["results"]) == active and api["count"] == 2


def test_a_huge_file_size_never_breaks_the_totals(superuser_client):
    for _ in range(2):
        library_file_make(file_size=9_223_372_036_854_775_807)
    assert active_files_totals().total_size == pytest.approx(2 * 9_223_372_036_854_775_807)
    response = superuser_client.get("/")
    assert response.status_code == 200


@pytest.mark.django_db(databases=LIBRARY_DBS, transaction=True)
@pytest.mark.usefixtures("clean_library")
def test_the_scanner_reads_is_active_the_same_way_and_never_overflows(tmp_path):
    """A row with is_active = 2 whose file is there and unchanged is made active (1); the
    totals of library_stats survive sizes past 2**63 (rows outside the scanned folder)."""
    import io

    from django.core.management import call_command

    from quality.models import LibraryFile, LibraryStats
    from quality.services.scanning import mtime_iso
    from tests.dedup.helpers import audio_write, library_row_for

    music = tmp_path / "music"
    path = audio_write(music / "here.wav", seed=1)
    present = library_row_for(path, artist="A", title="B")
    LibraryFile.objects.filter(id=present.id).update(file_mtime=mtime_iso(path.stat().st_mtime))
    is_active_set(present, 2)
    for n in range(2):
        library_file_make(file_path=f"/elsewhere/huge {n}.mp3", file_size=2**63 - 1)
    call_command("scan_library", str(music), workers=1, stdout=io.StringIO())
    with connections["library"].cursor() as cursor:
        cursor.execute("SELECT is_active FROM library_index WHERE id = %s", [present.id])
        assert cursor.fetchone() == (1,)
    stats = LibraryStats.objects.get()
    assert stats.total_files == 3 and stats.total_size == 2**63 - 1
