"""Listen to every file once: ``audio_verification`` rows, and the effective score they imply.

Workers decode (``quality.services.decoding``, one pass per file); this process writes, in
batches of :data:`BATCH_SIZE` files per ``BEGIN IMMEDIATE`` transaction: the verification
row, and, for a file already analysed, its score recomputed with what the audio showed (a
fake FLAC scores as its source, an upsampled file loses its hi-res terms, a damaged one
scores 0), each change of score recorded in ``quality_history``. Resumable and incremental
like ``analyze_quality``: a file is verified again when it changed or the verifier version
changed (``quality.selectors.VERIFY_BACKLOG_CONDITION``); an interrupted run keeps every
committed batch.
"""

from __future__ import annotations

import json
import logging
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

from django.db import connections, transaction

from musicquality.fields import utc_now_iso
from musicquality.parallel import chunks_map_started, default_workers
from musicquality.progress import StopRequested
from musicquality.routers import LIBRARY_DB_ALIAS
from quality.fingerprints import FingerprintFeed
from quality.models import Verdict
from quality.score import AudioEvidence, effective_is_hires, quality_score
from quality.selectors import (
    FileToVerify,
    active_files_count,
    files_to_verify,
    verification_backlog_count,
)
from quality.services.analysis import ScoreChange, left_for_later, quality_history_append
from quality.services.decoding import VerificationResult, audio_verify, declared_read
from quality.services.recordings import AudioMatchRefresh, audio_matches_refresh
from quality.services.summary import library_summary_refresh
from quality.versions import ANALYZER_VERSION

logger = logging.getLogger(__name__)

BATCH_SIZE = 100
CHUNK_SIZE = 2  # files per worker task: a decode takes long enough to balance the workers


class VerificationRow(NamedTuple):
    """The ``audio_verification`` values of one file, in :data:`UPSERT_SQL` order."""

    library_file_id: int
    verified_at: str
    verifier_version: str
    decoded_seconds: float
    integrity: str
    md5_status: str
    cutoff_hz: float | None
    high_band_floor_db: float | None
    effective_sample_rate: int | None
    effective_bit_depth: int | None
    estimated_source: str | None
    estimated_source_codec: str | None
    estimated_source_kbps: int | None
    evidence: str
    verdict: str
    pcm_hash: str | None
    decoder_version: str

    @property
    def audio_evidence(self) -> AudioEvidence:
        return AudioEvidence(
            verdict=self.verdict,
            integrity=self.integrity,
            cutoff_hz=self.cutoff_hz,
            estimated_source=self.estimated_source,
            estimated_source_codec=self.estimated_source_codec,
            estimated_source_kbps=self.estimated_source_kbps,
            effective_sample_rate=self.effective_sample_rate,
            effective_bit_depth=self.effective_bit_depth,
        )


COLUMNS = VerificationRow._fields
UPSERT_SQL = (
    f"INSERT INTO audio_verification ({', '.join(COLUMNS)}) "
    f"SELECT {', '.join('%s' for _ in COLUMNS)} "
    "WHERE EXISTS (SELECT 1 FROM library_index WHERE id = %s) "
    "ON CONFLICT(library_file_id) DO UPDATE SET "
    + ", ".join(f"{c} = excluded.{c}" for c in COLUMNS if c != "library_file_id")
)
_RESCORE_COLUMNS = (
    "library_file_id, codec, bitrate, sample_rate, bit_depth, channels, bitrate_mode, "
    "quality_score, is_hires"
)


def verification_row(
    *, library_file_id: int, result: VerificationResult, verified_at: str
) -> VerificationRow:
    """What is stored of one decode pass; the source estimate split into codec and kbps so
    the score can use it."""
    evidence = result.evidence
    source_codec = None
    source_kbps = None
    if result.verdict == "lossy_source":
        candidates = evidence.get("source_candidates") or []
        families = {c.get("family") for c in candidates}
        source_codec = families.pop() if len(families) == 1 else None
        source_kbps = evidence.get("estimated_kbps")
    return VerificationRow(
        library_file_id=library_file_id,
        verified_at=verified_at,
        verifier_version=result.verifier_version,
        decoded_seconds=result.decoded_seconds,
        integrity=result.integrity,
        md5_status=result.md5_status,
        cutoff_hz=result.cutoff_hz,
        high_band_floor_db=result.high_band_floor_db,
        effective_sample_rate=result.effective_sample_rate,
        effective_bit_depth=result.effective_bit_depth,
        estimated_source=result.estimated_source,
        estimated_source_codec=source_codec,
        estimated_source_kbps=source_kbps,
        evidence=json.dumps(evidence, sort_keys=True, default=str),
        verdict=result.verdict,
        pcm_hash=result.pcm_hash,
        decoder_version=result.decoder_version,
    )


class Verified(NamedTuple):
    """What one decode pass gives: the verification, and the fingerprint (compressed text, or
    None when the audio gives none: too short, silence, steady noise, or undecodable)."""

    row: VerificationRow
    fingerprint: str | None


def file_verify(*, library_file_id: int, path: str) -> Verified:
    """Decode one file once (never raises for a damaged file): the verification and, from the
    same pass, the fingerprint."""
    feed = FingerprintFeed()
    result = audio_verify(path, declared=declared_read(path), on_frame=feed)
    fingerprint, fingerprint_state = feed.result()
    result.evidence["fingerprint"] = fingerprint_state
    row = verification_row(
        library_file_id=library_file_id, result=result, verified_at=utc_now_iso()
    )
    return Verified(row, fingerprint)


def _verify_chunk(chunk: Sequence[FileToVerify]) -> list[Verified]:
    """Worker: decode each file once."""
    return [file_verify(library_file_id=file.id, path=file.file_path) for file in chunk]


def _rescore(cursor, rows: Sequence[VerificationRow]) -> int:
    """Recompute the effective score of the verified files that have an analysis; record each
    change. Returns how many scores changed."""
    by_id = {row.library_file_id: row for row in rows}
    ids = list(by_id)
    cursor.execute(
        f"SELECT {_RESCORE_COLUMNS} FROM file_quality WHERE library_file_id IN "
        f"({', '.join('%s' for _ in ids)})",
        ids,
    )
    updates = []
    changes = []
    now = utc_now_iso()
    for (
        file_id,
        codec,
        bitrate,
        rate,
        depth,
        channels,
        mode,
        old_score,
        old_hires,
    ) in cursor.fetchall():
        evidence = by_id[file_id].audio_evidence
        score = quality_score(
            codec=codec,
            bitrate_kbps=bitrate,
            sample_rate=rate,
            bit_depth=depth,
            channels=channels,
            bitrate_mode=mode,
            evidence=evidence,
        )
        hires = effective_is_hires(sample_rate=rate, bit_depth=depth, evidence=evidence)
        if score != old_score or bool(hires) != bool(old_hires):
            updates.append((score, hires, ANALYZER_VERSION, file_id))
        if score != old_score:
            changes.append(ScoreChange(file_id, score, now, ANALYZER_VERSION))
    cursor.executemany(
        "UPDATE file_quality SET quality_score = %s, is_hires = %s, analyzer_version = %s "
        "WHERE library_file_id = %s",
        updates,
    )
    quality_history_append(cursor, changes)
    return len(changes)


def _write(verified: Sequence[Verified]) -> int:
    """One transaction: the verification rows, the fingerprints (on the files' analyses), then
    the scores they change."""
    if not verified:
        return 0
    rows = [v.row for v in verified]
    with (
        transaction.atomic(using=LIBRARY_DB_ALIAS),
        connections[LIBRARY_DB_ALIAS].cursor() as cursor,
    ):
        cursor.executemany(UPSERT_SQL, [(*row, row.library_file_id) for row in rows])
        cursor.executemany(
            "UPDATE file_quality SET acoustid_fingerprint = %s WHERE library_file_id = %s",
            [(v.fingerprint, v.row.library_file_id) for v in verified],
        )
        rescored = _rescore(cursor, rows)
        library_summary_refresh(cursor=cursor, ids=[row.library_file_id for row in rows])
        return rescored


def verification_store(*, library_file_id: int, verified: Verified) -> int:
    """Store a verification made before the file was in the library (an import being vetted)
    as this library file's: the row, the fingerprint and the effective score it implies
    (the file's analysis must exist already). Returns 1 when its score changed."""
    row = verified.row._replace(library_file_id=library_file_id)
    return _write([verified._replace(row=row)])


@dataclass
class VerificationRunResult:
    verified: int = 0
    skipped: int = 0
    #: files of the backlog left for a later run by ``--limit``
    left: int = 0
    rescored: int = 0
    fingerprinted: int = 0
    by_verdict: Counter = field(default_factory=Counter)
    audio_seconds: float = 0.0
    seconds: float = 0.0
    workers: int = 1
    interrupted: bool = False
    matches: AudioMatchRefresh | None = None

    @property
    def files_handled(self) -> int:
        """The files the run decoded (monitoring's throughput)."""
        return self.verified

    @property
    def files_per_second(self) -> float:
        return self.files_handled / self.seconds if self.seconds else 0.0

    @property
    def audio_seconds_per_second(self) -> float:
        return self.audio_seconds / self.seconds if self.seconds else 0.0

    @property
    def summary(self) -> str:
        """What ``verify_audio`` and a verification job say they did."""
        verdicts = ", ".join(
            f"{verdict} {self.by_verdict[verdict]:,}"
            for verdict in Verdict.values
            if self.by_verdict[verdict]
        )
        return (
            f"Verified {self.verified:,}{f' ({verdicts})' if verdicts else ''}, skipped "
            f"{self.skipped:,} (up to date){left_for_later(self.left)}; {self.rescored:,} "
            "scores changed"
        )


def audio_verify_all(
    *,
    workers: int | None = None,
    force: bool = False,
    path_prefix: str | None = None,
    limit: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> VerificationRunResult:
    """Verify every active file that needs it. Ctrl-C returns with ``interrupted`` set; a
    :class:`~musicquality.progress.StopRequested` from ``progress`` writes what was decoded
    and goes on up."""
    started = time.monotonic()
    result = VerificationRunResult(workers=workers or default_workers())
    todo = files_to_verify(force=force, path_prefix=path_prefix, limit=limit)
    active = active_files_count(path_prefix=path_prefix)
    backlog = active if force else verification_backlog_count(path_prefix=path_prefix)
    result.left = backlog - len(todo)
    result.skipped = active - backlog
    batch: list[Verified] = []
    done = 0
    if progress:
        progress(0, len(todo))

    def commit(verified: list[Verified]) -> None:
        result.rescored += _write(verified)
        result.verified += len(verified)
        for v in verified:
            result.by_verdict[v.row.verdict] += 1
            result.audio_seconds += v.row.decoded_seconds or 0.0
            result.fingerprinted += v.fingerprint is not None

    try:
        with chunks_map_started(
            _verify_chunk, todo, workers=result.workers, chunk_size=CHUNK_SIZE
        ) as chunks:
            for chunk in chunks:
                batch += chunk
                done += len(chunk)
                if len(batch) >= BATCH_SIZE:
                    commit(batch)
                    batch = []
                if progress:
                    try:
                        progress(done, len(todo))
                    except StopRequested:
                        commit(batch)  # what was decoded is kept, then stop
                        raise
        commit(batch)
    except KeyboardInterrupt:
        result.interrupted = True
        logger.warning("verification interrupted: %d files committed", result.verified)
    if not result.interrupted:
        result.matches = audio_matches_refresh()
    result.seconds = time.monotonic() - started
    return result
