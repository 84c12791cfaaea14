"""Read the Music Tools ``music_tools.db`` (streaming tracks and playlists), read-only.

The whole catalogue is loaded once per run into dictionaries keyed by ISRC and by normalised
artist + title, then every candidate is matched in memory: one pass over each table instead
of a query per file (bench/RESULTS.md, "Upgrade candidates"). The file
is opened with a plain ``mode=ro`` SQLite connection (a run may be pointed at another file than
``MUSICQUALITY_STREAMING_DB``); nothing here can write to it.
"""

from __future__ import annotations

import datetime
import json
import logging
import sqlite3
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings

from musicquality.library_db import open_readonly
from musicquality.sql_values import sql_text
from musicquality.timestamps import timestamp_parse
from quality.services.tags import isrc_normalise
from upgrades.rules import (
    Listening,
    durations_agree,
    listening_from_playlists,
    name_key,
)

logger = logging.getLogger(__name__)

STREAMING_TABLES = ("tracks", "playlists", "playlist_tracks")


class StreamingDatabaseError(Exception):
    """The streaming database cannot be read; the message names the file and what to do."""


@dataclass(frozen=True, slots=True)
class StreamingTrack:
    id: str
    service: str
    duration_ms: int | None
    listening: Listening


@dataclass(frozen=True)
class TrackMatch:
    """The streaming tracks that are the same recording as a library file.

    ``checked`` is False when the file had nothing to match on (no ISRC, no artist + title):
    its availability is then unknown rather than "not found".
    """

    checked: bool
    matched_by: str | None
    tracks: tuple[StreamingTrack, ...]

    @property
    def listening(self) -> Listening:
        if not self.tracks:
            return Listening.NO_PLAYLIST
        return max((t.listening for t in self.tracks), key=lambda signal: signal.value)


NOTHING_TO_MATCH = TrackMatch(checked=False, matched_by=None, tracks=())


@dataclass
class StreamingCatalog:
    path: Path
    by_isrc: dict[str, list[StreamingTrack]] = field(default_factory=dict)
    by_name: dict[str, list[StreamingTrack]] = field(default_factory=dict)
    track_count: int = 0

    def match(
        self,
        *,
        isrc: str | None,
        artist: str | None,
        title: str | None,
        duration: float | None,
    ) -> TrackMatch:
        """ISRC first (it names the recording exactly); else artist + title, normalised, with
        the duration within the window so that a live or extended version does not count."""
        isrc_n = isrc_normalise(isrc)
        key = name_key(artist=artist, title=title)
        if isrc_n is None and key is None:
            return NOTHING_TO_MATCH
        if isrc_n is not None and isrc_n in self.by_isrc:
            return TrackMatch(checked=True, matched_by="isrc", tracks=tuple(self.by_isrc[isrc_n]))
        if key is not None:
            tracks = tuple(
                track
                for track in self.by_name.get(key, ())
                if durations_agree(file_seconds=duration, track_ms=track.duration_ms)
            )
            if tracks:
                return TrackMatch(checked=True, matched_by="name", tracks=tracks)
        return TrackMatch(checked=True, matched_by=None, tracks=())


def streaming_db_path() -> Path | None:
    return settings.STREAMING_DB


def streaming_catalog_load(*, path: Path, now: datetime.datetime) -> StreamingCatalog:
    """Load every track of ``path`` with its playlist signal (docs/formulas.md user factor)."""
    if not path.is_file():
        raise StreamingDatabaseError(
            f"streaming database {path} does not exist: set MUSICQUALITY_STREAMING_DB to your "
            "Music Tools music_tools.db, or unset it to run without availability data"
        )
    try:
        conn = open_readonly(path)
    except sqlite3.Error as error:
        raise StreamingDatabaseError(f"streaming database {path}: {error}") from None
    try:
        tables = {
            row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")
        }
        missing = [name for name in STREAMING_TABLES if name not in tables]
        if missing:
            raise StreamingDatabaseError(
                f"streaming database {path} has no {', '.join(missing)} table: point "
                "MUSICQUALITY_STREAMING_DB at the Music Tools music_tools.db"
            )
        listening = _track_listening(conn, now=now)
        catalog = StreamingCatalog(path=path)
        by_isrc: defaultdict[str, list[StreamingTrack]] = defaultdict(list)
        by_name: defaultdict[str, list[StreamingTrack]] = defaultdict(list)
        for row in conn.execute("SELECT id, name, artist, duration, isrc, service FROM tracks"):
            track_id, name, artist, _, isrc, service = (sql_text(value) for value in row)
            duration = row[3]
            track = StreamingTrack(
                id=track_id or "",
                service=(service or "").strip().lower(),
                duration_ms=int(duration) if isinstance(duration, int | float) else None,
                listening=listening.get(track_id or "", Listening.NO_PLAYLIST),
            )
            catalog.track_count += 1
            isrc_n = isrc_normalise(isrc)
            if isrc_n is not None:
                by_isrc[isrc_n].append(track)
            key = name_key(artist=artist, title=name)
            if key is not None:
                by_name[key].append(track)
    except sqlite3.Error as error:
        raise StreamingDatabaseError(
            f"streaming database {path} cannot be read ({error}): check it is the Music Tools "
            "music_tools.db"
        ) from None
    finally:
        conn.close()
    catalog.by_isrc = dict(by_isrc)
    catalog.by_name = dict(by_name)
    logger.info("loaded %d streaming tracks from %s", catalog.track_count, path)
    return catalog


def _track_listening(conn: sqlite3.Connection, *, now: datetime.datetime) -> dict[str, Listening]:
    """Per track in any playlist: whether one of its playlists gained a track recently.

    Timestamps are parsed rather than compared as text, since Music Tools and Django write
    different spellings of the same moment.
    """
    playlist_last: dict[str, datetime.datetime | None] = {}
    memberships: defaultdict[str, set[str]] = defaultdict(set)
    for row in conn.execute("SELECT playlist_id, track_id, added_at FROM playlist_tracks"):
        playlist_id, track_id, added_at = (sql_text(value) for value in row)
        if playlist_id is None or track_id is None:
            continue
        memberships[track_id].add(playlist_id)
        moment = timestamp_parse(added_at)
        previous = playlist_last.get(playlist_id)
        if previous is None or (moment is not None and moment > previous):
            playlist_last[playlist_id] = moment
    return {
        track_id: listening_from_playlists(
            last_added=(playlist_last[p] for p in playlists), now=now
        )
        for track_id, playlists in memberships.items()
    }


def playlists_holding(
    *, path: Path, track_ids: Iterable[str]
) -> dict[str, dict[str, datetime.datetime | None]]:
    """Per streaming track id, its playlists: name -> when the playlist last gained a track
    (what :func:`upgrades.rules.playlists_earning` decides on), read-only from ``path``:
    only those tracks' playlists and those playlists' own rows are read. {} when the
    database cannot be read (a page then shows the points without names)."""
    wanted = sorted(set(track_ids))
    if not wanted or not path.is_file():
        return {}
    try:
        conn = open_readonly(path)
    except sqlite3.Error:
        return {}
    try:
        holding: defaultdict[str, set[str]] = defaultdict(set)
        names: dict[str, str] = {}
        for track_id, playlist_id, name in conn.execute(
            "SELECT pt.track_id, p.id, p.name FROM playlist_tracks pt "
            "JOIN playlists p ON p.id = pt.playlist_id "
            "WHERE pt.track_id IN (SELECT value FROM json_each(?))",
            (json.dumps(wanted),),
        ):
            holding[str(track_id)].add(str(playlist_id))
            names[str(playlist_id)] = sql_text(name) or str(playlist_id)
        last_added: dict[str, datetime.datetime | None] = dict.fromkeys(names)
        for playlist_id, added_at in conn.execute(
            "SELECT playlist_id, added_at FROM playlist_tracks "
            "WHERE playlist_id IN (SELECT value FROM json_each(?))",
            (json.dumps(sorted(names)),),
        ):
            moment = timestamp_parse(sql_text(added_at))
            previous = last_added.get(str(playlist_id))
            if moment is not None and (previous is None or moment > previous):
                last_added[str(playlist_id)] = moment
    except sqlite3.Error as error:
        logger.warning("streaming database %s: playlists not read (%s)", path, error)
        return {}
    finally:
        conn.close()
    return {
        track_id: {names[p]: last_added[p] for p in playlist_ids}
        for track_id, playlist_ids in holding.items()
    }
