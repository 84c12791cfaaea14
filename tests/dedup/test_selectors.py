"""One definition of a duplicate group, whatever asks: the whole library, its likely members
only, or one file's neighbourhood must give the same groups."""

from __future__ import annotations

import random

import pytest

from dedup.rules import DuplicateGroup, duplicate_groups_build
from dedup.selectors import (
    duplicate_candidates_list,
    duplicate_groups_of_file,
    duplicate_groups_suggested,
)
from quality.hashing import HASH_FAILED
from quality.models import LibraryFile
from tests.conftest import LIBRARY_DBS
from tests.factories import file_quality_make, library_file_make


def messy_library(seed: int) -> None:
    """Tracks held once or several times: exact copies (same sampled hash), re-encodes (same
    tags, close durations), untagged files, marker hashes, inactive rows, unanalysed rows."""
    rng = random.Random(seed)
    for track in range(70):
        tagged = rng.random() > 0.15
        content = f"{5_000_000 + track}_{track:064x}"
        for copy in range(rng.choice([1, 1, 2, 3, 4])):
            exact = copy and rng.random() < 0.5
            file = library_file_make(
                artist=f"Artist {track % 9}" if tagged else None,
                title=f"Song {track % 23}" if tagged else None,
                filename=f"{track:03d}-{copy}.mp3",
                duration=200.0 + (0 if exact else rng.choice([0, 0.5, 1.5, 3, 30])),
                file_content_hash=(
                    HASH_FAILED if rng.random() < 0.05 else content if exact or not copy else
                    f"{6_000_000 + track * 10 + copy}_{track * 10 + copy:064x}"
                ),
                is_active=rng.random() > 0.1,
            )  # fmt: skip
            if rng.random() > 0.1:
                file_quality_make(file, quality_score=round(rng.uniform(20, 100), 1))


def signature(group: DuplicateGroup) -> tuple:
    return (
        str(group.matched_by),
        group.keeper.id,
        tuple(sorted((r.candidate.id, str(r.reason), r.confidence) for r in group.removals)),
    )


@pytest.mark.django_db(databases=LIBRARY_DBS)
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_members_only_gives_the_groups_of_the_whole_library(seed):
    messy_library(seed)
    everything = duplicate_groups_build(
        duplicate_candidates_list(members_only=False), same_content=None
    )
    members = duplicate_candidates_list(members_only=True)
    assert len(members) < LibraryFile.objects.filter(is_active=True).count()
    assert everything.groups, "the library has duplicates"
    assert sorted(map(signature, everything.groups)) == sorted(
        map(signature, duplicate_groups_build(members, same_content=None).groups)
    )
    assert sorted(map(signature, duplicate_groups_suggested().groups)) == sorted(
        map(signature, everything.groups)
    )


@pytest.mark.django_db(databases=LIBRARY_DBS)
@pytest.mark.parametrize("seed", [4, 5])
def test_a_files_groups_are_its_groups_in_the_whole_library(seed):
    messy_library(seed)
    everything = duplicate_groups_build(
        duplicate_candidates_list(members_only=False), same_content=None
    )
    for file_id in LibraryFile.objects.values_list("id", flat=True):
        expected = [
            signature(g)
            for g in everything.groups
            if file_id in {g.keeper.id, *(r.candidate.id for r in g.removals)}
        ]
        found = [signature(g) for g in duplicate_groups_of_file(file_id=file_id)]
        assert sorted(found) == sorted(expected), file_id


@pytest.mark.django_db(databases=LIBRARY_DBS)
def test_untagged_files_with_the_same_name_are_not_a_group():
    """The report's query 4 pairs them (same ``NO_METADATA:`` hash); the groups never do."""
    first = library_file_make(artist=None, title=None, filename="track01.mp3")
    second = library_file_make(artist=None, title=None, filename="track01.flac")
    assert first.metadata_hash == second.metadata_hash
    for file in (first, second):
        file_quality_make(file)
    assert duplicate_groups_suggested().groups == ()
    assert duplicate_groups_of_file(file_id=first.id) == []
