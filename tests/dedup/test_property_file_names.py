"""A property over generated file names: scan → analyse → dedupe → recover never loses a
file and never writes outside the library roots and the quarantine.

Names are arbitrary bytes (anything but ``/`` and NUL: newlines, escape sequences, bytes
that are not UTF-8), up to NAME_MAX (255 bytes), in folders nested up to PATH_MAX (4096
bytes), so that some quarantine paths are too long to exist. Contents come from a small pool
of real audio (so exact copies occur, and dedupe moves files) and a non-audio file. Each
example runs the real commands over a fresh folder. ``derandomize``: CI runs the same
examples every time.
"""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import tempfile
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connections
from django.test import override_settings
from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st

from dedup.models import DedupHistory
from quality.services.encoding import EncodeSpec, audio_encode
from tests.conftest import LIBRARY_DBS

pytestmark = [pytest.mark.django_db(databases=LIBRARY_DBS, transaction=True)]

PATH_MAX = 4096
NAME_MAX = 255
EXTENSIONS = [b".wav", b".mp3", b".flac", b".MP3", b""]


def _pool() -> list[bytes]:
    folder = Path(tempfile.mkdtemp(prefix="mq-pool-"))
    try:
        specs = [
            EncodeSpec("w", "wav", "pcm_s16le", sample_rate=8000, layout="mono"),
            EncodeSpec("m", "mp3", "libmp3lame", bit_rate=64_000),
            EncodeSpec("f", "flac", "flac", sample_fmt="s16", sample_rate=8000, layout="mono"),
        ]
        made = [
            audio_encode(path=folder / f"p{n}.{spec.extension}", spec=spec, seconds=0.5, seed=n)
            for n, spec in enumerate(specs)
        ]
        return [path.read_bytes() for path in made] + [b"not audio at all\n" * 10]
    finally:
        shutil.rmtree(folder)


POOL = _pool()


def _safe(name: bytes) -> bytes:
    name = name.replace(b"/", b"_").replace(b"\0", b"_")
    return b"x" + name if name in (b".", b"..") else name


name_bytes = st.one_of(
    st.binary(min_size=1, max_size=NAME_MAX),  # mostly not UTF-8: listed, never indexed
    st.text(  # UTF-8, with newlines, escapes, line separators, any script
        st.characters(exclude_categories=("Cs",)), min_size=1, max_size=60
    ).map(lambda text: text.encode("utf-8")),
    st.integers(min_value=200, max_value=NAME_MAX).map(lambda n: b"L" * n),
).map(_safe)


CONTENTS = st.sampled_from([0, 0, 0, 1, 1, 2, 3])  # copies of one WAV are frequent


@st.composite
def library_files(draw) -> list[tuple[list[bytes], bytes, bool, int]]:
    """(folders, file name, deep, content index) of 1 to 6 files. A deep file gets folders
    until its path nears PATH_MAX (its quarantine path is then too long to exist)."""
    files = []
    for _ in range(draw(st.integers(min_value=1, max_value=6))):
        folders = draw(st.lists(name_bytes, max_size=2))
        extension = draw(st.sampled_from(EXTENSIONS))
        stem = draw(name_bytes)[: NAME_MAX - len(extension)]
        deep = draw(st.booleans()) and draw(st.booleans())
        files.append((folders, stem + extension, deep, draw(CONTENTS)))
    return files


def deep_folders(prefix: bytes, name: bytes) -> list[bytes]:
    folders: list[bytes] = []
    while (room := PATH_MAX - 60 - len(os.path.join(prefix, *folders, name))) > 2:
        folders.append(b"d" * min(200, room - 1))
    return folders


def tree(root: bytes) -> dict[bytes, str]:
    """Every regular file under ``root`` (bytes paths) → SHA-256 of its bytes."""
    found = {}
    for folder, _dirs, names in os.walk(root):
        for name in names:
            path = os.path.join(folder, name)
            if os.path.isfile(path) and not os.path.islink(path):
                with open(path, "rb") as handle:
                    found[path] = hashlib.sha256(handle.read()).hexdigest()
    return found


def library_tables_clear() -> None:
    with connections["library"].cursor() as cursor:
        for table in ("dedup_history", "upgrade_candidates", "file_quality", "library_index",
                      "library_stats"):  # fmt: skip
            cursor.execute(f"DELETE FROM {table}")


def run(*args: str) -> str:
    out = io.StringIO()
    extra = {"stdin": io.StringIO()} if args[0] == "dedupe" else {}
    call_command(*args, stdout=out, stderr=io.StringIO(), **extra)
    return out.getvalue()


@settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(files=library_files())
def test_no_file_is_lost_or_written_outside_the_roots_and_quarantine(files):
    base = os.fsencode(tempfile.mkdtemp(prefix="mq-names-"))
    try:
        music = os.path.join(base, b"music")
        quarantine = os.path.join(base, b"quarantine")
        os.mkdir(music)
        written = {}
        for folders, name, deep, content in files:
            prefix = os.path.join(music, *folders)
            path = os.path.join(prefix, *(deep_folders(prefix, name) if deep else []), name)
            assume(len(path) < PATH_MAX - 1 and path not in written)
            assume(not any(path.startswith(other + b"/") for other in written))
            assume(not any(other.startswith(path + b"/") for other in written))
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "wb") as handle:
                handle.write(POOL[content])
            written[path] = hashlib.sha256(POOL[content]).hexdigest()
        assert tree(music) == written
        library_tables_clear()
        roots = [Path(os.fsdecode(music))]
        with override_settings(LIBRARY_ROOTS=roots, QUARANTINE_DIR=Path(os.fsdecode(quarantine))):
            run("scan_library", os.fsdecode(music), "--workers", "1")
            run("analyze_quality", "--workers", "1")
            run("dedupe", "--apply", "--yes")
            after_dedupe = {**tree(music), **tree(quarantine)}
            event(f"{len(tree(quarantine)) - 1 if os.path.isdir(quarantine) else 0} quarantined")
            sessions = set(DedupHistory.objects.values_list("deletion_session_id", flat=True))
            for session in sessions:
                run("recover", "--session", session, "--apply")

        # Nothing outside the roots and the quarantine.
        for path in tree(base):
            assert path.startswith((music + b"/", quarantine + b"/")), path
        # After dedupe, every file was at its path or at its mirrored quarantine path.
        for path, digest in written.items():
            moved = [
                os.path.join(quarantine, os.fsencode(session), path.lstrip(b"/"))
                for session in sessions
            ]
            where = [p for p in (path, *moved) if after_dedupe.get(p) == digest]
            assert len(where) == 1, (path, where)
        # After recover, every file is back, with its bytes; the quarantine holds no file.
        assert tree(music) == written
        assert not [p for p in tree(quarantine) if not p.endswith(b".musicquality-dedup.lock")]
    finally:
        shutil.rmtree(base)
        library_tables_clear()
