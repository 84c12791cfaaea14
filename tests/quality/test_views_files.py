import pytest
from django.urls import reverse

from tests.conftest import LIBRARY_DBS
from tests.ui_fixtures import small_library_make


@pytest.fixture
def library():
    return small_library_make()


def listed_ids(response) -> list[int]:
    return [row.record.pk for row in response.context["table"].paginated_rows]


@pytest.mark.django_db(databases=LIBRARY_DBS)
def test_file_list_shows_active_files_sorted_by_artist(staff_client, library):
    response = staff_client.get(reverse("file_list"))
    assert response.status_code == 200
    ids = listed_ids(response)
    assert library.gone.pk not in ids
    assert len(ids) == 7
    assert ids[:2] == sorted([library.flac.pk, library.mp3_320.pk])  # Alpha first
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
def test_file_list_filters(staff_client, library, query, expected):
    response = staff_client.get(reverse("file_list"), query)
    assert set(listed_ids(response)) == {getattr(library, name).pk for name in expected}


@pytest.mark.django_db(databases=LIBRARY_DBS)
def test_file_list_sorts_by_score(staff_client, library):
    response = staff_client.get(reverse("file_list"), {"sort": "-quality_score"})
    ids = listed_ids(response)
    assert ids[:3] == [library.flac_hires.pk, library.aac.pk, library.flac.pk]
    html = response.content.decode()
    assert f'href="{reverse("file_detail", args=[library.flac_hires.pk])}"' in html


@pytest.mark.django_db(databases=LIBRARY_DBS)
def test_file_detail_context(staff_client, library):
    response = staff_client.get(reverse("file_detail", args=[library.mp3_128.pk]))
    assert response.status_code == 200
    detail = response.context["detail"]
    assert detail.library_file == library.mp3_128
    assert detail.quality.quality_score == 32.7
    duplicates = {d.library_file.pk: (d.same_content, d.same_metadata) for d in detail.duplicates}
    assert duplicates == {
        library.flac_hires.pk: (False, True),
        library.mp3_copy.pk: (True, False),
    }
    assert [h.pk for h in detail.history] == [library.history[0].pk]
    assert detail.candidate == library.candidate
    html = response.content.decode()
    assert library.mp3_128.file_path in html and "72.3" in html


@pytest.mark.django_db(databases=LIBRARY_DBS)
def test_file_detail_of_a_file_never_analysed(staff_client, library):
    response = staff_client.get(reverse("file_detail", args=[library.wav_new.pk]))
    detail = response.context["detail"]
    assert detail.quality is None and detail.candidate is None and detail.duplicates == []
    assert 'id="not-analysed"' in response.content.decode()


@pytest.mark.django_db(databases=LIBRARY_DBS)
def test_file_detail_of_an_unknown_id_is_404(staff_client, library):
    assert staff_client.get(reverse("file_detail", args=[999_999])).status_code == 404


@pytest.mark.django_db(databases=LIBRARY_DBS)
@pytest.mark.parametrize(
    ("name", "points"),
    [
        ("flac_hires", [85.0, 2.5, 2.5, 10.0]),  # lossless, 24 bit, 96 kHz, hi-res
        ("aac", [84.0, 3.0]),  # 256 kbps AAC × 1.25 = 320 MP3-equivalent → 84, VBR +3
        ("mp3_128", [pytest.approx(49 * 128 / 192)]),
    ],
)
def test_file_detail_explains_the_score(staff_client, library, name, points):
    file = getattr(library, name)
    response = staff_client.get(reverse("file_detail", args=[file.pk]))
    detail = response.context["detail"]
    assert [p for _, p in detail.score_parts] == points
    assert detail.score_is_current
    html = response.content.decode()
    assert 'id="score-breakdown"' in html and 'id="score-outdated"' not in html


@pytest.mark.django_db(databases=LIBRARY_DBS)
def test_file_detail_says_when_the_stored_score_is_from_another_formula(staff_client, library):
    library.flac.quality.quality_score = 80.0
    library.flac.quality.save()
    response = staff_client.get(reverse("file_detail", args=[library.flac.pk]))
    assert response.context["detail"].score_parts_total == 85.0
    assert 'id="score-outdated"' in response.content.decode()
