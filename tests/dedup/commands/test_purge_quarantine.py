import datetime
import io
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from dedup.models import DedupHistory
from dedup.services.dedupe import dedupe_apply, dedupe_plan
from tests.conftest import LIBRARY_DBS

pytestmark = pytest.mark.django_db(transaction=True, databases=LIBRARY_DBS)


def run(*args) -> str:
    out = io.StringIO()
    call_command("purge_quarantine", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def old_rows(dedup_library):
    dedupe_apply(groups=dedupe_plan(min_confidence=0.9).groups)
    ten_days_ago = datetime.datetime.now(datetime.UTC) - datetime.timedelta(days=10)
    DedupHistory.objects.update(deleted_at=ten_days_ago.isoformat())
    return list(DedupHistory.objects.all())


def test_dry_run_by_default(old_rows):
    text = run("--older-than", "7d")
    assert "Dry run: 2 files" in text
    assert all(Path(row.recovery_path).exists() for row in old_rows)


def test_apply_with_an_age_in_weeks_and_days(old_rows):
    assert "0 files purged" in run("--older-than", "2w", "--apply")
    assert all(Path(row.recovery_path).exists() for row in old_rows)
    assert "2 files purged" in run("--older-than", "200h", "--apply")
    assert not any(Path(row.recovery_path).exists() for row in old_rows)


def test_an_unparseable_age_is_refused(dedup_library):
    with pytest.raises(CommandError, match="older-than"):
        run("--older-than", "soon")


@pytest.mark.parametrize("older_than", ["999999999d", "99999999999w", "9" * 30 + "h"])
def test_an_age_beyond_the_calendar_is_refused(dedup_library, older_than):
    with pytest.raises(CommandError, match="older-than"):
        run("--older-than", older_than)


def test_the_dry_run_counts_only_the_files_it_would_delete(old_rows, tmp_path):
    refused, gone = old_rows
    DedupHistory.objects.filter(id=refused.id).update(recovery_path="/etc/passwd")
    Path(gone.recovery_path).unlink()
    text = run("--older-than", "7d")
    assert "Dry run: 0 files (0 bytes) would be deleted for good" in text
    assert "refused" in text or "outside the quarantine directory" in text


def test_a_recovery_path_pointing_at_the_lock_file_is_never_deleted(old_rows, dedup_settings):
    lock = dedup_settings.QUARANTINE_DIR / ".musicquality-dedup.lock"
    assert lock.exists()
    row, _ = old_rows
    DedupHistory.objects.filter(id=row.id).update(recovery_path=str(lock))
    text = run("--older-than", "7d", "--apply")
    assert lock.exists()
    assert "1 files purged" in text
