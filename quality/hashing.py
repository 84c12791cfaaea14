"""The two hashes the Music Tools CLI stores in ``library_index``, and a full-content hash.

``metadata_hash`` and ``content_hash_sampled`` must give exactly the legacy tool's values
(docs/legacy-schema.md) so that rows written by either tool compare. The sampled hash only
*suggests* identity; :func:`content_hash_full` proves it before anything is deleted.
"""

from __future__ import annotations

import hashlib
import re
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


def content_hash_full(*, path: Path, algorithm: str = "sha256") -> str:
    """Hex digest of every byte of the file (SHA-256 unless another ``hashlib`` name)."""
    digest = hashlib.new(algorithm)
    with regular_file_open(path) as handle:
        while chunk := handle.read(FULL_HASH_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


_SAMPLED_FORM = re.compile(r"^\d+_[0-9a-f]{64}$")
_HEX = re.compile(r"^[0-9a-f]+$")
#: Full-content digests another tool may have stored, by their length in hex digits.
FULL_DIGESTS = {32: "md5", 40: "sha1", 64: "sha256"}


def hash_form(value: str | None) -> str | None:
    """What kind of hash ``value`` is: ``sampled`` (ours and the CLI's ``library_index``
    form), ``md5``/``sha1``/``sha256`` (hex of the full content), or None (a marker, or a
    form nothing here can check)."""
    text = (value or "").strip().lower()
    if _SAMPLED_FORM.match(text):
        return "sampled"
    if _HEX.match(text):
        return FULL_DIGESTS.get(len(text))
    return None


def content_matches_hash(*, path: Path, stored: str | None) -> bool | None:
    """Whether the file at ``path`` has the content ``stored`` describes, by recomputing that
    hash (a sampled one, or a full MD5/SHA-1/SHA-256); None when ``stored`` is of no form
    that can be checked. Raises ``OSError`` when the file cannot be read."""
    form = hash_form(stored)
    if form is None or stored is None:
        return None
    expected = stored.strip().lower()
    if form == "sampled":
        return content_hash_sampled(path=path) == expected
    return content_hash_full(path=path, algorithm=form) == expected
