"""Files coming into the library: everything the library knows about a file, without indexing it.

An import folder is vetted before anything of it enters the library (``imports``): each file is
read as the scanner reads it (tags, duration, the two legacy hashes), analysed as
``analyze_quality`` analyses it and decoded once as ``verify_audio`` decodes it (verdict,
effective score, PCM hash, fingerprint), by the same functions, in worker processes, with no
database work. :meth:`IncomingFile.candidate` is the file as the one recording rule
(``quality.recordings``) sees it, beside the library's rows. Once a file is moved into the
library, :func:`incoming_file_store` indexes it and stores the analysis and the verification
already made (the file is not decoded twice).

``vetting_history`` is the Music Tools table of import vettings (docs/legacy-schema.md);
:func:`vetting_history_write` appends one row in its format.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from musicquality.fields import utc_now_iso
from musicquality.parallel import chunks_map, default_workers
from quality.badges import analysis_badge, quality_badge, verified_encoder_settings
from quality.models import LibraryFile, VettingHistory
from quality.recordings import Candidate
from quality.services.analysis import QualityRow, file_quality_refresh, quality_row
from quality.services.audio import AudioReadError, audio_properties_read
from quality.services.scanning import (
    IndexRow,
    ScanProblem,
    file_row_read,
    library_file_index,
    walk_audio_files,
)
from quality.services.verification import Verified, file_verify, verification_store

logger = logging.getLogger(__name__)

CHUNK_SIZE = 2  # files per worker task: a decode is long enough to balance the workers


@dataclass(frozen=True)
class IncomingFile:
    """One file of an import folder, read, analysed and verified (``quality`` None: not
    readable audio; then ``problem`` says why and nothing else is known)."""

    path: str
    index: IndexRow | None
    quality: QualityRow | None
    verified: Verified | None
    problem: str | None = None

    @property
    def readable(self) -> bool:
        return self.index is not None and self.quality is not None

    @property
    def badge(self) -> str:
        """Its quality badge, as the library's files get theirs (quality.badges)."""
        if self.quality is None:
            return quality_badge(file_format=self.index.file_format if self.index else None)
        row = self.verified.row if self.verified else None
        return analysis_badge(
            self.quality, encoder_settings=verified_encoder_settings(row, file_mtime=None)
        )

    def candidate(self, *, id: int) -> Candidate:
        """This file for the recording rule, under a made-up ``id`` (negative, so it never
        meets a library row's)."""
        index, quality = self.index, self.quality
        assert index is not None and quality is not None
        row = self.verified.row if self.verified else None
        return Candidate(
            id=id,
            file_path=self.path,
            file_size=index.file_size,
            metadata_hash=index.metadata_hash,
            file_content_hash=index.file_content_hash,
            artist=index.artist,
            title=index.title,
            album=index.album,
            duration=index.duration,
            file_format=index.file_format,
            indexed_at=None,
            quality_score=quality.quality_score,
            is_lossless=quality.is_lossless,
            bit_depth=quality.bit_depth,
            sample_rate=quality.sample_rate,
            bitrate=quality.bitrate,
            verdict=row.verdict if row else None,
            pcm_hash=row.pcm_hash if row else None,
            has_fingerprint=bool(self.verified and self.verified.fingerprint),
        )


def incoming_file_read(*, path: str) -> IncomingFile:
    """Read, decode and analyse one file (never raises for a bad file: see ``problem``)."""
    try:
        info = os.stat(path)
    except OSError as error:
        return IncomingFile(path, None, None, None, f"unreadable ({error.strerror or error})")
    index, problem = file_row_read(path, info.st_size, info.st_mtime)
    if index is None:
        return IncomingFile(path, None, None, None, _problem_text(problem))
    try:
        props = audio_properties_read(path)
    except AudioReadError as error:
        return IncomingFile(path, index, None, None, f"{error.kind} ({error})")
    verified = file_verify(library_file_id=0, path=path)
    quality = quality_row(
        library_file_id=0,
        file_format=index.file_format,
        props=props,
        analyzed_at=utc_now_iso(),
        evidence=verified.row.audio_evidence,
    )
    return IncomingFile(path, index, quality, verified)


def _problem_text(problem: ScanProblem | None) -> str:
    return f"{problem.kind} ({problem.message})" if problem else "not audio"


def _read_chunk(chunk: Sequence[str]) -> list[IncomingFile]:
    return [incoming_file_read(path=path) for path in chunk]


@dataclass(frozen=True)
class IncomingFolder:
    """The audio files of a folder (sorted by path) and what could not be read there."""

    files: list[IncomingFile]
    problems: list[ScanProblem]


def incoming_paths(
    *, folder: Path, skip: Sequence[Path] = ()
) -> tuple[list[str], list[ScanProblem]]:
    """The audio files under ``folder`` (as ``scan_library`` finds them), except those under
    one of ``skip``; and the folders or files that could not be read."""
    problems: list[ScanProblem] = []
    paths = []
    for path, _stat in walk_audio_files(str(folder), problems, []):
        if not any(Path(path).is_relative_to(other) for other in skip):
            paths.append(path)
    return sorted(paths), problems


def incoming_folder_read(
    *,
    folder: Path,
    skip: Sequence[Path] = (),
    workers: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> IncomingFolder:
    """Every audio file under ``folder``, read, decoded and analysed in ``workers``
    processes (default: one per core). ``progress(done, total)`` after each file."""
    paths, problems = incoming_paths(folder=folder, skip=skip)
    found: list[IncomingFile] = []
    if progress:
        progress(0, len(paths))
    chunks: Iterator[list[IncomingFile]] = chunks_map(
        _read_chunk, paths, workers=workers or default_workers(), chunk_size=CHUNK_SIZE
    )
    for chunk in chunks:
        found += chunk
        if progress:
            progress(len(found), len(paths))
    found.sort(key=lambda incoming: incoming.path)
    return IncomingFolder(files=found, problems=problems)


def incoming_file_store(*, path: Path, verified: Verified | None) -> LibraryFile:
    """Index a file that has just been moved into the library, analyse it, and store its
    verification (PCM hash, fingerprint, effective score): the one made while it was vetted,
    or, without one (``None``: vetted in another process), a decode made now. Re-runnable
    (the row is upserted by path). Raises ``ValueError`` when the file is not readable audio
    (it stays where it is, unindexed)."""
    library_file = library_file_index(path=path)
    file_quality_refresh(library_file=library_file)
    if verified is None:
        verified = file_verify(library_file_id=library_file.pk, path=str(path))
    verification_store(library_file_id=library_file.pk, verified=verified)
    return library_file


def vetting_history_write(
    *,
    import_folder: str,
    total_files: int,
    duplicates_found: int,
    new_songs: int,
    uncertain_matches: int,
    threshold_used: float,
) -> VettingHistory:
    """One ``vetting_history`` row, as the Music Tools import vetter writes it (its timestamp
    form, its columns), so the CLI's history shows the run."""
    return VettingHistory.objects.create(
        import_folder=import_folder,
        total_files=total_files,
        duplicates_found=duplicates_found,
        new_songs=new_songs,
        uncertain_matches=uncertain_matches,
        threshold_used=threshold_used,
        vetted_at=utc_now_iso(),
    )
