"""The duplicate review page and the keep-both decisions, over the dedup test library."""

import pytest
from django.urls import reverse

from dedup.models import DuplicateDecision
from dedup.selectors import duplicate_groups_suggested
from tests.conftest import LIBRARY_DBS

pytestmark = pytest.mark.django_db(databases=LIBRARY_DBS)


def test_each_group_side_by_side_with_the_keeper_and_why(superuser_client, dedup_library):
    lib = dedup_library
    response = superuser_client.get(reverse("dedup_review"))
    cards = {card.group.keeper.id: card for card in response.context["cards"]}
    # Without the byte comparison, the 100 KiB pair whose sampled hashes collide is shown too
    # (as a suggestion; dedupe compares every byte before moving anything).
    assert len(cards) == 3
    exact, recording = cards[lib.rows["a1"].id], cards[lib.rows["b_flac"].id]
    assert [f.candidate.id for f in exact.files] == [lib.rows[n].id for n in ("a1", "a2", "a3")]
    assert [f.role for f in exact.files] == ["keep", "remove", "remove"]
    assert exact.keeper_rule == "equal quality; this one was indexed first"
    assert recording.keeper_rule == "highest quality score (85; next best 40)"
    html = response.content.decode()
    group = html.split(f'id="group-{recording.group.number}"', 1)[1].split("</section>", 1)[0]
    assert "highest quality score (85; next best 40)" in group
    assert f'name="keeper" value="{lib.rows["b_flac"].id}" checked' in group
    assert f'name="remove" value="{lib.rows["b_wav"].id}" checked' in group
    assert str(lib.path("b_wav")) in group
    assert '<td class="keep score">85.0</td><td class="remove score">40.0</td>' in group


def test_who_is_not_staff_sees_the_groups_without_any_button(reader_client, dedup_library):
    html = reader_client.get(reverse("dedup_review")).content.decode()
    assert 'id="group-1"' in html
    assert 'name="keeper"' not in html and "Quarantine ticked files" not in html
    assert reader_client.post(reverse("dedup_decision_add"), {}).status_code == 403


def test_keep_both_takes_the_pair_out_of_the_review_until_undone(superuser_client, dedup_library):
    lib = dedup_library
    flac, wav = lib.rows["b_flac"], lib.rows["b_wav"]
    response = superuser_client.post(
        reverse("dedup_decision_add"),
        {"keeper": flac.id, "remove": [wav.id], "kind": "keep_both", "back": "/dedup/review/"},
        follow=True,
    )
    decision = DuplicateDecision.objects.get()
    assert f"Decision #{decision.pk}: keep both for 2 files" in response.content.decode()
    assert sorted(decision.files.values_list("library_file_id", flat=True)) == sorted(
        [flac.id, wav.id]
    )
    review = superuser_client.get(reverse("dedup_review"))
    keepers = {card.group.keeper.id for card in review.context["cards"]}
    assert flac.id not in keepers and len(keepers) == 2
    assert review.context["report"].kept_by_decision == 1
    listed = superuser_client.get(reverse("dedup_decisions")).content.decode()
    assert str(lib.path("b_wav")) in listed.split('id="decisions-table"', 1)[1]

    superuser_client.post(reverse("dedup_decision_undo", args=[decision.pk]))
    assert len(duplicate_groups_suggested().groups) == 3
    listed = superuser_client.get(reverse("dedup_decisions")).content.decode()
    assert str(lib.path("b_wav")) in listed.split('id="undone-decisions-table"', 1)[1]


def test_a_decision_over_files_of_two_groups_is_refused(superuser_client, dedup_library):
    lib = dedup_library
    response = superuser_client.post(
        reverse("dedup_decision_add"),
        {"keeper": lib.rows["a1"].id, "remove": [lib.rows["b_wav"].id]},
        follow=True,
    )
    assert "is not in the same duplicate group" in response.content.decode()
    assert DuplicateDecision.objects.count() == 0
