"""Reads for the cross-cutting pages, composed from the apps' own selectors."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from dedup.rules import DuplicateGroup
from dedup.selectors import (
    dedup_history_count,
    dedup_history_of_file,
    duplicate_groups_of_file,
    duplicate_groups_snapshot,
)
from musicquality.library_db import library_db_size
from musicquality.monitoring.rules import Thresholds, backlog_alert_raised, db_size_alert_raised
from musicquality.schema import SCHEMA_VERSION_KEY
from overview.monitoring import monitoring_snapshot_take
from quality.distribution import FormatRow, QualityDistribution
from quality.models import AudioVerification, FileQuality, LibraryFile
from quality.score import AudioEvidence, score_total
from quality.selectors import (
    ContainerCodec,
    ScanRun,
    UnreadableFile,
    evidence_of,
    file_quality_of,
    last_scan_get,
    library_file_get,
    library_files_by_id,
    library_setting_get,
    library_summary_get,
    score_history_of,
    score_parts_get,
    unreadable_files_count,
    unreadable_files_list,
    verification_is_current,
    verification_of,
)
from quality.services.spectrogram import SpectrogramError, spectrogram_png
from quality.services.summary import SummaryFreshness, library_summary_check
from upgrades.models import UpgradeCandidate
from upgrades.selectors import (
    upgrade_action_counts,
    upgrade_candidate_of_file,
    upgrade_candidates_count,
)


@dataclass(frozen=True)
class LibraryOverview:
    files: int
    total_size: int
    distribution: QualityDistribution
    backlog: int
    db_size: int
    last_scan: ScanRun | None
    last_analysis: ScanRun | None
    verification_backlog: int = 0
    verdicts: dict[str, int] = field(default_factory=dict)
    freshness: SummaryFreshness = field(default_factory=lambda: SummaryFreshness(exact=True))
    #: containers holding several codecs (``m4a``: AAC, ALAC): the files of each
    codecs_by_container: dict[str, list[ContainerCodec]] = field(default_factory=dict)
    #: active files the analysis could not read (out of the backlog until they change)
    unreadable: int = 0

    @property
    def verified(self) -> int:
        return sum(self.verdicts.values())

    @property
    def formats(self) -> list[FormatRow]:
        return self.distribution.formats

    @property
    def score_bins(self) -> list[tuple[str, int]]:
        return self.distribution.score_bins

    @property
    def analysed(self) -> int:
        return self.distribution.analysed

    @property
    def lossless(self) -> int:
        return self.distribution.lossless

    @property
    def hires(self) -> int:
        return self.distribution.hires

    @property
    def lossy(self) -> int:
        return self.analysed - self.lossless

    @property
    def thresholds(self) -> Thresholds:
        return Thresholds.from_settings()

    @property
    def backlog_warn(self) -> bool:
        return backlog_alert_raised(self.backlog, self.thresholds)

    @property
    def db_size_warn(self) -> bool:
        return db_size_alert_raised(self.db_size, self.thresholds)

    def share(self, count: int) -> float:
        return 100 * count / self.analysed if self.analysed else 0.0

    @property
    def lossless_share(self) -> float:
        return self.share(self.lossless)

    @property
    def lossy_share(self) -> float:
        return self.share(self.lossy)

    @property
    def hires_share(self) -> float:
        return self.share(self.hires)


def library_overview_get() -> LibraryOverview:
    """Everything the overview page shows, from the library summary (docs/summary.md): a
    few dozen counted rows, whatever the library's size, and how fresh they are."""
    freshness = library_summary_check()
    summary = library_summary_get()
    last_analysis = (
        ScanRun(finished_at=summary.last_analysis_at, files=None, seconds=None)
        if summary.last_analysis_at
        else None
    )
    return LibraryOverview(
        files=summary.totals.files,
        total_size=summary.totals.total_size,
        distribution=summary.distribution,
        backlog=summary.backlog,
        db_size=library_db_size(),
        last_scan=last_scan_get(),
        last_analysis=last_analysis,
        verification_backlog=summary.verification_backlog,
        verdicts=summary.verdicts,
        freshness=freshness,
        codecs_by_container=summary.codecs_by_container,
        unreadable=unreadable_files_count(),
    )


def health_get() -> dict:
    """Monitoring facts: counts and sizes only, never a path, a tag or a user name.

    ``alerts`` lists the raised ones of the four alerts (docs/monitoring.md), decided and
    recorded by :func:`overview.monitoring.monitoring_snapshot_take`.
    """
    freshness = library_summary_check()
    summary = library_summary_get()
    last_analysis_at = summary.last_analysis_at
    rows = summary.row_counts
    snapshot = monitoring_snapshot_take()
    last_migration = snapshot.last_migration
    return {
        "status": "ok",
        "schema_version": library_setting_get(key=SCHEMA_VERSION_KEY),
        "row_counts": {
            "library_index": rows.library_index,
            "library_index_active": rows.library_index_active,
            "file_quality": rows.file_quality,
            "dedup_history": dedup_history_count(),
            "upgrade_candidates": upgrade_candidates_count(),
        },
        "analysis_backlog": snapshot.facts.backlog_files,
        "unreadable_files": unreadable_files_count(),
        "verification_backlog": summary.verification_backlog,
        "verdicts": summary.verdicts,
        "summary": freshness.as_json(),
        "database_size_bytes": snapshot.facts.db_size_bytes,
        "last_analysis": {
            "finished_at": last_analysis_at.isoformat() if last_analysis_at else None,
            "files_per_second": None,
        },
        "alerts": snapshot.raised_names,
        "alerts_since": {
            state.alert.value: state.since.isoformat()
            for state in snapshot.alerts
            if state.raised and state.since
        },
        "query_time_p95_seconds": snapshot.facts.query_p95_seconds,
        "last_migration": (
            {
                "outcome": last_migration.outcome,
                "finished_at": last_migration.finished_at.isoformat(),
                "duration_seconds": last_migration.duration_seconds,
            }
            if last_migration
            else None
        ),
    }


# --- one file: /files/<id>/ ---------------------------------------------------------------


@dataclass(frozen=True)
class DuplicateFile:
    library_file: LibraryFile
    same_content: bool
    same_metadata: bool
    #: The group's keeper by the one rule (``dedup.rules``), and the page's own file.
    is_keeper: bool = False
    is_current: bool = False
    #: Which of the file's groups (1, 2, …) this row belongs to.
    group: int = 1


@dataclass(frozen=True)
class FileDetail:
    library_file: LibraryFile
    quality: FileQuality | None
    duplicates: list[DuplicateFile]
    duplicate_groups: list[DuplicateGroup]
    history: list
    candidate: UpgradeCandidate | None
    verification: AudioVerification | None = None
    verification_current: bool = False
    score_history: list = field(default_factory=list)
    #: the analysis could not read the file as it is now, and why
    unreadable: UnreadableFile | None = None

    @property
    def evidence(self) -> AudioEvidence | None:
        """What the current verification found (an out-of-date one does not count)."""
        return evidence_of(self.verification) if self.verification_current else None

    @property
    def evidence_details(self) -> dict:
        if self.verification is None or not self.verification.evidence:
            return {}
        try:
            return json.loads(self.verification.evidence)
        except ValueError:
            return {}

    @property
    def score_parts(self) -> list[tuple[str, float]]:
        """The stored analysis's score, term by term, by the current formula (with what the
        current verification found)."""
        if self.quality is None:
            return []
        return score_parts_get(self.quality, evidence=self.evidence)

    @property
    def score_parts_total(self) -> float | None:
        return score_total(self.score_parts) if self.quality is not None else None

    @property
    def score_is_current(self) -> bool:
        """False when the stored score came from another formula (re-run analyze_quality)."""
        return self.quality is None or self.score_parts_total == self.quality.quality_score


def _duplicate_files(
    library_file: LibraryFile, groups: list[DuplicateGroup]
) -> list[DuplicateFile]:
    """Every member of each of the file's duplicate groups, this file included, group by
    group in the group's order: its keeper first (the rule's choice,
    ``dedup.rules.duplicate_groups_build``), then the copies it would remove. A file can be
    in two: the keeper of its exact copies and a lesser copy of a recording."""
    members = [
        (number, member.id, member is group.keeper)
        for number, group in enumerate(groups, start=1)
        for member in (group.keeper, *(r.candidate for r in group.removals))
    ]
    if not members:
        return []
    files = library_files_by_id(ids={member_id for _, member_id, _ in members})
    return [
        DuplicateFile(
            library_file=files[member_id],
            same_content=files[member_id].file_content_hash == library_file.file_content_hash,
            same_metadata=files[member_id].metadata_hash == library_file.metadata_hash,
            is_keeper=is_keeper,
            is_current=member_id == library_file.pk,
            group=number,
        )
        for number, member_id, is_keeper in members
        if member_id in files
    ]


def file_detail_get(*, file_id: int) -> FileDetail | None:
    """A library row with its analysis, duplicate groups, deletion history and candidate.

    The duplicate groups are the ones ``find_duplicates`` would report for this file (one
    grouping rule, ``dedup.rules``); the history is every ``dedup_history`` row that kept
    this file, was this row, or shares one of its hashes.
    """
    library_file = library_file_get(file_id=file_id)
    if library_file is None:
        return None
    groups = duplicate_groups_of_file(file_id=file_id)
    verification = verification_of(library_file_id=file_id)
    return FileDetail(
        library_file=library_file,
        quality=file_quality_of(library_file),
        duplicates=_duplicate_files(library_file, groups),
        duplicate_groups=groups,
        history=dedup_history_of_file(library_file=library_file),
        candidate=upgrade_candidate_of_file(library_file_id=file_id),
        verification=verification,
        verification_current=bool(
            verification and verification_is_current(verification, library_file)
        ),
        score_history=score_history_of(library_file_id=file_id),
        unreadable=next(iter(unreadable_files_list(library_file_id=file_id)), None),
    )


def file_spectrogram_get(*, file_id: int) -> bytes | None:
    """The file's spectrogram (PNG), with its current verification's wall; None when the file
    is unknown or gives no audio."""
    library_file = library_file_get(file_id=file_id)
    if library_file is None:
        return None
    verification = verification_of(library_file_id=file_id)
    cutoff = verification.cutoff_hz if verification else None
    try:
        return spectrogram_png(path=Path(library_file.file_path), cutoff_hz=cutoff)
    except SpectrogramError:
        return None


# --- the overview's next steps (issue 17) -------------------------------------------------


@dataclass(frozen=True)
class NextStep:
    """A card of the overview: how much work of one kind waits, and the list that holds it."""

    key: str
    count: int
    label: str
    url: str
    note: str = ""


def next_steps_get(*, overview: LibraryOverview) -> list[NextStep]:
    """The work waiting, most useful first, each with the filtered list it links to; the
    counts are those of the lists (the same selectors), kinds with nothing to do left out."""
    pending = upgrade_action_counts().get("pending", 0)
    groups = duplicate_groups_snapshot().totals.groups  # the count /dedup/ shows
    verdicts = overview.verdicts
    steps = [
        NextStep(
            "upgrades",
            pending,
            f"upgrade{'s' if pending != 1 else ''} pending",
            "/admin/upgrades/upgradecandidate/?user_action__exact=pending",
            "approve, reject or ignore each in one click",
        ),
        NextStep(
            "duplicates",
            groups,
            f"duplicate group{'s' if groups != 1 else ''}",
            "/dedup/#groups",
            "the keeper of each is marked",
        ),
        NextStep(
            "damaged",
            verdicts.get("damaged", 0),
            f"unreadable or damaged file{'s' if verdicts.get('damaged', 0) != 1 else ''}",
            "/files/?verdict=damaged",
            "decode errors, truncated, MD5 mismatch",
        ),
        NextStep(
            "unreadable",
            overview.unreadable,
            f"file{'s' if overview.unreadable != 1 else ''} the analysis could not read",
            "/files/unreadable/",
            "each with the reason; out of the backlog until it changes",
        ),
        NextStep(
            "lossy_source",
            verdicts.get("lossy_source", 0),
            f"file{'s' if verdicts.get('lossy_source', 0) != 1 else ''} made from a lossy source",
            "/files/?verdict=lossy_source",
            "lossless in name only",
        ),
        NextStep(
            "backlog",
            overview.backlog,
            f"file{'s' if overview.backlog != 1 else ''} to analyse",
            "/jobs/",
            "run analyze_quality (a job)",
        ),
        NextStep(
            "unverified",
            overview.verification_backlog,
            f"file{'s' if overview.verification_backlog != 1 else ''} to verify",
            "/jobs/",
            "run verify_audio (a job)",
        ),
    ]
    return [step for step in steps if step.count]
