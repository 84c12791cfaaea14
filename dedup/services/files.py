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

from musicquality.durability import library_commits_durable
from musicquality.faults import fault_point, force_copy
from musicquality.regular_files import regular_file_open
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


# --- where a path really is -----------------------------------------------------------------


def real_path(path: str | os.PathLike) -> Path:
    """``path`` with ``..`` and every symbolic link of its existing part resolved.

    Every "is this inside that folder" question of dedup compares two real paths: a stored
    path spelled through a symlinked root is inside that root, and a path that reaches
    outside through ``..`` or a symlinked folder is outside, whatever its spelling.
    """
    return Path(os.path.realpath(path))


def path_inside(path: str | os.PathLike, folder: str | os.PathLike) -> bool:
    """Whether ``path`` is ``folder`` or below it, once both are resolved."""
    return real_path(path).is_relative_to(real_path(folder))


def library_root_of(path: str | os.PathLike) -> Path | None:
    """The library root (as configured) that really holds ``path``, or None."""
    for root in library_roots():
        if path_inside(path, root):
            return root
    return None


def quarantine_overlap_check() -> None:
    """Refuse a quarantine folder that is, holds or lies inside a library root.

    Overlapping, quarantined copies would be indexed again as library files, a purge of
    the quarantine would delete library files, and a recovery would move files within the
    library. Every dedup service that reads or writes the quarantine calls this first.
    """
    quarantine = real_path(quarantine_dir())
    for root in library_roots():
        real_root = real_path(root)
        if quarantine.is_relative_to(real_root) or real_root.is_relative_to(quarantine):
            raise DedupRefused(
                f"the quarantine folder {quarantine_dir()} overlaps the library root {root} "
                "(after resolving symbolic links): set MUSICQUALITY_QUARANTINE_DIR to a folder "
                "outside MUSICQUALITY_LIBRARY_ROOTS, and no root inside it"
            )


def library_roots_require() -> list[Path]:
    roots = library_roots()
    if not roots:
        raise DedupRefused(
            "no library roots configured: set MUSICQUALITY_LIBRARY_ROOTS to your music "
            "folders (separated by ':'); files outside them are never moved"
        )
    quarantine_overlap_check()
    return roots


def library_file_check(path: Path) -> Path:
    """The file at ``path``, if it is a regular file (not a link) inside a library root."""
    absolute = Path(os.path.abspath(path))
    if library_root_of(absolute) is None:
        raise DedupRefused(f"{path} is outside MUSICQUALITY_LIBRARY_ROOTS: left alone")
    if absolute.is_symlink():
        raise DedupRefused(f"{path} is a symbolic link: left alone")
    if not absolute.is_file():
        raise DedupRefused(f"{path} no longer exists (or is not a file): rescan the library")
    return absolute


# --- the quarantine -------------------------------------------------------------------------


def _path_limits(path: Path) -> tuple[int, int]:
    """(longest path, longest name) in bytes on the filesystem that will hold ``path``."""
    existing = path
    while not os.path.exists(existing) and existing != existing.parent:  # never raises
        existing = existing.parent
    try:
        return os.pathconf(existing, "PC_PATH_MAX"), os.pathconf(existing, "PC_NAME_MAX")
    except (OSError, ValueError):
        return 4096, 255


def path_fits(path: Path) -> bool:
    """Whether the system can create ``path``: shorter than PATH_MAX, each name within
    NAME_MAX (in bytes, as the kernel counts)."""
    path_max, name_max = _path_limits(path)
    encoded = os.fsencode(path)
    return len(encoded) < path_max and all(len(part) <= name_max for part in encoded.split(b"/"))


def quarantine_destination(*, session_id: str, file_path: str) -> Path:
    """``QUARANTINE_DIR/<session>/<original absolute path>``, unchecked (to show it)."""
    absolute = Path(os.path.abspath(file_path))
    return quarantine_dir() / session_id / absolute.relative_to(absolute.anchor)


def quarantine_path_for(*, session_id: str, file_path: str) -> Path:
    """``QUARANTINE_DIR/<session>/<original absolute path>``: mirrored, never colliding.

    Refused when the system could not create it (the original path plus the quarantine
    folder in front passes PATH_MAX): known before the history row is written, so no run
    is left with a move that can never happen.
    """
    destination = quarantine_destination(session_id=session_id, file_path=file_path)
    if not path_fits(destination):
        raise DedupRefused(
            f"{file_path}: its quarantine path would be too long "
            f"({len(os.fsencode(destination))} bytes): left alone; set "
            "MUSICQUALITY_QUARANTINE_DIR to a shorter path or shorten the folder names"
        )
    return destination


def quarantine_path_check(recovery_path: str | None, *, session_id: str) -> Path:
    """Refuse a ``recovery_path`` that is not inside its session's quarantine folder.

    The path comes from a database row that anyone with the file can edit, so ``..`` tricks
    and symbolic links are resolved before comparing, and only
    ``QUARANTINE_DIR/<session_id>/...`` is accepted (never the lock file, nor another
    session's files).
    """
    quarantine_overlap_check()
    if not recovery_path:
        raise DedupRefused("history row has no recovery_path: nothing to recover")
    base = real_path(quarantine_dir())
    resolved = real_path(recovery_path)
    valid_session = bool(session_id) and session_id not in {".", ".."} and os.sep not in session_id
    session_dir = base / session_id if valid_session else None
    if session_dir is None or resolved == session_dir or not resolved.is_relative_to(session_dir):
        raise DedupRefused(
            f"recovery_path {recovery_path} is outside the quarantine directory {base}/"
            f"{session_id or '<session>'}: refused"
        )
    return resolved


# --- the Music Tools backup folder (imported history) -----------------------------------------


def restore_root_check(root: Path) -> None:
    """Refuse a ``--restore-root`` that is not a folder, that overlaps the quarantine (its
    files belong to our own rows), or that holds a library root (any library file could
    then be taken for a backup). One inside a library root is allowed: the CLI may have kept
    its backups in a music folder."""
    if not root.is_dir():
        raise DedupRefused(
            f"--restore-root {root} is not a folder: give the folder the Music Tools CLI kept "
            "its deleted files in"
        )
    real_root = real_path(root)
    quarantine = real_path(quarantine_dir())
    if real_root.is_relative_to(quarantine) or quarantine.is_relative_to(real_root):
        raise DedupRefused(
            f"--restore-root {root} overlaps the quarantine folder {quarantine_dir()} (after "
            "resolving symbolic links): give the Music Tools backup folder itself"
        )
    for library_root in library_roots():
        if real_path(library_root).is_relative_to(real_root):
            raise DedupRefused(
                f"--restore-root {root} holds the library root {library_root}: give the Music "
                "Tools backup folder itself, not a folder around your music"
            )


def restore_path_check(recovery_path: str | None, *, root: Path) -> Path:
    """The real path of an imported row's file, refused unless it lies strictly inside
    ``root`` once ``..`` and symbolic links are resolved, and is not itself a link.

    As for the quarantine, the path comes from a database row (and, before that, from the
    CLI's): only the folder the user names on the command line is trusted.
    """
    if not recovery_path:
        raise DedupRefused("history row has no recovery_path: nothing to recover")
    if os.path.islink(recovery_path):
        raise DedupRefused(f"{recovery_path} is a symbolic link: refused")
    base = real_path(root)
    resolved = real_path(recovery_path)
    if resolved == base or not resolved.is_relative_to(base):
        raise DedupRefused(
            f"{recovery_path} is outside --restore-root {root} (after resolving symbolic "
            "links): refused"
        )
    return resolved


@contextlib.contextmanager
def quarantine_lock() -> Iterator[None]:
    """One dedupe/recover/purge at a time: a second run must not 'resume' the first's moves.

    ``flock`` is released by the kernel when the holder dies, so a killed run never leaves
    a stale lock behind. Every library commit inside is synced to the disk before the next
    step (``musicquality.durability``): a history row written before a move survives a
    power loss as the move does.
    """
    quarantine_overlap_check()
    base = quarantine_dir()
    try:
        base.mkdir(parents=True, exist_ok=True)
        handle = open(base / LOCK_NAME, "a+b")  # noqa: SIM115 (held for the whole block)
    except OSError as error:
        raise DedupRefused(
            f"the quarantine folder {base} cannot be made or written ({error.strerror}): set "
            "MUSICQUALITY_QUARANTINE_DIR to a writable folder outside your library roots"
        ) from None
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise DedupRefused(
                "another dedupe, recover, purge_quarantine or vet_import --apply is running "
                f"(lock {base / LOCK_NAME}): wait until it finishes"
            ) from None
        with library_commits_durable():
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
    with (
        regular_file_open(first, buffered=False) as a,
        regular_file_open(second, buffered=False) as b,
    ):
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
    with regular_file_open(src) as source, partial.open("xb") as target:
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
    only copy: the original is unlinked only after the copy is in place). A ``dst`` the
    system cannot create (past PATH_MAX) never received the file."""
    reachable = path_fits(dst)
    if reachable:
        partial_remove(dst)
    at_source = os.path.lexists(src)
    at_destination = reachable and dst.is_file()
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
