"""Duplicate grouping, match confidence and keeper choice: pure functions, no storage.

The pipeline is the one of beets' ``duplicates`` plugin: *group* candidate rows, *order* each
group so that the copy to keep comes first, then *act* (elsewhere: ``dedup.services``).

Two kinds of group (docs/legacy-schema.md):

* **exact** — equal sampled ``file_content_hash`` (a marker value never matches anything).
  A sampled hash only *suggests* identity (64–128 KiB files that differ after their first
  64 KiB collide), so :func:`exact_groups_confirm` splits each suggested group by a
  full-content comparison supplied by the caller; members that cannot be confirmed fall back
  to the same-recording pass. Confidence 1.0, reason ``exact_duplicate``.
* **same recording** — equal ``metadata_hash`` of tagged files (never the ``NO_METADATA:``
  form, never a row with a marker hash) and durations within ``max_duration_delta`` seconds of
  each other. Confidence comes from :func:`metadata_confidence`; it never reaches 0.9, so a
  default ``dedupe`` never acts on tags alone.

Each exact group is collapsed to its keeper before the same-recording pass, so a file is
proposed for removal at most once, and identical copies of a track are not counted twice.
"""

from __future__ import annotations

import dataclasses
import datetime
import os
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import NamedTuple

from dedup.models import DeletionReason, MatchedBy
from quality.hashing import is_hash_marker

DEFAULT_MAX_DURATION_DELTA = 2.0
DEFAULT_MIN_CONFIDENCE = 0.9
EXACT_CONFIDENCE = 1.0

# Same-recording confidence = BASE + ALBUM_WEIGHT × album agreement
#                                  + DURATION_WEIGHT × duration agreement   (max 0.85 < 0.9)
METADATA_BASE_CONFIDENCE = 0.5
METADATA_ALBUM_WEIGHT = 0.2
METADATA_DURATION_WEIGHT = 0.15
ALBUM_UNKNOWN_AGREEMENT = 0.5

_FAR_FUTURE = datetime.datetime.max.replace(tzinfo=datetime.UTC)


class Candidate(NamedTuple):
    """What grouping and keeper choice need to know about one active ``library_index`` row
    (and its ``file_quality`` row, when it has one). A named tuple: the selector builds one
    per active row, 50,000+ of them, and tuples are several times cheaper to create than
    dataclass instances."""

    id: int
    file_path: str
    file_size: int
    metadata_hash: str
    file_content_hash: str
    artist: str | None = None
    title: str | None = None
    album: str | None = None
    duration: float | None = None
    file_format: str = ""
    indexed_at: datetime.datetime | None = None
    quality_score: float | None = None
    is_lossless: bool | None = None
    bit_depth: int | None = None
    sample_rate: int | None = None
    bitrate: int | None = None
    verdict: str | None = None  # of its audio verification, when it has one

    @property
    def is_damaged(self) -> bool:
        return self.verdict == "damaged"

    @property
    def is_tagged(self) -> bool:
        """False for rows whose ``metadata_hash`` is the ``NO_METADATA:`` form."""
        return bool((self.artist or "").strip() or (self.title or "").strip())


@dataclass(frozen=True)
class Removal:
    """A file proposed for quarantine, with why and how sure we are."""

    candidate: Candidate
    reason: DeletionReason
    confidence: float


@dataclass(frozen=True)
class DuplicateGroup:
    number: int
    matched_by: MatchedBy
    keeper: Candidate
    removals: tuple[Removal, ...]
    confirmed: bool = True

    @property
    def confidence(self) -> float:
        return min(removal.confidence for removal in self.removals)

    @property
    def bytes_reclaimable(self) -> int:
        return sum(removal.candidate.file_size for removal in self.removals)


class GroupTotals:
    """Files to remove and bytes they free, over the ``groups`` of a report or a plan."""

    groups: Sequence[DuplicateGroup]

    @property
    def files(self) -> int:
        return sum(len(group.removals) for group in self.groups)

    @property
    def bytes_reclaimable(self) -> int:
        return sum(group.bytes_reclaimable for group in self.groups)


@dataclass(frozen=True)
class DuplicateReport(GroupTotals):
    groups: tuple[DuplicateGroup, ...]
    unconfirmed: tuple[Candidate, ...] = field(default=())
    """Files whose sampled hash matched another but whose full content did not (or could
    not be read): never treated as exact duplicates."""


def path_is_under(path: str, directories: Sequence[PurePath]) -> bool:
    if not directories:
        return False
    normalised = PurePath(os.path.normpath(path))
    return any(normalised.is_relative_to(directory) for directory in directories)


def keeper_sort_key(candidate: Candidate, *, prefer: Sequence[PurePath] = ()) -> tuple:
    """The keeper rule: the smallest key is kept.

    In order: a file whose decoded audio was found damaged never wins over one that was not;
    then the highest ``quality_score`` (the effective score; a file never analysed counts as
    lowest); lossless before lossy; higher bit depth; higher sample rate; higher bitrate; a
    path under one of the ``prefer`` folders; the oldest ``indexed_at``; and finally the lowest
    id, so that the choice is the same on every run.
    """
    score = candidate.quality_score
    return (
        candidate.is_damaged,
        -(score if score is not None else -1.0),
        not candidate.is_lossless,
        -(candidate.bit_depth or 0),
        -(candidate.sample_rate or 0),
        -(candidate.bitrate or 0),
        not path_is_under(candidate.file_path, prefer),
        candidate.indexed_at or _FAR_FUTURE,
        candidate.id,
    )


def keeper_order(
    candidates: Iterable[Candidate], *, prefer: Sequence[PurePath] = ()
) -> list[Candidate]:
    """The group's members, the keeper first."""
    return sorted(candidates, key=lambda candidate: keeper_sort_key(candidate, prefer=prefer))


def _album_key(album: str | None) -> str:
    return (album or "").strip().lower()


def metadata_confidence(
    keeper: Candidate, other: Candidate, *, max_duration_delta: float = DEFAULT_MAX_DURATION_DELTA
) -> float:
    """How sure we are that ``other`` is the same recording as ``keeper`` (0.5–0.85).

    Album agreement is 1 when both albums are known and equal (case and surrounding blanks
    ignored), 0.5 when either is unknown, 0 when they differ (a compilation copy is often the
    same recording, so it still groups, with less confidence). Duration agreement falls
    linearly from 1 (equal) to 0 (``max_duration_delta`` apart).
    """
    keeper_album, other_album = _album_key(keeper.album), _album_key(other.album)
    if keeper_album and other_album:
        album = 1.0 if keeper_album == other_album else 0.0
    else:
        album = ALBUM_UNKNOWN_AGREEMENT
    delta = abs((keeper.duration or 0.0) - (other.duration or 0.0))
    duration = 1.0 - delta / max_duration_delta if max_duration_delta > 0 else float(delta == 0)
    confidence = (
        METADATA_BASE_CONFIDENCE
        + METADATA_ALBUM_WEIGHT * album
        + METADATA_DURATION_WEIGHT * max(0.0, duration)
    )
    return round(confidence, 3)


def metadata_reason(keeper: Candidate, other: Candidate) -> DeletionReason:
    """``lower_quality`` when the keeper is known to score higher, else ``metadata_match``."""
    if (
        keeper.quality_score is not None
        and other.quality_score is not None
        and keeper.quality_score > other.quality_score
    ):
        return DeletionReason.LOWER_QUALITY
    return DeletionReason.METADATA_MATCH


def exact_groups_suggest(candidates: Iterable[Candidate]) -> list[list[Candidate]]:
    """Rows sharing a (non-marker) sampled content hash, in groups of two or more."""
    buckets: dict[str, list[Candidate]] = defaultdict(list)
    for candidate in candidates:
        if not is_hash_marker(candidate.file_content_hash):
            buckets[candidate.file_content_hash].append(candidate)
    return [members for members in buckets.values() if len(members) > 1]


def exact_groups_confirm(
    groups: Iterable[list[Candidate]], *, same_content: Callable[[Candidate, Candidate], bool]
) -> tuple[list[list[Candidate]], list[Candidate]]:
    """Split suggested groups into sets of files with identical content.

    ``same_content`` compares two files in full (False when either cannot be read). Returns
    the confirmed groups (two or more identical files each) and the members that matched
    nothing.
    """
    confirmed: list[list[Candidate]] = []
    unconfirmed: list[Candidate] = []
    for members in groups:
        identical_sets: list[list[Candidate]] = []
        for candidate in members:
            for same in identical_sets:
                if same_content(same[0], candidate):
                    same.append(candidate)
                    break
            else:
                identical_sets.append([candidate])
        for same in identical_sets:
            if len(same) > 1:
                confirmed.append(same)
            else:
                unconfirmed.extend(same)
    return confirmed, unconfirmed


def metadata_groups(
    candidates: Iterable[Candidate], *, max_duration_delta: float = DEFAULT_MAX_DURATION_DELTA
) -> list[list[Candidate]]:
    """Same-recording groups: equal ``metadata_hash``, every pair within the duration delta.

    Untagged rows, rows with a marker content hash and rows without a duration never group.
    Within one metadata hash, rows are sorted by duration and cut greedily into runs no
    longer than ``max_duration_delta`` (so a 3:30 radio edit and a 4:10 album version of the
    same title stay apart).
    """
    buckets: dict[str, list[tuple[float, int, Candidate]]] = defaultdict(list)
    for candidate in candidates:
        if (
            candidate.is_tagged
            and candidate.duration is not None
            and not is_hash_marker(candidate.file_content_hash)
        ):
            buckets[candidate.metadata_hash].append((candidate.duration, candidate.id, candidate))
    groups: list[list[Candidate]] = []
    for members in buckets.values():
        if len(members) < 2:
            continue
        members.sort(key=lambda member: member[:2])
        start = members[0][0]
        run = [members[0][2]]
        for duration, _, candidate in members[1:]:
            if duration - start <= max_duration_delta:
                run.append(candidate)
                continue
            if len(run) > 1:
                groups.append(run)
            start, run = duration, [candidate]
        if len(run) > 1:
            groups.append(run)
    return groups


def duplicate_groups_build(
    candidates: Sequence[Candidate],
    *,
    same_content: Callable[[Candidate, Candidate], bool] | None,
    prefer: Sequence[PurePath] = (),
    max_duration_delta: float = DEFAULT_MAX_DURATION_DELTA,
) -> DuplicateReport:
    """Group, order and annotate: the whole find step, given a way to compare whole files.

    With ``same_content=None`` exact groups are left unconfirmed suggestions
    (``DuplicateGroup.confirmed`` is False); ``dedupe`` confirms every file again right
    before moving it in any case.
    """
    suggested = exact_groups_suggest(candidates)
    unconfirmed: list[Candidate] = []
    if same_content is None:
        exact = suggested
    else:
        exact, unconfirmed = exact_groups_confirm(suggested, same_content=same_content)

    groups: list[DuplicateGroup] = []
    removed_ids: set[int] = set()
    for members in exact:
        keeper, *others = keeper_order(members, prefer=prefer)
        removed_ids.update(other.id for other in others)
        groups.append(
            DuplicateGroup(
                number=0,
                matched_by=MatchedBy.CONTENT_HASH,
                keeper=keeper,
                removals=tuple(
                    Removal(other, DeletionReason.EXACT_DUPLICATE, EXACT_CONFIDENCE)
                    for other in others
                ),
                confirmed=same_content is not None,
            )
        )
    remaining = [candidate for candidate in candidates if candidate.id not in removed_ids]
    for members in metadata_groups(remaining, max_duration_delta=max_duration_delta):
        keeper, *others = keeper_order(members, prefer=prefer)
        groups.append(
            DuplicateGroup(
                number=0,
                matched_by=MatchedBy.METADATA_HASH,
                keeper=keeper,
                removals=tuple(
                    Removal(
                        other,
                        metadata_reason(keeper, other),
                        metadata_confidence(keeper, other, max_duration_delta=max_duration_delta),
                    )
                    for other in others
                ),
            )
        )
    groups.sort(
        key=lambda group: (group.matched_by != MatchedBy.CONTENT_HASH, group.keeper.file_path)
    )
    numbered = tuple(
        dataclasses.replace(group, number=number) for number, group in enumerate(groups, start=1)
    )
    return DuplicateReport(
        groups=numbered, unconfirmed=tuple(sorted(unconfirmed, key=lambda c: c.file_path))
    )


def groups_at_confidence(
    groups: Iterable[DuplicateGroup], *, min_confidence: float
) -> list[DuplicateGroup]:
    """Only the removals sure enough to act on; groups left with none are dropped."""
    kept: list[DuplicateGroup] = []
    for group in groups:
        removals = tuple(r for r in group.removals if r.confidence >= min_confidence)
        if removals:
            kept.append(dataclasses.replace(group, removals=removals))
    return kept
