"""Schema v2.2.0 writes: the streaming matches identify_upgrades finds, and the acquisition
job of every approved candidate (docs/formulas.md, docs/schema.md)."""

import pytest

from tests.conftest import LIBRARY_DBS
from tests.factories import file_quality_make, library_file_make
from tests.legacy import music_tools_add_track
from upgrades import rules
from upgrades.models import JobStatus, StreamingMatch, UpgradeCandidate, UpgradeJob, UserAction
from upgrades.services import (
    upgrade_candidate_acquire,
    upgrade_candidate_edit,
    upgrade_candidates_act,
    upgrade_candidates_identify,
    upgrade_job_close,
)

pytestmark = pytest.mark.django_db(databases=LIBRARY_DBS)


def lossy_file(score=32.7, **overrides):
    library_file = library_file_make(**overrides)
    file_quality_make(library_file, quality_score=score, bitrate=128)
    return library_file


def matches_of(library_file) -> set[tuple[str, str, float, str]]:
    return set(
        StreamingMatch.objects.filter(library_file=library_file).values_list(
            "service", "service_track_id", "match_confidence", "available_quality"
        )
    )


def test_every_match_is_stored_and_the_candidate_names_the_best(music_tools):
    path, conn = music_tools
    song = lossy_file(artist="Band", title="Song", duration=200.0)
    by_name = music_tools_add_track(
        conn, name="Song", artist="Band", service="spotify", duration_ms=201_500
    )
    untimed = music_tools_add_track(conn, name="song", artist="BAND", service="qobuz")
    lonely = lossy_file(artist="Nobody", title="Nothing", duration=100.0)
    conn.commit()

    upgrade_candidates_identify(streaming_db=path)

    assert matches_of(song) == {
        # 1.5 s apart within the 3 s window: halfway from 0.9 to 0.7
        ("spotify", by_name, 0.8, "lossy"),
        ("qobuz", untimed, 0.7, "hi-res lossless"),
    }
    candidate = UpgradeCandidate.objects.get(library_file=song)
    services = [service for service, *_ in matches_of(song)]
    assert candidate.available_on_service == rules.best_service(services) == "qobuz"
    assert matches_of(lonely) == set()
    checked = set(StreamingMatch.objects.values_list("checked_at", flat=True))
    assert checked == {candidate.checked_at}


def test_an_isrc_match_is_certain_and_a_rerun_replaces_the_matches(music_tools):
    path, conn = music_tools
    song = lossy_file(artist="A", title="T", duration=180.0)
    music_tools_add_track(conn, name="T", artist="A", service="tidal", duration_ms=180_000)
    conn.commit()
    upgrade_candidates_identify(streaming_db=path)
    assert [c for _, _, c, _ in matches_of(song)] == [0.9]

    conn.execute("DELETE FROM tracks")
    music_tools_add_track(
        conn, name="Other", artist="Other", service="deezer", isrc="GBAYE0601498", track_id="d1"
    )
    conn.commit()
    # the file is not on disk: identify keeps the tags its candidate row holds
    UpgradeCandidate.objects.filter(library_file=song).update(isrc="GBAYE0601498")
    upgrade_candidates_identify(streaming_db=path)
    assert matches_of(song) == {("deezer", "d1", 1.0, "lossless")}


def test_without_a_streaming_db_no_match_is_kept(music_tools):
    path, conn = music_tools
    song = lossy_file(artist="A", title="T", duration=180.0)
    music_tools_add_track(conn, name="T", artist="A", service="tidal", duration_ms=180_000)
    conn.commit()
    upgrade_candidates_identify(streaming_db=path)
    assert matches_of(song)
    upgrade_candidates_identify(streaming_db=None)
    assert StreamingMatch.objects.count() == 0
    assert UpgradeCandidate.objects.get(library_file=song).available_on_service == "unknown"


def test_a_file_that_is_no_longer_a_candidate_loses_its_matches(music_tools):
    path, conn = music_tools
    song = lossy_file(artist="A", title="T", duration=180.0)
    music_tools_add_track(conn, name="T", artist="A", service="tidal", duration_ms=180_000)
    conn.commit()
    upgrade_candidates_identify(streaming_db=path)
    song.quality.quality_score = 90.0
    song.quality.save()
    upgrade_candidates_identify(streaming_db=path)
    assert StreamingMatch.objects.count() == 0


def candidate_make(score=32.7) -> UpgradeCandidate:
    library_file = lossy_file(score=score)
    upgrade_candidates_identify(streaming_db=None)
    return UpgradeCandidate.objects.get(library_file=library_file)


def jobs_of(candidate) -> list[tuple[str, str | None]]:
    return list(
        UpgradeJob.objects.filter(candidate=candidate)
        .order_by("id")
        .values_list("job_status", "download_source")
    )


def test_approving_makes_one_pending_job_and_rejecting_cancels_it():
    candidate = candidate_make()
    assert jobs_of(candidate) == []
    upgrade_candidates_act(candidate_ids=[candidate.pk], action=UserAction.APPROVED)
    upgrade_candidates_act(candidate_ids=[candidate.pk], action=UserAction.APPROVED)
    assert jobs_of(candidate) == [("pending", None)]
    upgrade_candidates_act(candidate_ids=[candidate.pk], action=UserAction.REJECTED)
    assert jobs_of(candidate) == [("cancelled", None)]
    # approved again: the same job, reopened
    candidate.refresh_from_db()
    upgrade_candidate_edit(candidate=candidate, user_action=UserAction.APPROVED, notes=None)
    assert jobs_of(candidate) == [("pending", None)]


def test_the_user_marks_a_job_failed_and_only_pending_jobs_change():
    candidate = candidate_make()
    upgrade_candidates_act(candidate_ids=[candidate.pk], action=UserAction.APPROVED)
    job = UpgradeJob.objects.get(candidate=candidate)
    assert upgrade_job_close(job_ids=[job.pk], status="failed", message="shop sold out") == 1
    assert upgrade_job_close(job_ids=[job.pk], status="cancelled") == 0
    job.refresh_from_db()
    assert (job.job_status, job.error_message) == ("failed", "shop sold out")
    with pytest.raises(ValueError, match="failed or cancelled"):
        upgrade_job_close(job_ids=[job.pk], status="completed")


def test_completion_by_identify_completes_the_pending_job():
    candidate = candidate_make(score=40.0)
    upgrade_candidates_act(candidate_ids=[candidate.pk], action=UserAction.APPROVED)
    candidate.library_file.quality.quality_score = 85.0
    candidate.library_file.quality.is_lossless = True
    candidate.library_file.quality.save()
    upgrade_candidates_identify(streaming_db=None)
    job = UpgradeJob.objects.get(candidate=candidate)
    assert job.job_status == JobStatus.COMPLETED
    assert job.download_source is None
    assert job.download_completed_at is not None


def test_an_acquisition_repoints_the_candidate_and_completes_its_job():
    candidate = candidate_make()
    upgrade_candidates_act(candidate_ids=[candidate.pk], action=UserAction.APPROVED)
    old = candidate.library_file
    new = library_file_make(file_format="flac", file_path="/music/new/Song.flac")

    done = upgrade_candidate_acquire(
        candidate_id=candidate.pk,
        replaced_by_id=new.pk,
        replaced_by_path=new.file_path,
        source="import:/downloads/batch",
        started_at="2026-01-08T12:00:00+00:00",
    )
    again = upgrade_candidate_acquire(
        candidate_id=candidate.pk,
        replaced_by_id=new.pk,
        replaced_by_path=new.file_path,
        source="import:/downloads/batch",
    )

    assert done.completed and again.completed
    candidate.refresh_from_db()
    assert candidate.library_file_id == new.pk
    assert candidate.file_path == old.file_path  # still describes the file it replaced
    assert candidate.user_action == UserAction.COMPLETED
    assert (
        candidate.notes.count("replaced by /music/new/Song.flac (from import:/downloads/batch)")
        == 1
    )
    assert jobs_of(candidate) == [("completed", "import:/downloads/batch")]
    job = UpgradeJob.objects.get(candidate=candidate)
    assert job.download_started_at.isoformat() == "2026-01-08T12:00:00+00:00"
    # the old file's row can go now: the candidate and its job stay
    old.delete()
    assert jobs_of(candidate) == [("completed", "import:/downloads/batch")]


def test_an_acquisition_of_a_pending_candidate_records_a_completed_job():
    candidate = candidate_make()
    new = library_file_make(file_format="flac")
    upgrade_candidate_acquire(
        candidate_id=candidate.pk,
        replaced_by_id=new.pk,
        replaced_by_path=new.file_path,
        source="import:/dl",
    )
    assert jobs_of(candidate) == [("completed", "import:/dl")]
