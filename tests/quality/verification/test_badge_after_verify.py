"""The badge of a VBR MP3 names the preset its LAME tag records once verify_audio has read it,
on every page that shows the file; before that, the preset nearest its average bitrate.

The file is made here by LAME at ``-V 2`` from quiet, dark music, which LAME encodes at about
122 kbps: its average alone names it V6 (LAME's table), so the pages can only show V2 by
reading the tag."""

from __future__ import annotations

import shutil
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connections
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from quality.models import LibraryFile
from quality.services.encoding import EncodeSpec, samples_encode
from quality.services.music_signal import music_like
from tests.conftest import LIBRARY_DBS
from tests.factories import file_quality_make, library_file_make, tags_write
from upgrades.models import UpgradeCandidate

pytestmark = pytest.mark.django_db(databases=LIBRARY_DBS, transaction=True)

V2 = EncodeSpec("v2", "mp3", "libmp3lame", vbr_quality=2, options={"compression_level": "7"})


def run(command: str, *args: str) -> None:
    call_command(command, *args, workers=1, stdout=StringIO())


def badge(text: str) -> str:
    return f'<span class="badge quality">{text}</span>'


@pytest.mark.usefixtures("clean_library")
def test_pages_name_the_preset_of_the_lame_tag_after_verification(tmp_path, superuser_client):
    folder = tmp_path / "music"
    folder.mkdir()
    quiet = music_like(seconds=8, seed=3, noise_level_db=-70, level_db=-20, tilt_db_per_octave=9)
    made = samples_encode(path=folder / "quiet.mp3", spec=V2, data=quiet, sample_rate=44100)
    tags_write(made, artist="Quiet Band", title="Hush")
    shutil.copyfile(made, folder / "quiet copy.mp3")  # a duplicate group: the review page
    call_command("scan_library", str(folder), workers=1, stdout=StringIO())
    run("analyze_quality")
    first = LibraryFile.objects.get(file_path=str(made))

    listed = superuser_client.get(reverse("file_list")).content.decode()
    assert badge("MP3 V6") in listed and "MP3 V2" not in listed  # the average's guess

    run("verify_audio")
    run("identify_upgrades")
    assert UpgradeCandidate.objects.filter(library_file_id=first.pk).exists()
    pages = {
        "file list": reverse("file_list"),
        "file page": reverse("file_detail", args=[first.pk]),
        "duplicate review": reverse("dedup_review"),
        "upgrade candidates": reverse("upgrades:candidates"),
        "candidates admin": reverse("admin:upgrades_upgradecandidate_changelist"),
    }
    for name, url in pages.items():
        page = superuser_client.get(url).content.decode()
        assert "MP3 V2" in page, name
        assert "MP3 V6" not in page, name

    # a verification older than the file no longer speaks for it: the guess again
    LibraryFile.objects.filter(pk=first.pk).update(file_mtime="2999-01-01T00:00:00+00:00")
    page = superuser_client.get(reverse("file_detail", args=[first.pk])).content.decode()
    assert badge("MP3 V6") in page


@pytest.mark.usefixtures("clean_library")
def test_the_file_list_reads_each_verification_with_its_file_not_one_query_each(
    superuser_client,
):
    """The badge reads the verification fetched with the file (``library_files_by_id``): the
    queries of a page do not grow with its VBR rows."""
    from quality.models import AudioVerification

    def vbr_files(count: int) -> None:
        for _ in range(count):
            row = library_file_make(file_format="mp3")
            file_quality_make(row, codec="MP3", bitrate=190, bitrate_mode="VBR")
            AudioVerification.objects.create(
                library_file=row,
                verified_at=row.file_mtime,
                verifier_version="test",
                integrity="ok",
                md5_status="n.a.",
                verdict="ok",
                evidence='{"encoder_settings": "-V 0"}',
            )

    def page_queries() -> tuple[int, str]:
        with CaptureQueriesContext(connections["library"]) as queries:
            page = superuser_client.get(reverse("file_list")).content.decode()
        return len(queries), page

    vbr_files(2)
    few, page = page_queries()
    assert page.count(badge("MP3 V0")) == 2  # the tag's preset, not V2 (190 kbps's guess)
    vbr_files(20)
    many, page = page_queries()
    assert page.count(badge("MP3 V0")) == 22
    assert many <= few  # (the first request also reconciled the summary)
