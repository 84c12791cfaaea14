"""The monitoring rules: histogram buckets, quantiles, the four alerts, growth per day."""

import datetime

import pytest

from musicquality.monitoring.rules import (
    BUCKET_COUNT,
    QUERY_BUCKETS,
    Alert,
    MigrationOutcome,
    MonitoringFacts,
    Thresholds,
    alerts_raised,
    bucket_index,
    bucket_quantile,
    buckets_cumulative,
    growth_bytes_per_day,
    migration_failed,
)

THRESHOLDS = Thresholds(
    db_size_bytes=500 * 1024 * 1024,
    backlog_files=1000,
    query_seconds=0.1,
    window=datetime.timedelta(minutes=15),
)
T0 = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)


def counts(**by_bound: int) -> list[int]:
    """Bucket counts from ``b<index>=n`` keywords (``inf`` for the last bucket)."""
    buckets = [0] * BUCKET_COUNT
    for key, n in by_bound.items():
        buckets[BUCKET_COUNT - 1 if key == "inf" else int(key[1:])] = n
    return buckets


def test_a_duration_goes_to_the_first_bound_it_does_not_exceed():
    assert bucket_index(0.0) == 0
    assert bucket_index(0.0005) == 0  # Prometheus' le: bound included
    assert bucket_index(0.00051) == 1
    assert bucket_index(0.1) == QUERY_BUCKETS.index(0.1)
    assert bucket_index(0.1000001) == QUERY_BUCKETS.index(0.1) + 1
    assert bucket_index(3600.0) == BUCKET_COUNT - 1


def test_the_alert_threshold_is_a_bucket_bound():
    assert 0.1 in QUERY_BUCKETS


def test_quantiles_interpolate_within_the_bucket():
    # 10 queries between 1 and 2.5 ms: the median is halfway through the bucket
    assert bucket_quantile(0.5, counts(b2=10), max_seconds=0.0025) == pytest.approx(0.00175)
    assert bucket_quantile(0.5, [0] * BUCKET_COUNT, max_seconds=0.0) is None


def test_the_quantile_never_exceeds_the_slowest_query_seen():
    # all in the 25-50 ms bucket but none slower than 30 ms
    assert bucket_quantile(0.99, counts(b6=100), max_seconds=0.03) <= 0.03


def test_the_last_bucket_reads_as_the_slowest_query():
    assert bucket_quantile(0.95, counts(b0=1, inf=99), max_seconds=42.0) == 42.0


def test_p95_at_exactly_the_threshold_is_not_above_it():
    at_or_below = QUERY_BUCKETS.index(0.1)
    just_ok = counts(**{f"b{at_or_below}": 95, f"b{at_or_below + 1}": 5})
    one_more_slow = counts(**{f"b{at_or_below}": 94, f"b{at_or_below + 1}": 6})
    assert bucket_quantile(0.95, just_ok, max_seconds=0.2) == pytest.approx(0.1)
    assert bucket_quantile(0.95, one_more_slow, max_seconds=0.2) > 0.1


def test_cumulative_buckets_end_with_the_count():
    assert buckets_cumulative([1, 0, 2, 3]) == [1, 1, 3, 6]


def test_migration_failed_reads_the_newest_outcome_only():
    assert not migration_failed([])
    assert migration_failed([MigrationOutcome.REFUSED, MigrationOutcome.SUCCEEDED])
    assert migration_failed([MigrationOutcome.FAILED])
    assert migration_failed([MigrationOutcome.ROLLED_BACK])
    assert not migration_failed([MigrationOutcome.SUCCEEDED, MigrationOutcome.FAILED])


def facts(**overrides) -> MonitoringFacts:
    values = {
        "db_size_bytes": 1,
        "backlog_files": 0,
        "query_p95_seconds": None,
        "migration_failed_since": None,
    }
    values.update(overrides)
    return MonitoringFacts(**values)


def test_nothing_raised_on_a_quiet_library():
    assert alerts_raised(facts(), THRESHOLDS) == dict.fromkeys(Alert, False)


@pytest.mark.parametrize(
    ("overrides", "alert"),
    [
        ({"db_size_bytes": 500 * 1024 * 1024 + 1}, Alert.DATABASE_SIZE),
        ({"backlog_files": 1001}, Alert.ANALYSIS_BACKLOG),
        ({"query_p95_seconds": 0.1001}, Alert.QUERY_TIME),
        ({"migration_failed_since": T0}, Alert.MIGRATION_FAILED),
    ],
)
def test_each_alert_is_raised_just_above_its_threshold(overrides, alert):
    raised = alerts_raised(facts(**overrides), THRESHOLDS)
    assert [name for name, up in raised.items() if up] == [alert]


def test_at_the_thresholds_nothing_is_raised():
    at = facts(db_size_bytes=500 * 1024 * 1024, backlog_files=1000, query_p95_seconds=0.1)
    assert not any(alerts_raised(at, THRESHOLDS).values())


def test_an_unknown_backlog_raises_nothing():
    assert not alerts_raised(facts(backlog_files=None), THRESHOLDS)[Alert.ANALYSIS_BACKLOG]


def test_thresholds_come_from_the_settings(settings):
    settings.ALERT_DB_SIZE_MB = 1
    settings.ALERT_QUERY_MS = 250
    settings.ALERT_WINDOW_MINUTES = 5
    thresholds = Thresholds.from_settings()
    assert thresholds.db_size_bytes == 1024 * 1024
    assert thresholds.query_seconds == 0.25
    assert thresholds.window == datetime.timedelta(minutes=5)


def test_growth_per_day_needs_an_hour_of_samples():
    day = datetime.timedelta(days=1)
    assert growth_bytes_per_day([(T0, 100), (T0 + 2 * day, 300)]) == 100
    assert growth_bytes_per_day([(T0, 100), (T0 + datetime.timedelta(minutes=59), 900)]) is None
    assert growth_bytes_per_day([(T0, 100)]) is None
