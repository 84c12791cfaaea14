"""``import_apply`` in-process over real files: what it refuses per file, and how it settles
an interrupted move it cannot finish (the SIGKILL cases are in ``test_apply_crash.py``)."""

from __future__ import annotations

import pytest

from imports.models import ImportFile, ImportState
from imports.services.apply import import_apply, imports_pending_settle
from imports.services.vetting import import_vetting_run
from quality.models import LibraryFile
from quality.services.incoming import incoming_file_store
from tests.conftest import LIBRARY_DBS
from tests.imports.helpers import flac, melody, mp3, sha256, tag

pytestmark = pytest.mark.django_db(databases=LIBRARY_DBS)


@pytest.fixture
def roots(tmp_path, settings):
    downloads, music = tmp_path / "downloads", tmp_path / "music"
    downloads.mkdir()
    music.mkdir()
    settings.LIBRARY_ROOTS = [music]
    settings.QUARANTINE_DIR = tmp_path / "quarantine"
    return downloads, music


def test_a_file_changed_since_it_was_vetted_is_left_alone(roots):
    downloads, music = roots
    song = tag(flac(downloads / "song.flac", melody(51)), artist="Band", title="Song")
    vetting = import_vetting_run(folder=downloads)
    tag(song, album="Changed after vetting")
    changed = sha256(song)

    result = import_apply(vetting_id=vetting.pk, into=music)

    [outcome] = result.outcomes
    assert outcome.action == "skipped" and "changed since it was vetted" in outcome.detail
    assert sha256(song) == changed and not list(music.rglob("*.flac"))
    assert ImportFile.objects.get().state == ImportState.VETTED


def test_an_upgrade_whose_old_file_left_the_library_is_left_alone(roots):
    downloads, music = roots
    pcm = melody(52)
    old = incoming_file_store(path=mp3(music / "Band" / "Song.mp3", pcm, 128), verified=None)
    flac(downloads / "Song.flac", pcm)
    vetting = import_vetting_run(folder=downloads)
    assert ImportFile.objects.get().verdict == "upgrade"
    LibraryFile.objects.filter(pk=old.pk).delete()  # e.g. deduped meanwhile

    [outcome] = import_apply(vetting_id=vetting.pk).outcomes

    assert outcome.action == "skipped" and "no longer in the library" in outcome.detail
    assert (downloads / "Song.flac").is_file() and (music / "Band" / "Song.mp3").is_file()


def test_an_interrupted_move_whose_copies_differ_keeps_both(roots):
    downloads, music = roots
    song = flac(downloads / "song.flac", melody(53))
    vetting = import_vetting_run(folder=downloads)
    destination = music / "song.flac"
    destination.write_bytes(b"something else wrote here")
    ImportFile.objects.filter(vetting=vetting).update(
        state=ImportState.MOVING, destination=str(destination)
    )

    _history, [outcome] = imports_pending_settle()

    assert outcome.action == "failed" and "both copies kept" in outcome.detail
    assert song.is_file() and destination.read_bytes() == b"something else wrote here"
    assert ImportFile.objects.get().state == ImportState.FAILED
