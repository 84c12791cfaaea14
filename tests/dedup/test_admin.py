import datetime

import pytest
from django.contrib.auth.models import Permission, User
from django.urls import reverse

from dedup.models import DedupHistory
from tests.conftest import LIBRARY_DBS
from tests.factories import dedup_history_make

pytestmark = pytest.mark.django_db(databases=LIBRARY_DBS)

CHANGELIST = "admin:dedup_deduphistory_changelist"
SESSION_A = "aaaaaaaa-0000-0000-0000-000000000000"
SESSION_B = "bbbbbbbb-0000-0000-0000-000000000000"


@pytest.fixture
def rows():
    return [
        dedup_history_make(deletion_session_id=SESSION_A, artist="Nina", title="Feeling Good",
                     file_path="/music/Nina/Feeling Good.mp3", file_size=3 * 1024**3),
        dedup_history_make(deletion_session_id=SESSION_A, artist="Nina", title="Sinnerman",
                     file_path="/music/Nina/Sinnerman.flac", deletion_reason="lower_quality",
                     matched_by="metadata_hash", confidence_score=0.8, file_size=1024**3,
                     can_recover=False),
        dedup_history_make(deletion_session_id=SESSION_B, artist="Miles", title="So What",
                     file_path="/music/Miles/So What.mp3", file_size=512 * 1024**2,
                     deleted_at=(datetime.datetime.now(datetime.UTC)
                                 - datetime.timedelta(days=40)).isoformat()),
    ]  # fmt: skip


@pytest.fixture
def viewer(client):
    """Staff who may only look at the log."""
    user = User.objects.create_user("viewer", password="pw", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="view_deduphistory"))
    client.force_login(user)
    return client


def listed(response) -> set[str]:
    return {row.title for row in response.context["cl"].result_list}


def test_the_log_is_read_only_even_for_superusers(admin_client, rows):
    row = rows[0]
    assert admin_client.get(reverse("admin:dedup_deduphistory_add")).status_code == 403
    assert (
        admin_client.get(reverse("admin:dedup_deduphistory_delete", args=[row.id])).status_code
        == 403
    )
    change_url = reverse("admin:dedup_deduphistory_change", args=[row.id])
    page = admin_client.get(change_url)
    assert page.status_code == 200 and b'name="_save"' not in page.content
    admin_client.post(change_url, {"artist": "Changed"})
    row.refresh_from_db()
    assert row.artist == "Nina"
    response = admin_client.get(reverse(CHANGELIST))
    assert (
        "delete_selected" not in response.context["action_form"].fields["action"].choices.__repr__()
    )


def test_filters_and_search(admin_client, rows):
    url = reverse(CHANGELIST)
    assert listed(admin_client.get(url, {"session": SESSION_A})) == {"Feeling Good", "Sinnerman"}
    assert listed(admin_client.get(url, {"deletion_reason__exact": "lower_quality"})) == {
        "Sinnerman"
    }
    assert listed(admin_client.get(url, {"matched_by__exact": "content_hash"})) == {
        "Feeling Good",
        "So What",
    }
    assert listed(admin_client.get(url, {"can_recover__exact": "0"})) == {"Sinnerman"}
    since = (datetime.datetime.now(datetime.UTC) - datetime.timedelta(days=6)).isoformat()
    assert listed(admin_client.get(url, {"deleted_at__gte": since})) == {
        "Feeling Good",
        "Sinnerman",
    }
    assert listed(admin_client.get(url, {"q": "miles"})) == {"So What"}
    assert listed(admin_client.get(url, {"q": "sinnerman"})) == {"Sinnerman"}
    assert listed(admin_client.get(url, {"q": "/music/Nina"})) == {"Feeling Good", "Sinnerman"}


def test_per_session_summary(admin_client, rows):
    response = admin_client.get(reverse(CHANGELIST))
    sessions = {s.session_id: s for s in response.context["dedup_sessions"]}
    assert (sessions[SESSION_A].files, sessions[SESSION_A].gb_freed) == (2, 4.0)
    assert (sessions[SESSION_A].recoverable, sessions[SESSION_A].exact) == (1, 1)
    assert (sessions[SESSION_B].files, sessions[SESSION_B].gb_freed) == (1, 0.5)
    text = response.content.decode()
    # one unit rule (filesizeformat) for freed space, as on /dedup/
    assert "Dedupe sessions" in text and "4.0\xa0GB" in text and "512.0\xa0MB" in text
    assert f"?session={SESSION_B}" in text


def test_staff_without_change_permission_cannot_recover(viewer, rows):
    response = viewer.get(reverse(CHANGELIST))
    assert response.status_code == 200
    assert response.context["action_form"] is None or "recover_selected" not in str(
        response.context["action_form"].fields["action"].choices
    )
    viewer.post(
        reverse(CHANGELIST), {"action": "recover_selected", "_selected_action": [rows[0].id]}
    )
    assert DedupHistory.objects.get(id=rows[0].id).can_recover is True


def test_the_recover_action_reports_refusals(admin_client, rows, dedup_settings):
    """The action calls the recovery service; a row whose recovery_path escapes the
    quarantine directory is refused and reported, nothing moves."""
    response = admin_client.post(
        reverse(CHANGELIST),
        {"action": "recover_selected", "_selected_action": [rows[0].id], "index": 0},
        follow=True,
    )
    text = " ".join(str(m) for m in response.context["messages"])
    assert "outside the quarantine directory" in text
    assert DedupHistory.objects.get(id=rows[0].id).can_recover is True


def test_the_recover_action_moves_files_back(admin_client, dedup_library):
    from dedup.services.dedupe import dedupe_apply, dedupe_plan

    lib = dedup_library
    dedupe_apply(groups=dedupe_plan(min_confidence=0.9).groups)
    ids = list(DedupHistory.objects.values_list("id", flat=True))
    response = admin_client.post(
        reverse(CHANGELIST),
        {"action": "recover_selected", "_selected_action": ids, "index": 0},
        follow=True,
    )
    text = " ".join(str(m) for m in response.context["messages"])
    assert "2 files recovered" in text
    assert lib.path("a2").exists() and lib.path("a3").exists()
    assert not DedupHistory.objects.filter(can_recover=True).exists()


def test_the_row_page_recovers_one_file_after_naming_where_it_goes(admin_client, dedup_library):
    from dedup.services.dedupe import dedupe_apply, dedupe_plan

    dedupe_apply(groups=dedupe_plan(min_confidence=0.9).groups)
    history = DedupHistory.objects.order_by("id").first()
    row_page = admin_client.get(reverse("admin:dedup_deduphistory_change", args=[history.id]))
    recover_url = reverse("admin:dedup_deduphistory_recover", args=[history.id])
    assert recover_url in row_page.content.decode()
    # the list shows the path relative to the library root, the full path on hover
    listing = admin_client.get(reverse(CHANGELIST)).content.decode()
    assert f'title="{history.file_path}"' in listing and recover_url in listing
    confirm = admin_client.get(recover_url)
    text = confirm.content.decode()
    assert f'<strong class="target-path">{history.file_path}</strong>' in text
    from pathlib import Path

    assert not Path(history.file_path).exists()  # a page view moves nothing
    done = admin_client.post(recover_url, follow=True)
    messages = " ".join(str(m) for m in done.context["messages"])
    assert f"1 file recovered: {history.file_path}" in messages
    assert DedupHistory.objects.get(id=history.id).can_recover is False
    assert Path(history.file_path).exists()


def test_the_row_recover_page_is_refused_without_permission(viewer, rows):
    recover_url = reverse("admin:dedup_deduphistory_recover", args=[rows[0].id])
    assert viewer.get(recover_url).status_code == 403
    assert viewer.post(recover_url).status_code == 403
    assert DedupHistory.objects.get(id=rows[0].id).can_recover is True


def test_imported_rows_are_marked_and_filtered(admin_client, rows):
    """Rows ``import_legacy_history`` wrote (notes start with the marker) are one filter away."""
    dedup_history_make(
        title="From the CLI",
        notes="imported from Music Tools dedup_history #3 of /x/mt.db (key 0123456789abcdef)",
    )
    url = reverse(CHANGELIST)
    assert listed(admin_client.get(url, {"imported": "yes"})) == {"From the CLI"}
    assert "From the CLI" not in listed(admin_client.get(url, {"imported": "no"}))
    assert len(listed(admin_client.get(url, {"imported": "no"}))) == len(rows)
    page = admin_client.get(url)
    assert b"imported from Music Tools" in page.content  # the filter's choice
