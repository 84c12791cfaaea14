"""Keep-both decisions: made over a current group, recognised after a re-index, undone
(the commands respecting them: ``tests/dedup/commands/test_keep_both.py``)."""

import pytest

from dedup.models import DuplicateDecision
from dedup.selectors import duplicate_decisions_active, duplicate_groups_of_file
from dedup.services.decisions import (
    DecisionRefused,
    duplicate_decision_create,
    duplicate_decision_undo,
)
from quality.models import LibraryFile
from tests.conftest import LIBRARY_DBS

pytestmark = pytest.mark.django_db(databases=LIBRARY_DBS)


def test_a_decision_is_stored_in_the_app_database_with_what_identifies_each_file(dedup_library):
    a1, a2 = dedup_library.rows["a1"], dedup_library.rows["a2"]
    decision = duplicate_decision_create(file_ids=[a1.id, a2.id], note=" phone copy ")
    assert decision._state.db == "default"
    assert decision.note == "phone copy"
    assert sorted(
        decision.files.values_list("library_file_id", "file_path", "file_content_hash")
    ) == sorted([(r.id, r.file_path, r.file_content_hash) for r in (a1, a2)])


def test_a_decision_still_knows_its_files_after_a_reindex(dedup_library):
    flac, wav = dedup_library.rows["b_flac"], dedup_library.rows["b_wav"]
    duplicate_decision_create(file_ids=[flac.id, wav.id])
    # The Music Tools CLI rebuilt its index: same paths and hashes, new ids.
    for row in (flac, wav):
        old_id = row.pk
        LibraryFile.objects.filter(pk=old_id).delete()
        row.pk = row.id = old_id + 1000
        row.save(force_insert=True)
    assert duplicate_groups_of_file(file_id=wav.pk) == []
    assert LibraryFile.objects.filter(pk__in=[flac.pk, wav.pk]).count() == 2


def test_undo_brings_the_files_back_as_duplicates_and_keeps_the_record(dedup_library, admin_user):
    flac, wav = dedup_library.rows["b_flac"], dedup_library.rows["b_wav"]
    decision = duplicate_decision_create(file_ids=[flac.id, wav.id], user=admin_user)
    assert duplicate_groups_of_file(file_id=wav.id) == []
    duplicate_decision_undo(decision_id=decision.pk, user=admin_user)
    (group,) = duplicate_groups_of_file(file_id=wav.id)
    assert group.keeper.id == flac.id
    assert duplicate_decisions_active() == ()
    assert DuplicateDecision.objects.get().undone_by == admin_user
    with pytest.raises(DecisionRefused, match="was already undone"):
        duplicate_decision_undo(decision_id=decision.pk)


@pytest.mark.parametrize(
    ("names", "message"),
    [
        (["a1"], "choose at least two files"),
        (["u1", "u2"], "is in no duplicate group now"),
        (["a1", "b_wav"], "is not in the same duplicate group as file"),
    ],
)
def test_a_decision_outside_one_current_group_is_refused(dedup_library, names, message):
    with pytest.raises(DecisionRefused, match=message):
        duplicate_decision_create(file_ids=[dedup_library.rows[name].id for name in names])
    assert DuplicateDecision.objects.count() == 0
