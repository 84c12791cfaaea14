"""The monitoring store: query timings through the real wrapper, runs, retention, episodes."""

import datetime

import numpy as np
import pytest
from django.db import connections
from django.utils import timezone

from musicquality.models import (
    AlertEpisode,
    LibrarySample,
    MigrationRecord,
    QueryTimingSample,
    QueryTimingTotal,
    RunRecord,
)
from musicquality.monitoring.rules import Alert, MigrationOutcome, QueryOrigin, RunKind
from musicquality.monitoring.runs import peak_rss_bytes, run_measured
from musicquality.monitoring.selectors import migration_failed_since
from musicquality.monitoring.services import (
    alert_episodes_update,
    library_sample_save,
    migration_outcome_save,
    monitoring_prune,
    run_save,
)
from musicquality.monitoring.timing import library_queries_timed
from tests.conftest import LIBRARY_DBS

pytestmark = pytest.mark.django_db(databases=LIBRARY_DBS)

DAY = datetime.timedelta(days=1)


@pytest.fixture(autouse=True)
def no_migration_records():
    """Creating the test databases ran ``migrate --database=library``, which was recorded."""
    MigrationRecord.objects.all().delete()


def library_select(n: int) -> None:
    with connections["library"].cursor() as cursor:
        for _ in range(n):
            cursor.execute("SELECT count(*) FROM library_index")


def test_timed_library_queries_are_written_once_with_their_totals():
    with library_queries_timed(query_name="scan_library", origin=QueryOrigin.COMMAND) as timer:
        library_select(5)
        assert QueryTimingSample.objects.count() == 0  # nothing written while it runs
    assert timer.count == 5
    (sample,) = QueryTimingSample.objects.all()
    assert (sample.query_name, sample.origin, sample.count) == ("scan_library", "command", 5)
    assert sum(sample.buckets) == 5 and 0 < sample.max_seconds <= sample.total_seconds

    with library_queries_timed(query_name="scan_library", origin=QueryOrigin.COMMAND):
        library_select(2)
    (total,) = QueryTimingTotal.objects.all()
    assert total.count == 7 and sum(total.buckets) == 7
    assert QueryTimingSample.objects.count() == 2


def test_queries_of_the_app_database_are_not_timed():
    with library_queries_timed(query_name="x", origin=QueryOrigin.COMMAND) as timer:
        list(RunRecord.objects.all())
    assert timer.count == 0 and not QueryTimingSample.objects.exists()


def test_a_block_that_raises_still_stores_its_queries():
    with (
        pytest.raises(RuntimeError),
        library_queries_timed(query_name="dedupe", origin=QueryOrigin.COMMAND),
    ):
        library_select(1)
        raise RuntimeError("stop")
    assert QueryTimingSample.objects.get().count == 1


@pytest.mark.parametrize("kind", ["scan", "analyze", "verify", "identify"])
def test_a_run_of_each_kind_records_throughput_peak_rss_and_a_sample(kind):
    with run_measured(kind=kind) as run:
        run.files = 40
        run.backlog = 3
    recorded = RunRecord.objects.get()
    assert recorded.kind == kind and recorded.files == 40
    assert recorded.files_per_second == pytest.approx(40 / recorded.seconds)
    assert recorded.peak_rss_bytes > 10 * 1024 * 1024  # this Python process, in bytes not KiB
    sample = LibrarySample.objects.get()
    assert sample.backlog_files == 3 and sample.db_size_bytes > 0


def test_a_runs_peak_rss_is_its_own_not_the_processes_highest_so_far():
    """A job worker lives through many runs: one run's peak must not be an earlier one's."""
    earlier_run_memory = np.ones(40 << 20, dtype=np.uint8)  # 40 MiB, every page touched
    peak_with_it, _ = peak_rss_bytes()
    del earlier_run_memory
    with run_measured(kind="scan") as run:
        run.files = 1
    recorded = RunRecord.objects.get()
    assert 10 << 20 < recorded.peak_rss_bytes < peak_with_it - (30 << 20)


def test_an_unknown_run_kind_is_refused():
    with pytest.raises(ValueError, match="'index'"), run_measured(kind="index"):
        pass


def test_a_sample_is_skipped_while_the_last_one_is_recent():
    now = timezone.now()
    assert library_sample_save(db_size_bytes=1, backlog_files=0, now=now)
    interval = datetime.timedelta(minutes=5)
    later = now + datetime.timedelta(minutes=4)
    assert not library_sample_save(
        db_size_bytes=2, backlog_files=0, now=later, unless_newer_than=interval
    )
    much_later = now + datetime.timedelta(minutes=6)
    assert library_sample_save(
        db_size_bytes=3, backlog_files=0, now=much_later, unless_newer_than=interval
    )
    assert list(LibrarySample.objects.values_list("db_size_bytes", flat=True)) == [1, 3]


def test_retention_drops_old_samples_and_keeps_what_the_alerts_need(settings):
    settings.METRICS_RETENTION_DAYS = 30
    now = timezone.now()
    old, recent = now - 31 * DAY, now - 29 * DAY
    for at in (old, recent):
        LibrarySample.objects.create(recorded_at=at, db_size_bytes=1)
        QueryTimingSample.objects.create(
            recorded_at=at,
            query_name="home",
            origin="page",
            count=1,
            total_seconds=0.001,
            max_seconds=0.001,
            buckets=[1] + [0] * 14,
        )
        run_save(kind=RunKind.SCAN, files=1, seconds=1.0, peak_rss_bytes=1, finished_at=at)
    migration_outcome_save(
        started_at=old - DAY, seconds=1.0, outcome=MigrationOutcome.SUCCEEDED
    )  # old and superseded: goes
    migration_outcome_save(started_at=old, seconds=1.0, outcome=MigrationOutcome.FAILED)
    AlertEpisode.objects.create(name=Alert.QUERY_TIME, raised_at=old - DAY, cleared_at=old)
    AlertEpisode.objects.create(name=Alert.MIGRATION_FAILED, raised_at=old)  # still open
    QueryTimingTotal.objects.create(
        query_name="home", origin="page", count=2, buckets=[2] + [0] * 14, updated_at=old
    )

    deleted = monitoring_prune(now=now)

    assert deleted == {
        "query_samples": 1,
        "library_samples": 1,
        "runs": 1,
        "migrations": 1,
        "alert_episodes": 1,
    }
    assert list(LibrarySample.objects.values_list("recorded_at", flat=True)) == [recent]
    assert list(QueryTimingSample.objects.values_list("recorded_at", flat=True)) == [recent]
    assert list(RunRecord.objects.values_list("finished_at", flat=True)) == [recent]
    # the newest migration is kept whatever its age: the failure still raises the alert
    assert list(MigrationRecord.objects.values_list("outcome", flat=True)) == ["failed"]
    assert migration_failed_since() is not None
    assert list(AlertEpisode.objects.values_list("name", flat=True)) == ["migration_failed"]
    assert QueryTimingTotal.objects.get().count == 2  # Prometheus counters never shrink


def test_a_shorter_retention_setting_prunes_more(settings):
    now = timezone.now()
    LibrarySample.objects.create(recorded_at=now - 3 * DAY, db_size_bytes=1)
    settings.METRICS_RETENTION_DAYS = 7
    assert monitoring_prune(now=now)["library_samples"] == 0
    settings.METRICS_RETENTION_DAYS = 2
    assert monitoring_prune(now=now)["library_samples"] == 1


def test_an_episode_opens_once_keeps_its_start_and_closes():
    t0 = timezone.now()
    since = alert_episodes_update(raised={Alert.QUERY_TIME: True}, since={}, now=t0)
    assert since == {Alert.QUERY_TIME: t0}
    later = t0 + datetime.timedelta(minutes=3)
    assert alert_episodes_update(raised={Alert.QUERY_TIME: True}, since={}, now=later) == since
    assert AlertEpisode.objects.count() == 1
    assert alert_episodes_update(raised={Alert.QUERY_TIME: False}, since={}, now=later) == {}
    assert AlertEpisode.objects.get().cleared_at == later


def test_the_failing_since_of_migrations_is_the_first_failure_after_the_last_success():
    t0 = timezone.now() - DAY
    outcomes = [
        MigrationOutcome.FAILED,
        MigrationOutcome.SUCCEEDED,
        MigrationOutcome.REFUSED,
        MigrationOutcome.FAILED,
    ]
    for hours, outcome in enumerate(outcomes):
        migration_outcome_save(
            started_at=t0 + datetime.timedelta(hours=hours), seconds=2.0, outcome=outcome
        )
    first_after_success = t0 + datetime.timedelta(hours=2, seconds=2)
    assert migration_failed_since() == first_after_success
    migration_outcome_save(started_at=timezone.now(), seconds=1.0, outcome="succeeded")
    assert migration_failed_since() is None
