"""The Imports page with Django's test client: who may use it, what it refuses, and a small
real folder vetted and applied through it (the full review runs in the browser test)."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from imports.models import ImportFile, ImportVetting
from quality.models import LibraryFile, VettingHistory
from tests.conftest import LIBRARY_DBS
from tests.imports.helpers import flac, melody, sha256, tag

pytestmark = pytest.mark.django_db(databases=LIBRARY_DBS)


@pytest.fixture
def roots(tmp_path, settings):
    downloads, music = tmp_path / "downloads", tmp_path / "music"
    (downloads / "batch").mkdir(parents=True)
    music.mkdir()
    settings.IMPORT_ROOTS = [downloads]
    settings.LIBRARY_ROOTS = [music]
    settings.QUARANTINE_DIR = tmp_path / "quarantine"
    return downloads, music


def test_the_page_is_for_staff(client, roots):
    assert client.get(reverse("imports:list")).status_code == 302  # to the login
    client.force_login(User.objects.create_user("listener", password="x-long-password"))
    assert client.get(reverse("imports:list")).status_code == 403


def test_the_page_offers_the_folders_under_the_import_roots(superuser_client, roots):
    downloads, _ = roots
    page = superuser_client.get(reverse("imports:list")).content.decode()
    assert f'<option value="{downloads / "batch"}">' in page
    assert "No folder vetted yet." in page


def test_a_folder_outside_the_import_roots_is_refused(superuser_client, roots, tmp_path):
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    response = superuser_client.post(reverse("imports:vet"), {"folder": str(outside)}, follow=True)
    assert "is not inside MUSICQUALITY_IMPORT_ROOTS" in response.content.decode()
    # nor through a link that points out of them
    (roots[0] / "link").symlink_to(outside)
    response = superuser_client.post(
        reverse("imports:vet"), {"folder": str(roots[0] / "link")}, follow=True
    )
    assert "is not inside MUSICQUALITY_IMPORT_ROOTS" in response.content.decode()
    assert ImportVetting.objects.count() == 0


def test_vet_review_and_apply_a_new_recording(superuser_client, roots):
    downloads, music = roots
    song = tag(flac(downloads / "batch" / "song.flac", melody(31)), artist="Band", title="Song")
    digest = sha256(song)

    response = superuser_client.post(
        reverse("imports:vet"), {"folder": str(downloads / "batch")}, follow=True
    )
    page = response.content.decode()
    assert "1 files vetted: 1 new" in page
    vetting = ImportVetting.objects.get()
    incoming = ImportFile.objects.get()
    assert (incoming.verdict, incoming.state) == ("new", "vetted")
    assert f'name="select" value="{incoming.pk}"' in page and "checked" in page

    refused = superuser_client.post(
        reverse("imports:apply", args=[vetting.pk]),
        {"select": [incoming.pk], "into": "/tmp/not-the-library"},
        follow=True,
    )
    assert "outside MUSICQUALITY_LIBRARY_ROOTS" in refused.content.decode()
    assert song.is_file()

    done = superuser_client.post(
        reverse("imports:apply", args=[vetting.pk]),
        {"select": [incoming.pk], "into": str(music / "Imported")},
        follow=True,
    )
    assert "Applied: 1 imported" in done.content.decode()
    target = music / "Imported" / "Band" / "Unknown Album" / "song.flac"
    assert sha256(target) == digest and not song.exists()
    assert LibraryFile.objects.filter(file_path=str(target)).exists()
    incoming.refresh_from_db()
    assert (incoming.state, Path(incoming.destination)) == ("done", target)
    assert VettingHistory.objects.get().new_songs == 1
    # applied files cannot be selected again
    again = superuser_client.get(reverse("imports:detail", args=[vetting.pk])).content.decode()
    assert 'name="select"' not in again


def test_apply_needs_a_selection(superuser_client, roots):
    downloads, music = roots
    tag(flac(downloads / "batch" / "song.flac", melody(32)), artist="Band", title="Song")
    superuser_client.post(reverse("imports:vet"), {"folder": str(downloads / "batch")})
    vetting = ImportVetting.objects.get()
    response = superuser_client.post(
        reverse("imports:apply", args=[vetting.pk]), {"into": str(music)}, follow=True
    )
    assert "select at least one file to apply" in response.content.decode()
    assert ImportFile.objects.get().state == "vetted"


def test_the_import_tables_render_the_body_django_tables2_renders(superuser_client, monkeypatch):
    from tests.musicquality.test_tables import DJANGO_TABLES2_TEMPLATE, tbody

    vetting = ImportVetting.objects.create(
        folder="/downloads/batch",
        started_at="2026-01-08T12:00:00+00:00",
        status="done",
        threshold=0.85,
        totals={"files": 2, "new": 1, "upgrade": 1, "unreadable": 1},
    )
    common = {"vetting": vetting, "file_size": 1, "file_mtime": "t", "content_hash": "h"}
    ImportFile.objects.create(
        **common,
        path='/downloads/batch/AC/DC & "<Friends>".flac',
        verdict="new",
        reason="no recording in the library",
        artist="AC/DC",
        file_format="flac",
        codec="FLAC",
        bitrate=900,
        incoming_score=85.0,
        audio_verdict="ok",
    )
    ImportFile.objects.create(
        **common,
        path="/downloads/batch/Song.flac",
        verdict="upgrade",
        reason="better",
        file_format="flac",
        incoming_score=85.0,
        library_id=7,
        library_match="/music/Song.mp3",
        library_score=32.7,
        library_format="mp3",
        matched_by="acoustic_fingerprint",
        state="done",
        detail="imported as /music/Song.flac",
    )
    for url, name in (
        (reverse("imports:list"), "table"),
        (reverse("imports:detail", args=[vetting.pk]), "table"),
    ):

        def body(url=url, name=name):
            response = superuser_client.get(url)
            table = response.context[name]
            html = response.content.decode().split(f'id="{table.attrs["id"]}"', 1)[1]
            return tbody(html), type(table)

        ours, table_class = body()
        monkeypatch.setattr(table_class._meta, "template_name", DJANGO_TABLES2_TEMPLATE)
        theirs, _ = body()
        monkeypatch.undo()
        assert ours == theirs and ours.startswith("<tr")
