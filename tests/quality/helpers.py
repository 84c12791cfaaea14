"""Helpers for the quality tests."""

from __future__ import annotations

from pathlib import Path

from quality.services.tags import AudioTags, TagReadError, tagged_file_read


def tags_read(*, path: Path) -> AudioTags:
    """The tags the scanner stores for ``path`` (empty when it cannot read them)."""
    try:
        return tagged_file_read(path=path).tags
    except TagReadError:
        return AudioTags()
