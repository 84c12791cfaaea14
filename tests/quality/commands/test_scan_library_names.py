"""scan_library over file names the database cannot hold, and over the quarantine folder."""

import os
import shutil
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from quality.models import LibraryFile
from quality.services.scanning import file_row_read, rows_upsert
from tests.conftest import LIBRARY_DBS
from tests.dedup.helpers import audio_write

pytestmark = [
    pytest.mark.django_db(databases=LIBRARY_DBS, transaction=True),
    pytest.mark.usefixtures("clean_library"),
]


def scan(*paths) -> str:
    out = StringIO()
    call_command("scan_library", *map(str, paths), workers=1, stdout=out)
    return out.getvalue()


def bytes_named(folder: bytes, name: bytes, *, seed: int, scratch: Path) -> bytes:
    """A real WAV file at ``folder/name`` (raw bytes); its path as bytes."""
    made = audio_write(scratch / f"made-{seed}.wav", seed=seed)
    target = os.path.join(folder, name)
    os.rename(made, target)
    return target


def test_a_name_that_is_not_utf8_is_listed_and_never_stops_the_scan(tmp_path):
    music = tmp_path / "music"
    good = [audio_write(music / f"good {n}.wav", seed=n) for n in range(3)]
    bytes_named(os.fsencode(music), b"bad\xff.wav", seed=10, scratch=tmp_path)
    folder = os.path.join(os.fsencode(music), b"folder \xfe")
    os.mkdir(folder)
    bytes_named(folder, b"x.wav", seed=11, scratch=tmp_path)

    for _ in range(2):  # the next run is not blocked either
        output = scan(music)
        assert f"name not UTF-8: {music}/bad\\xff.wav" in output
        assert f"name not UTF-8: {music}/folder \\xfe" in output
        assert "Problems: 2 name not UTF-8" in output
        assert sorted(LibraryFile.objects.values_list("file_path", flat=True)) == [
            str(path) for path in good
        ]


def test_one_row_that_cannot_be_written_never_loses_its_batch(tmp_path):
    music = tmp_path / "music"
    paths = [audio_write(music / f"song {n}.wav", seed=n) for n in range(3)]
    rows = []
    for path in paths:
        info = path.stat()
        row, _ = file_row_read(str(path), info.st_size, info.st_mtime)
        rows.append(row)
    broken = rows[1]._replace(file_path=os.fsdecode(b"/music/bad\xff.wav"))
    problems = rows_upsert([rows[0], broken, rows[2]])
    assert [problem.path for problem in problems] == [broken.file_path]
    assert sorted(LibraryFile.objects.values_list("file_path", flat=True)) == [
        str(paths[0]),
        str(paths[2]),
    ]


def test_the_quarantine_folder_is_never_indexed(tmp_path, settings):
    music = tmp_path / "music"
    audio_write(music / "song.wav", seed=1)
    quarantine = music / "quarantine"
    audio_write(quarantine / "session" / "music" / "song.wav", seed=1)
    settings.QUARANTINE_DIR = quarantine
    output = scan(music)
    assert LibraryFile.objects.get().file_path == str(music / "song.wav")
    assert f"quarantine folder (skipped): {quarantine}" in output
    shutil.rmtree(quarantine)
