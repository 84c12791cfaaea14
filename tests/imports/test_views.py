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
from tests.factories import tags_write
from tests.imports.helpers import flac, melody, sha256

pytestmark = [
    # transactional: a job checks the library file from a connection of its own
    pytest.mark.django_db(databases=LIBRARY_DBS, transaction=True),
    pytest.mark.usefixtures("clean_library"),
]


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


VET = "/jobs/imports/vet/"
PLAN = "/jobs/imports/apply/"
START = "/jobs/imports/apply/start/"


def test_a_folder_outside_the_import_roots_is_refused(superuser_client, roots, tmp_path):
    from jobs.models import Job

    outside = tmp_path / "elsewhere"
    outside.mkdir()
    response = superuser_client.post(VET, {"folder": str(outside)}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("imports:list")
    assert "is not inside MUSICQUALITY_IMPORT_ROOTS" in response.content.decode()
    # nor through a link that points out of them
    (roots[0] / "link").symlink_to(outside)
    response = superuser_client.post(VET, {"folder": str(roots[0] / "link")}, follow=True)
    assert "is not inside MUSICQUALITY_IMPORT_ROOTS" in response.content.decode()
    assert ImportVetting.objects.count() == 0 and Job.objects.count() == 0


def test_only_staff_may_start_the_jobs(client, roots):
    client.force_login(User.objects.create_user("listener", password="x-long-password"))
    assert client.post(VET, {"folder": str(roots[0])}).status_code == 403
    assert client.post(START, {"vetting": "1", "select": ["1"]}).status_code == 403


def test_vet_as_a_job_review_dry_run_and_apply_a_new_recording(superuser_client, roots):
    from jobs.models import Job

    downloads, music = roots
    song = tags_write(
        flac(downloads / "batch" / "song.flac", melody(31)), artist="Band", title="Song"
    )
    digest = sha256(song)

    job_page = superuser_client.post(VET, {"folder": str(downloads / "batch")}, follow=True)
    job = Job.objects.get()
    assert (job.kind, job.status) == ("vet_import", "done"), (job.message, job.log_tail)
    assert "1 files vetted: 1 new" in job.message
    assert VettingHistory.objects.get().new_songs == 1  # the vetting is the run recorded
    vetting = ImportVetting.objects.get()
    assert f'href="/imports/{vetting.pk}/"' in job_page.content.decode()
    page = superuser_client.get(reverse("imports:detail", args=[vetting.pk])).content.decode()
    incoming = ImportFile.objects.get()
    assert (incoming.verdict, incoming.state) == ("new", "vetted")
    assert f'name="select" value="{incoming.pk}"' in page and "checked" in page
    assert '<span class="badge quality">FLAC 16/44.1</span>' in page  # s16 at 44.1 kHz, made so

    refused = superuser_client.post(
        PLAN,
        {"vetting": vetting.pk, "select": [incoming.pk], "into": "/tmp/not-the-library"},
        follow=True,
    )
    assert refused.redirect_chain[-1][0] == reverse("imports:detail", args=[vetting.pk])
    assert "outside MUSICQUALITY_LIBRARY_ROOTS" in refused.content.decode()

    into = music / "Imported"
    target = into / "Band" / "Unknown Album" / "song.flac"
    plan = superuser_client.post(
        PLAN, {"vetting": vetting.pk, "select": [incoming.pk], "into": str(into)}
    ).content.decode()
    assert str(target) in plan and "Nothing has changed yet." in plan
    assert song.is_file() and not target.exists()  # the dry run moved nothing

    superuser_client.post(
        START, {"vetting": vetting.pk, "select": [incoming.pk], "into": str(into)}, follow=True
    )
    applied = Job.objects.get(kind="import_apply")
    assert applied.status == "done" and "1 imported" in applied.message
    assert sha256(target) == digest and not song.exists()
    assert LibraryFile.objects.filter(file_path=str(target)).exists()
    incoming.refresh_from_db()
    assert (incoming.state, Path(incoming.destination)) == ("done", target)
    assert VettingHistory.objects.get().new_songs == 1
    # applied files cannot be selected again, nor applied through a forged post
    again = superuser_client.get(reverse("imports:detail", args=[vetting.pk])).content.decode()
    assert 'name="select"' not in again
    forged = superuser_client.post(
        START, {"vetting": vetting.pk, "select": [incoming.pk], "into": str(into)}, follow=True
    )
    assert "is not a file of vetting" in forged.content.decode()


def test_applying_a_vetting_in_two_batches_records_one_vetting_run(superuser_client, roots):
    downloads, music = roots
    for number in (33, 34):
        tags_write(
            flac(downloads / "batch" / f"song{number}.flac", melody(number)),
            artist="Band",
            title=f"Song {number}",
        )
    superuser_client.post(VET, {"folder": str(downloads / "batch")})
    vetting = ImportVetting.objects.get()
    into = str(music / "Imported")
    for incoming in ImportFile.objects.order_by("path"):
        superuser_client.post(
            START, {"vetting": vetting.pk, "select": [incoming.pk], "into": into}, follow=True
        )
    assert sorted(ImportFile.objects.values_list("state", flat=True)) == ["done", "done"]
    [run] = VettingHistory.objects.all()
    assert (run.import_folder, run.total_files, run.new_songs) == (
        str(downloads / "batch"),
        2,
        2,
    )


def test_apply_needs_a_selection(superuser_client, roots):
    downloads, music = roots
    tags_write(flac(downloads / "batch" / "song.flac", melody(32)), artist="Band", title="Song")
    superuser_client.post(VET, {"folder": str(downloads / "batch")})
    vetting = ImportVetting.objects.get()
    response = superuser_client.post(PLAN, {"vetting": vetting.pk, "into": str(music)}, follow=True)
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


def test_a_vetting_through_the_api_names_the_stored_vetting(superuser_client, roots, tmp_path):
    downloads, _music = roots
    tags_write(flac(downloads / "batch" / "song.flac", melody(33)), artist="Band", title="Song")
    response = superuser_client.post(
        "/api/jobs/",
        {"kind": "vet_import", "folder": str(downloads / "batch")},
        content_type="application/json",
    )
    assert response.status_code == 202
    job = superuser_client.get(f"/api/jobs/{response.json()['id']}/").json()
    assert job["status"] == "done"
    assert job["result"]["vetting_id"] == ImportVetting.objects.get().pk
    assert job["result"]["new"] == 1
    refused = superuser_client.post(
        "/api/jobs/",
        {"kind": "vet_import", "folder": str(tmp_path)},
        content_type="application/json",
    )
    assert refused.status_code == 400
    assert "is not inside MUSICQUALITY_IMPORT_ROOTS" in refused.content.decode()


def test_a_file_an_interrupted_apply_left_open_is_offered_and_finished(superuser_client, roots):
    """As a SIGKILL right after the intent leaves it (test_apply_job_crash.py kills for real):
    the page selects it, the dry run says it will be finished, and the job applies it."""
    from jobs.models import Job

    downloads, music = roots
    song = tags_write(
        flac(downloads / "batch" / "song.flac", melody(33)), artist="Band", title="Song"
    )
    digest = sha256(song)
    superuser_client.post(VET, {"folder": str(downloads / "batch")})
    vetting = ImportVetting.objects.get()
    target = music / "Imported" / "Band" / "Unknown Album" / "song.flac"
    ImportFile.objects.update(state="moving", destination=str(target))
    incoming = ImportFile.objects.get()

    page = superuser_client.get(reverse("imports:detail", args=[vetting.pk])).content.decode()
    assert f'name="select" value="{incoming.pk}" aria-label="apply song.flac" checked' in page
    assert 'id="apply-button"' in page
    into = str(music / "Imported")
    plan = superuser_client.post(
        PLAN, {"vetting": vetting.pk, "select": [incoming.pk], "into": into}
    ).content.decode()
    assert 'data-action="finish"' in plan and "left by an interrupted apply" in plan
    assert song.is_file() and not target.exists()

    superuser_client.post(START, {"vetting": vetting.pk, "select": [incoming.pk], "into": into})
    applied = Job.objects.get(kind="import_apply")
    assert applied.status == "done" and "1 imported" in applied.message, applied.message
    assert "undone" in applied.log_tail  # settled first: it had not moved
    assert sha256(target) == digest and not song.exists()
    incoming.refresh_from_db()
    assert incoming.state == "done"
