"""Reads for duplicate finding, the quarantine and the audit log (no writes here)."""

from __future__ import annotations

import datetime
import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass

from django.conf import settings
from django.db import OperationalError, connections
from django.db.models import Q

from dedup.models import DedupHistory, DeletionReason, DuplicateDecision
from dedup.rules import (
    Candidate,
    DecisionFile,
    DuplicateGroup,
    DuplicateReport,
    KeptTogether,
    duplicate_groups_build,
    group_keeper_rule,
)
from musicquality.legacy_history import IMPORTED_NOTE_PREFIX, imported_keys
from musicquality.library_cache import library_cached
from musicquality.timestamps import timestamp_parse
from quality.badges import file_quality_badge, quality_badge
from quality.hashing import is_hash_marker
from quality.models import LibraryFile
from quality.selectors import (
    audio_match_facts,
    library_files_by_id,
    library_summary_generation,
    library_summary_get,
    recording_candidates,
    recording_candidates_around,
)
from quality.services.summary import library_summary_check, summary_rows
from quality.summary import SCORE_UNITS

logger = logging.getLogger(__name__)

PENDING_NOTE_PREFIX = "PENDING:"
"""``notes`` of a history row whose file a dedupe run was about to move
(docs/deletion-protocol.md)."""


def duplicate_candidates_list(*, members_only: bool = True) -> list[Candidate]:
    """Active rows for grouping (``quality.selectors.recording_candidates``)."""
    return recording_candidates(members_only=members_only)


def duplicate_decisions_active() -> tuple[KeptTogether, ...]:
    """The user's keep-both decisions in force (not undone), as the grouping rule takes them.

    From the app database (``dedup.models.DuplicateDecision``); a hashable tuple, so that it
    can be part of a cache key. An app database never migrated (the commands alone need only
    the library) holds no decision: none then."""
    decisions = DuplicateDecision.objects.filter(undone_at__isnull=True).prefetch_related("files")
    try:
        decisions_in_order = list(decisions.order_by("id"))
    except OperationalError as error:
        if DuplicateDecision._meta.db_table not in str(error):
            raise
        logger.info("no keep-both decisions: the app database is not migrated (%s)", error)
        return ()
    return tuple(
        KeptTogether(
            decision_id=decision.pk,
            kind=decision.kind,
            files=tuple(
                DecisionFile(f.library_file_id, f.file_path, f.file_content_hash)
                for f in decision.files.all()
            ),
        )
        for decision in decisions_in_order
    )


def duplicate_decisions_list(*, undone: bool = False) -> list[DuplicateDecision]:
    """Decisions with their files, newest first: those in force, or (``undone``) those the
    user took back."""
    return list(
        DuplicateDecision.objects.filter(undone_at__isnull=not undone)
        .select_related("created_by", "undone_by")
        .prefetch_related("files")
    )


def duplicate_groups_of_file(*, file_id: int) -> list[DuplicateGroup]:
    """The duplicate groups (keeper first) that hold ``file_id``, as ``find_duplicates`` would
    report them without its full-content confirmation: exact groups are suggestions."""
    candidates, matches = recording_candidates_around(file_id=file_id)
    report = duplicate_groups_build(
        candidates,
        same_content=None,
        audio_matches=matches,
        decisions=duplicate_decisions_active(),
    )
    return [
        group for group in report.groups if any(member.id == file_id for member in group.members)
    ]


def duplicate_groups_suggested() -> DuplicateReport:
    """Every duplicate group of the library by the one grouping rule, the user's keep-both
    decisions applied, without the full-content reads (exact groups are suggestions until
    ``find_duplicates`` or ``dedupe`` confirm them). Reused until the library or the
    decisions change (:mod:`musicquality.library_cache`)."""
    decisions = duplicate_decisions_active()
    return library_cached(
        ("duplicate_groups", decisions),
        lambda: _groups_suggested_build(decisions),
    )


def _groups_suggested_build(decisions: tuple[KeptTogether, ...]) -> DuplicateReport:
    matches = audio_match_facts()
    return duplicate_groups_build(
        recording_candidates(audio_matches=matches),
        same_content=None,
        audio_matches=matches,
        decisions=decisions,
    )


@dataclass(frozen=True)
class GroupsFreshness:
    """How current the duplicate groups a page shows are.

    ``exact``: found from the library as it is now. Otherwise either found from the
    summary's current state while changes by other programs are still being compared
    (``current_generation``, ``checked_at`` as in ``SummaryFreshness``), or found at
    ``computed_at`` before the library's last change, and being found again (None: never
    found yet by this process, on a large library: the page shows no groups, saying so).
    """

    exact: bool
    computed_at: datetime.datetime | None  # None: being found for the first time
    current_generation: bool = True
    checked_at: datetime.datetime | None = None

    def as_json(self) -> dict:
        """As the API says it (``/api/duplicates/``: ``"groups_freshness"``)."""
        return {
            "exact": self.exact,
            "found_at": self.computed_at.isoformat() if self.computed_at else None,
            "current_generation": self.current_generation,
            "checked_at": self.checked_at.isoformat() if self.checked_at else None,
        }


@dataclass(frozen=True)
class GroupsTotals:
    """A report's totals, added up once when the groups are found (tens of thousands of
    groups at 500,000 files: too many to add up on every page)."""

    groups: int
    files: int
    bytes_reclaimable: int
    similar: int
    kept_by_decision: int

    @classmethod
    def of(cls, report: DuplicateReport) -> GroupsTotals:
        return cls(
            len(report.groups),
            report.files,
            report.bytes_reclaimable,
            len(report.similar),
            report.kept_by_decision,
        )


@dataclass(frozen=True)
class GroupsSnapshot:
    report: DuplicateReport
    freshness: GroupsFreshness
    totals: GroupsTotals


@dataclass(frozen=True)
class _Found:
    generation: int
    computed_at: datetime.datetime
    report: DuplicateReport
    totals: GroupsTotals


class _GroupsFinder:
    """The last groups found per set of decisions (at most :data:`MAX_SNAPSHOTS`), and the
    one background search of this process."""

    MAX_SNAPSHOTS = 4

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.found: dict[tuple[KeptTogether, ...], _Found] = {}
        self.running = False

    def store(self, decisions: tuple[KeptTogether, ...], found: _Found) -> None:
        with self.lock:
            self.found.pop(decisions, None)
            self.found[decisions] = found
            while len(self.found) > self.MAX_SNAPSHOTS:
                self.found.pop(next(iter(self.found)))

    def clear(self) -> None:
        with self.lock:
            self.found.clear()


GROUPS_FINDER = _GroupsFinder()


def _groups_find(decisions: tuple[KeptTogether, ...]) -> _Found:
    generation = library_summary_generation()
    computed_at = datetime.datetime.now(datetime.UTC)
    report = _groups_suggested_build(decisions)
    return _Found(generation, computed_at, report, GroupsTotals.of(report))


def _groups_find_in_thread(decisions: tuple[KeptTogether, ...]) -> None:
    try:
        GROUPS_FINDER.store(decisions, _groups_find(decisions))
    except Exception:  # a background search must never take the server down
        logger.exception("finding the duplicate groups failed")
    finally:
        connections.close_all()
        with GROUPS_FINDER.lock:
            GROUPS_FINDER.running = False


def duplicate_groups_snapshot() -> GroupsSnapshot:
    """The duplicate groups for a page, at the cost of a lookup once found.

    Found again when the summary's generation moved (one of our writers, or a
    reconciliation, changed a file): in the request for a library of at most
    ``SUMMARY_INLINE_MAX_FILES`` files, otherwise in a background thread while the page
    shows the last groups found and how old they are (none yet on first use, saying so).
    Exact pages and services that act on a group use :func:`duplicate_groups_suggested`.
    """
    freshness = library_summary_check()
    decisions = duplicate_decisions_active()
    generation = library_summary_generation()
    with GROUPS_FINDER.lock:
        found = GROUPS_FINDER.found.get(decisions)
    if found is not None and found.generation == generation:
        return GroupsSnapshot(
            found.report,
            GroupsFreshness(freshness.exact, found.computed_at, True, freshness.checked_at),
            found.totals,
        )
    small = library_summary_get().row_counts.library_index <= settings.SUMMARY_INLINE_MAX_FILES
    if small:
        found = _groups_find(decisions)
        GROUPS_FINDER.store(decisions, found)
        return GroupsSnapshot(
            found.report,
            GroupsFreshness(freshness.exact, found.computed_at, True, freshness.checked_at),
            found.totals,
        )
    with GROUPS_FINDER.lock:
        start = not GROUPS_FINDER.running
        GROUPS_FINDER.running = True
    if start:
        threading.Thread(
            target=_groups_find_in_thread, args=(decisions,), name="groups-find", daemon=True
        ).start()
    if found is None:  # the first search of this process: seconds at 500,000 files
        nothing = DuplicateReport(groups=())
        return GroupsSnapshot(
            nothing, GroupsFreshness(False, None, False), GroupsTotals.of(nothing)
        )
    return GroupsSnapshot(
        found.report, GroupsFreshness(False, found.computed_at, False), found.totals
    )


class Role:
    KEEP = "keep"
    REMOVE = "remove"
    KEPT = "kept"


@dataclass(frozen=True)
class ReviewFile:
    """One file of a group on the review page, with what the page shows beside the others."""

    candidate: Candidate
    role: str
    codec: str | None
    reason: str | None = None
    confidence: float | None = None
    badge: str = ""


@dataclass(frozen=True)
class ReviewGroup:
    group: DuplicateGroup
    files: list[ReviewFile]
    keeper_rule: str
    """Why the rule keeps the keeper: :func:`dedup.rules.keeper_rule_sentence` against the
    next best copy."""


def duplicate_groups_review(*, groups: Sequence[DuplicateGroup]) -> list[ReviewGroup]:
    """The groups of one review page, each file with its codec and badge (its analysis and
    verification as stored now; a file gone from the index since, by its container)."""
    ids = {member.id for group in groups for member in group.members}
    files = library_files_by_id(ids=ids)

    def review_file(
        candidate: Candidate,
        role: str,
        reason: str | None = None,
        confidence: float | None = None,
    ) -> ReviewFile:
        library_file = files.get(candidate.id)
        quality = getattr(library_file, "quality", None)
        badge = (
            file_quality_badge(library_file)
            if library_file is not None
            else quality_badge(file_format=candidate.file_format)
        )
        codec = quality.codec if quality is not None else None
        return ReviewFile(candidate, role, codec, reason, confidence, badge=badge)

    reviewed = []
    for group in groups:
        files_of_group = [review_file(group.keeper, Role.KEEP)]
        files_of_group += [
            review_file(r.candidate, Role.REMOVE, r.reason, r.confidence) for r in group.removals
        ]
        files_of_group += [review_file(c, Role.KEPT) for c in group.kept]
        reviewed.append(ReviewGroup(group, files_of_group, group_keeper_rule(group)))
    return reviewed


def dedup_history_count() -> int:
    """``dedup_history``'s rows, from the deletion summary (no count of the history)."""
    ((count,),) = summary_rows("SELECT coalesce(sum(files), 0) FROM summary_deletion")
    return count


def dedup_history_of_file(*, library_file: LibraryFile) -> list[DedupHistory]:
    """Every ``dedup_history`` row that kept this file, was this row, or shares one of its
    hashes (its sampled content hash only when it is not a marker)."""
    match = (
        Q(kept_file_id=library_file.pk)
        | Q(original_library_id=library_file.pk)
        | Q(metadata_hash=library_file.metadata_hash)
    )
    if not is_hash_marker(library_file.file_content_hash):
        match |= Q(file_content_hash=library_file.file_content_hash)
    return list(DedupHistory.objects.filter(match).order_by("-deleted_at", "-id"))


def dedup_history_pending() -> list[DedupHistory]:
    """History rows written by a run that was interrupted before it finished their move."""
    return list(
        DedupHistory.objects.filter(
            can_recover=False, notes__startswith=PENDING_NOTE_PREFIX
        ).order_by("id")
    )


def dedup_history_for_recovery(
    *, ids: list[int] | None = None, session: str | None = None
) -> list[DedupHistory]:
    queryset = DedupHistory.objects.all()
    if ids is not None:
        queryset = queryset.filter(id__in=ids)
    if session is not None:
        queryset = queryset.filter(deletion_session_id=session)
    return list(queryset.order_by("id"))


def dedup_history_purgeable(*, deleted_before: datetime.datetime) -> list[DedupHistory]:
    """Recoverable rows older than the cut-off, except those imported from Music Tools: their
    files are in the CLI's backup folder, which is not ours to purge."""
    return list(
        DedupHistory.objects.filter(can_recover=True, deleted_at__lt=deleted_before)
        .exclude(notes__startswith=IMPORTED_NOTE_PREFIX)
        .order_by("deleted_at", "id")
    )


def dedup_history_imported_keys() -> set[str]:
    """The keys of the Music Tools deletions already imported (``import_legacy_history``)."""
    notes = DedupHistory.objects.filter(notes__startswith=IMPORTED_NOTE_PREFIX).values_list(
        "notes", flat=True
    )
    return imported_keys(notes.iterator())


@dataclass(frozen=True)
class DedupSessionSummary:
    """One dedupe run as a user thinks of it: when, how many files, how much space."""

    session_id: str
    started_at: datetime.datetime | str
    finished_at: datetime.datetime | str
    files: int
    bytes_freed: int
    recoverable: int
    exact: int

    @property
    def gb_freed(self) -> float:
        return self.bytes_freed / 1024**3


def dedup_sessions_totals(
    *,
    deletion_reason: str | None = None,
    matched_by: str | None = None,
    can_recover: bool | None = None,
) -> list[dict]:
    """One row per dedupe session with its totals over the history rows that match the
    filters, newest first, from the trigger-kept deletion summary (docs/summary.md): a few
    rows per session, whatever the history's length. ``started_at`` and ``finished_at`` are
    the session's first and last deletion.

    A file counts once it left the library: pending rows (an interrupted move) are not
    counted; a session with none left out.
    """
    where: list[str] = ["d.done = 1"]
    params: list[str | int] = []
    for column, value in (("reason", deletion_reason), ("matched_by", matched_by)):
        if value:
            where.append(f"d.{column} = %s")
            params.append(value)
    if can_recover is not None:
        where.append("d.can_recover = %s")
        params.append(int(can_recover))
    rows = summary_rows(
        "SELECT d.session, s.first_at, s.last_at, sum(d.files), sum(d.bytes), "
        "sum(d.scored), sum(d.score_units), "
        "sum(CASE WHEN d.can_recover = 1 THEN d.files ELSE 0 END), "
        "sum(CASE WHEN d.reason = %s THEN d.files ELSE 0 END) "
        "FROM summary_deletion d JOIN summary_deletion_session s ON s.session = d.session "
        f"WHERE {' AND '.join(where)} GROUP BY d.session ORDER BY s.last_at DESC, d.session",
        [DeletionReason.EXACT_DUPLICATE, *params],
    )
    return [
        {
            "deletion_session_id": session,
            "started_at": timestamp_parse(first_at) or first_at,
            "finished_at": timestamp_parse(last_at) or last_at,
            "files": files,
            "bytes_freed": size,
            "avg_score": units / SCORE_UNITS / scored if scored else None,
            "recoverable": recoverable,
            "exact": exact,
        }
        for session, first_at, last_at, files, size, scored, units, recoverable, exact in rows
    ]


def dedup_sessions_summary(*, limit: int | None = None) -> list[DedupSessionSummary]:
    """Per-session totals, newest first, for the admin's header."""
    rows = dedup_sessions_totals()
    if limit is not None:
        rows = rows[:limit]
    return [
        DedupSessionSummary(
            session_id=row["deletion_session_id"],
            started_at=row["started_at"],
            finished_at=row["finished_at"],
            files=row["files"],
            bytes_freed=int(row["bytes_freed"]),
            recoverable=row["recoverable"],
            exact=row["exact"],
        )
        for row in rows
    ]
