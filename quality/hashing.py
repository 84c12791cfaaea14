"""The two hashes the Music Tools CLI stores in ``library_index``, and a full-content hash.

``metadata_hash`` and ``content_hash_sampled`` must give exactly the legacy tool's values
(docs/legacy-schema.md) so that rows written by either tool compare. The sampled hash only
*suggests* identity; :func:`content_hash_full` proves it before anything is deleted.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from musicquality.regular_files import regular_file_open

SAMPLE_BYTES = 64 * 1024
MIDDLE_SAMPLE_MIN_SIZE = 256 * 1024
TAIL_SAMPLE_MIN_SIZE = 128 * 1024
MAX_HASHED_SIZE = 10 * 1024**3
FULL_HASH_CHUNK = 1024 * 1024

HASH_FAILED = "HASH_FAILED"
TOO_LARGE_SUFFIX = "_FILE_TOO_LARGE"


def metadata_hash(*, artist: str | None, title: str | None, filename_stem: str) -> str:
    artist_key = (artist or "").strip().lower()
    title_key = (title or "").strip().lower()
    if not artist_key and not title_key:
        return hashlib.md5(f"NO_METADATA:{filename_stem.lower()}".encode()).hexdigest()
    return hashlib.md5(f"{artist_key}|{title_key}".encode()).hexdigest()


def content_hash_sampled(*, path: Path) -> str:
    """SHA-256 of the size and up to three 64 KiB samples, as ``{size}_{hex}``, or a marker."""
    try:
        size = path.stat().st_size
        if size > MAX_HASHED_SIZE:
            return f"{size}{TOO_LARGE_SUFFIX}"
        digest = hashlib.sha256(str(size).encode("utf-8"))
        with regular_file_open(path) as handle:
            digest.update(handle.read(SAMPLE_BYTES))
            if size >= MIDDLE_SAMPLE_MIN_SIZE:
                handle.seek(size // 2)
                digest.update(handle.read(SAMPLE_BYTES))
            if size >= TAIL_SAMPLE_MIN_SIZE:
                handle.seek(size - SAMPLE_BYTES)
                digest.update(handle.read(SAMPLE_BYTES))
    except OSError:
        return HASH_FAILED
    return f"{size}_{digest.hexdigest()}"


def is_hash_marker(value: str | None) -> bool:
    """True for values that stand for "no hash": they must never match anything."""
    if not value:
        return True
    return value == HASH_FAILED or value.endswith(TOO_LARGE_SUFFIX) or "_" not in value


def content_hash_full(*, path: Path) -> str:
    """SHA-256 hex of every byte of the file."""
    digest = hashlib.sha256()
    with regular_file_open(path) as handle:
        while chunk := handle.read(FULL_HASH_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()
