"""The query statistics pooled in SQL (sums, and the bucket lists grouped by their text, each
decoded once) equal the same samples pooled by hand: the timers' own figures, written
through the real service."""

from __future__ import annotations

import datetime
import random

import pytest
from django.utils import timezone

from musicquality.monitoring.rules import BUCKET_COUNT, QueryOrigin
from musicquality.monitoring.selectors import page_queries_get, query_stats_by_name
from musicquality.monitoring.services import query_timings_save
from musicquality.monitoring.timing import QueryTimer

pytestmark = pytest.mark.django_db


def test_pooled_statistics_equal_the_samples_added_up():
    rng = random.Random(7)
    now = timezone.now()
    since = now - datetime.timedelta(minutes=15)
    expected: dict[tuple[str, str], list] = {}
    for n in range(60):
        timer = QueryTimer()
        if n % 3 == 0:  # many requests run the same queries: identical bucket lists
            timer.add(0.002)
            timer.add(0.05)
        else:
            for _ in range(rng.randint(1, 30)):
                timer.add(rng.choice([0.0004, 0.003, 0.02, 0.2, 1.5, 40.0]) * rng.random())
        name = rng.choice(["file_list", "overview", "health"])
        origin = QueryOrigin.MONITORING if name == "health" else QueryOrigin.PAGE
        at = now - datetime.timedelta(minutes=rng.choice([1, 5, 14, 16, 60]))  # some outside
        query_timings_save(timer=timer, query_name=name, origin=origin, now=at)
        if at >= since:
            entry = expected.setdefault((name, origin.value), [0, 0.0, 0.0, [0] * BUCKET_COUNT])
            entry[0] += timer.count
            entry[1] += timer.total_seconds
            entry[2] = max(entry[2], timer.max_seconds)
            entry[3] = [a + b for a, b in zip(entry[3], timer.buckets, strict=True)]
    by_name = {(s.query_name, s.origin): s for s in query_stats_by_name(since=since)}
    assert set(by_name) == set(expected) and len(expected) == 3
    for key, (count, total, slowest, buckets) in expected.items():
        stats = by_name[key]
        assert (stats.count, stats.max_seconds, list(stats.buckets)) == (count, slowest, buckets)
        assert stats.total_seconds == pytest.approx(total, rel=1e-12)
    pages = [v for (name, origin), v in expected.items() if origin == QueryOrigin.PAGE]
    pooled = page_queries_get(since=since)
    assert pooled.count == sum(v[0] for v in pages)
    assert list(pooled.buckets) == [sum(col) for col in zip(*(v[3] for v in pages), strict=True)]
    assert pooled.max_seconds == max(v[2] for v in pages)
    assert pooled.p95_seconds is not None
    nothing = page_queries_get(since=now + datetime.timedelta(minutes=1))
    assert (nothing.count, nothing.p95_seconds, sum(nothing.buckets)) == (0, None, 0)
