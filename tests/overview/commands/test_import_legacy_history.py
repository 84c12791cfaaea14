"""``import_legacy_history``: the Music Tools migration 002 history into the library database.

The source is a real ``music_tools.db``: the CLI's DDL (``musicquality/ddl``), then its
migration 002 as the CLI runs it (``tests/data/ddl/music_tools_migration_002.sql``), then
deletion rows and decisions of every kind the issue names.
"""

import datetime
import hashlib
import io
import sqlite3
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connections

from dedup.dashboard_selectors import deletions_by_reason, recent_cutoff
from dedup.models import DedupHistory
from dedup.selectors import dedup_history_purgeable, dedup_sessions_summary
from musicquality.fields import utc_now_iso
from quality.hashing import metadata_hash
from tests.conftest import LIBRARY_DBS
from tests.dedup.helpers import audio_write, library_db_checksum, library_row_for
from tests.factories import library_file_make
from tests.legacy import (
    legacy_decision_add,
    legacy_deletion_add,
    music_tools_create,
    music_tools_migration_002_apply,
    table_checksum,
)
from upgrades.models import UpgradeCandidate

# transactional (the command commits), so the library's rows are wiped around each test: left
# behind, they were in the duplicate groups of whatever module a pytest worker ran next
pytestmark = [
    pytest.mark.django_db(transaction=True, databases=LIBRARY_DBS),
    pytest.mark.usefixtures("clean_library"),
]

LEGACY_TABLES = ("dedup_history", "upgrade_candidates", "file_quality", "settings")
RECENT = (datetime.datetime.now(datetime.UTC) - datetime.timedelta(days=2)).replace(microsecond=0)


def run(*args) -> str:
    out = io.StringIO()
    call_command("import_legacy_history", *args, stdout=out)
    return out.getvalue()


def candidate_make(row, *, user_action="pending", notes=None) -> UpgradeCandidate:
    stamp = utc_now_iso()
    return UpgradeCandidate.objects.create(
        library_file=row,
        file_path=row.file_path,
        current_format=row.file_format,
        current_bitrate=128,
        current_quality_score=40.0,
        artist=row.artist or "",
        title=row.title or "",
        recommended_format="FLAC",
        priority_score=60.0,
        identified_at=stamp,
        last_updated=stamp,
        user_action=user_action,
        action_at=None if user_action == "pending" else stamp,
        notes=notes,
    )


@pytest.fixture
def world(tmp_path, dedup_settings):
    """The library (files, candidates) and the CLI's music_tools.db with its 002 history."""
    music = dedup_settings.LIBRARY_ROOTS[0]
    dedup_settings.BACKUP_DIR = tmp_path / "backups"
    backup_root = tmp_path / "music_tools_backup"
    kept = audio_write(music / "Alpha" / "Song A.flac", seed=1)
    kept_row = library_row_for(kept, artist="Alpha", title="Song A")
    # The file the CLI deleted and kept a copy of: its bytes are known from how it was made.
    gone_copy = audio_write(backup_root / "Alpha" / "Song A.wav", seed=2)
    gone_bytes = gone_copy.read_bytes()
    elsewhere = audio_write(tmp_path / "elsewhere" / "Other.wav", seed=3)

    decided = library_file_make(file_path=str(music / "Beta" / "Decided.mp3"))
    conflicting = library_file_make(file_path=str(music / "Gamma" / "Rejected.mp3"))
    plain = library_file_make(file_path=str(music / "Delta" / "Plain.mp3"))
    candidates = {
        "decided": candidate_make(decided),
        "conflict": candidate_make(conflicting, user_action="rejected", notes="my own call"),
    }

    source = music_tools_migration_002_apply(music_tools_create(tmp_path / "music_tools.db"))
    conn = sqlite3.connect(source)
    ids = {
        "restorable": legacy_deletion_add(
            conn,
            original_path=str(music / "Alpha" / "Song A.wav"),
            original_hash=hashlib.sha256(gone_bytes).hexdigest(),
            original_size=len(gone_bytes),
            original_quality_score=55.5,
            kept_path=str(kept),
            kept_hash="x",
            deletion_reason="duplicate",
            space_saved=len(gone_bytes),
            deleted_at="2026-01-10T09:15:30.123456",
            deleted_by="user",
            can_restore=1,
            restore_location=str(gone_copy),
            notes="from the CLI",
        ),
        "unknown_reason": legacy_deletion_add(
            conn,
            original_path="/old/disk/Untagged Track.mp3",
            deletion_reason="spring cleaning",
            deleted_at="2026-01-10 09:15:59",
        ),
        "odd_time": legacy_deletion_add(
            conn,
            original_path="/old/disk/Odd.ogg",
            deletion_reason="lower_quality",
            deleted_at="last tuesday",
            can_restore=1,
            restore_location=str(tmp_path / "music_tools_backup" / "missing.ogg"),
        ),
        "outside_root": legacy_deletion_add(
            conn,
            original_path=str(music / "Other.wav"),
            original_hash=hashlib.sha256(elsewhere.read_bytes()).hexdigest(),
            deletion_reason="exact_duplicate",
            deleted_at="1767225600",
            can_restore=1,
            restore_location=str(elsewhere),
        ),
        "recent": legacy_deletion_add(
            conn,
            original_path="/old/disk/Recent.mp3",
            deletion_reason="metadata_match",
            deleted_at=RECENT.isoformat().replace("+00:00", "Z"),
        ),
    }
    decisions = {
        "decided": legacy_decision_add(
            conn,
            file_path=decided.file_path,
            upgrade_status="upgraded",
            upgraded_at="2026-01-05T10:00:00",
            notes="bought on Qobuz",
        ),
        "conflict": legacy_decision_add(
            conn, file_path=conflicting.file_path, upgrade_status="approved"
        ),
        "not_candidate": legacy_decision_add(
            conn, file_path=plain.file_path, upgrade_status="skipped"
        ),
        "gone": legacy_decision_add(
            conn, file_path="/old/disk/Gone.mp3", upgrade_status="approved"
        ),
    }
    conn.commit()
    conn.close()
    return {
        "source": source,
        "backup_root": backup_root,
        "gone_bytes": gone_bytes,
        "kept_row": kept_row,
        "candidates": candidates,
        "ids": ids,
        "decisions": decisions,
        "music": music,
        "tmp": tmp_path,
    }


def source_checksums(source: Path) -> dict[str, str]:
    return {table: table_checksum(source, table) for table in LEGACY_TABLES}


def imported(legacy_id: int) -> DedupHistory:
    return DedupHistory.objects.get(notes__contains=f"dedup_history #{legacy_id} of ")


def test_dry_run_is_the_default_and_changes_nothing(world, tmp_path):
    before = (library_db_checksum(), source_checksums(world["source"]))
    text = run("--from", str(world["source"]), "--restore-root", str(world["backup_root"]))
    assert "Dry run: nothing changed" in text
    assert "dedup_history: 5 legacy deletions" in text
    assert "to import: 5" in text
    assert "of those to import, recoverable: 1" in text
    assert "upgrade_candidates: 4 legacy decisions" in text
    assert "no longer in the library: 1" in text
    assert (library_db_checksum(), source_checksums(world["source"])) == before
    assert not (tmp_path / "backups").exists()


def test_apply_writes_the_mapped_rows_and_a_second_apply_adds_none(world):
    source, ids, music = world["source"], world["ids"], world["music"]
    before = source_checksums(source)
    text = run("--from", str(source), "--restore-root", str(world["backup_root"]), "--apply")
    assert "Imported 5 deletions into dedup_history and decisions on 2 upgrade candidates" in text
    assert DedupHistory.objects.count() == 5
    assert source_checksums(source) == before  # nothing in the legacy tables changed
    assert len(list((world["tmp"] / "backups").iterdir())) == 1

    restorable = imported(ids["restorable"])
    assert restorable.file_path == str(music / "Alpha" / "Song A.wav")
    assert (restorable.filename, restorable.file_format) == ("Song A.wav", "wav")
    assert restorable.file_size == len(world["gone_bytes"])
    assert restorable.quality_score == 55.5
    assert restorable.file_content_hash == hashlib.sha256(world["gone_bytes"]).hexdigest()
    # not in the library: the legacy NO_METADATA rule on the file name
    assert restorable.metadata_hash == metadata_hash(
        artist=None, title=None, filename_stem="Song A"
    )
    assert restorable.kept_file_path == world["kept_row"].file_path
    assert restorable.kept_file_id == world["kept_row"].id
    assert restorable.deletion_reason == "metadata_match"  # "duplicate", hashes differ
    assert restorable.deleted_at == datetime.datetime(
        2026, 1, 10, 9, 15, 30, 123456, tzinfo=datetime.UTC
    )
    assert restorable.deleted_by == "user"
    assert restorable.matched_by is None
    assert restorable.can_recover is True
    assert restorable.recovery_path == str(world["backup_root"] / "Alpha" / "Song A.wav")
    assert restorable.notes.startswith("imported from Music Tools")
    assert "legacy notes: from the CLI" in restorable.notes

    unknown = imported(ids["unknown_reason"])
    assert unknown.deletion_reason == "user_requested"
    assert "'spring cleaning'" in unknown.notes
    assert unknown.can_recover is False
    assert unknown.deletion_session_id == restorable.deletion_session_id  # the same minute
    assert unknown.metadata_hash == metadata_hash(
        artist=None, title=None, filename_stem="Untagged Track"
    )
    assert unknown.deleted_by == "system"  # the 002 default

    odd = imported(ids["odd_time"])
    assert odd.deleted_at == datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)
    assert "'last tuesday'" in odd.notes
    assert odd.can_recover is False and "does not exist" in odd.notes
    assert odd.deletion_session_id != restorable.deletion_session_id

    outside = imported(ids["outside_root"])
    assert outside.deleted_at == datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
    assert outside.deletion_reason == "exact_duplicate"
    assert outside.can_recover is False and "outside --restore-root" in outside.notes

    decided = UpgradeCandidate.objects.get(pk=world["candidates"]["decided"].pk)
    assert decided.user_action == "completed"
    assert decided.action_at == datetime.datetime(2026, 1, 5, 10, tzinfo=datetime.UTC)
    assert decided.notes.startswith("[2026-01-05] imported from Music Tools")
    assert "bought on Qobuz" in decided.notes
    conflict = UpgradeCandidate.objects.get(pk=world["candidates"]["conflict"].pk)
    assert conflict.user_action == "rejected"  # the decision made in musicquality survives
    assert conflict.notes.startswith("my own call\n")
    assert "conflict" in conflict.notes
    assert UpgradeCandidate.objects.count() == 2  # none invented for the other two

    rows_before = list(DedupHistory.objects.values_list("id", "notes").order_by("id"))
    candidates_before = list(UpgradeCandidate.objects.values_list("id", "user_action", "notes"))
    again = run("--from", str(source), "--restore-root", str(world["backup_root"]), "--apply")
    assert "already imported: 5" in again
    assert "Nothing to import" in again
    assert list(DedupHistory.objects.values_list("id", "notes").order_by("id")) == rows_before
    assert list(UpgradeCandidate.objects.values_list("id", "user_action", "notes")) == (
        candidates_before
    )
    assert len(list((world["tmp"] / "backups").iterdir())) == 1


def test_a_decision_whose_notes_the_user_rewrote_is_not_imported_again(world):
    source = world["source"]
    run("--from", str(source), "--restore-root", str(world["backup_root"]), "--apply")
    decided = world["candidates"]["decided"].pk
    # the user replaces the notes in the admin: the import line is gone from them
    UpgradeCandidate.objects.filter(pk=decided).update(notes="bought it, all good")
    again = run("--from", str(source), "--restore-root", str(world["backup_root"]), "--apply")
    assert "Nothing to import" in again
    assert UpgradeCandidate.objects.get(pk=decided).notes == "bought it, all good"


def test_imported_rows_count_in_the_dashboards_and_are_never_purged(world):
    run("--from", str(world["source"]), "--apply")
    since = recent_cutoff(now=datetime.datetime.now(datetime.UTC))
    assert {row.deletion_reason: row.count for row in deletions_by_reason(since=since)} == {
        "metadata_match": 1
    }
    sessions = {s.session_id: s.files for s in dedup_sessions_summary()}
    restorable = imported(world["ids"]["restorable"])
    assert sessions[restorable.deletion_session_id] == 2  # the two rows of 09:15
    assert sum(sessions.values()) == 5
    far_future = datetime.datetime(2100, 1, 1, tzinfo=datetime.UTC)
    assert dedup_history_purgeable(deleted_before=far_future) == []


def test_a_recoverable_imported_row_is_recovered_from_the_restore_root(world):
    run("--from", str(world["source"]), "--restore-root", str(world["backup_root"]), "--apply")
    row = imported(world["ids"]["restorable"])
    out = io.StringIO()
    with pytest.raises(CommandError, match="no file recovered"):
        call_command("recover", str(row.id), "--apply", stdout=out)
    assert "give that folder with `manage.py recover ID --restore-root DIR`" in out.getvalue()
    assert Path(row.recovery_path).is_file()
    out = io.StringIO()

    call_command(
        "recover", str(row.id), "--restore-root", str(world["backup_root"]), "--apply", stdout=out
    )
    assert "1 recovered" in out.getvalue()
    restored = Path(row.file_path)
    assert restored.read_bytes() == world["gone_bytes"]
    assert not Path(row.recovery_path).exists()
    assert (world["backup_root"] / "Alpha").is_dir()  # the CLI's folder is left as it was
    assert DedupHistory.objects.get(pk=row.pk).can_recover is False


def test_the_restore_root_does_not_unlock_our_own_quarantine_rows(world):
    """Only imported rows may come from --restore-root: another row pointing there is refused."""
    stray = audio_write(world["backup_root"] / "stray.wav", seed=9)
    from tests.factories import dedup_history_make

    row = dedup_history_make(
        file_path=str(world["music"] / "stray.wav"),
        recovery_path=str(stray),
        file_content_hash=f"{stray.stat().st_size}_0",
    )
    with pytest.raises(CommandError, match="no file recovered"):
        call_command(
            "recover",
            str(row.id),
            "--restore-root",
            str(world["backup_root"]),
            "--apply",
            stdout=io.StringIO(),
        )
    assert stray.is_file()


def test_the_library_database_s_renamed_tables_are_a_source(world):
    """As the migration's refusal suggests: the 002 tables renamed ``*_legacy`` in the library
    database itself (written as the CLI writes, foreign keys off)."""
    library = Path(connections["library"].settings_dict["NAME"])
    legacy = sqlite3.connect(world["source"])
    (ddl,) = legacy.execute("SELECT sql FROM sqlite_master WHERE name = 'dedup_history'")
    rows = legacy.execute("SELECT * FROM dedup_history").fetchall()
    legacy.close()
    conn = sqlite3.connect(library)
    conn.execute(ddl[0].replace("dedup_history", "dedup_history_legacy", 1))
    conn.executemany(
        f"INSERT INTO dedup_history_legacy VALUES ({', '.join('?' for _ in rows[0])})", rows
    )
    conn.commit()
    try:
        text = run("--from", str(library), "--apply")
        assert "table dedup_history_legacy: Music Tools migration 002, 5 rows" in text
        assert "table dedup_history: musicquality v2" in text
        assert DedupHistory.objects.count() == 5
        # the same rows read from music_tools.db are the same legacy rows: nothing twice
        assert "already imported: 5" in run("--from", str(world["source"]), "--apply")
        assert DedupHistory.objects.count() == 5
    finally:
        conn.execute("DROP TABLE dedup_history_legacy")
        conn.commit()
        conn.close()


def test_a_file_with_other_tables_is_refused_in_one_line(world, tmp_path):
    other = tmp_path / "other.db"
    conn = sqlite3.connect(other)
    conn.execute("CREATE TABLE dedup_history (id INTEGER PRIMARY KEY, what TEXT)")
    conn.execute("INSERT INTO dedup_history (what) VALUES ('x')")
    conn.commit()
    conn.close()
    before = (library_db_checksum(), other.read_bytes())
    with pytest.raises(CommandError) as error:
        run("--from", str(other), "--apply")
    message = str(error.value)
    assert "\n" not in message
    assert str(other) in message and "dedup_history" in message and "what" in message
    assert (library_db_checksum(), other.read_bytes()) == before

    plain = music_tools_create(tmp_path / "plain.db")
    with pytest.raises(CommandError, match="no Music Tools migration 002"):
        run("--from", str(plain))
    with pytest.raises(CommandError, match="does not exist"):
        run("--from", str(tmp_path / "missing.db"))
    (tmp_path / "text.db").write_text("not a database")
    with pytest.raises(CommandError, match="not an SQLite database"):
        run("--from", str(tmp_path / "text.db"))
    assert DedupHistory.objects.count() == 0


def test_a_restore_root_around_the_music_is_refused(world):
    with pytest.raises(CommandError, match="holds the library root"):
        run("--from", str(world["source"]), "--restore-root", str(world["music"]))
    with pytest.raises(CommandError, match="overlaps the quarantine"):
        run("--from", str(world["source"]), "--restore-root", str(world["tmp"]))
    assert DedupHistory.objects.count() == 0
