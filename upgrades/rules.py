"""The business rules of upgrade candidates, as pure functions of plain values.

Everything here is a formula or a table of docs/formulas.md (priority, matching,
recommended format) or the services' published quality, kept apart from storage so that a
test can call each rule with hand-made inputs and a reader finds each formula in one place.
"""

from __future__ import annotations

import datetime
import enum
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from quality.recordings import Candidate, keeper_order
from quality.score import CD_QUALITY_SCORE

#: The score a CD-quality lossless copy of the recommended format gets.
TARGET_SCORE = CD_QUALITY_SCORE
#: Files analysed as lossy and scoring below this are candidates (docs/formulas.md).
DEFAULT_THRESHOLD = 70.0
#: A name match must agree on duration within this many seconds.
DURATION_WINDOW_SECONDS = 3.0
#: A playlist that gained a track within this many days marks its tracks as "recently played".
RECENT_PLAYLIST_DAYS = 30

RECOMMENDED_FORMATS = ("FLAC", "ALAC", "WAV")

#: What each streaming service sells at best, by the name Music Tools stores in
#: ``tracks.service``. The one place this mapping lives; a service missing here is
#: ``unknown`` (it still counts as available for the priority).
SERVICE_QUALITY = {
    "qobuz": "hi-res lossless",
    "tidal": "lossless",
    "deezer": "lossless",
    "amazon": "lossless",
    "amazon_music": "lossless",
    "apple": "lossless",
    "apple_music": "lossless",
    "bandcamp": "lossless",
    "spotify": "lossy",
    "youtube": "lossy",
    "youtube_music": "lossy",
    "soundcloud": "lossy",
}
SERVICE_QUALITY_UNKNOWN = "unknown"
_SERVICE_QUALITY_RANK = {
    "hi-res lossless": 0,
    "lossless": 1,
    SERVICE_QUALITY_UNKNOWN: 2,
    "lossy": 3,
}

#: ``available_on_service`` values that are not a service name.
SERVICE_UNKNOWN = "unknown"
SERVICE_NONE = "none"


class Availability(enum.Enum):
    """Whether a streaming service has the track, with its docs/formulas.md points.

    ``LOSSY_ONLY``: found, but only on services that sell lossy audio (spotify, youtube,
    soundcloud): such a match cannot deliver the lossless copy an upgrade needs, so it scores
    below "unknown" (where a lossless copy may still exist) and above "not found".
    """

    AVAILABLE = 30
    UNKNOWN = 15
    LOSSY_ONLY = 5
    NOT_FOUND = 0

    @property
    def label(self) -> str:
        return AVAILABILITY_LABELS[self]


AVAILABILITY_LABELS = {
    Availability.AVAILABLE: "available",
    Availability.UNKNOWN: "unknown",
    Availability.LOSSY_ONLY: "available, but only lossy",
    Availability.NOT_FOUND: "not found",
}


class Listening(enum.Enum):
    """The "user factor" of docs/formulas.md, from playlist membership, with its points."""

    RECENT_PLAYLIST = 20
    IN_PLAYLIST = 15
    NO_PLAYLIST = 5

    @property
    def label(self) -> str:
        return LISTENING_LABELS[self]


LISTENING_LABELS = {
    Listening.RECENT_PLAYLIST: "in a playlist that gained a track in the last 30 days",
    Listening.IN_PLAYLIST: "in a playlist",
    Listening.NO_PLAYLIST: "in no playlist",
}


def quality_gap(*, current_score: float, target_score: float = TARGET_SCORE) -> float:
    """0–50 points: how far the file is below a lossless copy, proportionally."""
    return 50.0 * max(0.0, target_score - current_score) / target_score


@dataclass(frozen=True)
class PriorityParts:
    """The terms of a priority (docs/formulas.md), what the "why" of every page shows.

    ``listening`` is None when the stored priority is not this rule's sum of the stored
    inputs (:func:`priority_parts_stored`: written under an older rule, re-run
    ``identify_upgrades``).
    """

    gap: float
    availability: Availability
    listening: Listening | None

    @property
    def total(self) -> float:
        listening = self.listening.value if self.listening is not None else 0
        return round(self.gap + self.availability.value + listening, 1)

    @property
    def gap_points(self) -> float:
        return round(self.gap, 1)


def priority_parts(
    *,
    current_score: float,
    availability: Availability,
    listening: Listening,
    target_score: float = TARGET_SCORE,
) -> PriorityParts:
    """The one priority rule, as its parts: gap, availability, user factor."""
    gap = quality_gap(current_score=current_score, target_score=target_score)
    return PriorityParts(gap=gap, availability=availability, listening=listening)


def upgrade_priority(
    *,
    current_score: float,
    availability: Availability,
    listening: Listening,
    target_score: float = TARGET_SCORE,
) -> float:
    """docs/formulas.md: gap + availability + user factor, 0–100, one decimal."""
    return priority_parts(
        current_score=current_score,
        availability=availability,
        listening=listening,
        target_score=target_score,
    ).total


#: Playlist names a "why" spells out before it says how many more.
WHY_PLAYLISTS_SHOWN = 2


def priority_why(parts: PriorityParts, *, service: str, playlists: Sequence[str] = ()) -> str:
    """The compact "why" of a priority: ``gap 30.8 + on tidal (lossless) 30 + in a playlist
    ("Road trip") 15`` (``service`` from :func:`service_label`, ``playlists`` the names that
    earned the listening points: :func:`playlists_earning`); the terms are
    :class:`PriorityParts`'."""
    names = ""
    if playlists and parts.listening not in (None, Listening.NO_PLAYLIST):
        shown = ", ".join(f"“{name}”" for name in playlists[:WHY_PLAYLISTS_SHOWN])
        more = len(playlists) - WHY_PLAYLISTS_SHOWN
        names = f" ({shown}{f' and {more} more' if more > 0 else ''})"
    listening = (
        f"{parts.listening.label}{names} {parts.listening.value}"
        if parts.listening is not None
        else "user factor unknown (older rule: run identify_upgrades)"
    )
    availability = {
        Availability.AVAILABLE: f"on {service}",
        Availability.LOSSY_ONLY: f"only lossy, on {service}",
        Availability.UNKNOWN: "availability unknown",
        Availability.NOT_FOUND: "on no service",
    }[parts.availability]
    return f"gap {parts.gap_points:g} + {availability} {parts.availability.value} + {listening}"


def availability_stored(*, service: str | None, quality: str | None) -> Availability:
    """The availability a stored ``available_on_service`` / ``service_quality`` pair stands
    for (the inverse of :func:`availability_decide`)."""
    if not service or service == SERVICE_UNKNOWN:
        return Availability.UNKNOWN
    if service == SERVICE_NONE:
        return Availability.NOT_FOUND
    return _availability_of_quality(quality or service_quality(service))


def priority_parts_stored(
    *,
    current_score: float,
    service: str | None,
    quality: str | None,
    priority: float,
) -> PriorityParts:
    """The parts of a stored candidate's priority, from its stored score and service: gap
    and availability by the rule; the user factor is the one whose points make the stored
    sum (the points are 20, 15 and 5, far apart beside the one-decimal rounding), or None
    when none does (the priority was written by an older rule)."""
    availability = availability_stored(service=service, quality=quality)
    gap = quality_gap(current_score=current_score)
    for listening in Listening:
        parts = PriorityParts(gap=gap, availability=availability, listening=listening)
        if parts.total == round(priority, 1):
            return parts
    return PriorityParts(gap=gap, availability=availability, listening=None)


def potential_quality_gain(*, current_score: float, target_score: float = TARGET_SCORE) -> float:
    """Score points gained by replacing the file with a CD-quality lossless copy."""
    return round(max(0.0, target_score - current_score), 1)


def recommended_format(*, alac_files: int, lossless_files: int, override: str | None) -> str:
    """FLAC, unless most of the user's lossless files are ALAC (they live in Apple's world),
    or the user asked for a format."""
    if override:
        return format_choice(override)
    return "ALAC" if lossless_files and alac_files * 2 > lossless_files else "FLAC"


def format_choice(value: str) -> str:
    """A ``--format`` value in the stored spelling, or ``ValueError`` saying what is allowed."""
    upper = value.strip().upper()
    if upper not in RECOMMENDED_FORMATS:
        raise ValueError(
            f"format {value!r} is not supported: use one of {', '.join(RECOMMENDED_FORMATS)}"
        )
    return upper


#: Verdicts of the audio verification that make a lossless container no lossless copy.
NOT_REALLY_LOSSLESS = ("lossy_source", "damaged")


def is_upgrade_candidate(
    *, is_lossless: bool | None, score: float, threshold: float, verdict: str | None = None
) -> bool:
    """The one definition of who is an upgrade candidate: a file scoring below the threshold
    (the effective score, ``quality.score``) that is not genuinely lossless: analysed as lossy
    (or of unknown kind), or a lossless container whose audio was found made from a lossy
    source or damaged (``verdict``). ``upgrades.selectors.upgrade_candidate_q`` is its SQL
    mirror; ``tests/upgrades/test_rules.py`` compares the two."""
    return score < threshold and (is_lossless is not True or verdict in NOT_REALLY_LOSSLESS)


def completion_reason(
    *,
    is_lossless: bool,
    score: float,
    codec: str | None,
    threshold: float,
    replaced_by: str | None = None,
) -> str:
    """Why a candidate no longer needs an upgrade, as the note the user reads: its file was
    upgraded in place, or replaced by another file (``replaced_by``, its path)."""
    if is_lossless:
        quality = f"lossless ({codec or 'lossless'}, score {score:.1f})"
        return f"replaced by {replaced_by}, {quality}" if replaced_by else f"file is now {quality}"
    level = f"scores {score:.1f}, at or above the threshold {threshold:g}"
    return f"replaced by {replaced_by}, which {level}" if replaced_by else f"file now {level}"


def recording_lesser_copies(groups: Iterable[Sequence[Candidate]]) -> dict[int, Candidate]:
    """At most one candidate per recording: its best copy (``quality.recordings.keeper_order``,
    the copy a duplicate group keeps). Every other copy of a recording held more than once is
    mapped to that best copy: it is never proposed (when the best copy is itself no candidate,
    the recording has none; the lesser copies are duplicates, for the dedup pages)."""
    lesser: dict[int, Candidate] = {}
    for members in groups:
        best, *others = keeper_order(members)
        lesser.update((other.id, best) for other in others)
    return lesser


def superseded_reason(*, better: Candidate, threshold: float) -> str:
    """The note on a candidate completed because its recording has a better copy."""
    score = "not analysed" if better.quality_score is None else f"score {better.quality_score:.1f}"
    if is_upgrade_candidate(
        is_lossless=better.is_lossless,
        score=better.quality_score if better.quality_score is not None else 0.0,
        threshold=threshold,
        verdict=better.verdict,
    ):
        return (
            f"the same recording is held as a better copy, {better.file_path} ({score}), "
            "which is the candidate now"
        )
    return f"the library already holds this recording as {better.file_path} ({score})"


# --- matching ---------------------------------------------------------------------------

_NOT_WORD = re.compile(r"[\W_]+", re.UNICODE)


def name_normalise(value: str | None) -> str:
    """Case-, accent-, punctuation- and spacing-insensitive form of an artist or title:
    ``"Beyoncé"``, ``"BEYONCE"`` → ``"beyonce"``; ``"AC/DC"``, ``"ACDC"`` → ``"acdc"``.

    ``&`` reads as "and" so that "Simon & Garfunkel" and "Simon and Garfunkel" meet.
    """
    if not value:
        return ""
    value = value.replace("&", " and ")
    if not value.isascii():
        decomposed = unicodedata.normalize("NFKD", value)
        value = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _NOT_WORD.sub("", value.casefold())


def name_key(*, artist: str | None, title: str | None) -> str | None:
    """The key two tracks share when they have the same artist and title, or None when
    either is missing (nothing to match on)."""
    artist_n, title_n = name_normalise(artist), name_normalise(title)
    if not artist_n or not title_n:
        return None
    return f"{artist_n}\x1f{title_n}"


def durations_agree(
    *, file_seconds: float | None, track_ms: int | None, window: float = DURATION_WINDOW_SECONDS
) -> bool:
    """True when the durations are within ``window`` seconds, or when either is unknown
    (the name alone then decides: the streaming data often lacks durations)."""
    if file_seconds is None or track_ms is None:
        return True
    return abs(file_seconds - track_ms / 1000.0) <= window


#: How sure a streaming match is (``streaming_matches.match_confidence``): an ISRC names the
#: recording exactly; a name match is surer when both durations are known and agree (from
#: NAME_MATCH_TIMED at equal durations down to NAME_MATCH_UNTIMED at the window's edge) than
#: when either is unknown.
ISRC_MATCH_CONFIDENCE = 1.0
NAME_MATCH_TIMED = 0.9
NAME_MATCH_UNTIMED = 0.7


def match_confidence(
    *,
    matched_by: str | None,
    file_seconds: float | None,
    track_ms: int | None,
    window: float = DURATION_WINDOW_SECONDS,
) -> float:
    """0–1 confidence of one file ↔ streaming track match (docs/formulas.md)."""
    if matched_by == "isrc":
        return ISRC_MATCH_CONFIDENCE
    if matched_by != "name":
        raise ValueError(f"not a match: matched_by {matched_by!r}")
    if file_seconds is None or track_ms is None:
        return NAME_MATCH_UNTIMED
    delta = min(abs(file_seconds - track_ms / 1000.0), window)
    span = NAME_MATCH_TIMED - NAME_MATCH_UNTIMED
    return round(NAME_MATCH_TIMED - span * delta / window, 3)


def best_service(services: Iterable[str]) -> str:
    """The service to recommend among those that have the track: best quality, then name."""
    return min(services, key=lambda s: (_SERVICE_QUALITY_RANK[service_quality(s)], s))


def service_quality(service: str) -> str:
    return SERVICE_QUALITY.get(service.strip().lower(), SERVICE_QUALITY_UNKNOWN)


@dataclass(frozen=True)
class AvailabilityVerdict:
    availability: Availability
    service: str
    service_quality: str | None


def availability_decide(*, checked: bool, services: Iterable[str]) -> AvailabilityVerdict:
    """``unknown`` when there is no streaming DB or nothing to match on (``checked`` False);
    else the best service that has the track (``LOSSY_ONLY`` when the best sells only lossy
    audio), or ``none``."""
    if not checked:
        return AvailabilityVerdict(Availability.UNKNOWN, SERVICE_UNKNOWN, None)
    services = list(services)
    if not services:
        return AvailabilityVerdict(Availability.NOT_FOUND, SERVICE_NONE, None)
    service = best_service(services)
    quality = service_quality(service)
    return AvailabilityVerdict(_availability_of_quality(quality), service, quality)


def _availability_of_quality(quality: str) -> Availability:
    """A service selling only lossy audio cannot deliver the upgrade (``LOSSY_ONLY``); one of
    unknown quality still counts as available."""
    return Availability.LOSSY_ONLY if quality == "lossy" else Availability.AVAILABLE


def service_label(service: str | None, quality: str | None = None) -> str:
    """``tidal (lossless)``: a service always shown with what it sells, everywhere."""
    if not service:
        return SERVICE_UNKNOWN
    if service in (SERVICE_UNKNOWN, SERVICE_NONE):
        return "not checked" if service == SERVICE_UNKNOWN else "not found"
    return f"{service} ({quality or service_quality(service)})"


def listening_from_playlists(
    *, last_added: Iterable[datetime.datetime | None], now: datetime.datetime
) -> Listening:
    """docs/formulas.md user factor from the playlists holding the track.

    ``last_added`` has, per playlist the track is in, the latest ``playlist_tracks.added_at``
    of that playlist (when it last gained a track; None when unknown).
    """
    recent_since = now - datetime.timedelta(days=RECENT_PLAYLIST_DAYS)
    seen_any = False
    for moment in last_added:
        seen_any = True
        if moment is not None and moment >= recent_since:
            return Listening.RECENT_PLAYLIST
    return Listening.IN_PLAYLIST if seen_any else Listening.NO_PLAYLIST


def playlists_earning(
    *, last_added: Mapping[str, datetime.datetime | None], now: datetime.datetime
) -> list[str]:
    """Which of the playlists holding a track earned its listening points
    (:func:`listening_from_playlists`): those that gained a track recently when there are
    any, else all of them; ``last_added`` maps each playlist's name to when it last gained a
    track. By name."""
    recent = [
        name
        for name, moment in last_added.items()
        if listening_from_playlists(last_added=[moment], now=now) is Listening.RECENT_PLAYLIST
    ]
    return sorted(recent or last_added)


PRIORITY_BANDS = {
    "high": (70.0, None),
    "medium": (40.0, 70.0),
    "low": (None, 40.0),
}


def priority_band_label(band: str) -> str:
    """``high (≥ 70)``, ``medium (40–70)``, ``low (< 40)``: from :data:`PRIORITY_BANDS`."""
    low, high = PRIORITY_BANDS[band]
    if high is None:
        return f"{band} (≥ {low:g})"
    if low is None:
        return f"{band} (< {high:g})"
    return f"{band} ({low:g}–{high:g})"


def priority_band(priority: float) -> str:
    """high ≥ 70 (a big gap and a way to get it), medium 40–70, low < 40."""
    for band, (low, high) in PRIORITY_BANDS.items():
        if (low is None or priority >= low) and (high is None or priority < high):
            return band
    raise AssertionError(priority)


def note_appended(existing: str | None, addition: str | None, *, when: str) -> str | None:
    """The notes with ``addition`` on a new dated line: a user's notes are never replaced."""
    if not addition or not addition.strip():
        return existing
    line = f"[{when[:10]}] {addition.strip()}"
    return f"{existing.rstrip()}\n{line}" if existing and existing.strip() else line


# --- albums -----------------------------------------------------------------------------

LOSSLESS_SERVICE_QUALITIES = ("hi-res lossless", "lossless")


def album_best_service(services: Iterable[tuple[str | None, str | None]]) -> tuple[str, int] | None:
    """The service to buy an album from: of the services selling lossless that have the
    album's tracks (one ``(service, quality)`` per candidate track), the one that has the
    most of them, then the better quality, then the name; with the number of tracks. None
    when no track is on a lossless service."""
    counts: dict[str, int] = {}
    for service, quality in services:
        if service and (quality or service_quality(service)) in LOSSLESS_SERVICE_QUALITIES:
            counts[service] = counts.get(service, 0) + 1
    if not counts:
        return None
    best = min(counts, key=lambda s: (-counts[s], _SERVICE_QUALITY_RANK[service_quality(s)], s))
    return best, counts[best]


# --- the Music Tools decisions (import_legacy_history) ---------------------------------------

#: The Music Tools migration 002 ``upgrade_status`` values understood (normalised: lower case,
#: ``_`` for spaces and dashes) and the ``user_action`` each becomes (docs/legacy-history.md).
#: ``pending`` (the CLI's default) is no decision.
LEGACY_UPGRADE_STATUSES: dict[str, str] = {
    "pending": "pending",
    "new": "pending",
    "identified": "pending",
    "approved": "approved",
    "wanted": "approved",
    "queued": "approved",
    "in_progress": "approved",
    "searching": "approved",
    "purchased": "approved",
    "downloading": "approved",
    "rejected": "rejected",
    "declined": "rejected",
    "skipped": "rejected",
    "skip": "rejected",
    "not_available": "rejected",
    "unavailable": "rejected",
    "upgraded": "completed",
    "completed": "completed",
    "complete": "completed",
    "done": "completed",
    "replaced": "completed",
    "ignored": "ignored",
    "ignore": "ignored",
    "dismissed": "ignored",
}


def legacy_upgrade_status_map(value: str | None) -> str | None:
    """The ``user_action`` a legacy ``upgrade_status`` stands for, or None for a value not
    in :data:`LEGACY_UPGRADE_STATUSES` (the decision is then not taken over, only its notes)."""
    key = "_".join((value or "").strip().lower().replace("-", " ").split())
    return LEGACY_UPGRADE_STATUSES.get(key)
