"""Rows for tests: plain functions that create model instances with sensible defaults."""

from __future__ import annotations

import itertools

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
