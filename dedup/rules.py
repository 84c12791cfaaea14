"""Duplicate grouping, match confidence and keeper choice: pure functions, no storage.

The pipeline is the one of beets' ``duplicates`` plugin: *group* candidate rows, *order* each
group so that the copy to keep comes first, then *act* (elsewhere: ``dedup.services``).

A duplicate group is a recording held more than once (``quality.recordings``, the one
definition of "the same recording"):

* **exact copies** — equal sampled ``file_content_hash`` (a marker value never matches
  anything). A sampled hash only *suggests* identity, so :func:`exact_groups_confirm` splits
  each suggested group by a full-content comparison supplied by the caller; members that
  cannot be confirmed fall back to the recording pass. Confidence 1.0, reason
  ``exact_duplicate``.
* **the same recording** — identical decoded audio (``audio_hash``, confidence 1.0, reason
  ``exact_duplicate``), matching acoustic fingerprints (``acoustic_fingerprint``, confidence
  0.5–0.89 from the similarity), or, only for files without a fingerprint, equal tags with
  close durations (``metadata_hash``, :func:`metadata_confidence`, 0.5–0.85). Below 0.9, the
  default of ``dedupe``, nothing but identical content or audio is acted on by default.

Each exact group is collapsed to its keeper before the recording pass, so a file is proposed
for removal at most once, and identical copies of a track are not counted twice.

The user's **keep-both** decisions (:class:`KeptTogether`, stored in the app database) are
applied at the end of :func:`duplicate_groups_build`, the one place groups are made: a file
that a decision covers is never proposed for removal (it is listed in ``DuplicateGroup.kept``
instead), and a group left with nothing to remove is not reported.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import NamedTuple

from dedup.models import DeletionReason, MatchedBy
from quality.hashing import is_hash_marker
from quality.recordings import (
    ACOUSTIC,
    AUDIO_HASH,
    LINK_STRENGTH,
    TAGS,
    AudioMatchFact,
    Candidate,
    Link,
    acoustic_confidence,
    keeper_order,
    keeper_sort_key,
    metadata_runs,
    recording_groups,
    recording_links,
)
from quality.recordings import DEFAULT_MAX_DURATION_DELTA as DEFAULT_MAX_DURATION_DELTA

DEFAULT_MIN_CONFIDENCE = 0.9
EXACT_CONFIDENCE = 1.0

# Same-recording confidence = BASE + ALBUM_WEIGHT × album agreement
#                                  + DURATION_WEIGHT × duration agreement   (max 0.85 < 0.9)
METADATA_BASE_CONFIDENCE = 0.5
METADATA_ALBUM_WEIGHT = 0.2
METADATA_DURATION_WEIGHT = 0.15
ALBUM_UNKNOWN_AGREEMENT = 0.5


@dataclass(frozen=True)
class Removal:
    """A file proposed for quarantine, with why and how sure we are."""

    candidate: Candidate
    reason: DeletionReason
    confidence: float
    matched_by: MatchedBy | None = None  # how it is the keeper's recording (None: the group's)


@dataclass(frozen=True)
class DuplicateGroup:
    number: int
    matched_by: MatchedBy
    keeper: Candidate
    removals: tuple[Removal, ...]
    confirmed: bool = True
    kept: tuple[Candidate, ...] = ()
    """Members the user decided to keep (a keep-both decision): never removed."""

    @property
    def members(self) -> tuple[Candidate, ...]:
        """Every file of the group: the keeper, the files it would replace, the kept ones."""
        return (self.keeper, *(removal.candidate for removal in self.removals), *self.kept)

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
    similar: tuple[tuple[Candidate, Candidate, float], ...] = field(default=())
    """Pairs whose fingerprints are alike but below the same-recording threshold (or whose
    durations differ): shown, never acted on."""
    kept_by_decision: int = 0
    """Files that would have been proposed for removal but a keep-both decision keeps."""


# --- the keeper rule in words ---------------------------------------------------------------


def _score_text(candidate: Candidate) -> str:
    return "not analysed" if candidate.quality_score is None else f"{candidate.quality_score:g}"


#: One sentence per part of ``quality.recordings.keeper_sort_key``, in the same order: why the
#: keeper beat the runner-up, told by the first part of the key where they differ. Each takes
#: the keeper and the runner-up.
KEEPER_RULE_SENTENCES: tuple[Callable[[Candidate, Candidate], str], ...] = (
    lambda k, o: "its audio decodes cleanly (the next best copy's is damaged)",
    lambda k, o: f"highest quality score ({_score_text(k)}; next best {_score_text(o)})",
    lambda k, o: "lossless (the next best copy is lossy)",
    lambda k, o: f"higher bit depth ({k.bit_depth or '?'} bit; next best {o.bit_depth or '?'})",
    lambda k, o: (
        f"higher sample rate ({k.sample_rate or '?'} Hz; next best {o.sample_rate or '?'} Hz)"
    ),
    lambda k, o: f"higher bitrate ({k.bitrate or '?'} kbps; next best {o.bitrate or '?'} kbps)",
    lambda k, o: "equal quality; this one is under a preferred folder",
    lambda k, o: "equal quality; this one was indexed first",
    lambda k, o: "equal in every respect; the lowest library id is kept, so every run agrees",
)


def keeper_rule_sentence(
    keeper: Candidate, runner_up: Candidate, *, prefer: Sequence[PurePath] = ()
) -> str:
    """Why the rule keeps ``keeper`` rather than ``runner_up``, as a sentence for people: the
    first part of the keeper sort key that tells them apart."""
    keeper_key = keeper_sort_key(keeper, prefer=prefer)
    other_key = keeper_sort_key(runner_up, prefer=prefer)
    for part, sentence in enumerate(KEEPER_RULE_SENTENCES):
        if keeper_key[part] != other_key[part]:
            return sentence(keeper, runner_up)
    return "the same file"


def group_keeper_rule(group: DuplicateGroup, *, prefer: Sequence[PurePath] = ()) -> str:
    """Why ``group``'s keeper is kept, against the next best of its other members."""
    others = [member for member in group.members if member != group.keeper]
    if not others:
        return "the only file left"
    runner_up = keeper_order(others, prefer=prefer)[0]
    return keeper_rule_sentence(group.keeper, runner_up, prefer=prefer)


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
    """Same-tags groups (``quality.recordings.metadata_runs``): equal ``metadata_hash``,
    every pair within the duration delta; untagged and marker rows never group."""
    return metadata_runs(candidates, max_duration_delta=max_duration_delta)


_MATCHED_BY = {
    AUDIO_HASH: MatchedBy.AUDIO_HASH,
    ACOUSTIC: MatchedBy.ACOUSTIC_FINGERPRINT,
    TAGS: MatchedBy.METADATA_HASH,
}


def _strongest_link(links: list[Link]) -> Link:
    return min(links, key=lambda link: (LINK_STRENGTH.index(link.kind), -link.score))


def _link_confidence(
    link: Link, keeper: Candidate, other: Candidate, *, max_duration_delta: float
) -> float:
    if link.kind == AUDIO_HASH:
        return EXACT_CONFIDENCE
    if link.kind == ACOUSTIC:
        return acoustic_confidence(link.score)
    return metadata_confidence(keeper, other, max_duration_delta=max_duration_delta)


def _recording_removal(
    keeper: Candidate,
    other: Candidate,
    links_of: dict[int, list[Link]],
    *,
    max_duration_delta: float,
) -> Removal:
    """How ``other`` is ``keeper``'s recording: its strongest link to the keeper itself, else
    its strongest link into the group, then no surer than the keeper's own links (an MP3
    identical to another MP3 of the keeper's recording is only as sure as that recording's
    match to the keeper)."""
    own = links_of.get(other.id, [])
    direct = [link for link in own if keeper.id in (link.a, link.b)]
    link = _strongest_link(direct or own)
    confidence = _link_confidence(link, keeper, other, max_duration_delta=max_duration_delta)
    if not direct:
        keeper_side = [
            _link_confidence(own_link, keeper, other, max_duration_delta=max_duration_delta)
            for own_link in links_of.get(keeper.id, [])
        ]
        confidence = min([confidence, *keeper_side])
    matched_by = _MATCHED_BY[link.kind]
    if confidence >= EXACT_CONFIDENCE:
        return Removal(other, DeletionReason.EXACT_DUPLICATE, EXACT_CONFIDENCE, matched_by)
    return Removal(other, metadata_reason(keeper, other), confidence, matched_by)


def _group_matched_by(removals: Sequence[Removal]) -> MatchedBy:
    """The weakest evidence in the group names it."""
    kinds = [removal.matched_by or MatchedBy.METADATA_HASH for removal in removals]
    order = [MatchedBy.CONTENT_HASH, *_MATCHED_BY.values()]
    return max(kinds, key=order.index)


# --- keep-both decisions -------------------------------------------------------------------


class DecisionFile(NamedTuple):
    """A file as a keep-both decision remembers it: what identifies it across re-indexing."""

    library_file_id: int
    file_path: str
    file_content_hash: str


@dataclass(frozen=True)
class KeptTogether:
    """An active keep-both (or not-duplicates) decision over two or more files."""

    decision_id: int
    kind: str
    files: tuple[DecisionFile, ...]


def decision_file_matches(remembered: DecisionFile, candidate: Candidate) -> bool:
    """Whether ``candidate`` is the file a decision remembers: at least two of its library id,
    its path and its sampled content hash (never a marker) agree. A rescan keeps path and
    hash, a re-index by the Music Tools CLI (new ids) too, a retag keeps id and path; an exact
    copy elsewhere shares only the hash and is a different file."""
    same_hash = (
        not is_hash_marker(remembered.file_content_hash)
        and remembered.file_content_hash == candidate.file_content_hash
    )
    agreeing = (
        (remembered.library_file_id == candidate.id)
        + (remembered.file_path == candidate.file_path)
        + same_hash
    )
    return agreeing >= 2


def kept_by_decisions(
    candidates: Iterable[Candidate], decisions: Sequence[KeptTogether]
) -> set[int]:
    """Ids of the candidates some decision covers. Looked up by id and by path: two of the
    three identifiers must agree, so one of these two always does."""
    by_key: dict[object, list[DecisionFile]] = defaultdict(list)
    for decision in decisions:
        for remembered in decision.files:
            by_key[("id", remembered.library_file_id)].append(remembered)
            by_key[("path", remembered.file_path)].append(remembered)
    kept: set[int] = set()
    for candidate in candidates:
        near = by_key.get(("id", candidate.id), []) + by_key.get(("path", candidate.file_path), [])
        if any(decision_file_matches(remembered, candidate) for remembered in near):
            kept.add(candidate.id)
    return kept


def groups_decisions_apply(
    groups: Iterable[DuplicateGroup], decisions: Sequence[KeptTogether]
) -> tuple[list[DuplicateGroup], int]:
    """The groups with every file a decision covers moved from ``removals`` to ``kept``;
    groups left with nothing to remove are dropped. Also returns how many files were kept."""
    groups = list(groups)
    if not decisions:
        return groups, 0
    kept_ids = kept_by_decisions(
        (removal.candidate for group in groups for removal in group.removals), decisions
    )
    result: list[DuplicateGroup] = []
    kept_files = 0
    for group in groups:
        kept = tuple(r.candidate for r in group.removals if r.candidate.id in kept_ids)
        kept_files += len(kept)
        removals = tuple(r for r in group.removals if r.candidate.id not in kept_ids)
        if removals:
            result.append(dataclasses.replace(group, removals=removals, kept=group.kept + kept))
    return result, kept_files


# --- the user's keeper ------------------------------------------------------------------------


def _chosen_removal(group: DuplicateGroup, keeper: Candidate, other: Candidate) -> Removal:
    """``other`` as a duplicate of the keeper the user chose. Exact copies stay exact; in a
    recording group the file is no surer than the group's weakest link (its evidence was
    measured against the rule's keeper), named by the group's evidence, so the protocol
    checks what that evidence needs (bytes, decoded audio) against the chosen keeper."""
    if group.matched_by == MatchedBy.CONTENT_HASH:
        return Removal(other, DeletionReason.EXACT_DUPLICATE, EXACT_CONFIDENCE, group.matched_by)
    confidence = group.confidence
    if confidence >= EXACT_CONFIDENCE:
        return Removal(other, DeletionReason.EXACT_DUPLICATE, EXACT_CONFIDENCE, group.matched_by)
    return Removal(other, metadata_reason(keeper, other), confidence, group.matched_by)


def group_keeper_choose(
    group: DuplicateGroup, *, keeper_id: int, remove_ids: Iterable[int]
) -> DuplicateGroup:
    """The group with the user's keeper and the files they chose to remove, each removal
    annotated against that keeper (:func:`_chosen_removal`). Raises ``ValueError`` when the
    keeper or a file to remove is not a removable member of the group (kept files are not),
    or when the keeper is also to be removed."""
    removable = {c.id: c for c in (group.keeper, *(r.candidate for r in group.removals))}
    remove_ids = list(dict.fromkeys(remove_ids))
    if keeper_id not in removable:
        raise ValueError(f"file {keeper_id} is not a member of duplicate group {group.number}")
    if keeper_id in remove_ids:
        raise ValueError(f"file {keeper_id} cannot be both the keeper and removed")
    strangers = [file_id for file_id in remove_ids if file_id not in removable]
    if strangers:
        raise ValueError(
            f"file {strangers[0]} is not a removable member of duplicate group {group.number}"
        )
    if not remove_ids:
        raise ValueError(f"nothing to remove from duplicate group {group.number}")
    keeper = removable[keeper_id]
    return dataclasses.replace(
        group,
        keeper=keeper,
        removals=tuple(_chosen_removal(group, keeper, removable[i]) for i in remove_ids),
    )


def duplicate_groups_build(
    candidates: Sequence[Candidate],
    *,
    same_content: Callable[[Candidate, Candidate], bool] | None,
    prefer: Sequence[PurePath] = (),
    max_duration_delta: float = DEFAULT_MAX_DURATION_DELTA,
    audio_matches: Sequence[AudioMatchFact] = (),
    decisions: Sequence[KeptTogether] = (),
) -> DuplicateReport:
    """Group, order and annotate: the whole find step, given a way to compare whole files and
    the library's fingerprint matches (``quality.models.AudioMatch``).

    With ``same_content=None`` exact groups are left unconfirmed suggestions
    (``DuplicateGroup.confirmed`` is False); ``dedupe`` confirms every file again right
    before moving it in any case. ``decisions`` (the user's keep-both decisions) keep the
    files they cover out of every group's removals (:func:`groups_decisions_apply`).
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
                    Removal(
                        other,
                        DeletionReason.EXACT_DUPLICATE,
                        EXACT_CONFIDENCE,
                        MatchedBy.CONTENT_HASH,
                    )
                    for other in others
                ),
                confirmed=same_content is not None,
            )
        )
    remaining = [candidate for candidate in candidates if candidate.id not in removed_ids]
    links = recording_links(
        remaining, audio_matches=audio_matches, max_duration_delta=max_duration_delta
    )
    links_of: dict[int, list[Link]] = defaultdict(list)
    for link in links:
        links_of[link.a].append(link)
        links_of[link.b].append(link)
    for members in recording_groups(remaining, links):
        keeper, *others = keeper_order(members, prefer=prefer)
        removals = tuple(
            _recording_removal(keeper, other, links_of, max_duration_delta=max_duration_delta)
            for other in others
        )
        groups.append(
            DuplicateGroup(
                number=0, matched_by=_group_matched_by(removals), keeper=keeper, removals=removals
            )
        )
    groups, kept_by_decision = groups_decisions_apply(groups, decisions)
    groups.sort(
        key=lambda group: (group.matched_by != MatchedBy.CONTENT_HASH, group.keeper.file_path)
    )
    numbered = tuple(
        dataclasses.replace(group, number=number) for number, group in enumerate(groups, start=1)
    )
    present = {candidate.id: candidate for candidate in candidates}
    similar = tuple(
        sorted(
            (
                (present[match.file_a], present[match.file_b], match.score)
                for match in audio_matches
                if not match.same_recording and match.file_a in present and match.file_b in present
            ),
            key=lambda pair: (pair[0].file_path, pair[1].file_path),
        )
    )
    return DuplicateReport(
        groups=numbered,
        unconfirmed=tuple(sorted(unconfirmed, key=lambda c: c.file_path)),
        similar=similar,
        kept_by_decision=kept_by_decision,
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
