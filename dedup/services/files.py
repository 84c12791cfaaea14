"""Moving user files safely: where they may be, where they go, and how they get there.

Every dedup write to the filesystem goes through this module, so the rules live in one
place: only files under ``MUSICQUALITY_LIBRARY_ROOTS`` are moved out, only paths under
``MUSICQUALITY_QUARANTINE_DIR`` are treated as quarantine (a ``recovery_path`` elsewhere is
refused), nothing is ever overwritten, and a move across filesystems is a copy that is
fsynced and verified by full-content hash before the original goes.
"""

from __future__ import annotations

import contextlib
import enum
import errno
import fcntl
import hashlib
import logging
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

from django.conf import settings

from musicquality.faults import fault_point, force_copy
from quality.hashing import FULL_HASH_CHUNK, content_hash_full

logger = logging.getLogger(__name__)

PARTIAL_SUFFIX = ".musicquality-partial"
COMPARE_CHUNK = 128 * 1024
"""Small enough that both chunks are still in the CPU cache when they are compared, which
is what lets a comparison run at the speed of a plain read (see bench/bench_dedup.py)."""
LOCK_NAME = ".musicquality-dedup.lock"


class DedupRefused(Exception):
    """An operation on one file (or the whole run) was refused; the message says why."""


def library_roots() -> list[Path]:
    return list(settings.LIBRARY_ROOTS)


def quarantine_dir() -> Path:
    return Path(settings.QUARANTINE_DIR)


def library_roots_require() -> list[Path]:
    roots = library_roots()
    if not roots:
        raise DedupRefused(
            "no library roots configured: set MUSICQUALITY_LIBRARY_ROOTS to your music "
            "folders (separated by ':'); files outside them are never moved"
        )
    return roots


def library_root_of(path: Path) -> Path | None:
    absolute = Path(os.path.abspath(path))
    for root in library_roots():
        if absolute.is_relative_to(root):
            return root
    return None


def library_file_check(path: Path) -> Path:
    """The file at ``path``, if it is a regular file (not a link) inside a library root."""
    absolute = Path(os.path.abspath(path))
    if library_root_of(absolute) is None or library_root_of(absolute.resolve()) is None:
        raise DedupRefused(f"{path} is outside MUSICQUALITY_LIBRARY_ROOTS: left alone")
    if absolute.is_symlink():
        raise DedupRefused(f"{path} is a symbolic link: left alone")
    if not absolute.is_file():
        raise DedupRefused(f"{path} no longer exists (or is not a file): rescan the library")
    return absolute


def quarantine_path_for(*, session_id: str, file_path: str) -> Path:
    """``QUARANTINE_DIR/<session>/<original absolute path>``: mirrored, never colliding."""
    absolute = Path(os.path.abspath(file_path))
    return quarantine_dir() / session_id / absolute.relative_to(absolute.anchor)


def quarantine_path_check(recovery_path: str | None) -> Path:
    """Refuse a ``recovery_path`` that is not strictly inside the quarantine directory.

    The path comes from a database row that anyone with the file can edit, so ``..`` tricks
    and symbolic links are resolved before comparing.
    """
    if not recovery_path:
        raise DedupRefused("history row has no recovery_path: nothing to recover")
    base = quarantine_dir().resolve()
    resolved = Path(recovery_path).resolve()
    if resolved == base or not resolved.is_relative_to(base):
        raise DedupRefused(
            f"recovery_path {recovery_path} is outside the quarantine directory {base}: refused"
        )
    return resolved


@contextlib.contextmanager
def quarantine_lock() -> Iterator[None]:
    """One dedupe/recover/purge at a time: a second run must not 'resume' the first's moves.

    ``flock`` is released by the kernel when the holder dies, so a killed run never leaves
    a stale lock behind.
    """
    base = quarantine_dir()
    base.mkdir(parents=True, exist_ok=True)
    handle = open(base / LOCK_NAME, "a+b")  # noqa: SIM115 (held for the whole block)
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise DedupRefused(
                "another dedupe, recover, purge_quarantine or vet_import --apply is running "
                f"(lock {base / LOCK_NAME}): wait until it finishes"
            ) from None
        yield
    finally:
        handle.close()


def files_identical(first: Path, second: Path) -> bool:
    """Whether two files hold the same bytes, compared in full.

    This is the full-content confirmation of exact duplicates: stronger than comparing two
    full-content hashes (no collision is possible) and bound by the read, not by SHA-256,
    which runs at a fraction of the speed a page-cached or NVMe read delivers.
    """
    if first.stat().st_size != second.stat().st_size:
        return False
    first_buffer, second_buffer = bytearray(COMPARE_CHUNK), bytearray(COMPARE_CHUNK)
    with first.open("rb", buffering=0) as a, second.open("rb", buffering=0) as b:
        while True:
            read_a, read_b = a.readinto(first_buffer), b.readinto(second_buffer)
            if read_a != read_b:
                return False
            if read_a < COMPARE_CHUNK:
                return first_buffer[:read_a] == second_buffer[:read_b]
            if first_buffer != second_buffer:
                return False


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _same_filesystem(src: Path, dst_dir: Path) -> bool:
    return src.stat().st_dev == dst_dir.stat().st_dev


def _rename_noreplace(src: Path, dst: Path) -> None:
    """Rename that fails if ``dst`` exists (``os.rename`` would silently replace it).

    A hard link then an unlink: if killed in between, both names point at the same bytes,
    which a resume recognises by content and finishes.
    """
    try:
        os.link(src, dst, follow_symlinks=False)
    except FileExistsError:
        raise
    except OSError as error:
        if error.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EMLINK):
            raise
        if os.path.lexists(dst):
            raise FileExistsError(errno.EEXIST, "file exists", str(dst)) from None
        os.rename(src, dst)
        fault_point("renamed")
        return
    fault_point("linked")
    os.unlink(src)
    fault_point("unlinked original")


def _copy_verified(src: Path, dst: Path) -> None:
    """Copy to a partial file, fsync, verify by full hash, rename into place, then unlink."""
    partial = dst.with_name(dst.name + PARTIAL_SUFFIX)
    with contextlib.suppress(FileNotFoundError):
        partial.unlink()
    digest = hashlib.sha256()
    with src.open("rb") as source, partial.open("xb") as target:
        while chunk := source.read(FULL_HASH_CHUNK):
            digest.update(chunk)
            target.write(chunk)
        target.flush()
        os.fsync(target.fileno())
    shutil.copystat(src, partial)
    fault_point("copied")
    if content_hash_full(path=partial) != digest.hexdigest():
        partial.unlink()
        raise DedupRefused(f"copy of {src} to {dst} did not verify: original left in place")
    if os.path.lexists(dst):
        partial.unlink()
        raise FileExistsError(errno.EEXIST, "file exists", str(dst))
    os.rename(partial, dst)
    fsync_dir(dst.parent)
    fault_point("copy in place")
    os.unlink(src)
    fault_point("unlinked original")


def file_move(*, src: Path, dst: Path) -> None:
    """Move ``src`` to ``dst``, never overwriting; atomic on one filesystem."""
    if os.path.lexists(dst):
        raise FileExistsError(errno.EEXIST, "file exists", str(dst))
    dst.parent.mkdir(parents=True, exist_ok=True)
    if _same_filesystem(src, dst.parent) and not force_copy():
        _rename_noreplace(src, dst)
        fsync_dir(dst.parent)
    else:
        _copy_verified(src, dst)
    with contextlib.suppress(OSError):
        fsync_dir(src.parent)
    logger.info("moved %s to %s", src, dst)


def partial_remove(dst: Path) -> None:
    """Remove what an interrupted cross-filesystem copy to ``dst`` left behind."""
    with contextlib.suppress(FileNotFoundError):
        dst.with_name(dst.name + PARTIAL_SUFFIX).unlink()


class MoveState(enum.StrEnum):
    """Where the bytes of an interrupted :func:`file_move` are."""

    AT_SOURCE = "at its source only"  # the move never happened
    AT_DESTINATION = "at its destination only"  # the move happened
    BOTH_IDENTICAL = "at both, identical"  # killed between link (or copy) and unlink
    BOTH_DIFFERENT = "at both, different"  # something else wrote one of them meanwhile
    NEITHER = "at neither"


def interrupted_move_state(*, src: Path, dst: Path) -> MoveState:
    """Judge an interrupted move by the filesystem, the one witness that outlives a kill:
    every protocol that moves a user file writes its intent (``src``, ``dst``) first, and the
    next run settles it by this. A partial copy to ``dst`` is removed first (it is never the
    only copy: the original is unlinked only after the copy is in place)."""
    partial_remove(dst)
    at_source = os.path.lexists(src)
    at_destination = dst.is_file()
    if at_source and at_destination:
        if os.path.samefile(src, dst) or files_identical(src, dst):
            return MoveState.BOTH_IDENTICAL
        return MoveState.BOTH_DIFFERENT
    if at_destination:
        return MoveState.AT_DESTINATION
    return MoveState.AT_SOURCE if at_source else MoveState.NEITHER


def empty_dirs_remove(*, start: Path, stop: Path) -> None:
    """Remove ``start`` and its parents while empty, up to (not including) ``stop``."""
    current = start
    while current != stop and current.is_relative_to(stop):
        try:
            current.rmdir()
        except OSError:
            return
        current = current.parent
