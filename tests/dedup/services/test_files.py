import os
from pathlib import Path

import pytest

from dedup.services.files import (
    COMPARE_CHUNK,
    DedupRefused,
    file_move,
    files_identical,
    library_file_check,
    quarantine_lock,
    quarantine_path_check,
    quarantine_path_for,
)
from musicquality.faults import FORCE_COPY_ENV
from tests.conftest import LIBRARY_DBS
from tests.dedup.helpers import bytes_write, sha256


@pytest.fixture(params=["same filesystem", "copy"])
def move_mode(request, monkeypatch):
    if request.param == "copy":
        monkeypatch.setenv(FORCE_COPY_ENV, "1")
    return request.param


def test_move_keeps_bytes_and_times_and_never_overwrites(tmp_path, move_mode):
    src = bytes_write(tmp_path / "a" / "song.mp3", os.urandom(200_000))
    os.utime(src, (1_600_000_000, 1_600_000_000))
    digest = sha256(src)
    dst = tmp_path / "q" / "deep" / "song.mp3"
    file_move(src=src, dst=dst)
    assert not src.exists() and sha256(dst) == digest
    assert dst.stat().st_mtime == 1_600_000_000
    assert not list(dst.parent.glob("*partial*"))

    other = bytes_write(tmp_path / "b" / "song.mp3", b"another file")
    with pytest.raises(FileExistsError):
        file_move(src=other, dst=dst)
    assert other.read_bytes() == b"another file" and sha256(dst) == digest


def test_quarantine_paths_mirror_the_original(dedup_settings, tmp_path):
    path = quarantine_path_for(session_id="s", file_path="/music/A/../A/x.mp3")
    assert path == tmp_path / "quarantine" / "s" / "music" / "A" / "x.mp3"


@pytest.mark.parametrize(
    "recovery_path",
    [
        None,
        "",
        "{q}",
        "{q}/../music/song.mp3",
        "{q}/s/../../music/song.mp3",
        "/etc/passwd",
        "{q}-evil/song.mp3",
        "{q}/link/song.mp3",
        "{q}/s",
        "{q}/.musicquality-dedup.lock",
    ],
)
def test_recovery_paths_outside_the_quarantine_are_refused(dedup_settings, tmp_path, recovery_path):
    quarantine = tmp_path / "quarantine"
    quarantine.mkdir()
    (quarantine / "link").symlink_to(tmp_path / "music")
    with pytest.raises(DedupRefused):
        quarantine_path_check(
            recovery_path.format(q=quarantine) if recovery_path else recovery_path,
            session_id="s",
        )


def test_a_recovery_path_inside_the_quarantine_is_accepted(dedup_settings, tmp_path):
    inside = tmp_path / "quarantine" / "s" / "music" / "song.mp3"
    assert quarantine_path_check(str(inside), session_id="s") == inside


@pytest.mark.parametrize("session", ["other", "..", "", "s/.."])
def test_a_recovery_path_outside_its_own_session_folder_is_refused(
    dedup_settings, tmp_path, session
):
    inside = tmp_path / "quarantine" / "s" / "music" / "song.mp3"
    with pytest.raises(DedupRefused, match="outside the quarantine directory"):
        quarantine_path_check(str(inside), session_id=session)


def test_library_file_check(dedup_settings, tmp_path):
    music = tmp_path / "music"
    inside = bytes_write(music / "x.mp3", b"x")
    assert library_file_check(inside) == inside
    outside = bytes_write(tmp_path / "elsewhere" / "y.mp3", b"y")
    (music / "escape").symlink_to(outside.parent)
    with pytest.raises(DedupRefused, match="outside"):
        library_file_check(outside)
    with pytest.raises(DedupRefused, match="outside"):
        library_file_check(music / "escape" / "y.mp3")
    with pytest.raises(DedupRefused, match="outside"):
        library_file_check(Path(f"{music}/../elsewhere/y.mp3"))
    with pytest.raises(DedupRefused, match="no longer exists"):
        library_file_check(music / "gone.mp3")


@pytest.mark.django_db(databases=LIBRARY_DBS, transaction=True)  # the lock syncs its commits
def test_only_one_run_at_a_time(dedup_settings):
    with quarantine_lock(), pytest.raises(DedupRefused, match="another dedupe"), quarantine_lock():
        pass
    with quarantine_lock():
        pass


@pytest.mark.parametrize("size", [0, 1, COMPARE_CHUNK - 1, COMPARE_CHUNK, 3 * COMPARE_CHUNK + 7])
def test_files_identical_compares_every_byte(tmp_path, size):
    data = os.urandom(size)
    a = bytes_write(tmp_path / "a", data)
    b = bytes_write(tmp_path / "b", data)
    assert files_identical(a, b)
    for offset in {0, size // 2, size - 1} if size else set():
        changed = bytearray(data)
        changed[offset] ^= 0x01
        b.write_bytes(bytes(changed))
        assert not files_identical(a, b)
    b.write_bytes(data + b"\0")
    assert not files_identical(a, b)
