"""Reads on upgrade candidates and the files they come from."""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from musicquality.routers import APP_DB_ALIAS
from quality.models import FileQuality, LibraryFile, active_q, inactive_q
from quality.selectors import audio_disagrees
from quality.services.summary import summary_rows
from quality.summary import SCORE_UNITS
from upgrades import rules
from upgrades.models import (
    ImportedDecision,
    JobStatus,
    StreamingMatch,
    UpgradeCandidate,
    UpgradeJob,
    UserAction,
)
from upgrades.streaming import playlists_holding, streaming_db_path


@dataclass(frozen=True, slots=True)
class EligibleFile:
    """An active, analysed, lossy file below the threshold, with what identify needs."""

    library_file_id: int
    file_path: str
    filename: str
    artist: str | None
    title: str | None
    album: str | None
    duration: float | None
    file_format: str
    bitrate: int | None
    quality_score: float


#: keys looked up per query (well under SQLite's variable limit)
_KEY_CHUNK = 500


def imported_decision_keys(*, keys: Iterable[str]) -> set[str]:
    """Which of these Music Tools decision keys were imported already (the app database's
    record: the candidates' notes may have been edited since)."""
    wanted = sorted(set(keys))
    found: set[str] = set()
    for start in range(0, len(wanted), _KEY_CHUNK):
        found.update(
            ImportedDecision.objects.using(APP_DB_ALIAS)
            .filter(key__in=wanted[start : start + _KEY_CHUNK])
            .values_list("key", flat=True)
        )
    return found


def upgrade_candidate_q(*, threshold: float, prefix: str = "", verification: str = "") -> Q:
    """SQL mirror of :func:`upgrades.rules.is_upgrade_candidate` over ``file_quality`` (or a
    relation to it, through ``prefix``, e.g. ``"library_file__quality__"``); ``verification``
    is the path to the file's ``audio_verification`` (default: from ``file_quality``)."""
    verification = verification or f"{prefix}library_file__verification__"
    return Q(**{f"{prefix}quality_score__lt": threshold}) & (
        Q(**{f"{prefix}is_lossless": False})
        | Q(**{f"{prefix}is_lossless__isnull": True})
        | Q(**{f"{verification}verdict__in": rules.NOT_REALLY_LOSSLESS})
    )


def upgrade_eligible_files(*, threshold: float) -> list[EligibleFile]:
    rows = (
        FileQuality.objects.filter(active_q(prefix="library_file__"))
        .filter(upgrade_candidate_q(threshold=threshold))
        .order_by("library_file_id")
        .values_list(
            "library_file_id",
            "library_file__file_path",
            "library_file__filename",
            "library_file__artist",
            "library_file__title",
            "library_file__album",
            "library_file__duration",
            "file_format",
            "bitrate",
            "quality_score",
        )
    )
    return [EligibleFile(*row) for row in rows]


def lossless_alac_counts() -> tuple[int, int]:
    """(ALAC files, lossless files) among analysed files, to pick the recommended format."""
    counts = FileQuality.objects.filter(is_lossless=True).aggregate(
        lossless=Count("id"),
        alac=Count("id", filter=Q(codec__iexact="alac")),
    )
    return counts["alac"], counts["lossless"]


@dataclass(frozen=True, slots=True)
class KnownCandidate:
    """What a previous run stored that this run may keep: the tags it read, and when."""

    id: int
    file_path: str
    artist: str
    title: str
    album: str | None
    isrc: str | None
    last_updated: datetime.datetime | None


def upgrade_candidates_known() -> dict[int, KnownCandidate]:
    rows = UpgradeCandidate.objects.values_list(
        "library_file_id", "id", "file_path", "artist", "title", "album", "isrc", "last_updated"
    )
    return {row[0]: KnownCandidate(*row[1:]) for row in rows}


def upgrade_candidates_outgrown(*, threshold: float) -> QuerySet:
    """Open candidates (pending or approved) whose file is now lossless or scores at or above
    the threshold: the upgrade happened."""
    return (
        UpgradeCandidate.objects.filter(user_action__in=[UserAction.PENDING, UserAction.APPROVED])
        .filter(library_file__quality__isnull=False)
        .exclude(
            upgrade_candidate_q(
                threshold=threshold,
                prefix="library_file__quality__",
                verification="library_file__verification__",
            )
        )
    )


def upgrade_candidates_pending_of(
    *, library_file_ids: Iterable[int]
) -> list[tuple[int, str | None, int]]:
    """(id, notes, library_file_id) of the pending candidates of these files."""
    ids = list(library_file_ids)
    rows = UpgradeCandidate.objects.filter(user_action=UserAction.PENDING)
    found: list[tuple[int, str | None, int]] = []
    for start in range(0, len(ids), 500):
        found += rows.filter(library_file_id__in=ids[start : start + 500]).values_list(
            "id", "notes", "library_file_id"
        )
    return found


@dataclass(frozen=True, slots=True)
class Replacement:
    """An open candidate whose file vanished from the library, and the active analysed file
    that took its place (same recording by metadata hash, or same name in the same folder,
    unless their fingerprints say another recording)."""

    candidate_id: int
    notes: str | None
    file_path: str
    is_lossless: bool
    quality_score: float
    codec: str | None
    verdict: str | None = None


def upgrade_candidates_replaced() -> list[Replacement]:
    """Open candidates whose file is no longer active (the scanner marks a vanished file
    ``is_active = 0``), each with the best active analysed file standing for the same track.
    Vanished files are few, so one small query each is fine."""
    replacements = []
    vanished = (
        UpgradeCandidate.objects.filter(
            user_action__in=[UserAction.PENDING, UserAction.APPROVED],
        )
        .filter(inactive_q(prefix="library_file__"))
        .values_list(
            "id",
            "notes",
            "library_file__file_path",
            "library_file__metadata_hash",
            "library_file_id",
        )
    )
    for candidate_id, notes, old_path, old_hash, old_id in vanished:
        stem = old_path.rsplit(".", 1)[0]
        best = (
            FileQuality.objects.filter(active_q(prefix="library_file__"))
            .filter(
                Q(library_file__metadata_hash=old_hash)
                | Q(library_file__file_path__startswith=f"{stem}.")
            )
            .order_by("-is_lossless", "-quality_score")
            .values_list(
                "library_file__file_path",
                "is_lossless",
                "quality_score",
                "codec",
                "library_file__verification__verdict",
                "library_file_id",
            )
        )
        for path, is_lossless, score, codec, verdict, file_id in best:
            if path.startswith(f"{stem}.") and "/" in path[len(stem) :]:
                continue  # a folder named like the file, not the file's new extension
            if audio_disagrees(library_file_id=old_id, other_id=file_id):
                continue  # the same tags or name, another recording (a decoy)
            replacements.append(
                Replacement(candidate_id, notes, path, bool(is_lossless), score, codec, verdict)
            )
            break
    return replacements


def _upgrade_summary() -> list[tuple[str, str, int]]:
    """``(user_action, service, candidates)`` from the trigger-kept summary of
    ``upgrade_candidates`` (docs/summary.md; '' for NULL): a few rows, whatever the number
    of candidates."""
    return summary_rows("SELECT user_action, service, candidates FROM summary_upgrade")


def upgrade_action_counts() -> dict[str, int]:
    """Candidates per ``user_action``, every action present (0 when none); a NULL action
    counts as pending, the column's default."""
    counts = dict.fromkeys(UserAction.values, 0)
    for action, _service, candidates in _upgrade_summary():
        action = action or UserAction.PENDING
        counts[action] = counts.get(action, 0) + candidates
    return counts


def upgrade_candidates_with_action_count(*, user_action: str) -> int:
    """Candidates whose stored ``user_action`` is exactly ``user_action``, from the summary:
    what ``filter(user_action=...)`` counts (a NULL action is not ``pending`` here)."""
    return sum(
        candidates for action, _service, candidates in _upgrade_summary() if action == user_action
    )


def upgrade_availability_counts(*, user_action: str | None = None) -> list[tuple[str, int]]:
    """Candidates per ``available_on_service``, most first."""
    totals: dict[str, int] = {}
    for action, service, candidates in _upgrade_summary():
        if user_action is None or action == user_action:
            service = service or "unknown"
            totals[service] = totals.get(service, 0) + candidates
    return sorted(totals.items(), key=lambda item: (-item[1], item[0]))


def upgrade_candidates_top(*, limit: int = 10) -> QuerySet:
    return UpgradeCandidate.objects.filter(user_action=UserAction.PENDING).order_by(
        "-priority_score", "id"
    )[:limit]


def upgrade_candidates_with_action(*, user_action: str) -> QuerySet:
    return UpgradeCandidate.objects.filter(user_action=user_action).order_by(
        "-priority_score", "artist", "title"
    )


def upgrade_candidates_count() -> int:
    return sum(candidates for _action, _service, candidates in _upgrade_summary())


def upgrade_candidate_of_file(*, library_file_id: int) -> UpgradeCandidate | None:
    """The file's candidate, told which playlists earned its listening points."""
    found = UpgradeCandidate.objects.filter(library_file_id=library_file_id).first()
    return candidates_playlists_attach([found])[0] if found is not None else None


@dataclass(frozen=True)
class AlbumCandidates:
    """An album's candidates (issue 17: collectors buy albums), for the album view."""

    artist: str
    album: str
    to_upgrade: int
    held: int
    priority_sum: float
    best_service: str | None
    best_service_tracks: int

    @property
    def best_service_label(self) -> str:
        return rules.service_label(self.best_service) if self.best_service else "—"


#: Sort name of ``/upgrades/albums/`` (``-`` for descending) -> the ``summary_upgrade_album``
#: ORDER BY, each read through one of its indexes; the default is the summed priority.
ALBUM_SORTS: dict[str, str] = {
    "priority_sum": "priority_units, artist COLLATE NOCASE, album COLLATE NOCASE",
    "-priority_sum": ("priority_units DESC, artist COLLATE NOCASE DESC, album COLLATE NOCASE DESC"),
    "artist": "artist COLLATE NOCASE, album COLLATE NOCASE",
    "-artist": "artist COLLATE NOCASE DESC, album COLLATE NOCASE DESC",
    "album": "album COLLATE NOCASE, artist COLLATE NOCASE",
    "-album": "album COLLATE NOCASE DESC, artist COLLATE NOCASE DESC",
    "to_upgrade": "candidates, priority_units",
    "-to_upgrade": "candidates DESC, priority_units DESC",
}
DEFAULT_ALBUM_SORT = "-priority_sum"


class UpgradeAlbums:
    """The albums with candidates of one ``user_action`` (artist + album as tagged;
    candidates without an album left out), in one of :data:`ALBUM_SORTS`, read a page at a
    time from the trigger-kept ``summary_upgrade_album`` (docs/summary.md): a paginator
    slices it, and only the albums of that page get their tracks held (active files of that
    artist and album) and their best lossless service
    (:func:`upgrades.rules.album_best_service`)."""

    def __init__(self, *, user_action: str = UserAction.PENDING, order_by: str = ""):
        self.user_action = user_action
        self.order_by = order_by if order_by in ALBUM_SORTS else DEFAULT_ALBUM_SORT

    def count_upto(self, limit: int) -> int:
        """How many albums, counting no further than ``limit``."""
        ((count,),) = summary_rows(
            "SELECT count(*) FROM (SELECT 1 FROM summary_upgrade_album "
            "WHERE user_action = %s LIMIT %s)",
            [self.user_action, limit],
        )
        return count

    def __len__(self) -> int:
        ((count,),) = summary_rows(
            "SELECT count(*) FROM summary_upgrade_album WHERE user_action = %s",
            [self.user_action],
        )
        return count

    def __getitem__(self, index: slice) -> list[AlbumCandidates]:
        if not isinstance(index, slice):
            raise TypeError("UpgradeAlbums is read by pages: slice it")
        start, stop = index.start or 0, index.stop
        rows = summary_rows(
            "SELECT artist, album, candidates, priority_units FROM summary_upgrade_album "
            f"WHERE user_action = %s ORDER BY {ALBUM_SORTS[self.order_by]} LIMIT %s OFFSET %s",
            [self.user_action, -1 if stop is None else max(stop - start, 0), start],
        )
        return albums_detail(
            user_action=self.user_action,
            albums=[(artist, album, n, units / SCORE_UNITS) for artist, album, n, units in rows],
        )


def albums_detail(
    *, user_action: str, albums: Sequence[tuple[str, str, int, float]]
) -> list[AlbumCandidates]:
    """(artist, album, candidates, summed priority) -> the album rows of the album view:
    tracks held and the best lossless service, read for these albums only, in two queries
    (the candidates through ``idx_upgrade_artist_title``, the files through
    ``idx_artist_album``)."""
    wanted = {(artist, album) for artist, album, _, _ in albums}
    artists = {artist for artist, _ in wanted}
    services: dict[tuple[str, str | None], list[tuple[str | None, str | None]]] = {}
    for artist, album, service, quality in UpgradeCandidate.objects.filter(
        user_action=user_action, artist__in=artists, album__in={album for _, album in wanted}
    ).values_list("artist", "album", "available_on_service", "service_quality"):
        if (artist, album) in wanted:
            services.setdefault((artist, album), []).append((service, quality))
    held = {
        (row["artist"], row["album"]): row["n"]
        for row in LibraryFile.objects.filter(
            active_q(), artist__in=artists, album__in={album for _, album in wanted}
        )
        .order_by()
        .values("artist", "album")
        .annotate(n=Count("id"))
    }
    found = []
    for artist, album, to_upgrade, priority_sum in albums:
        best = rules.album_best_service(services.get((artist, album), ()))
        found.append(
            AlbumCandidates(
                artist=artist,
                album=album,
                to_upgrade=to_upgrade,
                held=max(held.get((artist, album), 0), to_upgrade),
                priority_sum=round(priority_sum, 1),
                best_service=best[0] if best else None,
                best_service_tracks=best[1] if best else 0,
            )
        )
    return found


def upgrade_album_candidate_ids(*, artist: str, album: str, user_action: str) -> list[int]:
    return list(
        UpgradeCandidate.objects.filter(
            artist=artist, album=album, user_action=user_action
        ).values_list("id", flat=True)
    )


@dataclass(frozen=True, slots=True)
class CandidateDecision:
    """What the import of the Music Tools decisions needs of a candidate."""

    id: int
    file_path: str
    user_action: str | None
    action_at: datetime.datetime | None
    notes: str | None


def upgrade_candidates_by_path(*, paths: Iterable[str]) -> dict[str, CandidateDecision]:
    """The candidates of these file paths (one per file), with their decision."""
    wanted = sorted(set(paths))
    found: dict[str, CandidateDecision] = {}
    for start in range(0, len(wanted), 500):
        rows = UpgradeCandidate.objects.filter(file_path__in=wanted[start : start + 500])
        for row in rows.values_list("id", "file_path", "user_action", "action_at", "notes"):
            found[row[1]] = CandidateDecision(*row)
    return found


def upgrade_candidates_open_of(*, library_file_ids: Iterable[int]) -> dict[int, int]:
    """library_file_id → id of its open (pending or approved) candidate, for these files."""
    ids = list(library_file_ids)
    found: dict[int, int] = {}
    rows = UpgradeCandidate.objects.filter(
        user_action__in=[UserAction.PENDING, UserAction.APPROVED]
    )
    for start in range(0, len(ids), 500):
        found.update(
            rows.filter(library_file_id__in=ids[start : start + 500]).values_list(
                "library_file_id", "id"
            )
        )
    return found


#: "Acquired in the last N days" on the Upgrades page.
RECENT_ACQUISITION_DAYS = 30
SHOPPING_LIST_PER_SERVICE = 25


@dataclass(frozen=True)
class ShoppingService:
    """Approved candidates not yet acquired, on one service (the shopping list)."""

    service: str
    service_quality: str | None
    count: int
    candidates: list[UpgradeCandidate]


def upgrade_shopping_list(*, per_service: int = SHOPPING_LIST_PER_SERVICE) -> list[ShoppingService]:
    """Approved candidates (not yet acquired: an acquisition completes them) by the service
    that has them, most first; the highest priorities of each."""
    approved = UpgradeCandidate.objects.filter(user_action=UserAction.APPROVED)
    services = []
    for service, count in upgrade_availability_counts(user_action=UserAction.APPROVED):
        where = Q(available_on_service=service)
        if service == rules.SERVICE_UNKNOWN:  # counted with the rows that have none
            where |= Q(available_on_service__isnull=True)
        of_service = approved.filter(where).order_by("-priority_score", "id")
        candidates = list(of_service[:per_service])
        quality = next((c.service_quality for c in candidates if c.service_quality), None)
        services.append(ShoppingService(service, quality, count, candidates))
    return services


def upgrade_acquisitions_recent(
    *, days: int = RECENT_ACQUISITION_DAYS, limit: int = 100
) -> QuerySet:
    """Acquisition jobs completed in the last ``days`` days, newest first, with their
    candidates (ISO text timestamps, compared as the text they sort as)."""
    since = datetime.datetime.now(datetime.UTC) - datetime.timedelta(days=days)
    return (
        UpgradeJob.objects.filter(job_status=JobStatus.COMPLETED, download_completed_at__gte=since)
        .select_related("candidate", "candidate__library_file")
        .order_by("-download_completed_at", "-id")[:limit]
    )


def candidate_playlists(*, library_file_ids: Iterable[int]) -> dict[int, list[str]]:
    """Per library file, the playlists that earned its candidate's listening points
    (``upgrades.rules.playlists_earning``), through the streaming tracks it was matched to
    (``streaming_matches``) and the Music Tools database: for the few rows a page shows;
    {} without a streaming database."""
    ids = list(library_file_ids)
    path = streaming_db_path()
    if not ids or path is None:
        return {}
    tracks: dict[int, set[str]] = {}
    for library_file_id, track_id in StreamingMatch.objects.filter(
        library_file_id__in=ids
    ).values_list("library_file_id", "service_track_id"):
        tracks.setdefault(library_file_id, set()).add(track_id)
    by_track = playlists_holding(
        path=Path(path), track_ids={t for found in tracks.values() for t in found}
    )
    now = timezone.now()
    earned = {}
    for library_file_id, found in tracks.items():
        holding = {name: at for t in found for name, at in by_track.get(t, {}).items()}
        if holding:
            earned[library_file_id] = rules.playlists_earning(last_added=holding, now=now)
    return earned


def candidates_playlists_attach(candidates: Iterable[UpgradeCandidate]) -> list[UpgradeCandidate]:
    """The candidates, each with the names of the playlists that earned its listening points
    (``earned_playlists``, shown in its "why"): one lookup for all of them."""
    found = list(candidates)
    earned = candidate_playlists(library_file_ids=[c.library_file_id for c in found])
    for candidate in found:
        candidate.earned_playlists = tuple(earned.get(candidate.library_file_id, ()))
    return found
