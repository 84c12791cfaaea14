"""Recordings, not files: which library files hold the same recording. One definition.

Two files are the same recording when (docs/recordings.md):

- their bytes are the same (equal sampled ``file_content_hash``, confirmed byte for byte before
  anything moves): ``content_hash``;
- their decoded audio is identical (equal PCM hash, ``audio_verification.pcm_hash``), whatever
  their tags or container: ``audio_hash``;
- their Chromaprint fingerprints match at or above :data:`quality.fingerprints.SAME_RECORDING`
  with compatible durations (``quality.models.AudioMatch``, found through an index, not all
  pairs): ``acoustic_fingerprint``;
- only where the audio cannot say (a file without a fingerprint): their tags agree (equal
  ``metadata_hash`` of tagged files, durations within ``max_duration_delta``):
  ``metadata_hash``. Tags contradicted by the audio (both files fingerprinted, no match) never
  make them the same.

Links are joined into groups (connected components); a group's best copy is the first of
:func:`keeper_order` (the keeper of a duplicate group, the copy an upgrade would replace).
Everything that talks about "the same song" (duplicate groups, upgrade candidates, the file
page) asks :func:`recording_links` and :func:`recording_groups`. Pure functions of plain
values: no database here.
"""

from __future__ import annotations

import datetime
import os
from collections import defaultdict
from collections.abc import Iterable, Sequence
from pathlib import PurePath
from typing import NamedTuple

from quality.fingerprints import SAME_RECORDING
from quality.hashing import is_hash_marker

DEFAULT_MAX_DURATION_DELTA = 2.0
_FAR_FUTURE = datetime.datetime.max.replace(tzinfo=datetime.UTC)

CONTENT_HASH = "content_hash"
AUDIO_HASH = "audio_hash"
ACOUSTIC = "acoustic_fingerprint"
TAGS = "metadata_hash"
#: From the strongest evidence to the weakest.
LINK_STRENGTH = (CONTENT_HASH, AUDIO_HASH, ACOUSTIC, TAGS)


class Candidate(NamedTuple):
    """What grouping and keeper choice need to know about one active ``library_index`` row
    (with its ``file_quality`` and ``audio_verification`` facts, when it has them). A named
    tuple: a selector builds one per member row, thousands of them, and tuples are several
    times cheaper to create than dataclass instances."""

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
    pcm_hash: str | None = None  # of its decoded audio (current verification)
    has_fingerprint: bool = False

    @property
    def is_damaged(self) -> bool:
        return self.verdict == "damaged"

    @property
    def is_tagged(self) -> bool:
        """False for rows whose ``metadata_hash`` is the ``NO_METADATA:`` form."""
        return bool((self.artist or "").strip() or (self.title or "").strip())


def path_is_under(path: str, directories: Sequence[PurePath]) -> bool:
    if not directories:
        return False
    normalised = PurePath(os.path.normpath(path))
    return any(normalised.is_relative_to(directory) for directory in directories)


def effective_quality_key(candidate: Candidate) -> tuple[bool, float]:
    """The keeper rule's quality terms (the smallest key is the better copy): a damaged file
    after an intact one, then the higher effective ``quality_score`` (never analysed counts
    as lowest). An import is an upgrade exactly when this puts it first."""
    score = candidate.quality_score
    return (candidate.is_damaged, -(score if score is not None else -1.0))


def keeper_sort_key(candidate: Candidate, *, prefer: Sequence[PurePath] = ()) -> tuple:
    """The keeper rule: the smallest key is kept.

    In order: a file whose decoded audio was found damaged never wins over one that was not;
    then the highest ``quality_score`` (the effective score; a file never analysed counts as
    lowest); lossless before lossy; higher bit depth; higher sample rate; higher bitrate; a
    path under one of the ``prefer`` folders; the oldest ``indexed_at``; and finally the lowest
    id, so that the choice is the same on every run.
    """
    return (
        *effective_quality_key(candidate),
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


class AudioMatchFact(NamedTuple):
    """Two files whose fingerprints match (``quality.models.AudioMatch``)."""

    file_a: int
    file_b: int
    score: float
    same_recording: bool


class Link(NamedTuple):
    """Why two files hold the same recording, and how sure (0–1) the evidence is."""

    a: int
    b: int
    kind: str
    score: float


def metadata_runs(
    candidates: Iterable[Candidate], *, max_duration_delta: float = DEFAULT_MAX_DURATION_DELTA
) -> list[list[Candidate]]:
    """Same tags: equal ``metadata_hash``, every pair within the duration delta.

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
    runs: list[list[Candidate]] = []
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
                runs.append(run)
            start, run = duration, [candidate]
        if len(run) > 1:
            runs.append(run)
    return runs


def recording_links(
    candidates: Sequence[Candidate],
    *,
    audio_matches: Iterable[AudioMatchFact] = (),
    max_duration_delta: float = DEFAULT_MAX_DURATION_DELTA,
    kinds: Sequence[str] = (AUDIO_HASH, ACOUSTIC, TAGS),
) -> list[Link]:
    """Every piece of evidence that two of ``candidates`` are the same recording.

    Content-hash links are asked for separately (``kinds``): duplicate grouping confirms
    them byte by byte first. Tag links join two files only when one of them has no
    fingerprint: between two fingerprinted files the audio has the last word.
    """
    present = {candidate.id: candidate for candidate in candidates}
    links: list[Link] = []
    if CONTENT_HASH in kinds:
        links += _equal_value_links(
            candidates, key=lambda c: c.file_content_hash, kind=CONTENT_HASH, skip=is_hash_marker
        )
    if AUDIO_HASH in kinds:
        links += _equal_value_links(
            candidates, key=lambda c: c.pcm_hash, kind=AUDIO_HASH, skip=lambda value: not value
        )
    if ACOUSTIC in kinds:
        links += [
            Link(match.file_a, match.file_b, ACOUSTIC, match.score)
            for match in audio_matches
            if match.same_recording and match.file_a in present and match.file_b in present
        ]
    if TAGS in kinds:
        links += _tag_links(candidates, links, max_duration_delta=max_duration_delta)
    return links


def _tag_links(
    candidates: Sequence[Candidate], audio_links: list[Link], *, max_duration_delta: float
) -> list[Link]:
    """Equal tags join a file without a fingerprint to the others of its run, never two
    fingerprinted files (the audio decides those). When the run's fingerprinted files are
    several recordings by their audio, the tags cannot say which one an unfingerprinted file
    is: it is joined only to the other unfingerprinted files of the run."""
    audio = _Components(candidate.id for candidate in candidates)
    for link in audio_links:
        audio.join(link.a, link.b)
    links: list[Link] = []
    for run in metadata_runs(candidates, max_duration_delta=max_duration_delta):
        heard = [member for member in run if member.has_fingerprint]
        unheard = [member for member in run if not member.has_fingerprint]
        if not unheard:
            continue
        anchors = unheard[1:]
        if len({audio.find(member.id) for member in heard}) <= 1:
            anchors += heard[:1]
        links += [Link(unheard[0].id, other.id, TAGS, 0.0) for other in anchors]
    return links


class _Components:
    """Union-find over file ids."""

    def __init__(self, ids: Iterable[int]) -> None:
        self.parent = {node: node for node in ids}

    def find(self, node: int) -> int:
        parent = self.parent
        while parent[node] != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    def join(self, a: int, b: int) -> None:
        if a in self.parent and b in self.parent:
            first, second = self.find(a), self.find(b)
            if first != second:
                self.parent[max(first, second)] = min(first, second)


def _equal_value_links(candidates: Sequence[Candidate], *, key, kind: str, skip) -> list[Link]:
    """A star of links per value shared by several candidates (enough to connect them)."""
    buckets: dict[str, list[int]] = defaultdict(list)
    for candidate in candidates:
        value = key(candidate)
        if not skip(value):
            buckets[value].append(candidate.id)
    return [
        Link(ids[0], other, kind, 1.0)
        for ids in buckets.values()
        if len(ids) > 1
        for other in ids[1:]
    ]


def recording_groups(
    candidates: Sequence[Candidate], links: Iterable[Link]
) -> list[list[Candidate]]:
    """The connected components of ``links`` (two files or more), members in input order."""
    components = _Components(candidate.id for candidate in candidates)
    for link in links:
        components.join(link.a, link.b)
    members: dict[int, list[Candidate]] = defaultdict(list)
    for candidate in candidates:
        members[components.find(candidate.id)].append(candidate)
    return [group for group in members.values() if len(group) > 1]


def acoustic_confidence(score: float) -> float:
    """A fingerprint match's confidence for acting on it, 0.5–0.89: monotonic in the
    similarity, and below 0.9, ``dedupe``'s default, so that by default only identical
    content or identical decoded audio is acted on (``--min-confidence 0.5`` includes these)."""
    span = (min(max(score, SAME_RECORDING), 1.0) - SAME_RECORDING) / (1.0 - SAME_RECORDING)
    return round(0.5 + 0.39 * span, 3)
