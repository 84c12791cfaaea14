"""Why this priority: the listening points name the playlists that earned them (issue 17)."""

import datetime
import html

import pytest

from tests.conftest import LIBRARY_DBS
from tests.factories import file_quality_make, library_file_make
from tests.legacy import music_tools_add_playlist, music_tools_add_track
from tests.upgrades.conftest import iso_days_ago
from upgrades.models import UpgradeCandidate
from upgrades.rules import (
    Availability,
    Listening,
    PriorityParts,
    playlists_earning,
    priority_why,
)
from upgrades.services import upgrade_candidates_identify

pytestmark = pytest.mark.django_db(databases=LIBRARY_DBS)

NOW = datetime.datetime(2026, 12, 1, tzinfo=datetime.UTC)


def test_the_recent_playlists_earn_the_points_else_all_of_them():
    recent, old = NOW - datetime.timedelta(days=3), NOW - datetime.timedelta(days=90)
    both = {"Old favourites": old, "Road trip": recent, "Gym": recent}
    assert playlists_earning(last_added=both, now=NOW) == ["Gym", "Road trip"]
    assert playlists_earning(last_added={"B": old, "A": None}, now=NOW) == ["A", "B"]
    assert playlists_earning(last_added={}, now=NOW) == []


def test_the_why_names_at_most_two_playlists():
    parts = PriorityParts(gap=20.0, availability=Availability.AVAILABLE, listening=None)
    in_playlist = PriorityParts(
        gap=20.0, availability=Availability.AVAILABLE, listening=Listening.IN_PLAYLIST
    )
    why = priority_why(in_playlist, service="qobuz (hi-res lossless)", playlists=["A", "B", "C"])
    assert "in a playlist (“A”, “B” and 1 more) 15" in why
    assert priority_why(in_playlist, service="x", playlists=["Solo"]).endswith("(“Solo”) 15")
    no_playlist = PriorityParts(
        gap=20.0, availability=Availability.AVAILABLE, listening=Listening.NO_PLAYLIST
    )
    assert "“" not in priority_why(no_playlist, service="x", playlists=["Stray"])
    assert "unknown" in priority_why(parts, service="x", playlists=["Stray"])


@pytest.fixture
def matched(music_tools, settings):
    """Three lossy files: one in a recent and an old playlist, one in the old one only, one
    in none; identified against a real music_tools.db, which the pages then read."""
    path, conn = music_tools
    made = {}
    for key, title in (("both", "Jóga"), ("old", "Hunter"), ("none", "Army")):
        library_file = library_file_make(artist="Björk", title=title, duration=300.0)
        file_quality_make(library_file, quality_score=40.0, bitrate=128)
        made[key] = library_file
    joga = music_tools_add_track(conn, name="Joga", artist="bjork", service="qobuz")
    hunter = music_tools_add_track(conn, name="Hunter", artist="Bjork", service="qobuz")
    music_tools_add_playlist(
        conn, name="Road trip", service="qobuz", track_ids_added_at=[(joga, iso_days_ago(2))]
    )
    music_tools_add_playlist(
        conn,
        name="Old <favourites>",
        service="qobuz",
        track_ids_added_at=[(joga, iso_days_ago(200)), (hunter, iso_days_ago(200))],
    )
    conn.commit()
    upgrade_candidates_identify(streaming_db=path)
    settings.STREAMING_DB = path
    return {key: UpgradeCandidate.objects.get(library_file=f) for key, f in made.items()}


def test_the_admin_list_change_page_and_file_page_name_the_playlists(
    matched, curator_client, admin_client
):
    raw = curator_client.get("/admin/upgrades/upgradecandidate/").content.decode()
    assert "<favourites>" not in raw  # a playlist's name is text, escaped
    page = html.unescape(raw)
    assert "in a playlist that gained a track in the last 30 days (“Road trip”) 20" in page
    assert "in a playlist (“Old <favourites>”) 15" in page
    assert "in no playlist 5" in page  # the third, no names
    change = html.unescape(
        curator_client.get(
            f"/admin/upgrades/upgradecandidate/{matched['both'].pk}/change/"
        ).content.decode()
    )
    assert "(“Road trip”) 20" in change and "favourites" not in change
    detail = html.unescape(
        admin_client.get(f"/files/{matched['old'].library_file_id}/").content.decode()
    )
    assert "(“Old <favourites>”) 15" in detail


def test_without_the_streaming_database_the_points_stand_without_names(
    matched, curator_client, settings, tmp_path
):
    settings.STREAMING_DB = tmp_path / "gone.db"
    page = html.unescape(curator_client.get("/admin/upgrades/upgradecandidate/").content.decode())
    assert "in a playlist that gained a track in the last 30 days 20" in page
    assert "“" not in page
