"""Opening a user's file for reading, only when it is a regular file.

A plain ``open()`` of a FIFO blocks until something writes to it, forever if nothing does,
and a device or socket is no music either. The scanner skips them, but one can replace an
indexed file at any time, so every read of a library or quarantine file (analysis, tags,
hashes, byte comparisons, copies) opens it here: without blocking, then checked with
``fstat`` on the open descriptor (no race between the check and the open).
"""

from __future__ import annotations

import errno
import io
import os
import stat


class NotRegularFileError(OSError):
    """The path is a FIFO, socket, device or folder: nothing to read as a file."""


def regular_file_open(
    path: str | os.PathLike, *, buffered: bool = True
) -> io.BufferedReader | io.FileIO:
    """``path`` opened for binary reading, with ``.name`` set to the path as ``open()`` sets
    it (``buffered=False``: the raw file, as ``open(path, "rb", buffering=0)``), or
    :class:`NotRegularFileError` / the ``OSError`` of the open."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            kind = "a folder" if stat.S_ISDIR(mode) else "a FIFO, socket or device"
            raise NotRegularFileError(errno.EINVAL, f"not a regular file ({kind})", os.fspath(path))
        raw = io.FileIO(fd, "rb", closefd=True)
    except BaseException:
        os.close(fd)
        raise
    raw.name = os.fspath(path)  # type: ignore[misc]  # FileIO keeps it as a plain attribute
    return io.BufferedReader(raw) if buffered else raw


def regular_file_check(path: str | os.PathLike) -> None:
    """Raise :class:`NotRegularFileError` (or the open's ``OSError``) unless ``path`` is a
    regular file, for a reader that must open the path itself (FFmpeg, through PyAV)."""
    regular_file_open(path, buffered=False).close()
