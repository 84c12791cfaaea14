"""Vet an import folder against the library, read-only (docs/imports.md).

Every audio file of the folder is read, analysed, decoded and fingerprinted exactly as the
library's files are (``quality.services.incoming``, in worker processes), without being
indexed. Their fingerprints are matched against the library's through the index of
``quality.fingerprints`` (only pairs with an incoming file are verified: the library's own
pairs are stored), equal sampled content hashes are confirmed byte for byte, and
:func:`imports.rules.vetting_decide` gives each file its verdict by the one recording rule.

:func:`import_vet` moves and indexes nothing (``vet_import`` without ``--apply``); like the
Music Tools import vetter it records the run: one ``vetting_history`` row per vetting, however
many applies follow it. :func:`import_vetting_run` stores the result in the app database for the
Imports page (and is what a background job calls).
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction

from dedup.services.files import files_identical
from imports.models import ImportFile, ImportVetting, VettingStatus
from imports.rules import FileVerdict, Verdict, VettingTotals, vetting_decide
from musicquality.fields import utc_now_iso
from musicquality.routers import APP_DB_ALIAS
from quality.badges import file_quality_badge
from quality.recordings import (
    CONTENT_HASH,
    LINK_STRENGTH,
    SAME_RECORDING,
    Candidate,
    Link,
    recording_links,
)
from quality.selectors import (
    audio_match_facts,
    library_files_by_id,
    recording_candidates,
    verification_backlog_count,
)
from quality.services.incoming import IncomingFile, incoming_folder_read, vetting_history_write
from quality.services.recordings import audio_matches_of_foreign, audio_matches_refresh
from upgrades.selectors import upgrade_candidates_open_of

logger = logging.getLogger(__name__)

#: library files read per query for their badges (well under SQLite's variable limit)
BADGE_CHUNK = 500


class VettingRefused(ValueError):
    """The folder cannot be vetted as given; the message names it and says what to do."""


@dataclass(frozen=True)
class VettedFile:
    """One incoming file's verdict with what the page, the JSON and the apply need."""

    path: str
    verdict: str
    reason: str
    incoming: IncomingFile
    incoming_score: float | None
    library_match: str | None = None
    library_id: int | None = None
    library_score: float | None = None
    library_format: str | None = None
    matched_by: str | None = None
    confidence: float | None = None
    candidate_id: int | None = None
    duplicate_of: str | None = None
    #: quality badges (quality.badges) of the incoming file and of the library copy
    incoming_badge: str = ""
    library_badge: str | None = None

    def as_dict(self) -> dict:
        """The file in ``vet_import --json``: what it is, its verdict, what it was compared
        with (``replaces``: the library file an upgrade would quarantine)."""
        index, quality = self.incoming.index, self.incoming.quality
        verification = self.incoming.verified.row if self.incoming.verified else None
        return {
            "path": self.path,
            "verdict": self.verdict,
            "reason": self.reason,
            "library_match": self.library_match,
            "library_id": self.library_id,
            "incoming_score": self.incoming_score,
            "library_score": self.library_score,
            "library_format": self.library_format,
            "matched_by": self.matched_by,
            "confidence": self.confidence,
            "replaces": self.library_match if self.verdict == Verdict.UPGRADE else None,
            "candidate_id": self.candidate_id,
            "duplicate_of": self.duplicate_of,
            "incoming_badge": self.incoming_badge,
            "library_badge": self.library_badge,
            "artist": index.artist if index else None,
            "title": index.title if index else None,
            "album": index.album if index else None,
            "file_format": index.file_format if index else None,
            "codec": quality.codec if quality else None,
            "bitrate": quality.bitrate if quality else None,
            "sample_rate": quality.sample_rate if quality else None,
            "bit_depth": quality.bit_depth if quality else None,
            "audio_verdict": verification.verdict if verification else None,
        }


@dataclass
class VettingReport:
    folder: Path
    files: list[VettedFile]
    #: (path, what is wrong) of the files that are not readable audio
    problems: list[tuple[str, str]]
    threshold: float = SAME_RECORDING
    #: library files whose audio is not verified (their matches rest on tags alone)
    library_unverified: int = 0
    fingerprints_unavailable: str | None = None
    seconds: float = 0.0
    started_at: str = field(default_factory=utc_now_iso)
    #: the run's row in the Music Tools ``vetting_history``
    vetting_history_id: int | None = None

    @property
    def totals(self) -> VettingTotals:
        return VettingTotals.of(file.verdict for file in self.files)

    def of_verdict(self, verdict: str) -> list[VettedFile]:
        return [file for file in self.files if file.verdict == verdict]

    def as_dict(self) -> dict:
        return {
            "folder": str(self.folder),
            "files": [file.as_dict() for file in self.files],
            "totals": {**self.totals.as_dict(), "unreadable": len(self.problems)},
            "problems": [{"path": path, "problem": why} for path, why in self.problems],
            "threshold": self.threshold,
            "library_unverified": self.library_unverified,
        }


def folder_check(folder: Path) -> Path:
    """The folder as an absolute path, or :class:`VettingRefused` saying what is wrong."""
    absolute = Path(os.path.abspath(folder))
    if not absolute.exists():
        raise VettingRefused(f"import folder {folder} does not exist: give a folder to vet")
    if not absolute.is_dir():
        raise VettingRefused(f"import folder {folder} is not a folder: give a folder to vet")
    if not os.access(absolute, os.R_OK | os.X_OK):
        raise VettingRefused(f"import folder {folder} is not readable: check its permissions")
    return absolute


def _confirmed(links: list[Link], by_id: dict[int, Candidate]) -> list[Link]:
    """Content-hash links that touch an incoming file, compared byte for byte (a sampled hash
    only suggests identity); the library's own are kept as its recording rule has them."""
    kept = []
    for link in links:
        if link.kind == CONTENT_HASH and min(link.a, link.b) < 0:
            first, second = by_id[link.a], by_id[link.b]
            try:
                if not files_identical(Path(first.file_path), Path(second.file_path)):
                    continue
            except OSError:
                continue
        kept.append(link)
    return kept


def import_vet(
    *,
    folder: Path,
    workers: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> VettingReport:
    """Vet every audio file under ``folder`` (read-only: nothing moves or is indexed; the run
    is recorded in ``vetting_history``, as the Music Tools vetter records its own). Library
    files under ``folder`` (a folder inside the library) are left out of the comparison: they
    are the files being vetted, not copies of them."""
    started = time.monotonic()
    folder = folder_check(folder)
    read = incoming_folder_read(folder=folder, workers=workers, progress=progress)
    readable = [file for file in read.files if file.readable]
    problems = [(p.path, f"{p.kind} ({p.message})") for p in read.problems]
    problems += [
        (file.path, file.problem or "not audio") for file in read.files if not file.readable
    ]
    numbered = [(-(position + 1), file) for position, file in enumerate(readable)]
    incoming = [file.candidate(id=file_id) for file_id, file in numbered]

    report = VettingReport(folder=folder, files=[], problems=sorted(problems))
    audio_matches_refresh()  # a no-op unless the library's fingerprints changed
    inside = str(folder).rstrip(os.sep) + os.sep
    library = [
        c for c in recording_candidates(members_only=False) if not c.file_path.startswith(inside)
    ]
    kept_ids = {c.id for c in library}
    facts = [m for m in audio_match_facts() if m.file_a in kept_ids and m.file_b in kept_ids]
    foreign = audio_matches_of_foreign(
        items=[
            (file_id, file.verified.fingerprint, file.index.duration if file.index else None)
            for file_id, file in numbered
            if file.verified and file.verified.fingerprint
        ],
        library_ids=kept_ids,
    )
    facts += foreign.facts
    report.fingerprints_unavailable = foreign.unavailable
    candidates = [*incoming, *library]
    by_id = {c.id: c for c in candidates}
    links = _confirmed(recording_links(candidates, audio_matches=facts, kinds=LINK_STRENGTH), by_id)
    similar = [m for m in facts if not m.same_recording and min(m.file_a, m.file_b) < 0]
    verdicts = vetting_decide(candidates, links, similar=similar)
    report.files = _vetted_files(verdicts, dict(numbered))
    report.library_unverified = verification_backlog_count()
    report.seconds = time.monotonic() - started
    report.vetting_history_id = _vetting_history_record(report)
    logger.info("vetted %s: %s", folder, report.totals.as_dict())
    return report


def _vetting_history_record(report: VettingReport) -> int:
    """The run's ``vetting_history`` row, with its totals in the Music Tools columns."""
    totals = report.totals
    return vetting_history_write(
        import_folder=str(report.folder),
        total_files=totals.files,
        duplicates_found=totals.duplicates_found,
        new_songs=totals.new,
        uncertain_matches=totals.uncertain,
        threshold_used=report.threshold,
    ).pk


def _vetted_files(
    verdicts: Sequence[FileVerdict], files: dict[int, IncomingFile]
) -> list[VettedFile]:
    upgrades = [v for v in verdicts if v.verdict == Verdict.UPGRADE]
    open_candidates = upgrade_candidates_open_of(
        library_file_ids={c.id for v in upgrades for c in v.recording}
    )
    library_badges = _library_badges({v.library_match.id for v in verdicts if v.library_match})
    vetted = []
    for verdict in verdicts:
        match = verdict.library_match
        incoming = files[verdict.incoming.id]
        candidate_id = None
        if verdict.verdict == Verdict.UPGRADE:
            # the recording's candidate: its best copy's, else another copy's
            candidate_id = next(
                (open_candidates[c.id] for c in verdict.recording if c.id in open_candidates),
                None,
            )
        vetted.append(
            VettedFile(
                path=verdict.incoming.file_path,
                verdict=str(verdict.verdict),
                reason=verdict.reason,
                incoming=incoming,
                incoming_score=verdict.incoming.quality_score,
                incoming_badge=incoming.badge,
                library_badge=library_badges.get(match.id) if match else None,
                library_match=match.file_path if match else None,
                library_id=match.id if match else None,
                library_score=match.quality_score if match else None,
                library_format=match.file_format if match else None,
                matched_by=verdict.matched_by,
                confidence=verdict.confidence,
                candidate_id=candidate_id,
                duplicate_of=verdict.duplicate_of.file_path if verdict.duplicate_of else None,
            )
        )
    return sorted(vetted, key=lambda file: file.path)


def _library_badges(ids: set[int]) -> dict[int, str]:
    """The quality badge of each matched library file, read in chunks (a folder may match
    thousands)."""
    ordered = sorted(ids)
    badges: dict[int, str] = {}
    for start in range(0, len(ordered), BADGE_CHUNK):
        files = library_files_by_id(ids=set(ordered[start : start + BADGE_CHUNK]))
        badges.update((pk, file_quality_badge(file)) for pk, file in files.items())
    return badges


# --- stored vettings (the Imports page, and the intent record of an apply) --------------


def import_vetting_save(
    *, report: VettingReport, started_by: str | None = None, vetting: ImportVetting | None = None
) -> ImportVetting:
    """Store a vetting and its files in the app database (``vetting``: the row a running
    vetting was given, completed here)."""
    with transaction.atomic(using=APP_DB_ALIAS):
        if vetting is None:
            vetting = ImportVetting(
                folder=str(report.folder), started_at=report.started_at, started_by=started_by
            )
        vetting.status = VettingStatus.DONE
        vetting.finished_at = utc_now_iso()
        vetting.threshold = report.threshold
        vetting.totals = {**report.totals.as_dict(), "unreadable": len(report.problems)}
        vetting.problems = [{"path": path, "problem": why} for path, why in report.problems]
        vetting.library_unverified = report.library_unverified
        vetting.save(using=APP_DB_ALIAS)
        ImportFile.objects.using(APP_DB_ALIAS).bulk_create(
            [_file_row(vetting, file) for file in report.files], batch_size=500
        )
    return vetting


def _file_row(vetting: ImportVetting, file: VettedFile) -> ImportFile:
    index, quality = file.incoming.index, file.incoming.quality
    assert index is not None and quality is not None
    verification = file.incoming.verified.row if file.incoming.verified else None
    return ImportFile(
        vetting=vetting,
        path=file.path,
        verdict=file.verdict,
        reason=file.reason,
        file_size=index.file_size,
        file_mtime=index.file_mtime,
        content_hash=index.file_content_hash,
        artist=index.artist,
        title=index.title,
        album=index.album,
        year=index.year,
        file_format=index.file_format,
        codec=quality.codec,
        bitrate=quality.bitrate,
        sample_rate=quality.sample_rate,
        bit_depth=quality.bit_depth,
        incoming_score=file.incoming_score,
        audio_verdict=verification.verdict if verification else None,
        library_id=file.library_id,
        library_match=file.library_match,
        library_score=file.library_score,
        library_format=file.library_format,
        matched_by=file.matched_by,
        confidence=file.confidence,
        candidate_id=file.candidate_id,
        duplicate_of=file.duplicate_of,
        incoming_badge=file.incoming_badge,
        library_badge=file.library_badge,
    )


def import_vetting_run(
    *,
    folder: Path,
    started_by: str | None = None,
    workers: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> ImportVetting:
    """Vet ``folder`` and store the result: the one call behind the Imports page's "Vet"
    (and a background job's). The vetting row exists from the start (``running``), so the
    page can show it; a failure is stored on it (``failed``, with the error) and raised."""
    folder = folder_check(folder)
    vetting = ImportVetting.objects.using(APP_DB_ALIAS).create(
        folder=str(folder),
        started_at=utc_now_iso(),
        started_by=started_by,
        threshold=SAME_RECORDING,
        status=VettingStatus.RUNNING,
    )
    try:
        report = import_vet(folder=folder, workers=workers, progress=progress)
    except Exception as error:  # a cancelled job (StopRequested) too: stored, then raised
        vetting.status = VettingStatus.FAILED
        vetting.error = str(error) or type(error).__name__
        vetting.finished_at = utc_now_iso()
        vetting.save(using=APP_DB_ALIAS)
        raise
    return import_vetting_save(report=report, vetting=vetting)
