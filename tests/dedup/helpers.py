"""Real files on disk with matching ``library_index`` rows, for the dedup tests.

Hashes come from ``quality.hashing`` (checked against the legacy algorithm in the quality
tests); audio is written with soundfile from a seeded signal, so a WAV and a FLAC of the same
signal are the same recording in two formats, as a user's library would have them.
"""

from __future__ import annotations

import hashlib
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import soundfile

from musicquality.fields import utc_now_iso
from quality.hashing import content_hash_sampled, metadata_hash
from quality.models import LibraryFile
from tests.factories import file_quality_make

SAMPLE_RATE = 8000


def signal(seed: int, seconds: float) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return (rng.standard_normal(int(SAMPLE_RATE * seconds)) * 3000).astype(np.int16)


def audio_write(path: Path, *, seed: int, seconds: float = 1.0) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    soundfile.write(path, signal(seed, seconds), SAMPLE_RATE, subtype="PCM_16")
    return path


def bytes_write(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def library_row_for(
    path: Path,
    *,
    artist: str | None,
    title: str | None,
    album: str | None = None,
    duration: float | None = 1.0,
    content_hash: str | None = None,
    score: float | None = None,
    **quality,
) -> LibraryFile:
    """Index ``path`` as the legacy tool would (hashes from the real bytes), optionally with
    a ``file_quality`` row."""
    row = LibraryFile.objects.create(
        file_path=str(path),
        filename=path.name,
        artist=artist,
        title=title,
        album=album,
        year=2001,
        duration=duration,
        file_format=path.suffix.lstrip(".").lower(),
        file_size=path.stat().st_size,
        metadata_hash=metadata_hash(artist=artist, title=title, filename_stem=path.stem),
        file_content_hash=content_hash or content_hash_sampled(path=path),
        indexed_at=utc_now_iso(),
        file_mtime=utc_now_iso(),
        is_active=True,
    )
    if score is not None:
        file_quality_make(row, quality_score=score, **quality)
    return row


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def tree_checksum(root: Path) -> dict[str, str]:
    return {
        str(path.relative_to(root)): sha256(path)
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


@dataclass
class DedupLibrary:
    """A small library with every kind of (non-)duplicate, and the truth about it."""

    root: Path
    rows: dict[str, LibraryFile] = field(default_factory=dict)
    exact_groups: list[set[str]] = field(default_factory=list)
    recording_groups: list[set[str]] = field(default_factory=list)
    never_grouped: set[str] = field(default_factory=set)

    def path(self, name: str) -> Path:
        return Path(self.rows[name].file_path)


def dedup_library_make(root: Path) -> DedupLibrary:
    """Build the library the grouping tests reason about (names → rows).

    * ``a1/a2/a3``: one WAV copied to three places (exact; no scores, so the oldest
      index, ``a1``, is kept);
    * ``b_flac/b_wav``: the same signal as FLAC and WAV, same tags (same recording);
    * ``c_128k_1/c_128k_2``: 100 KiB files equal in their first 64 KiB (the sampled hash
      collides) with different tags: never grouped;
    * ``u1/u2``: untagged files with the same name stem in two folders: never grouped;
    * ``m1/m2``: same tags, ``HASH_FAILED`` markers: never grouped;
    * ``d_short/d_long``: same tags, durations 30 s apart: never grouped.
    """
    lib = DedupLibrary(root=root)
    music = root / "music"
    a1 = audio_write(music / "Alpha" / "Song A.wav", seed=1)
    lib.rows["a1"] = library_row_for(a1, artist="Alpha", title="Song A", album="First")
    for name, folder in (("a2", "Copies"), ("a3", "Backup")):
        target = music / folder / "Song A.wav"
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(a1, target)
        lib.rows[name] = library_row_for(target, artist="Alpha", title="Song A", album="First")
    lib.exact_groups.append({"a1", "a2", "a3"})

    data = signal(2, 1.0)
    b_flac = music / "Beta" / "Song B.flac"
    b_flac.parent.mkdir(parents=True, exist_ok=True)
    soundfile.write(b_flac, data, SAMPLE_RATE, subtype="PCM_16")
    b_wav = music / "Beta" / "Song B.wav"
    soundfile.write(b_wav, data, SAMPLE_RATE, subtype="PCM_16")
    lib.rows["b_flac"] = library_row_for(
        b_flac, artist="Beta", title="Song B", album="Second", score=85.0, is_lossless=True
    )
    lib.rows["b_wav"] = library_row_for(
        b_wav, artist="Beta", title="Song B", album="Second", duration=1.4, score=40.0
    )
    lib.recording_groups.append({"b_flac", "b_wav"})

    head = bytes(range(256)) * 256  # 64 KiB
    for index in (1, 2):
        name = f"c_128k_{index}"
        path = bytes_write(music / "Gamma" / f"{name}.m4a", head + bytes([index]) * 36 * 1024)
        lib.rows[name] = library_row_for(path, artist="Gamma", title=f"Song C{index}")
    assert lib.rows["c_128k_1"].file_content_hash == lib.rows["c_128k_2"].file_content_hash

    for seed, (name, folder) in enumerate((("u1", "Untagged1"), ("u2", "Untagged2"))):
        path = audio_write(music / folder / "track01.wav", seed=10 + seed)
        lib.rows[name] = library_row_for(path, artist=None, title=None)
    assert lib.rows["u1"].metadata_hash == lib.rows["u2"].metadata_hash

    for index, name in enumerate(("m1", "m2")):
        path = audio_write(music / "Delta" / f"{name}.wav", seed=20 + index)
        lib.rows[name] = library_row_for(
            path, artist="Delta", title="Song M", content_hash="HASH_FAILED"
        )

    for name, duration in (("d_short", 200.0), ("d_long", 230.0)):
        path = audio_write(music / "Epsilon" / f"{name}.wav", seed=30 + int(duration))
        lib.rows[name] = library_row_for(path, artist="Epsilon", title="Song D", duration=duration)

    lib.never_grouped = {"c_128k_1", "c_128k_2", "u1", "u2", "m1", "m2", "d_short", "d_long"}
    return lib


def library_db_checksum() -> str:
    """Every row of the tables dedup may touch, through Django's own connection (so rows of
    the test's open transaction count)."""
    from django.db import connections

    digest = hashlib.sha256()
    with connections["library"].cursor() as cursor:
        for table in ("library_index", "file_quality", "upgrade_candidates", "dedup_history"):
            cursor.execute(f"SELECT * FROM {table} ORDER BY rowid")
            digest.update(repr(cursor.fetchall()).encode())
    return digest.hexdigest()


def pending_history_make(row: LibraryFile, *, recovery_path: Path, session: str = "s-1"):
    """A ``dedup_history`` row as the protocol writes it just before a move."""
    from dedup.models import DedupHistory
    from dedup.selectors import PENDING_NOTE_PREFIX

    return DedupHistory.objects.create(
        deletion_session_id=session,
        deleted_at=utc_now_iso(),
        file_path=row.file_path,
        filename=row.filename,
        file_size=row.file_size,
        file_format=row.file_format,
        metadata_hash=row.metadata_hash,
        file_content_hash=row.file_content_hash,
        deletion_reason="exact_duplicate",
        original_library_id=row.id,
        can_recover=False,
        recovery_path=str(recovery_path),
        notes=f"{PENDING_NOTE_PREFIX} moving into quarantine",
    )
