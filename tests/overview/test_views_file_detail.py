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
    rows = [
        (d.group, d.library_file.pk, d.is_keeper, d.is_current, d.same_content, d.same_metadata)
        for d in detail.duplicates
    ]
    mp3, copy, flac = (
        small_library.mp3_128.pk,
        small_library.mp3_copy.pk,
        small_library.flac_hires.pk,
    )
    # each group of dedup.rules with its keeper first and marked, this file included and marked:
    # the exact copies keep this MP3, the recording keeps the hi-res FLAC
    keepers = {group.keeper.id for group in detail.duplicate_groups}
    assert keepers == {mp3, flac}
    assert sorted(rows) == sorted(
        [
            (1 if detail.duplicate_groups[0].keeper.id == mp3 else 2, mp3, True, True, True, True),
            (
                1 if detail.duplicate_groups[0].keeper.id == mp3 else 2,
                copy,
                False,
                False,
                True,
                False,
            ),
            (
                1 if detail.duplicate_groups[0].keeper.id == flac else 2,
                flac,
                True,
                False,
                False,
                True,
            ),
            (
                1 if detail.duplicate_groups[0].keeper.id == flac else 2,
                mp3,
                False,
                True,
                True,
                True,
            ),
        ]
    )
    for number in (1, 2):
        group_rows = [row for row in rows if row[0] == number]
        assert group_rows[0][2] and not any(row[2] for row in group_rows[1:])
    assert [h.pk for h in detail.history] == [small_library.history[0].pk]
    assert detail.candidate == small_library.candidate
    html = response.content.decode()
    assert small_library.mp3_128.file_path in html and "72.3" in html
    keeper_row = html.split(f'<tr data-group="{rows[0][0]}" class="keeper', 1)[1].split("</tr>")[0]
    assert "keeper-mark" in keeper_row
    assert "this file" in html and "Group 2" in html


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


def verification_make(library_file, **overrides):
    from musicquality.fields import utc_now_iso
    from quality.models import AudioVerification
    from quality.versions import VERIFIER_VERSION

    values = {
        "verified_at": utc_now_iso(),
        "verifier_version": VERIFIER_VERSION,
        "decoded_seconds": 200.0,
        "integrity": "ok",
        "md5_status": "match",
        "verdict": "ok",
    }
    values.update(overrides)
    return AudioVerification.objects.create(library_file=library_file, **values)


@pytest.mark.django_db(databases=LIBRARY_DBS)
def test_file_page_shows_the_verification_as_a_score_term(superuser_client, small_library):
    flac = small_library.flac
    verification_make(
        flac, verdict="lossy_source", cutoff_hz=16900.0, high_band_floor_db=-62.0,
        estimated_source="MP3 ≈128 kbps", estimated_source_codec="MP3", estimated_source_kbps=128,
    )  # fmt: skip
    response = superuser_client.get(reverse("file_detail", args=[flac.pk]))
    detail = response.context["detail"]
    assert detail.verification_current
    assert [round(p, 1) for _, p in detail.score_parts] == [32.7]
    assert detail.score_parts[0][0].startswith(
        "lossy source detected: wall at 16.9 kHz → MP3 ≈128 kbps"
    )
    assert not detail.score_is_current  # the stored 85 predates the verification
    html = response.content.decode()
    assert 'id="verdict"' in html and "lossy source" in html and "16900 Hz" in html
    assert reverse("file_spectrogram", args=[flac.pk]) in html


@pytest.mark.django_db(databases=LIBRARY_DBS)
def test_an_out_of_date_verification_does_not_count(superuser_client, small_library):
    verification_make(small_library.flac, verdict="damaged", verifier_version="0.0.0+verify.0")
    response = superuser_client.get(reverse("file_detail", args=[small_library.flac.pk]))
    detail = response.context["detail"]
    assert not detail.verification_current
    assert detail.score_parts_total == 85.0
    assert 'id="verification-outdated"' in response.content.decode()


@pytest.mark.django_db(databases=LIBRARY_DBS)
def test_spectrogram_is_a_png_of_the_file(superuser_client, tmp_path):
    from quality.services import audio_make as E
    from quality.services.music_signal import music_like
    from tests.factories import library_file_make

    path = E.write_int_flac(tmp_path / "x.flac", E.to_int(music_like(seconds=3.0), 16), 44100, 16)
    file = library_file_make(file_path=str(path), file_format="flac")
    response = superuser_client.get(reverse("file_spectrogram", args=[file.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    body = response.content
    assert body.startswith(b"\x89PNG\r\n\x1a\n")
    width, height = int.from_bytes(body[16:20], "big"), int.from_bytes(body[20:24], "big")
    assert (width, height) == (800, 256)
    missing = library_file_make(file_path=str(tmp_path / "gone.flac"))
    assert superuser_client.get(reverse("file_spectrogram", args=[missing.pk])).status_code == 404
