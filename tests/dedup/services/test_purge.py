import datetime
from pathlib import Path

import pytest

from dedup.models import DedupHistory
from dedup.services.dedupe import dedupe_apply, dedupe_plan
from dedup.services.purge import quarantine_purge
from tests.conftest import LIBRARY_DBS
from tests.dedup.helpers import library_db_checksum, tree_checksum
from tests.factories import dedup_history_make

pytestmark = pytest.mark.django_db(databases=LIBRARY_DBS)
OLD = (datetime.datetime.now(datetime.UTC) - datetime.timedelta(days=40)).isoformat()


@pytest.fixture
def quarantined(dedup_library):
    """a2 and a3 in quarantine; a2 moved 40 days ago, a3 just now."""
    dedupe_apply(groups=dedupe_plan(min_confidence=0.9).groups)
    old = DedupHistory.objects.get(original_library_id=dedup_library.rows["a2"].id)
    DedupHistory.objects.filter(id=old.id).update(deleted_at=OLD)
    new = DedupHistory.objects.get(original_library_id=dedup_library.rows["a3"].id)
    return old, new


def test_dry_run_deletes_nothing(quarantined, tmp_path):
    old, _ = quarantined
    before = (tree_checksum(tmp_path), library_db_checksum())
    (item,) = quarantine_purge(older_than=datetime.timedelta(days=30), apply=False)
    assert (item.history.id, item.detail, item.purged) == (old.id, "would purge", False)
    assert item.size == Path(old.recovery_path).stat().st_size
    assert (tree_checksum(tmp_path), library_db_checksum()) == before


def test_apply_deletes_old_files_only_and_notes_it(quarantined):
    old, new = quarantined
    (item,) = quarantine_purge(older_than=datetime.timedelta(days=30), apply=True)
    assert item.purged and item.detail == "purged"
    assert not Path(old.recovery_path).exists()
    assert Path(new.recovery_path).exists()
    old.refresh_from_db()
    assert old.can_recover is False
    assert old.notes.splitlines()[-1].endswith("purged from quarantine")
    assert old.file_path  # the audit row stays
    assert quarantine_purge(older_than=datetime.timedelta(days=30), apply=True) == []


def test_a_recovery_path_outside_quarantine_is_never_deleted(dedup_library, tmp_path):
    victim = dedup_library.path("a1")
    escape = tmp_path / "quarantine" / ".." / "music" / victim.relative_to(tmp_path / "music")
    dedup_history_make(deleted_at=OLD, recovery_path=str(escape))
    (item,) = quarantine_purge(older_than=datetime.timedelta(days=30), apply=True)
    assert "outside the quarantine directory" in item.detail and not item.purged
    assert victim.exists()
