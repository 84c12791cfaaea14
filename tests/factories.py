"""Rows for tests: plain functions that create model instances with sensible defaults."""

from __future__ import annotations

import itertools
from pathlib import Path

import mutagen

from dedup.models import DedupHistory
from musicquality.fields import utc_now_iso
from quality.hashing import metadata_hash
from quality.models import FileQuality, LibraryFile
from quality.versions import ANALYZER_VERSION

_counter = itertools.count(1)


def library_file_make(**overrides) -> LibraryFile:
    n = next(_counter)
    artist = overrides.pop("artist", f"Artist {n}")
    title = overrides.pop("title", f"Title {n}")
    file_format = overrides.pop("file_format", "mp3")
    filename = overrides.pop("filename", f"{n:05d} {title}.{file_format}")
    values = {
        "file_path": f"/music/{artist}/{filename}",
        "filename": filename,
        "artist": artist,
        "title": title,
        "album": f"Album {n % 5}",
        "year": 2000 + n % 20,
        "duration": 200.0,
        "file_format": file_format,
        "file_size": 4_000_000 + n,
        "metadata_hash": metadata_hash(
            artist=artist, title=title, filename_stem=filename.rsplit(".", 1)[0]
        ),
        "file_content_hash": f"{4_000_000 + n}_{n:064x}",
        "indexed_at": utc_now_iso(),
        "file_mtime": utc_now_iso(),
        "is_active": True,
    }
    values.update(overrides)
    return LibraryFile.objects.create(**values)


def file_quality_make(library_file: LibraryFile, **overrides) -> FileQuality:
    values = {
        "file_format": library_file.file_format,
        "codec": "MP3",
        "bitrate": 192,
        "sample_rate": 44100,
        "bit_depth": None,
        "channels": 2,
        "quality_score": 50.0,
        "is_lossless": False,
        "is_hires": False,
        "bitrate_mode": "CBR",
        "analyzed_at": utc_now_iso(),
        "analyzer_version": ANALYZER_VERSION,
    }
    values.update(overrides)
    return FileQuality.objects.create(library_file=library_file, **values)


def dedup_history_make(**overrides) -> DedupHistory:
    """A finished ``dedup_history`` row (file already in quarantine, or not: tests decide)."""
    values = {
        "deletion_session_id": "11111111-1111-1111-1111-111111111111",
        "deleted_at": utc_now_iso(),
        "file_path": "/music/Artist/Song.mp3",
        "filename": "Song.mp3",
        "file_size": 4_000_000,
        "file_format": "mp3",
        "artist": "Artist",
        "title": "Song",
        "metadata_hash": "m" * 32,
        "file_content_hash": f"4000000_{'0' * 64}",
        "deletion_reason": "exact_duplicate",
        "matched_by": "content_hash",
        "confidence_score": 1.0,
        "can_recover": True,
        "recovery_path": "/nonexistent/quarantine/music/Artist/Song.mp3",
        "notes": "moved into quarantine",
    }
    values.update(overrides)
    return DedupHistory.objects.create(**values)


def tags_write(path: Path, **tags: str) -> Path:
    """Write easy-mutagen tags (``artist=``, ``title=``, ``album=``...) into an audio file made
    by a test, adding a tag block when the file has none."""
    audio = mutagen.File(path, easy=True)
    if audio.tags is None:
        audio.add_tags()
    for key, value in tags.items():
        audio[key] = value
    audio.save()
    return path
