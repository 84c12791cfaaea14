"""``import_apply`` in-process over real files: what it refuses per file, and how it settles
an interrupted move it cannot finish (the SIGKILL cases are in ``test_apply_crash.py``)."""

from __future__ import annotations

import pytest

from imports.models import ImportFile, ImportState
from imports.services.apply import import_apply, imports_pending_settle
from imports.services.vetting import import_vetting_run
from quality.models import LibraryFile
from quality.services.incoming import incoming_file_store
from quality.services.summary import library_summary_differences, library_summary_rebuild
from tests.conftest import LIBRARY_DBS
from tests.factories import tags_write
from tests.imports.helpers import flac, melody, mp3, sha256
from tests.quality.summary_helpers import assert_summary_is_the_library

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
    song = tags_write(flac(downloads / "song.flac", melody(51)), artist="Band", title="Song")
    vetting = import_vetting_run(folder=downloads)
    tags_write(song, album="Changed after vetting")
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


def test_an_apply_keeps_the_library_summary_equal_to_a_full_recomputation(roots):
    """Moving files in (indexed, analysed, verified) and quarantining the file an upgrade
    replaces go through the summary's writers: its numbers, search index and pairs are the
    library's after the apply, with no comparison needed (docs/summary.md)."""
    downloads, music = roots
    pcm = melody(54)
    old = music / "Band" / "Song.mp3"
    incoming_file_store(
        path=tags_write(mp3(old, pcm, 128), artist="Band", title="Song"), verified=None
    )
    library_summary_rebuild()
    tags_write(flac(downloads / "Song.flac", pcm), artist="Band", title="Song")
    tags_write(flac(downloads / "Newcomer.flac", melody(55)), artist="Newcomer", title="First Tune")
    vetting = import_vetting_run(folder=downloads)
    assert summary_facts_differ() == 0

    result = import_apply(vetting_id=vetting.pk, into=music)

    assert sorted(outcome.action for outcome in result.outcomes) == ["imported", "replaced"]
    assert not old.exists() and not LibraryFile.objects.filter(file_path=str(old)).exists()
    assert summary_facts_differ() == 0  # kept by the apply's own transactions
    assert_summary_is_the_library(words=("Band", "Song", "Newcomer", "Tune"))


def summary_facts_differ() -> int:
    """Files whose summary row differs from the library (the summary built: not a rebuild)."""
    differences = library_summary_differences()
    assert not differences.rebuild
    return differences.files
