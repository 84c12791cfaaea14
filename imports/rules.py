"""Vetting an import folder against the library: pure rules over plain values (docs/imports.md).

Each incoming file gets one verdict:

- ``new``: no recording of the library is this one;
- ``duplicate``: the library holds this recording at equal or better effective quality (or
  another file of the same import is the better copy);
- ``upgrade``: better than the library's best copy of its recording (the copy
  ``quality.recordings.keeper_order`` puts first, the one it would replace);
- ``uncertain``: only a tag match without audio to confirm it, or audio merely "similar"
  (below :data:`quality.fingerprints.SAME_RECORDING`), or nothing sure to compare with (a
  damaged incoming file, a library copy not analysed yet).

"The same recording" is the one rule of ``quality.recordings``: the incoming files are
candidates beside the library's rows (negative ids) and :func:`vetting_decide` joins them by
the strong links (same bytes, identical decoded audio, matching fingerprints); tag links and
"similar" fingerprint pairs that touch an incoming file only make it ``uncertain``.
"""

from __future__ import annotations

import enum
import os
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath

from quality.recordings import (
    ACOUSTIC,
    AUDIO_HASH,
    CONTENT_HASH,
    LINK_STRENGTH,
    TAGS,
    AudioMatchFact,
    Candidate,
    Link,
    acoustic_confidence,
    effective_quality_key,
    keeper_order,
    recording_groups,
)


class Verdict(enum.StrEnum):
    NEW = "new"
    DUPLICATE = "duplicate"
    UPGRADE = "upgrade"
    UNCERTAIN = "uncertain"


#: The verdicts whose files ``--reject-dir`` takes (the others enter the library).
REJECTED_VERDICTS = (Verdict.DUPLICATE, Verdict.UNCERTAIN)


@dataclass(frozen=True)
class FileVerdict:
    """The verdict on one incoming file and what it is measured against."""

    incoming: Candidate
    verdict: Verdict
    reason: str
    #: the library file the verdict is about: the recording's best copy (duplicate, upgrade:
    #: the file it would replace) or the file it may be (uncertain); None for new
    library_match: Candidate | None = None
    #: how the incoming file is that library file's recording (a ``quality.recordings`` kind)
    matched_by: str | None = None
    confidence: float | None = None
    #: the better file of the same import, when that one is what makes this a duplicate
    duplicate_of: Candidate | None = None
    #: the library files of its recording (their open upgrade candidate is the one an upgrade
    #: completes)
    recording: tuple[Candidate, ...] = ()


def is_incoming(candidate: Candidate) -> bool:
    return candidate.id < 0


def _score_text(candidate: Candidate) -> str:
    score = candidate.quality_score
    return "not analysed" if score is None else f"score {score:.1f}"


def is_better_copy(incoming: Candidate, best: Candidate) -> bool:
    """An upgrade: the incoming file would be kept over the library's best copy by the keeper
    rule's quality terms (not damaged, then a strictly higher effective score). Equal quality
    is a duplicate: the library's copy stays."""
    return effective_quality_key(incoming) < effective_quality_key(best)


def link_confidence(link: Link) -> float:
    """How sure a link is, as ``dedup_history.confidence_score`` records it: identical bytes
    or decoded audio 1.0, a fingerprint match 0.5–0.89 (``acoustic_confidence``)."""
    if link.kind == ACOUSTIC:
        return acoustic_confidence(link.score)
    return 1.0 if link.kind in (CONTENT_HASH, AUDIO_HASH) else 0.5


def _strongest(links: Iterable[Link]) -> Link | None:
    return min(links, key=lambda link: (LINK_STRENGTH.index(link.kind), -link.score), default=None)


def vetting_decide(
    candidates: Sequence[Candidate],
    links: Sequence[Link],
    *,
    similar: Sequence[AudioMatchFact] = (),
) -> list[FileVerdict]:
    """One verdict per incoming candidate (negative id), in input order.

    ``candidates``: the incoming files and the library's active rows; ``links``: every
    ``quality.recordings.recording_links`` link between them (all kinds); ``similar``: the
    fingerprint pairs below the same-recording threshold (or with durations apart).
    """
    incoming = [c for c in candidates if is_incoming(c)]
    strong = [
        link
        for link in links
        if link.kind != TAGS or not (link.a < 0 or link.b < 0)  # library tag links: its groups
    ]
    weak_of: dict[int, list[tuple[float, int]]] = defaultdict(list)  # incoming → (rank, lib)
    for link in links:
        if link.kind == TAGS and (link.a < 0) != (link.b < 0):
            inc, lib = (link.a, link.b) if link.a < 0 else (link.b, link.a)
            weak_of[inc].append((0.0, lib))
    for pair in similar:
        if (pair.file_a < 0) != (pair.file_b < 0):
            inc, lib = (pair.file_a, pair.file_b) if pair.file_a < 0 else (pair.file_b, pair.file_a)
            weak_of[inc].append((pair.score, lib))
    by_id = {c.id: c for c in candidates}
    direct: dict[int, list[Link]] = defaultdict(list)
    for link in strong:
        direct[link.a].append(link)
        direct[link.b].append(link)
    component_of: dict[int, list[Candidate]] = {}
    for members in recording_groups(candidates, strong):
        for member in members:
            component_of[member.id] = members
    decided: dict[int, FileVerdict] = {}
    for candidate in incoming:
        if candidate.id in decided:
            continue
        members = component_of.get(candidate.id, [candidate])
        arriving = [m for m in members if is_incoming(m)]
        library = [m for m in members if not is_incoming(m)]
        best_in, *others = keeper_order(arriving)
        if library:
            first = _library_verdict(best_in, library, direct)
        else:
            first = _unmatched_verdict(best_in, weak_of.get(best_in.id, []), by_id)
        decided[best_in.id] = first
        for other in others:
            decided[other.id] = _import_duplicate(other, first)
    return [decided[c.id] for c in incoming]


def _link_between(incoming: Candidate, library: Sequence[Candidate], direct) -> Link | None:
    """The strongest link from ``incoming`` to one of ``library``, else from another member
    of its recording (an indirect match)."""
    ids = {c.id for c in library}
    own = direct.get(incoming.id, [])
    found = _strongest(link for link in own if link.a in ids or link.b in ids)
    if found is not None:
        return found
    return _strongest(
        link for member in library for link in direct.get(member.id, []) if min(link.a, link.b) < 0
    )


def _library_verdict(
    incoming: Candidate, library: Sequence[Candidate], direct: Mapping[int, list[Link]]
) -> FileVerdict:
    ordered = keeper_order(library)
    best = ordered[0]
    link = _link_between(incoming, library, direct)

    def verdict(kind: Verdict, reason: str) -> FileVerdict:
        return FileVerdict(
            incoming,
            kind,
            reason,
            library_match=best,
            matched_by=link.kind if link else None,
            confidence=link_confidence(link) if link else None,
            recording=tuple(ordered),
        )

    if best.quality_score is None:
        return verdict(
            Verdict.UNCERTAIN,
            f"the library holds this recording as {best.file_path}, not analysed yet: run "
            "analyze_quality, then vet again",
        )
    if is_better_copy(incoming, best):
        return verdict(
            Verdict.UPGRADE,
            f"better than the library's best copy ({_score_text(incoming)} over "
            f"{_score_text(best)}): replaces {best.file_path}",
        )
    why = "damaged audio; " if incoming.is_damaged else ""
    return verdict(
        Verdict.DUPLICATE,
        f"{why}the library holds this recording at equal or better quality: {best.file_path} "
        f"({_score_text(best)}, this file {_score_text(incoming)})",
    )


def _unmatched_verdict(
    incoming: Candidate, weak: list[tuple[float, int]], by_id: Mapping[int, Candidate]
) -> FileVerdict:
    if weak:
        score, library_id = max(weak)
        match = by_id[library_id]
        if score > 0:
            why = (
                f"its audio is only similar to {match.file_path} (similarity {score:.2f}, "
                "below the same-recording threshold, or durations apart)"
            )
            kind = ACOUSTIC
        else:
            why = (
                f"same artist and title as {match.file_path}, but no fingerprint to confirm it "
                "(one of them has none: too short, silent, or not verified yet)"
            )
            kind = TAGS
        return FileVerdict(incoming, Verdict.UNCERTAIN, why, match, kind, None)
    if incoming.is_damaged:
        return FileVerdict(
            incoming, Verdict.UNCERTAIN, "damaged audio: check the file before importing it"
        )
    return FileVerdict(incoming, Verdict.NEW, "no recording in the library")


def _import_duplicate(other: Candidate, first: FileVerdict) -> FileVerdict:
    best = first.incoming
    return FileVerdict(
        other,
        Verdict.DUPLICATE,
        f"this import holds the same recording as a better or equal copy: {best.file_path} "
        f"({first.verdict})",
        library_match=first.library_match,
        matched_by=first.matched_by,
        confidence=first.confidence,
        duplicate_of=best,
        recording=first.recording,
    )


@dataclass(frozen=True)
class VettingTotals:
    """Files per verdict, and how they map onto the Music Tools ``vetting_history`` columns."""

    new: int = 0
    duplicate: int = 0
    upgrade: int = 0
    uncertain: int = 0

    @classmethod
    def of(cls, verdicts: Iterable[str]) -> VettingTotals:
        counts = {verdict.value: 0 for verdict in Verdict}
        for verdict in verdicts:
            counts[verdict] += 1
        return cls(**counts)

    @property
    def files(self) -> int:
        return self.new + self.duplicate + self.upgrade + self.uncertain

    @property
    def duplicates_found(self) -> int:
        """``vetting_history.duplicates_found``: files whose recording the library already
        holds (duplicates and upgrades alike), so the legacy columns add up to the total."""
        return self.duplicate + self.upgrade

    def as_dict(self) -> dict[str, int]:
        return {"files": self.files, **{v.value: getattr(self, v.value) for v in Verdict}}


# --- where a new file goes -------------------------------------------------------------------

#: The default layout of new files under ``--into``: docs/imports.md lists the fields.
DEFAULT_PATH_TEMPLATE = "{artist}/{album}/{filename}"
TEMPLATE_FIELDS = ("artist", "album", "title", "year", "filename", "ext")
UNKNOWN = {"artist": "Unknown Artist", "album": "Unknown Album", "title": "Unknown Title"}
MAX_COMPONENT_BYTES = 200
_FIELD = re.compile(r"\{([^{}]*)\}")
_UNSAFE = re.compile(r"[\x00-\x1f/\\]")


class TemplateError(ValueError):
    """A path template that cannot be used; the message says which part and what to do."""


def template_check(template: str) -> str:
    """The template, if every field is known, no part is absolute or ``..``, and its last
    part ends with the file's extension (``{filename}`` or ``.{ext}``)."""
    fields = _FIELD.findall(template)
    unknown = [f for f in fields if f not in TEMPLATE_FIELDS]
    if unknown:
        raise TemplateError(
            f"path template {template!r}: unknown field {{{unknown[0]}}}: use "
            + ", ".join(f"{{{f}}}" for f in TEMPLATE_FIELDS)
        )
    parts = template.split("/")
    if template.startswith("/") or any(p in ("", ".", "..") for p in parts):
        raise TemplateError(
            f"path template {template!r} must be relative, without empty, '.' or '..' parts "
            f"(e.g. {DEFAULT_PATH_TEMPLATE})"
        )
    last = parts[-1]
    if not (last.endswith("{filename}") or last.endswith(".{ext}")):
        raise TemplateError(
            f"path template {template!r} must end with {{filename}} or .{{ext}}, so the file "
            "keeps its extension"
        )
    return template


def path_component(value: str) -> str:
    """One safe folder or file name: no separators or control characters, no leading dot
    (so never ``.`` or ``..`` or hidden), no trailing dots or blanks, at most
    :data:`MAX_COMPONENT_BYTES` bytes of UTF-8 (the extension kept)."""
    cleaned = _UNSAFE.sub("_", value).strip().rstrip(". ")
    cleaned = re.sub(r"^\.+", lambda m: "_" * len(m.group()), cleaned)
    if len(cleaned.encode("utf-8")) > MAX_COMPONENT_BYTES:
        stem, ext = os.path.splitext(cleaned)
        ext = ext if len(ext.encode("utf-8")) <= 16 else ""
        budget = MAX_COMPONENT_BYTES - len(ext.encode("utf-8"))
        stem = stem.encode("utf-8")[:budget].decode("utf-8", errors="ignore").rstrip(". ")
        cleaned = stem + ext
    return cleaned or "_"


def import_subpath(
    template: str,
    *,
    artist: str | None,
    album: str | None,
    title: str | None,
    year: int | None,
    filename: str,
) -> PurePosixPath:
    """Where a new file goes under ``--into``: ``template`` filled in with its tags (missing
    ones as "Unknown Artist", ...), each part made safe (:func:`path_component`)."""
    template_check(template)
    values = {
        "artist": (artist or "").strip() or UNKNOWN["artist"],
        "album": (album or "").strip() or UNKNOWN["album"],
        "title": (title or "").strip() or UNKNOWN["title"],
        "year": str(year) if year else "0000",
        "filename": filename,
        "ext": os.path.splitext(filename)[1].lstrip(".").lower(),
    }
    parts = [
        path_component(_FIELD.sub(lambda m: values[m.group(1)], part))
        for part in template.split("/")
    ]
    return PurePosixPath(*parts)


def numbered_name(name: str, number: int) -> str:
    """``Song.flac`` → ``Song (2).flac``: the name tried when ``Song.flac`` is taken (never
    overwritten)."""
    if number <= 1:
        return name
    stem, ext = os.path.splitext(name)
    return f"{stem} ({number}){ext}"
