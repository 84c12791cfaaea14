import pytest
from django.urls import reverse

from tests.conftest import LIBRARY_DBS


def listed_ids(response) -> list[int]:
    return [row.record.pk for row in response.context["table"].paginated_rows]


@pytest.mark.django_db(databases=LIBRARY_DBS)
def test_file_list_shows_active_files_sorted_by_artist(superuser_client, small_library):
    response = superuser_client.get(reverse("file_list"))
    assert response.status_code == 200
    ids = listed_ids(response)
    assert small_library.gone.pk not in ids
    assert len(ids) == 7
    assert ids[:2] == sorted([small_library.flac.pk, small_library.mp3_320.pk])  # Alpha first
    assert response.context["table"].paginator.count == 7


@pytest.mark.django_db(databases=LIBRARY_DBS)
@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"q": "second"}, {"mp3_128", "flac_hires"}),
        ({"q": "alpha song"}, {"flac", "mp3_320"}),
        ({"q": "/music/Gamma/"}, {"aac"}),
        (
            {"q": "Album"},
            {"flac", "mp3_320", "mp3_128", "flac_hires", "aac", "wav_new", "mp3_copy"},
        ),
        ({"file_format": "flac"}, {"flac", "flac_hires"}),
        ({"lossless": "true"}, {"flac", "flac_hires"}),
        ({"lossless": "false"}, {"mp3_320", "mp3_128", "aac", "mp3_copy"}),
        ({"hires": "true"}, {"flac_hires"}),
        ({"score_min": "80", "score_max": "86"}, {"flac", "mp3_320"}),
        ({"score_max": "40", "file_format": "mp3"}, {"mp3_128", "mp3_copy"}),
    ],
)
def test_file_list_filters(superuser_client, small_library, query, expected):
    response = superuser_client.get(reverse("file_list"), query)
    assert set(listed_ids(response)) == {getattr(small_library, name).pk for name in expected}


@pytest.mark.django_db(databases=LIBRARY_DBS)
def test_file_list_sorts_by_score(superuser_client, small_library):
    response = superuser_client.get(reverse("file_list"), {"sort": "-quality_score"})
    ids = listed_ids(response)
    assert ids[:3] == [small_library.flac_hires.pk, small_library.aac.pk, small_library.flac.pk]
    html = response.content.decode()
    assert f'href="{reverse("file_detail", args=[small_library.flac_hires.pk])}"' in html


@pytest.mark.django_db(databases=LIBRARY_DBS)
def test_file_list_filters_by_verdict(superuser_client, small_library):
    from tests.overview.test_views_file_detail import verification_make

    verification_make(small_library.flac, verdict="lossy_source")
    verification_make(small_library.aac, verdict="ok")
    response = superuser_client.get(reverse("file_list"), {"verdict": "lossy_source"})
    assert listed_ids(response) == [small_library.flac.pk]


@pytest.mark.django_db(databases=LIBRARY_DBS)
def test_file_list_badges_bit_depth_and_untagged_links(superuser_client):
    from tests.factories import file_quality_make, library_file_make

    flac = library_file_make(artist="Hi", title="Res", file_format="flac")
    file_quality_make(
        flac, codec="FLAC", is_lossless=True, bit_depth=24, sample_rate=96000, bitrate_mode=None
    )
    untagged = library_file_make(artist=None, title=None, filename="track07.mp3")
    file_quality_make(untagged, codec="MP3", bitrate=320, bitrate_mode="CBR")
    html = superuser_client.get(reverse("file_list")).content.decode()
    assert '<span class="badge quality">FLAC 24/96</span>' in html
    assert '<span class="badge quality">MP3 320 CBR</span>' in html
    assert '<th class="num orderable">' in html and ">Bits<" in html
    assert '<td class="num">24</td>' in html
    detail = reverse("file_detail", args=[untagged.pk])
    assert f'<a href="{detail}" class="untagged">track07.mp3</a>' in html


@pytest.mark.django_db(databases=LIBRARY_DBS)
def test_file_list_artist_sort_ignores_case_and_links_to_that_artist_only(superuser_client):
    from tests.factories import library_file_make

    upper = library_file_make(artist="ABBA", title="b")
    lower = library_file_make(artist="abba", title="a")
    beatles = library_file_make(artist="Beatles", title="c")
    band = library_file_make(artist="ABBA Tribute Band", title="d")
    ids = listed_ids(superuser_client.get(reverse("file_list"), {"sort": "artist"}))
    # "abba" and "ABBA" sort together, before "ABBA Tribute Band"; plain ORDER BY put "abba" last
    assert ids == [lower.pk, upper.pk, band.pk, beatles.pk]  # then by title
    html = superuser_client.get(reverse("file_list")).content.decode()
    assert '<a href="/files/?artist=ABBA">ABBA</a>' in html
    exact = superuser_client.get(reverse("file_list"), {"artist": "ABBA"})
    assert listed_ids(exact) == [upper.pk]


@pytest.mark.django_db(databases=LIBRARY_DBS)
def test_file_list_pages_of_50_or_100(superuser_client):
    from tests.factories import library_file_make

    for n in range(120):
        library_file_make(artist=f"A{n:03d}")
    first = superuser_client.get(reverse("file_list"))
    assert len(listed_ids(first)) == 50
    html = first.content.decode()
    assert 'id="page-sizes"' in html and "per_page=100" in html
    assert len(listed_ids(superuser_client.get(reverse("file_list"), {"per_page": "100"}))) == 100
