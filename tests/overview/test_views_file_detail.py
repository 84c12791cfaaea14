"""The file page: one file's analysis, score terms, duplicate groups, history, candidate."""

import pytest
from django.urls import reverse

from tests.conftest import LIBRARY_DBS


@pytest.mark.django_db(databases=LIBRARY_DBS)
def test_file_detail_context(superuser_client, small_library):
    response = superuser_client.get(reverse("file_detail", args=[small_library.mp3_128.pk]))
    assert response.status_code == 200
    detail = response.context["detail"]
    assert detail.library_file == small_library.mp3_128
    assert detail.quality.quality_score == 32.7
    duplicates = {d.library_file.pk: (d.same_content, d.same_metadata) for d in detail.duplicates}
    assert duplicates == {
        small_library.flac_hires.pk: (False, True),
        small_library.mp3_copy.pk: (True, False),
    }
    assert [h.pk for h in detail.history] == [small_library.history[0].pk]
    assert detail.candidate == small_library.candidate
    html = response.content.decode()
    assert small_library.mp3_128.file_path in html and "72.3" in html


@pytest.mark.django_db(databases=LIBRARY_DBS)
def test_file_detail_of_a_file_never_analysed(superuser_client, small_library):
    response = superuser_client.get(reverse("file_detail", args=[small_library.wav_new.pk]))
    detail = response.context["detail"]
    assert detail.quality is None and detail.candidate is None and detail.duplicates == []
    assert 'id="not-analysed"' in response.content.decode()


@pytest.mark.django_db(databases=LIBRARY_DBS)
def test_file_detail_of_an_unknown_id_is_404(superuser_client, small_library):
    assert superuser_client.get(reverse("file_detail", args=[999_999])).status_code == 404


@pytest.mark.django_db(databases=LIBRARY_DBS)
@pytest.mark.parametrize(
    ("name", "points"),
    [
        ("flac_hires", [85.0, 2.5, 2.5, 10.0]),  # lossless, 24 bit, 96 kHz, hi-res
        ("aac", [84.0, 3.0]),  # 256 kbps AAC × 1.25 = 320 MP3-equivalent → 84, VBR +3
        ("mp3_128", [pytest.approx(49 * 128 / 192)]),
    ],
)
def test_file_detail_explains_the_score(superuser_client, small_library, name, points):
    file = getattr(small_library, name)
    response = superuser_client.get(reverse("file_detail", args=[file.pk]))
    detail = response.context["detail"]
    assert [p for _, p in detail.score_parts] == points
    assert detail.score_is_current
    html = response.content.decode()
    assert 'id="score-breakdown"' in html and 'id="score-outdated"' not in html


@pytest.mark.django_db(databases=LIBRARY_DBS)
def test_file_detail_says_when_the_stored_score_is_from_another_formula(
    superuser_client, small_library
):
    small_library.flac.quality.quality_score = 80.0
    small_library.flac.quality.save()
    response = superuser_client.get(reverse("file_detail", args=[small_library.flac.pk]))
    assert response.context["detail"].score_parts_total == 85.0
    assert 'id="score-outdated"' in response.content.decode()
