import re

import pytest
from django.contrib.auth.models import User
from django.db import connections
from django.db.models import Case, Value, When
from django.test import Client

from tests.conftest import LIBRARY_DBS
from tests.factories import file_quality_make, library_file_make
from tests.upgrades.conftest import csrf_token_from, staff_user_make
from upgrades.models import UpgradeCandidate, UserAction
from upgrades.services import upgrade_candidates_act, upgrade_candidates_identify

pytestmark = pytest.mark.django_db(databases=LIBRARY_DBS)

CHANGELIST = "/admin/upgrades/upgradecandidate/"


def candidates_make(scores):
    for n, score in enumerate(scores):
        library_file = library_file_make(artist=f"Artist {n}", title=f"Song {n}")
        file_quality_make(library_file, quality_score=score, bitrate=96 + n)
    upgrade_candidates_identify(streaming_db=None)
    return list(UpgradeCandidate.objects.order_by("current_quality_score"))


def rows_in(response) -> list[str]:
    """Artists in the order the changelist shows them."""
    return re.findall(
        r'<th class="field-artist"><a href="[^"]+">([^<]+)</a>', response.content.decode()
    )


def test_changelist_shows_pending_first_then_priority_and_counts(curator_client):
    low, mid, high = candidates_make([10.0, 30.0, 60.0])  # low score = high priority
    upgrade_candidates_act(candidate_ids=[low.id], action="approved")

    response = curator_client.get(CHANGELIST)

    assert response.status_code == 200
    # pending first (mid before high by priority), then the approved one
    assert rows_in(response) == [mid.artist, high.artist, low.artist]
    page = response.content.decode()
    assert 'data-action="pending">pending: <strong>2</strong>' in page
    assert 'data-action="approved">approved: <strong>1</strong>' in page
    assert f'href="/files/{mid.library_file_id}/"' in page
    assert "MP3 97 CBR" in page  # the file's badge (quality.badges)
    for column in ("decide", "action", "quality", "score", "priority", "why", "availability"):
        assert f"column-{column}" in page


def test_filters_and_search(curator_client):
    low, mid, high = candidates_make([0.0, 40.0, 69.0])
    UpgradeCandidate.objects.filter(pk=high.pk).update(isrc="USRC17607839")
    # priorities: 0 → 50+15+5 = 70 (high); 40 → 46.5 (medium); 69 → 29.4 (low)
    assert rows_in(curator_client.get(CHANGELIST, {"priority_band": "high"})) == [low.artist]
    assert rows_in(curator_client.get(CHANGELIST, {"priority_band": "medium"})) == [mid.artist]
    assert rows_in(curator_client.get(CHANGELIST, {"priority_band": "low"})) == [high.artist]
    assert rows_in(curator_client.get(CHANGELIST, {"q": "USRC17607839"})) == [high.artist]
    assert rows_in(curator_client.get(CHANGELIST, {"q": '"Song 1"'})) == [mid.artist]
    assert rows_in(curator_client.get(CHANGELIST, {"q": low.file_path})) == [low.artist]
    filtered = curator_client.get(
        CHANGELIST, {"user_action__exact": "pending", "current_format__exact": "mp3"}
    )
    assert len(rows_in(filtered)) == 3
    assert rows_in(curator_client.get(CHANGELIST, {"available_on_service__exact": "none"})) == []


@pytest.mark.parametrize(
    ("action", "user_action"),
    [
        ("approve", UserAction.APPROVED),
        ("reject", UserAction.REJECTED),
        ("ignore", UserAction.IGNORED),
        ("mark_completed", UserAction.COMPLETED),
    ],
)
def test_each_action_through_the_confirmation_page(curator_client, action, user_action):
    first, second, untouched = candidates_make([10.0, 20.0, 30.0])
    token = csrf_token_from(curator_client.get(CHANGELIST))
    selection = {"_selected_action": [first.pk, second.pk], "action": action}

    confirm = curator_client.post(
        CHANGELIST, {**selection, "index": 0, "csrfmiddlewaretoken": token}
    )

    assert confirm.status_code == 200
    assert 'name="note"' in confirm.content.decode()
    assert UpgradeCandidate.objects.get(pk=first.pk).user_action == UserAction.PENDING
    done = curator_client.post(
        CHANGELIST,
        {
            **selection,
            "apply": "yes",
            "note": "from the admin",
            "csrfmiddlewaretoken": csrf_token_from(confirm),
        },
        follow=True,
    )
    assert done.status_code == 200
    assert f"2 candidates set to {user_action}." in done.content.decode()
    for candidate in UpgradeCandidate.objects.filter(pk__in=[first.pk, second.pk]):
        assert candidate.user_action == user_action
        assert candidate.action_at is not None
        assert candidate.notes.endswith("from the admin")
    assert UpgradeCandidate.objects.get(pk=untouched.pk).user_action == UserAction.PENDING


def test_action_without_a_note_and_already_decided_ones(curator_client):
    first, second = candidates_make([10.0, 20.0])
    upgrade_candidates_act(candidate_ids=[first.pk], action="approved")
    token = csrf_token_from(curator_client.get(CHANGELIST))
    done = curator_client.post(
        CHANGELIST,
        {
            "_selected_action": [first.pk, second.pk],
            "action": "approve",
            "apply": "yes",
            "note": "",
            "csrfmiddlewaretoken": token,
        },
        follow=True,
    )
    assert "1 candidate set to approved; 1 already approved" in done.content.decode()
    assert UpgradeCandidate.objects.get(pk=second.pk).notes is None


def test_actions_need_the_csrf_token(curator_client):
    (candidate,) = candidates_make([10.0])
    response = curator_client.post(
        CHANGELIST,
        {"_selected_action": [candidate.pk], "action": "approve", "apply": "yes"},
    )
    assert response.status_code == 403
    assert UpgradeCandidate.objects.get().user_action == UserAction.PENDING


def test_non_staff_and_anonymous_users_are_refused():
    (candidate,) = candidates_make([10.0])
    anonymous = Client(enforce_csrf_checks=True)
    assert anonymous.get(CHANGELIST).status_code == 302
    member = Client(enforce_csrf_checks=True)
    member.force_login(User.objects.create_user(username="listener", password="x-long-password"))
    response = member.get(CHANGELIST)
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")
    change = f"{CHANGELIST}{candidate.pk}/change/"
    assert member.post(change, {"user_action": "approved"}).status_code in (302, 403)
    assert UpgradeCandidate.objects.get().user_action == UserAction.PENDING


def test_staff_without_change_permission_gets_no_actions():
    (candidate,) = candidates_make([10.0])
    viewer = Client(enforce_csrf_checks=True)
    viewer.force_login(staff_user_make(username="viewer", permissions=("view",)))
    page = viewer.get(CHANGELIST).content.decode()
    assert 'value="approve"' not in page
    token = csrf_token_from(viewer.get(CHANGELIST))
    viewer.post(
        CHANGELIST,
        {
            "_selected_action": [candidate.pk],
            "action": "approve",
            "apply": "yes",
            "csrfmiddlewaretoken": token,
        },
    )
    assert UpgradeCandidate.objects.get().user_action == UserAction.PENDING


def test_change_form_edits_notes_and_action(curator_client):
    (candidate,) = candidates_make([10.0])
    url = f"{CHANGELIST}{candidate.pk}/change/"
    form_page = curator_client.get(url)
    assert form_page.status_code == 200
    assert f'href="/files/{candidate.library_file_id}/"' in form_page.content.decode()
    response = curator_client.post(
        url,
        {
            "user_action": "approved",
            "notes": "Qobuz has the 24/96",
            "csrfmiddlewaretoken": csrf_token_from(form_page),
        },
    )
    assert response.status_code == 302
    edited = UpgradeCandidate.objects.get()
    assert (edited.user_action, edited.notes) == ("approved", "Qobuz has the 24/96")
    assert edited.action_at is not None
    assert edited.priority_score == candidate.priority_score  # read-only fields untouched


def test_change_form_refuses_an_unknown_action(curator_client):
    (candidate,) = candidates_make([10.0])
    url = f"{CHANGELIST}{candidate.pk}/change/"
    response = curator_client.post(
        url,
        {
            "user_action": "bought",
            "notes": "",
            "csrfmiddlewaretoken": csrf_token_from(curator_client.get(url)),
        },
    )
    assert response.status_code == 200
    assert "user_action &#x27;bought&#x27; is not allowed: use one of pending, approved" in (
        response.content.decode()
    )
    assert UpgradeCandidate.objects.get().user_action == UserAction.PENDING


def test_no_add_or_delete_in_the_admin(curator_client):
    candidates_make([10.0])
    assert curator_client.get(f"{CHANGELIST}add/").status_code == 403
    assert 'value="delete_selected"' not in curator_client.get(CHANGELIST).content.decode()


def test_the_why_of_a_priority_on_the_list_the_change_page_and_the_file_page(curator_client):
    [candidate] = candidates_make([32.7])
    # no streaming database: availability unknown (15), no playlist (5), gap 30.8
    assert candidate.priority_score == 50.8
    why = "gap 30.8 + availability unknown 15 + in no playlist 5"
    assert why in curator_client.get(CHANGELIST).content.decode()
    change = curator_client.get(f"{CHANGELIST}{candidate.pk}/change/").content.decode()
    assert why in change
    file_page = curator_client.get(f"/files/{candidate.library_file_id}/").content.decode()
    assert why in file_page


DECIDE_SELECTED = f"{CHANGELIST}decide-selected/"


def test_one_click_on_a_row_decides_that_candidate_with_csrf(curator_client):
    first, second = candidates_make([10.0, 30.0])
    page = curator_client.get(CHANGELIST, {"user_action__exact": "pending"})
    html = page.content.decode()
    decide = f"{CHANGELIST}{second.pk}/decide/"
    assert f'formaction="{decide}" name="user_action" value="approved"' in html
    assert (
        'name="next" value="/admin/upgrades/upgradecandidate/?user_action__exact=pending"' in html
    )
    # no token, no change
    assert curator_client.post(decide, {"user_action": "approved"}).status_code == 403
    response = curator_client.post(
        decide,
        {
            "user_action": "approved",
            "csrfmiddlewaretoken": csrf_token_from(page),
            "next": "/admin/upgrades/upgradecandidate/?user_action__exact=pending",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == "/admin/upgrades/upgradecandidate/?user_action__exact=pending"
    second.refresh_from_db()
    first.refresh_from_db()
    assert (second.user_action, first.user_action) == ("approved", "pending")
    assert second.action_at
    shown = curator_client.get(response["Location"]).content.decode()
    assert f"Artist {1}" not in rows_in(curator_client.get(response["Location"]))
    assert "Artist 1 – Song 1: approved." in shown
    # a GET or another value changes nothing
    assert curator_client.get(decide).status_code == 405
    token = csrf_token_from(page)
    refused = curator_client.post(decide, {"user_action": "deleted", "csrfmiddlewaretoken": token})
    assert refused.status_code == 403


def test_bulk_bar_applies_at_once_below_the_threshold(curator_client):
    candidates = candidates_make([10.0, 20.0, 30.0, 40.0])
    token = csrf_token_from(curator_client.get(CHANGELIST))
    response = curator_client.post(
        DECIDE_SELECTED,
        {
            "user_action": "rejected",
            "_selected_action": [c.pk for c in candidates[:3]],
            "csrfmiddlewaretoken": token,
        },
    )
    assert response.status_code == 302
    actions = [c.user_action for c in UpgradeCandidate.objects.order_by("current_quality_score")]
    assert actions == ["rejected", "rejected", "rejected", "pending"]


def test_bulk_bar_confirms_above_the_threshold_or_for_a_note(curator_client):
    from upgrades.admin import BULK_CONFIRM_ABOVE

    candidates = candidates_make([float(n) for n in range(BULK_CONFIRM_ABOVE + 1)])
    ids = [c.pk for c in candidates]
    token = csrf_token_from(curator_client.get(CHANGELIST))
    confirm = curator_client.post(
        DECIDE_SELECTED,
        {"user_action": "ignored", "_selected_action": ids, "csrfmiddlewaretoken": token},
    )
    assert confirm.status_code == 200 and "upgrade-action-confirmation" in confirm.content.decode()
    assert not UpgradeCandidate.objects.exclude(user_action="pending").exists()
    applied = curator_client.post(
        DECIDE_SELECTED,
        {
            "user_action": "ignored",
            "_selected_action": ids,
            "apply": "yes",
            "note": "later",
            "csrfmiddlewaretoken": csrf_token_from(confirm),
        },
    )
    assert applied.status_code == 302
    assert UpgradeCandidate.objects.filter(user_action="ignored").count() == len(ids)
    # one candidate, with a note: the confirmation page, for the note
    note = curator_client.post(
        DECIDE_SELECTED,
        {"with_note": "approved", "_selected_action": ids[:1], "csrfmiddlewaretoken": token},
    )
    assert note.status_code == 200 and 'name="note"' in note.content.decode()


def test_the_change_page_shows_duration_and_isrc_as_people_write_them(curator_client):
    [candidate] = candidates_make([32.7])
    UpgradeCandidate.objects.filter(pk=candidate.pk).update(
        duration=205.41224489795918, isrc="USRC17607839"
    )
    html = curator_client.get(f"{CHANGELIST}{candidate.pk}/change/").content.decode()
    assert "3:25" in html and "205.41224489795918" not in html
    assert ">ISRC:<" in html and "Isrc" not in html


def test_a_pending_job_is_marked_failed_through_the_confirmation_page(superuser_client):
    from upgrades.models import UpgradeJob

    first, second = candidates_make([10.0, 20.0])
    upgrade_candidates_act(candidate_ids=[first.pk, second.pk], action="approved")
    upgrade_candidates_act(candidate_ids=[second.pk], action="rejected")  # its job: cancelled
    jobs = "/admin/upgrades/upgradejob/"
    listing = superuser_client.get(jobs).content.decode()
    assert listing.count('name="_selected_action"') == 2
    selection = {"_selected_action": list(UpgradeJob.objects.values_list("pk", flat=True))}
    confirm = superuser_client.post(jobs, {**selection, "action": "mark_failed", "index": 0})
    assert 'name="message"' in confirm.content.decode()
    done = superuser_client.post(
        jobs,
        {**selection, "action": "mark_failed", "apply": "yes", "message": "sold out"},
        follow=True,
    )
    assert "1 job set to failed; 1 not pending, left as they were." in done.content.decode()
    statuses = dict(UpgradeJob.objects.values_list("candidate_id", "job_status"))
    assert statuses == {first.pk: "failed", second.pk: "cancelled"}
    assert UpgradeJob.objects.get(candidate_id=first.pk).error_message == "sold out"


def test_pending_first_pages_hold_every_candidate_once_in_order(curator_client):
    """The default order is read as two indexed queries (pending, then the others): walked
    page by page across the boundary, every candidate comes once, in the order the ORM's
    CASE ordering gives."""
    made = candidates_make([float(n % 60) for n in range(130)])
    decided = [c.id for c in made[::3]]
    upgrade_candidates_act(candidate_ids=decided[:20], action="approved")
    upgrade_candidates_act(candidate_ids=decided[20:], action="ignored")
    # the Music Tools CLI may leave the action NULL: not pending to the ORM's filter, nor to
    # the paginator, whose count of pending rows comes from the summary
    with connections["library"].cursor() as cursor:
        cursor.execute(
            "UPDATE upgrade_candidates SET user_action = NULL WHERE id IN (%s, %s, %s)",
            [made[1].id, made[2].id, made[4].id],
        )
    expected = [
        c.artist
        for c in UpgradeCandidate.objects.order_by(
            Case(When(user_action="pending", then=Value(0)), default=Value(1)),
            "-priority_score",
            "id",
        )
    ]
    shown = []
    for page in (1, 2, 3):
        response = curator_client.get(CHANGELIST, {"p": page})
        assert response.status_code == 200
        shown += rows_in(response)
    assert shown == expected and len(shown) == 130
    # a column header's order pages as Django does
    by_title = rows_in(curator_client.get(CHANGELIST, {"o": "3"}))
    assert len(by_title) == 50


def test_a_list_filtered_on_its_action_alone_is_counted_from_the_summary(curator_client):
    """Filtered on one action (and nothing else), the changelist shows what the ORM's filter
    gives, page by page, and counts it from the summary: no COUNT over the table."""
    from django.test.utils import CaptureQueriesContext

    made = candidates_make([float(n % 60) for n in range(120)])
    upgrade_candidates_act(candidate_ids=[c.id for c in made[::2]], action="approved")
    with connections["library"].cursor() as cursor:  # the CLI's NULL: neither action
        cursor.execute(
            "UPDATE upgrade_candidates SET user_action = NULL WHERE id = %s", [made[1].id]
        )
    for action in ("pending", "approved", "rejected"):
        expected = [
            c.artist
            for c in UpgradeCandidate.objects.filter(user_action=action).order_by(
                "-priority_score", "id"
            )
        ]
        shown = []
        for page in (1, 2) if len(expected) > 50 else (1,):  # 50 a page
            with CaptureQueriesContext(connections["library"]) as queries:
                response = curator_client.get(CHANGELIST, {"user_action__exact": action, "p": page})
            assert response.status_code == 200
            shown += rows_in(response)
            counts = [
                q["sql"] for q in queries if "COUNT(*)" in q["sql"] and "user_action" in q["sql"]
            ]
            assert counts == [], counts
        assert shown == expected, action
        assert action == "rejected" or len(expected) > 50  # the pages' boundary is crossed
        assert (
            f"{len(expected)} result"
            in curator_client.get(CHANGELIST, {"user_action__exact": action}).content.decode()
        )


def test_only_a_filter_on_the_action_alone_is_counted_from_the_summary():
    from upgrades.admin import action_only_filter

    assert action_only_filter({"user_action__exact": "approved", "p": "2", "o": "3"}) == "approved"
    assert action_only_filter({"user_action__exact": "pending", "q": " "}) == "pending"
    assert action_only_filter({"user_action__exact": "pending", "q": "abba"}) is None
    assert action_only_filter({"user_action__exact": "pending", "current_format": "mp3"}) is None
    assert action_only_filter({"user_action__exact": "bogus"}) is None
    assert action_only_filter({}) is None
