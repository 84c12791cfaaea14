"""Where dedup may read and write: library roots, the quarantine, recovery targets.

Every comparison of two places resolves symbolic links and ``..`` on both sides first
(``dedup.services.files.real_path``), so a path cannot be inside a folder by spelling and
outside it on disk, nor the other way round.
"""

import datetime
import io
import os
import shutil
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from dedup.models import DedupHistory
from dedup.selectors import PENDING_NOTE_PREFIX
from dedup.services.dedupe import Settled, dedupe_apply, dedupe_plan, dedupe_resume
from dedup.services.files import DedupRefused, quarantine_path_for
from dedup.services.purge import quarantine_purge
from dedup.services.recover import dedup_history_recover
from quality.models import LibraryFile
from tests.conftest import LIBRARY_DBS
from tests.dedup.helpers import (
    audio_write,
    library_row_for,
    pending_history_make,
    sha256,
    tree_checksum,
)

pytestmark = pytest.mark.django_db(databases=LIBRARY_DBS)


# --- defect 2: a quarantine folder overlapping a library root -------------------------------


def overlap_settings(settings, tmp_path, kind: str) -> None:
    music = tmp_path / "music"
    if kind == "quarantine inside a root":
        settings.QUARANTINE_DIR = music / "quarantine"
    elif kind == "quarantine is a root":
        settings.QUARANTINE_DIR = music
    elif kind == "root inside the quarantine":
        settings.QUARANTINE_DIR = tmp_path
    elif kind == "quarantine inside a root through a symlink":
        (tmp_path / "q-link").symlink_to(music, target_is_directory=True)
        settings.QUARANTINE_DIR = tmp_path / "q-link" / "quarantine"
    else:
        raise AssertionError(kind)


OVERLAPS = [
    "quarantine inside a root",
    "quarantine is a root",
    "root inside the quarantine",
    "quarantine inside a root through a symlink",
]


@pytest.mark.parametrize("kind", OVERLAPS)
def test_quarantine_overlapping_a_library_root_is_refused_by_every_service(
    dedup_library, dedup_settings, tmp_path, kind
):
    plan = dedupe_plan(min_confidence=0.9)
    assert plan.files == 2
    overlap_settings(dedup_settings, tmp_path, kind)
    before = (tree_checksum(tmp_path), set(DedupHistory.objects.values_list("id", flat=True)))
    with pytest.raises(DedupRefused, match="overlaps the library root"):
        dedupe_plan(min_confidence=0.9)
    with pytest.raises(DedupRefused, match="overlaps the library root"):
        dedupe_apply(groups=plan.groups)
    with pytest.raises(DedupRefused, match="overlaps the library root"):
        dedupe_resume()
    with pytest.raises(DedupRefused, match="overlaps the library root"):
        dedup_history_recover(ids=[1])
    for apply in (False, True):
        with pytest.raises(DedupRefused, match="overlaps the library root"):
            quarantine_purge(older_than=datetime.timedelta(0), apply=apply)
    assert (tree_checksum(tmp_path), set(DedupHistory.objects.values_list("id", flat=True))) == (
        before
    )


@pytest.mark.django_db(transaction=True, databases=LIBRARY_DBS)
@pytest.mark.parametrize(
    "args",
    [
        ("dedupe",),
        ("dedupe", "--apply", "--yes"),
        ("dedupe", "--resume"),
        ("recover", "1"),
        ("recover", "1", "--apply"),
        ("purge_quarantine",),
        ("purge_quarantine", "--apply"),
    ],
)
def test_quarantine_inside_a_root_is_refused_by_every_command(
    dedup_library, dedup_settings, tmp_path, args
):
    overlap_settings(dedup_settings, tmp_path, "quarantine inside a root")
    before = tree_checksum(tmp_path)
    try:
        with pytest.raises(CommandError, match="overlaps the library root"):
            extra = {"stdin": io.StringIO()} if args[0] == "dedupe" else {}
            call_command(*args, stdout=io.StringIO(), **extra)
        assert tree_checksum(tmp_path) == before
    finally:
        LibraryFile.objects.all().delete()


def test_the_recover_action_of_the_admin_page_refuses_the_overlap(
    dedup_library, dedup_settings, tmp_path, superuser_client
):
    dedupe_apply(groups=dedupe_plan(min_confidence=0.9).groups)
    overlap_settings(dedup_settings, tmp_path, "quarantine is a root")
    before = tree_checksum(tmp_path)
    ids = list(DedupHistory.objects.values_list("id", flat=True))
    response = superuser_client.post(
        "/admin/dedup/deduphistory/",
        {"action": "recover_selected", "_selected_action": ids},
        follow=True,
    )
    assert "overlaps the library root" in response.content.decode()
    assert tree_checksum(tmp_path) == before
    assert DedupHistory.objects.filter(can_recover=True).count() == len(ids)


def test_quarantine_beside_a_root_with_a_common_prefix_is_accepted(dedup_library, dedup_settings):
    dedup_settings.QUARANTINE_DIR = dedup_library.root / "music-quarantine"
    result = dedupe_apply(groups=dedupe_plan(min_confidence=0.9).groups)
    assert len(result.quarantined) == 2


# --- defect 3: recover never writes outside the intended folder -----------------------------


@pytest.fixture
def quarantined_a2(dedup_library):
    result = dedupe_apply(groups=dedupe_plan(min_confidence=0.9).groups)
    assert len(result.quarantined) == 2
    history = DedupHistory.objects.get(original_library_id=dedup_library.rows["a2"].id)
    return history, sha256(Path(history.recovery_path))


def test_recover_to_dir_keeps_a_dotted_file_path_inside_dir(quarantined_a2, tmp_path):
    history, digest = quarantined_a2
    # One ".." more than the folders before them: joined under DIR as it is, the path
    # climbs out of DIR into tmp_path.
    climbs = len((tmp_path / "music").parts)
    dotted = str(tmp_path / "music") + "/.." * climbs + "/escaped/Song A.wav"
    DedupHistory.objects.filter(id=history.id).update(file_path=dotted)
    target_dir = tmp_path / "restored"
    (outcome,) = dedup_history_recover(ids=[history.id], to=target_dir)
    assert outcome.recovered, outcome.detail
    restored = Path(outcome.restored_to)
    assert ".." not in restored.parts and restored.is_relative_to(target_dir)
    assert sha256(restored) == digest
    assert not (tmp_path / "escaped").exists()


def test_recover_refuses_an_original_path_through_a_symlink_leading_outside_the_roots(
    quarantined_a2, tmp_path
):
    history, digest = quarantined_a2
    outside = tmp_path / "outside"
    outside.mkdir()
    (tmp_path / "music" / "escape").symlink_to(outside, target_is_directory=True)
    DedupHistory.objects.filter(id=history.id).update(
        file_path=str(tmp_path / "music" / "escape" / "Song A.wav")
    )
    (outcome,) = dedup_history_recover(ids=[history.id])
    assert not outcome.recovered
    assert "outside MUSICQUALITY_LIBRARY_ROOTS" in outcome.detail
    assert list(outside.iterdir()) == []
    assert sha256(Path(history.recovery_path)) == digest


def test_recover_refuses_a_dotted_path_that_leaves_the_roots(quarantined_a2, tmp_path):
    history, _ = quarantined_a2
    dotted = str(tmp_path / "music" / ".." / "outside" / "Song A.wav")
    DedupHistory.objects.filter(id=history.id).update(file_path=dotted)
    (outcome,) = dedup_history_recover(ids=[history.id])
    assert not outcome.recovered and "outside MUSICQUALITY_LIBRARY_ROOTS" in outcome.detail
    assert not (tmp_path / "outside").exists()


# --- defect 4: the keeper must be inside the roots ------------------------------------------


def test_a_group_whose_keeper_is_outside_the_roots_is_skipped(dedup_settings, tmp_path):
    music, outside = tmp_path / "music", tmp_path / "elsewhere"
    keeper = audio_write(outside / "Song.wav", seed=5)
    copies = [music / "A" / "Song.wav", music / "B" / "Song.wav"]
    for copy in copies:
        copy.parent.mkdir(parents=True)
        shutil.copyfile(keeper, copy)
    rows = [library_row_for(path, artist="X", title="Song") for path in (keeper, *copies)]
    LibraryFile.objects.filter(id=rows[0].id).update(indexed_at="2000-01-01T00:00:00+00:00")
    plan = dedupe_plan(min_confidence=0.9)
    (group,) = plan.groups
    assert group.keeper.file_path == str(keeper)

    before = (tree_checksum(music), tree_checksum(outside))
    result = dedupe_apply(groups=plan.groups)
    assert not result.quarantined
    assert all("keeper" in o.detail and "outside" in o.detail for o in result.skipped)
    assert (tree_checksum(music), tree_checksum(outside)) == before
    assert not DedupHistory.objects.exists()


# --- defect 6: quarantine paths longer than the system allows -------------------------------


def deep_library_file(music: Path, *, length: int = 4040) -> Path:
    """A file whose path is ``length`` bytes long: it exists, but its quarantine path (the
    quarantine folder and a session id in front of it) would pass PATH_MAX (4096 bytes)."""
    name = "Song.wav"
    folder = music
    while (room := length - len(os.fsencode(folder)) - len(name) - 2) > 0:
        folder = folder / ("d" * min(200, room))
    folder.mkdir(parents=True)
    made = audio_write(music / name, seed=3)  # libsndfile refuses names this long
    return Path(shutil.move(made, folder / name))


def quarantine_destination(settings, *, session: str, path: Path) -> Path:
    return Path(settings.QUARANTINE_DIR) / session / path.relative_to(path.anchor)


def test_a_quarantine_path_too_long_is_refused_before_the_history_row(dedup_settings, tmp_path):
    music = tmp_path / "music"
    deep = deep_library_file(music)
    keeper = audio_write(music / "Song.wav", seed=3)
    library_row_for(keeper, artist="X", title="Song")
    library_row_for(deep, artist="X", title="Song")
    LibraryFile.objects.filter(file_path=str(keeper)).update(indexed_at="2000-01-01T00:00:00+00:00")
    destination = quarantine_destination(dedup_settings, session="0" * 36, path=deep)
    assert len(os.fsencode(destination)) >= 4096
    with pytest.raises(DedupRefused, match="too long"):
        quarantine_path_for(session_id="0" * 36, file_path=str(deep))

    result = dedupe_apply(groups=dedupe_plan(min_confidence=0.9).groups)
    (skipped,) = result.skipped
    assert "too long" in skipped.detail and "MUSICQUALITY_QUARANTINE_DIR" in skipped.detail
    assert not DedupHistory.objects.exists()
    assert deep.is_file()
    again = dedupe_apply(groups=dedupe_plan(min_confidence=0.9).groups)  # never blocked
    assert not again.resumed.settled and len(again.skipped) == 1


def test_a_pending_row_whose_quarantine_path_can_never_exist_is_settled(dedup_settings, tmp_path):
    deep = deep_library_file(tmp_path / "music")
    row = library_row_for(deep, artist="X", title="Song")
    session = "0" * 36
    destination = quarantine_destination(dedup_settings, session=session, path=deep)
    history = pending_history_make(row, recovery_path=destination, session=session)

    resumed = dedupe_resume()
    assert resumed.settled == [(history, Settled.UNDONE)]
    assert not DedupHistory.objects.filter(notes__startswith=PENDING_NOTE_PREFIX).exists()
    assert deep.is_file() and LibraryFile.objects.filter(id=row.id).exists()
    assert dedupe_resume().settled == []


# --- defect 14: a library root given through a symbolic link --------------------------------


def test_a_symlinked_library_root_is_not_outside_itself(tmp_path, settings):
    real = tmp_path / "disk" / "music"
    link = tmp_path / "music-link"
    keeper = audio_write(real / "A" / "Song.wav", seed=7)
    copy = real / "B" / "Song.wav"
    copy.parent.mkdir(parents=True)
    shutil.copyfile(keeper, copy)
    link.symlink_to(real, target_is_directory=True)
    settings.LIBRARY_ROOTS = [link.resolve()]  # what settings.py makes of the link
    settings.QUARANTINE_DIR = tmp_path / "quarantine"
    for path in (link / "A" / "Song.wav", link / "B" / "Song.wav"):
        library_row_for(path, artist="X", title="Song")  # paths as a scan of the link stores them
    LibraryFile.objects.filter(file_path=str(link / "A" / "Song.wav")).update(
        indexed_at="2000-01-01T00:00:00+00:00"
    )
    result = dedupe_apply(groups=dedupe_plan(min_confidence=0.9).groups)
    assert [o.detail for o in result.skipped] == []
    assert len(result.quarantined) == 1 and not copy.exists() and keeper.exists()
    (outcome,) = dedup_history_recover(session=result.session_id)
    assert outcome.recovered, outcome.detail
    assert sha256(copy) == sha256(keeper)
