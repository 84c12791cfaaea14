import re

import pytest
from django.test import Client

from tests.conftest import LIBRARY_DBS
from tests.factories import file_quality_make, library_file_make
from tests.legacy import music_tools_add_track
from upgrades.models import UpgradeCandidate
from upgrades.services import upgrade_candidates_act, upgrade_candidates_identify

pytestmark = pytest.mark.django_db(databases=LIBRARY_DBS)

CANDIDATES = "/upgrades/candidates/"


@pytest.fixture
def user_client(django_user_model):
    client = Client()
    client.force_login(django_user_model.objects.create_user("listener", password="x-long-pw"))
    return client


def candidate_make(*, title, score, file_format="mp3", codec="MP3", artist="Band"):
    library_file = library_file_make(artist=artist, title=title, file_format=file_format)
    file_quality_make(library_file, quality_score=score, codec=codec, file_format=file_format)
    return library_file


def titles_in(response) -> list[str]:
    table = response.content.decode().split('id="upgrade-candidates"', 1)[1]
    return re.findall(r'<td ><a href="/files/\d+/">([^<]+)</a></td>', table)


@pytest.fixture
def mixed_candidates(music_tools):
    path, conn = music_tools
    music_tools_add_track(conn, name="On Tidal", artist="Band", service="tidal")
    conn.commit()
    candidate_make(title="Low mp3", score=20.0)
    candidate_make(title="Mid mp3", score=50.0)
    candidate_make(title="On Tidal", score=60.0)
    candidate_make(title="Approved mp3", score=10.0)
    candidate_make(title="An AAC", score=30.0, file_format="m4a", codec="AAC")
    upgrade_candidates_identify(streaming_db=path, threshold=70)
    approved = UpgradeCandidate.objects.get(title="Approved mp3")
    upgrade_candidates_act(candidate_ids=[approved.pk], action="approved")


def test_pages_need_a_login():
    client = Client()
    for url in (CANDIDATES, "/upgrades/"):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/login/")


def test_default_is_query_1_pending_mp3s_by_priority(user_client, mixed_candidates):
    response = user_client.get(CANDIDATES)
    assert response.status_code == 200
    # checked against the streaming DB: On Tidal 50×25/85 + 30 + 5 = 49.7;
    # Low (not found) 50×65/85 + 0 + 5 = 43.2; Mid 50×35/85 + 0 + 5 = 25.6
    assert titles_in(response) == ["On Tidal", "Low mp3", "Mid mp3"]
    assert '<span id="candidate-count">3</span>' in response.content.decode()


def test_filters_widen_and_narrow(user_client, mixed_candidates):
    every = {"format": "", "user_action": "", "service": "", "score_from": "", "score_below": ""}
    assert len(titles_in(user_client.get(CANDIDATES, every))) == 5
    assert titles_in(user_client.get(CANDIDATES, {**every, "format": "m4a"})) == ["An AAC"]
    assert titles_in(user_client.get(CANDIDATES, {**every, "user_action": "approved"})) == [
        "Approved mp3"
    ]
    assert titles_in(user_client.get(CANDIDATES, {**every, "service": "tidal"})) == ["On Tidal"]
    in_range = user_client.get(CANDIDATES, {**every, "score_from": "20", "score_below": "50"})
    assert sorted(titles_in(in_range)) == ["An AAC", "Low mp3"]


def test_sorting_and_pagination(user_client):
    for n in range(60):
        candidate_make(title=f"Song {n:02d}", score=float(n))
    upgrade_candidates_identify(streaming_db=None)
    first_page = titles_in(user_client.get(CANDIDATES))
    assert len(first_page) == 50  # 50 or 100 rows per page, 50 by default
    assert first_page[0] == "Song 00"  # lowest score, highest priority
    assert titles_in(user_client.get(CANDIDATES, {"page": 2})) == [
        f"Song {n:02d}" for n in range(50, 60)
    ]
    assert len(titles_in(user_client.get(CANDIDATES, {"per_page": 100}))) == 60
    assert len(titles_in(user_client.get(CANDIDATES, {"per_page": 5000}))) == 60  # capped
    sizes = user_client.get(CANDIDATES, {"page": 2}).content.decode()
    assert '<strong>50</strong> · <a href="?per_page=100">100</a>' in sizes  # back to page 1
    by_score_desc = titles_in(user_client.get(CANDIDATES, {"sort": "-current_quality_score"}))
    assert by_score_desc[0] == "Song 59"
    assert "sort=priority_score" in user_client.get(CANDIDATES).content.decode()


def test_dashboard(user_client, mixed_candidates):
    response = user_client.get("/upgrades/")
    assert response.status_code == 200
    page = response.content.decode()
    assert re.search(r'<tr data-action="pending">.*?<td>4</td>', page)
    assert re.search(r'<tr data-action="approved">.*?<td>1</td>', page)
    assert re.search(r'<tr data-service="none">.*?<td>3</td>', page)
    assert re.search(r'<tr data-service="tidal">.*?<td>1</td>', page)
    top = page.split('id="top-pending"', 1)[1]
    assert top.index("On Tidal") < top.index("Low mp3") < top.index("Mid mp3")
    assert "Approved mp3" not in top
    assert "/admin/upgrades/upgradecandidate/?user_action__exact=pending" in page


def test_empty_dashboard_says_what_to_run(user_client):
    assert "manage.py identify_upgrades" in user_client.get("/upgrades/").content.decode()


def section(response, name: str) -> str:
    html = response.content.decode()
    return html.split(f'<section id="{name}">', 1)[1].split("</section>", 1)[0]


def test_the_shopping_list_is_approved_candidates_by_service(user_client, mixed_candidates):
    on_tidal = UpgradeCandidate.objects.get(title="On Tidal")
    upgrade_candidates_act(candidate_ids=[on_tidal.pk], action="approved")
    shopping = section(user_client.get("/upgrades/"), "shopping-list")
    assert 'data-service="tidal">tidal (lossless): 1' in shopping
    assert 'data-service="none">none: 1' in shopping
    assert "Band – On Tidal" in shopping and "Band – Approved mp3" in shopping
    assert "Low mp3" not in shopping  # pending: not on the list


def test_acquired_lists_jobs_completed_in_the_last_30_days(user_client, mixed_candidates):
    from upgrades.models import UpgradeJob
    from upgrades.services import upgrade_candidate_acquire

    approved = UpgradeCandidate.objects.get(title="Approved mp3")
    new = library_file_make(artist="Band", title="Approved", file_format="flac")
    upgrade_candidate_acquire(
        candidate_id=approved.pk,
        replaced_by_id=new.pk,
        replaced_by_path=new.file_path,
        source="import:/downloads/batch",
    )
    old = UpgradeCandidate.objects.get(title="Low mp3")
    upgrade_candidates_act(candidate_ids=[old.pk], action="approved")
    upgrade_candidates_act(candidate_ids=[old.pk], action="completed")
    UpgradeJob.objects.filter(candidate=old).update(
        download_completed_at="2020-01-01T00:00:00+00:00"
    )
    response = user_client.get("/upgrades/")
    acquired = section(response, "acquired")
    assert "Band – Approved mp3" in acquired and "import:/downloads/batch" in acquired
    assert f'href="/files/{new.pk}/"' in acquired
    assert "Low mp3" not in acquired  # completed long ago
    assert "Approved mp3" not in section(response, "shopping-list")
