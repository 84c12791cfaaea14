"""scan_library on real folders: legacy row format, hashes, incremental rescan, vanished files."""

import datetime
import hashlib
import json
import os
import shutil
from dataclasses import replace
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from quality.models import LibraryFile, LibraryStats
from quality.services.demo import DemoTrack, tags_write
from quality.services.encoding import EncodeSpec, audio_encode
from quality.services.scanning import library_file_index
from quality.services.tags import tags_only_read
from tests.conftest import LIBRARY_DBS
from tests.quality.helpers import tags_read

pytestmark = [
    pytest.mark.django_db(databases=LIBRARY_DBS, transaction=True),
    pytest.mark.usefixtures("clean_library"),
]


# An independent implementation of the two legacy hashes, from docs/legacy-schema.md.
def expected_metadata_hash(artist, title, stem):
    a, t = (artist or "").strip().lower(), (title or "").strip().lower()
    text = f"NO_METADATA:{stem.lower()}" if not a and not t else f"{a}|{t}"
    return hashlib.md5(text.encode()).hexdigest()


def expected_content_hash(path: Path) -> str:
    data = path.read_bytes()
    size = len(data)
    parts = [str(size).encode(), data[:65536]]
    if size >= 256 * 1024:
        parts.append(data[size // 2 : size // 2 + 65536])
    if size >= 128 * 1024:
        parts.append(data[size - 65536 :])
    return f"{size}_{hashlib.sha256(b''.join(parts)).hexdigest()}"


TRACK = DemoTrack("Añna Artist", "First Song", "The Album", 1999, "USABC9912345")


@pytest.fixture
def music(tmp_path) -> Path:
    folder = tmp_path / "music"
    folder.mkdir()
    specs = [
        EncodeSpec("m", "mp3", "libmp3lame", bit_rate=128_000),
        EncodeSpec("f", "flac", "flac", sample_fmt="s16"),
        EncodeSpec("a", "m4a", "aac", bit_rate=128_000),
        EncodeSpec("w", "wav", "pcm_s16le"),
        EncodeSpec("o", "opus", "libopus", sample_rate=48_000, bit_rate=64_000),
        EncodeSpec("v", "ogg", "vorbis", vorbis_quality=0.3),
        EncodeSpec("i", "aiff", "pcm_s16be"),
    ]
    for number, spec in enumerate(specs):
        sub = folder / f"disc {number % 2}"
        sub.mkdir(exist_ok=True)
        path = audio_encode(path=sub / f"track {number}.{spec.extension}", spec=spec, seed=number)
        tags_write(path=path, track=replace(TRACK, title=f"Song {number}"))
    return folder


def scan(*paths, **options) -> str:
    out = StringIO()
    call_command("scan_library", *map(str, paths), workers=1, stdout=out, **options)
    return out.getvalue()


def test_rows_are_in_the_legacy_format_with_tags_of_every_format(music):
    scan(music)
    rows = list(LibraryFile.objects.order_by("file_path"))
    assert len(rows) == 7
    for row in rows:
        path = Path(row.file_path)
        assert path.is_absolute() and path.exists()
        assert row.filename == path.name
        assert row.file_format == path.suffix[1:].lower()
        assert row.file_size == path.stat().st_size
        assert row.artist == "Añna Artist" and row.album == "The Album" and row.year == 1999
        assert row.title.startswith("Song ")
        assert row.metadata_hash == expected_metadata_hash(row.artist, row.title, path.stem)
        assert row.file_content_hash == expected_content_hash(path)
        assert row.duration == pytest.approx(1.0, abs=0.1)
        assert row.is_active
        assert row.file_mtime == datetime.datetime.fromtimestamp(path.stat().st_mtime, datetime.UTC)
        raw = LibraryFile.objects.values_list("indexed_at", flat=True).get(id=row.id)
        assert raw.tzinfo is not None


def test_isrc_is_read_from_every_tag_format(music):
    for path in music.rglob("*.*"):
        assert tags_read(path=path).isrc == "USABC9912345", path


def test_tags_only_read_gives_the_same_tags_in_every_format(music):
    for path in music.rglob("*.*"):
        tags = tags_only_read(path=path)
        assert tags == tags_read(path=path), path
        assert (tags.artist, tags.album, tags.year, tags.isrc) == (
            "Añna Artist",
            "The Album",
            1999,
            "USABC9912345",
        ), path


def test_raw_timestamps_are_iso_utc_text(music):
    scan(music)
    from django.db import connections

    with connections["library"].cursor() as cursor:
        cursor.execute("SELECT indexed_at, file_mtime FROM library_index")
        for indexed_at, mtime in cursor.fetchall():
            assert "T" in indexed_at and indexed_at.endswith("+00:00")
            assert "T" in mtime and mtime.endswith("+00:00")


def test_rescan_skips_unchanged_updates_changed_in_place_and_marks_vanished(music):
    scan(music)
    before = {row.file_path: row for row in LibraryFile.objects.all()}
    changed = music / "disc 0" / "track 0.mp3"
    tags_write(path=changed, track=replace(TRACK, title="Renamed"))
    os.utime(changed, (1_700_000_000, 1_700_000_000))
    gone = music / "disc 1" / "track 1.flac"
    gone.unlink()
    output = scan(music)
    assert "0 added, 1 updated" in output and "1 vanished" in output
    after = {row.file_path: row for row in LibraryFile.objects.all()}
    assert set(after) == set(before)  # nothing deleted
    assert after[str(gone)].is_active is False
    assert after[str(changed)].id == before[str(changed)].id
    assert after[str(changed)].title == "Renamed"
    assert after[str(changed)].file_content_hash == expected_content_hash(changed)
    for path, row in after.items():
        if path not in (str(changed), str(gone)):
            assert row.indexed_at == before[path].indexed_at  # not touched
    # the file comes back: active again
    shutil.copyfile(changed, gone)
    scan(music)
    assert LibraryFile.objects.get(file_path=str(gone)).is_active is True


def test_legacy_rows_with_missing_tags_are_completed(music):
    path = music / "disc 0" / "track 0.mp3"
    info = path.stat()
    LibraryFile.objects.create(
        file_path=str(path),
        filename=path.name,
        file_format="mp3",
        file_size=info.st_size,
        metadata_hash=expected_metadata_hash(None, None, path.stem),
        file_content_hash=expected_content_hash(path),
        indexed_at="2025-01-01T00:00:00+00:00",
        file_mtime=datetime.datetime.fromtimestamp(info.st_mtime, datetime.UTC).isoformat(),
        is_active=True,
    )
    legacy_id = LibraryFile.objects.get().id
    output = scan(music)
    assert "1 completed with tags" in output
    row = LibraryFile.objects.get(file_path=str(path))
    assert row.id == legacy_id
    assert (row.artist, row.title) == ("Añna Artist", "Song 0")
    assert row.metadata_hash == expected_metadata_hash("Añna Artist", "Song 0", path.stem)


def test_library_stats_row(music):
    scan(music)
    stats = LibraryStats.objects.get()
    assert stats.total_files == 7
    assert stats.total_size == sum(p.stat().st_size for p in music.rglob("*.*"))
    assert json.loads(stats.formats_breakdown) == {
        "mp3": 1, "flac": 1, "m4a": 1, "wav": 1, "opus": 1, "ogg": 1, "aiff": 1,
    }  # fmt: skip
    assert stats.artists_count == 1 and stats.albums_count == 1
    assert stats.index_duration >= 0


def test_problems_are_listed_and_never_fatal(music, tmp_path):
    (music / "notes.mp3").write_text("this is a text file\n" * 50)
    (music / "cover.jpg").write_bytes(b"\xff\xd8\xff")  # not an audio extension: ignored
    locked = music / "locked"
    locked.mkdir()
    audio_encode(path=locked / "hidden.flac", spec=EncodeSpec("f", "flac", "flac"), seed=9)
    (music / "loop").symlink_to(music, target_is_directory=True)
    locked.chmod(0)
    try:
        readable = os.access(locked, os.R_OK)  # root reads anything
        output = scan(music)
    finally:
        locked.chmod(0o755)
    assert "not audio: " + str(music / "notes.mp3") in output
    assert "symlink loop" in output
    if not readable:
        assert "unreadable folder" in output
    assert LibraryFile.objects.filter(is_active=True).count() == (7 if not readable else 8)


def test_missing_root_is_refused_and_nothing_changes(music, tmp_path):
    scan(music)
    with pytest.raises(CommandError, match="is not a folder"):
        scan(tmp_path / "unmounted")
    assert LibraryFile.objects.filter(is_active=True).count() == 7


def test_library_file_index_contract(music):
    path = music / "disc 0" / "track 2.m4a"
    first = library_file_index(path=path)
    again = library_file_index(path=path)
    assert first.id == again.id and again.title == "Song 2"


def test_parallel_scan_gives_the_same_rows(music):
    out = StringIO()
    call_command("scan_library", str(music), workers=2, stdout=out)
    assert LibraryFile.objects.count() == 7
    assert all(r.artist == "Añna Artist" for r in LibraryFile.objects.all())
