import datetime
import sqlite3

import pytest

from tests.legacy import music_tools_add_playlist, music_tools_add_track
from tests.upgrades.conftest import iso_days_ago
from upgrades.rules import Listening
from upgrades.streaming import StreamingDatabaseError, streaming_catalog_load

NOW = datetime.datetime.now(datetime.UTC)


def load(path):
    return streaming_catalog_load(path=path, now=NOW)


def test_isrc_match_beats_name_match(music_tools):
    path, conn = music_tools
    music_tools_add_track(conn, name="Song", artist="Band", service="spotify", duration_ms=200_000)
    music_tools_add_track(
        conn,
        name="Other Name",
        artist="Other",
        service="tidal",
        isrc="GBAYE0601498",
        duration_ms=999_000,
    )
    conn.commit()
    match = load(path).match(isrc="gb-aye-06-01498", artist="Band", title="Song", duration=200.0)
    assert match.matched_by == "isrc"
    assert [t.service for t in match.tracks] == ["tidal"]


def test_isrc_without_a_match_falls_back_to_the_name(music_tools):
    path, conn = music_tools
    music_tools_add_track(conn, name="Song", artist="Band", service="deezer", duration_ms=200_000)
    conn.commit()
    match = load(path).match(isrc="USRC17607839", artist="band", title="SONG", duration=201.0)
    assert match.matched_by == "name"
    assert [t.service for t in match.tracks] == ["deezer"]


def test_name_match_is_case_accent_and_punctuation_insensitive(music_tools):
    path, conn = music_tools
    music_tools_add_track(
        conn,
        name="Déjà Vu (Remastered)",
        artist="Beyoncé & Jay-Z",
        service="tidal",
        duration_ms=240_000,
    )
    conn.commit()
    match = load(path).match(
        isrc=None, artist="BEYONCE and JAY Z", title="deja vu - remastered", duration=241.5
    )
    assert match.matched_by == "name"


@pytest.mark.parametrize(("duration", "found"), [(243.0, True), (237.0, True), (243.2, False)])
def test_name_match_respects_the_duration_window(music_tools, duration, found):
    path, conn = music_tools
    music_tools_add_track(conn, name="Song", artist="Band", service="qobuz", duration_ms=240_000)
    conn.commit()
    match = load(path).match(isrc=None, artist="Band", title="Song", duration=duration)
    assert match.checked
    assert bool(match.tracks) is found


def test_nothing_to_match_on_is_not_checked(music_tools):
    path, conn = music_tools
    music_tools_add_track(conn, name="Song", artist="Band", service="qobuz")
    conn.commit()
    match = load(path).match(isrc=None, artist=None, title="Song", duration=None)
    assert not match.checked
    assert match.tracks == ()


def test_listening_from_playlist_recency(music_tools):
    path, conn = music_tools
    recent = music_tools_add_track(conn, name="Recent", artist="A", service="spotify")
    in_old = music_tools_add_track(conn, name="Old", artist="A", service="spotify")
    alone = music_tools_add_track(conn, name="Alone", artist="A", service="spotify")
    # the playlist gained a track 2 days ago: every track in it counts as recently played,
    # including one added long ago
    long_ago = music_tools_add_track(conn, name="Long ago", artist="A", service="spotify")
    music_tools_add_playlist(
        conn,
        name="Now",
        service="spotify",
        track_ids_added_at=[(recent, iso_days_ago(2)), (long_ago, iso_days_ago(400))],
    )
    music_tools_add_playlist(
        conn, name="Dusty", service="spotify", track_ids_added_at=[(in_old, iso_days_ago(45))]
    )
    conn.commit()
    catalog = load(path)

    def listening(title):
        return catalog.match(isrc=None, artist="A", title=title, duration=None).listening

    assert listening("Recent") is Listening.RECENT_PLAYLIST
    assert listening("Long ago") is Listening.RECENT_PLAYLIST
    assert listening("Old") is Listening.IN_PLAYLIST
    assert listening("Alone") is Listening.NO_PLAYLIST
    assert alone


def test_django_style_timestamps_count_too(music_tools):
    path, conn = music_tools
    track = music_tools_add_track(conn, name="Song", artist="A", service="spotify")
    moment = (NOW - datetime.timedelta(days=1)).strftime("%Y-%m-%d %H:%M:%S")
    music_tools_add_playlist(
        conn, name="P", service="spotify", track_ids_added_at=[(track, moment)]
    )
    conn.commit()
    match = load(path).match(isrc=None, artist="A", title="Song", duration=None)
    assert match.listening is Listening.RECENT_PLAYLIST


def test_the_streaming_db_is_opened_read_only(music_tools):
    path, conn = music_tools
    music_tools_add_track(conn, name="Song", artist="A", service="spotify")
    conn.commit()
    before = path.read_bytes()
    load(path)
    assert path.read_bytes() == before


def test_missing_or_foreign_streaming_db_is_a_clear_error(tmp_path):
    with pytest.raises(StreamingDatabaseError, match="does not exist"):
        load(tmp_path / "nope.db")
    other = tmp_path / "other.db"
    sqlite3.connect(other).execute("CREATE TABLE x (a)").connection.close()
    with pytest.raises(StreamingDatabaseError, match="no tracks, playlists, playlist_tracks"):
        load(other)
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"not a database at all" * 100)
    with pytest.raises(StreamingDatabaseError, match=r"garbage\.db"):
        load(garbage)


def test_blob_values_are_read_as_text_or_ignored(music_tools):
    """The CLI's tables are loosely typed: a BLOB can sit in any column (a tool that bound
    bytes). UTF-8 bytes read as text; other bytes count as no value."""
    path, conn = music_tools
    track = music_tools_add_track(
        conn,
        name=b"Blob Song",
        artist=b"Blob Band",
        service=b"Tidal",
        isrc=b"GBAYE0601498",
        duration_ms=200_000,
        track_id=b"tidal:blob",
    )
    music_tools_add_track(conn, name=b"\xff\xfe", artist=b"\xc3", service="spotify", isrc=b"\xff")
    music_tools_add_playlist(
        conn, name="p", service="tidal", track_ids_added_at=[(track, iso_days_ago(1).encode())]
    )
    conn.commit()
    catalog = load(path)
    assert catalog.track_count == 2
    by_isrc = catalog.match(isrc="GBAYE0601498", artist=None, title=None, duration=None)
    assert [(t.id, t.service, t.listening) for t in by_isrc.tracks] == [
        ("tidal:blob", "tidal", Listening.RECENT_PLAYLIST)
    ]
    by_name = catalog.match(isrc=None, artist="blob band", title="blob song", duration=200.0)
    assert by_name.matched_by == "name"
