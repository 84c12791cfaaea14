import random

import pytest
from django.db import connections

from dedup.dashboard_selectors import duplicate_pair_details_fill, duplicate_pairs_with_quality_gap
from tests.conftest import LIBRARY_DBS
from tests.factories import file_quality_make, library_file_make

# Appendix B query 4 as the report writes it, limited to files still in the library.
REPORT_QUERY_4 = """
SELECT li1.artist, li1.title, li1.file_path as path1, fq1.quality_score as score1,
       li2.file_path as path2, fq2.quality_score as score2,
       ABS(fq1.quality_score - fq2.quality_score) as score_diff, li1.id, li2.id
FROM library_index li1
JOIN library_index li2 ON li1.metadata_hash = li2.metadata_hash
JOIN file_quality fq1 ON li1.id = fq1.library_file_id
JOIN file_quality fq2 ON li2.id = fq2.library_file_id
WHERE li1.id < li2.id AND li1.is_active = 1 AND li2.is_active = 1
  AND ABS(fq1.quality_score - fq2.quality_score) > %s
ORDER BY score_diff DESC
"""


def random_library(seed: int) -> None:
    """Groups of one to five files sharing a hash; some inactive, some never analysed."""
    rng = random.Random(seed)
    for group in range(60):
        for copy in range(rng.randint(1, 5)):
            file = library_file_make(
                artist=f"Artist {group}",
                title=f"Song {group}",
                filename=f"{group:03d} Song {group} ({copy}).mp3",
                metadata_hash=f"{group:032x}",
                is_active=rng.random() > 0.15,
            )
            if rng.random() > 0.1:
                file_quality_make(file, quality_score=round(rng.uniform(0, 100), 1))


@pytest.mark.django_db(databases=LIBRARY_DBS)
@pytest.mark.parametrize("min_diff", [20.0, 0.0, 55.5])
def test_pairs_are_the_reports_query_4(min_diff):
    random_library(seed=int(min_diff))
    with connections["library"].cursor() as cursor:
        cursor.execute(REPORT_QUERY_4, [min_diff])
        expected = cursor.fetchall()
    pairs = duplicate_pairs_with_quality_gap(min_diff=min_diff)
    duplicate_pair_details_fill(pairs=pairs)
    assert len(expected) > 10
    rows = [
        (p.artist, p.title, p.path1, p.score1, p.path2, p.score2, p.score_diff, p.id1, p.id2)
        for p in pairs
    ]
    assert sorted(rows) == sorted(expected)
    assert [row[6] for row in rows] == [row[6] for row in expected]  # the report's order


@pytest.mark.django_db(databases=LIBRARY_DBS)
@pytest.mark.parametrize("order_by", ["artist", "-title"])
def test_pairs_sorted_by_name_have_every_name(order_by):
    random_library(seed=7)
    pairs = duplicate_pairs_with_quality_gap(order_by=order_by)
    names = [getattr(pair, order_by.lstrip("-")) for pair in pairs]
    assert len(names) > 10 and all(names)
    assert names == sorted(names, reverse=order_by.startswith("-"))
    assert all(pair.path1 is None for pair in pairs)  # paths only for the page shown
