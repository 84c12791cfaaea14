"""The album view: pending candidates per album, approve a whole album in one click."""

import pytest
from django.test import Client

from tests.conftest import LIBRARY_DBS
from tests.factories import file_quality_make, library_file_make
from tests.upgrades.conftest import csrf_token_from
from upgrades import rules
from upgrades.models import UpgradeCandidate
from upgrades.services import upgrade_candidates_identify

pytestmark = pytest.mark.django_db(databases=LIBRARY_DBS)


def album_make(artist, album, scores, *, flac_tracks=0):
    for n, score in enumerate(scores):
        f = library_file_make(artist=artist, title=f"{album} {n}", album=album)
        file_quality_make(f, quality_score=score)
    for n in range(flac_tracks):  # held, not candidates
        f = library_file_make(artist=artist, title=f"{album} flac {n}", album=album)
        file_quality_make(f, codec="FLAC", is_lossless=True, quality_score=85.0, bit_depth=16)


def test_albums_by_summed_priority_with_tracks_held_and_the_best_lossless_service(
    curator_client,
):
    album_make("Nina", "Pastel Blues", [10.0, 20.0, 30.0], flac_tracks=2)
    album_make("Miles", "Kind of Blue", [60.0])
    upgrade_candidates_identify(streaming_db=None)
    first, second, third = UpgradeCandidate.objects.filter(album="Pastel Blues").order_by("id")
    UpgradeCandidate.objects.filter(pk=first.pk).update(
        available_on_service="tidal", service_quality="lossless"
    )
    UpgradeCandidate.objects.filter(pk=second.pk).update(
        available_on_service="qobuz", service_quality="hi-res lossless"
    )
    UpgradeCandidate.objects.filter(pk=third.pk).update(
        available_on_service="tidal", service_quality="lossless"
    )
    response = curator_client.get("/upgrades/albums/")
    albums = [row.record for row in response.context["table"].paginated_rows]
    assert [(a.album, a.to_upgrade, a.held) for a in albums] == [
        ("Pastel Blues", 3, 5),
        ("Kind of Blue", 1, 1),
    ]
    pastel = albums[0]
    expected = sum(c.priority_score for c in UpgradeCandidate.objects.filter(album="Pastel Blues"))
    assert pastel.priority_sum == round(expected, 1)
    assert (pastel.best_service, pastel.best_service_tracks) == ("tidal", 2)
    html = response.content.decode()
    assert "3 of 5" in html and "tidal (lossless): 2 of 3" in html
    assert "Approve the album (3)" in html


def test_approve_a_whole_album_in_one_click(curator_client):
    album_make("Nina", "Pastel Blues", [10.0, 20.0])
    album_make("Miles", "Kind of Blue", [60.0])
    upgrade_candidates_identify(streaming_db=None)
    page = curator_client.get("/upgrades/albums/")
    response = curator_client.post(
        "/upgrades/albums/approve/",
        {"artist": "Nina", "album": "Pastel Blues", "csrfmiddlewaretoken": csrf_token_from(page)},
    )
    assert response.status_code == 302
    actions = dict(UpgradeCandidate.objects.values_list("title", "user_action"))
    assert actions == {
        "Pastel Blues 0": "approved",
        "Pastel Blues 1": "approved",
        "Kind of Blue 0": "pending",
    }


def test_album_approval_needs_the_change_permission(db):
    from django.contrib.auth.models import User

    album_make("Nina", "Pastel Blues", [10.0])
    upgrade_candidates_identify(streaming_db=None)
    reader = Client()
    reader.force_login(User.objects.create_user("reader", password="reader-password-123"))
    assert "Approve the album" not in reader.get("/upgrades/albums/").content.decode()
    response = reader.post("/upgrades/albums/approve/", {"artist": "Nina", "album": "Pastel Blues"})
    assert response.status_code == 403
    assert UpgradeCandidate.objects.get().user_action == "pending"


def test_album_best_service_rule():
    assert rules.album_best_service([("spotify", "lossy"), ("unknown", None)]) is None
    assert rules.album_best_service(
        [("qobuz", "hi-res lossless"), ("tidal", "lossless"), ("qobuz", "hi-res lossless")]
    ) == ("qobuz", 2)
    # a tie on tracks: the better quality
    assert rules.album_best_service([("tidal", "lossless"), ("qobuz", "hi-res lossless")]) == (
        "qobuz",
        1,
    )


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("", ["Pastel Blues", "Blue Train", "Kind of Blue"]),  # summed priority, highest first
        ("artist", ["Blue Train", "Kind of Blue", "Pastel Blues"]),  # case-insensitive
        ("-artist", ["Pastel Blues", "Kind of Blue", "Blue Train"]),
        ("album", ["Blue Train", "Kind of Blue", "Pastel Blues"]),
        ("to_upgrade", ["Kind of Blue", "Blue Train", "Pastel Blues"]),
        ("priority_sum", ["Kind of Blue", "Blue Train", "Pastel Blues"]),
        ("no-such-sort", ["Pastel Blues", "Blue Train", "Kind of Blue"]),
    ],
)
def test_albums_sort_through_the_summary(curator_client, sort, expected):
    album_make("Nina", "Pastel Blues", [10.0, 20.0, 30.0])
    album_make("miles", "Kind of Blue", [60.0])
    album_make("coltrane", "Blue Train", [5.0, 50.0])
    upgrade_candidates_identify(streaming_db=None)
    response = curator_client.get("/upgrades/albums/", {"sort": sort} if sort else {})
    assert response.status_code == 200
    albums = [row.record.album for row in response.context["table"].paginated_rows]
    assert albums == expected


def test_albums_page_by_page(curator_client):
    for n in range(55):
        album_make(f"Artist {n:02d}", f"Album {n:02d}", [float(n)])
    upgrade_candidates_identify(streaming_db=None)
    seen = []
    for page in (1, 2):
        response = curator_client.get("/upgrades/albums/", {"sort": "album", "page": page})
        seen += [row.record.album for row in response.context["table"].paginated_rows]
    assert seen == [f"Album {n:02d}" for n in range(55)]
