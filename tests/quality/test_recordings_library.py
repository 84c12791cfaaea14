"""Recordings over a real library: files made here from distinct seeded melodies, encoded and
tagged in known ways, then scanned, analysed and verified by the commands a user runs.

What each file is comes from how it was made (which melody, which encoder, which tags), never
from our own output; the FLAC STREAMINFO MD5 is read back with mutagen.
"""

from __future__ import annotations

import json
import shutil
from io import StringIO
from pathlib import Path

import mutagen
import numpy as np
import pytest
from django.core.management import call_command

from dedup.services.decisions import duplicate_decision_create
from quality.models import AudioMatch, AudioVerification, FileQuality, LibraryFile
from quality.services import audio_make as E
from quality.services.music_signal import music_like
from tests.conftest import LIBRARY_DBS
from tests.factories import tags_write
from upgrades.models import UpgradeCandidate, UserAction

pytestmark = [
    pytest.mark.django_db(databases=LIBRARY_DBS, transaction=True),
    pytest.mark.usefixtures("clean_library"),
]

SR = 44100
SECONDS = 15.0
#: Seed pairs whose melodies share key and tempo: the same structure, different recordings
#: (the hardest case for a fingerprint; found by the Chromaprint study, docs/recordings.md).
SAME_STRUCTURE = ((154, 1188), (969, 569))


def flac(path: Path, pcm: np.ndarray, *, level: int = 5) -> Path:
    return E.encode(
        path, pcm, SR, "flac", sample_fmt="s16", codec_options={"compression_level": str(level)}
    )


@pytest.fixture(scope="module")
def made(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("recordings") / "music"
    folder.mkdir()
    first = music_like(seconds=SECONDS, seed=SAME_STRUCTURE[0][0])
    lead_in = np.zeros((2, 2 * SR), np.float32)
    files = {
        # one recording, three encoders, different or no tags; an offset and a padded copy
        "first.flac": tags_write(flac(folder / "first.flac", first), artist="Band", title="First"),
        "first.mp3": tags_write(
            E.encode(folder / "first.mp3", first, SR, "libmp3lame", vbr_quality=2),
            artist="Band",
            title="First (2011 remaster)",
        ),
        "first.m4a": E.encode(folder / "untitled.m4a", first, SR, "aac", bit_rate=128_000),
        "first_cut.flac": flac(folder / "first_cut.flac", first[:, int(1.3 * SR) :]),
        "first_padded.flac": flac(
            folder / "first_padded.flac", np.concatenate([lead_in, first], axis=1)
        ),
    }
    # two different recordings of the same structure, with identical tags and duration
    for name, seed in (("intro_a", SAME_STRUCTURE[1][0]), ("intro_b", SAME_STRUCTURE[1][1])):
        pcm = music_like(seconds=SECONDS, seed=seed)
        files[name] = tags_write(flac(folder / f"{name}.flac", pcm), artist="Band", title="Intro")
    # identical audio at two compression levels (different bytes)
    same = music_like(seconds=SECONDS, seed=SAME_STRUCTURE[0][1])
    files["level0"] = tags_write(flac(folder / "level0.flac", same, level=0), title="Level zero")
    files["level12"] = tags_write(
        flac(folder / "level12.flac", same, level=12), title="Level twelve"
    )
    # a recording held only as two lossy copies, tagged differently
    lossy = music_like(seconds=SECONDS, seed=7)
    files["lossy_128"] = tags_write(
        E.encode(folder / "lossy_128.mp3", lossy, SR, "libmp3lame", bit_rate=128_000),
        artist="Singer",
        title="Only lossy",
    )
    files["lossy_192"] = tags_write(
        E.encode(folder / "lossy_192.mp3", lossy, SR, "libmp3lame", bit_rate=192_000),
        artist="Singer",
        title="Only Lossy (album version)",
    )
    return files


def run(command: str, *args: str, **options) -> str:
    out = StringIO()
    call_command(command, *args, stdout=out, **options)
    return out.getvalue()


def library_of(made: dict[str, Path]) -> dict[str, int]:
    """Scan, analyse and verify the folder; the library id of each made file."""
    run("scan_library", str(next(iter(made.values())).parent), workers=1)
    run("analyze_quality", workers=1)
    run("verify_audio", workers=1)
    ids = dict(LibraryFile.objects.values_list("file_path", "id"))
    return {name: ids[str(path)] for name, path in made.items()}


def groups_by_name(ids: dict[str, int]) -> list[dict]:
    """``find_duplicates --json``'s groups, with the made files' names."""
    names = {value: key for key, value in ids.items()}
    report = json.loads(run("find_duplicates", "--json", "-"))
    groups = []
    for group in report["groups"]:
        members = [group["keeper"], *group["others"]]
        groups.append(
            {
                "members": {names[member["library_id"]] for member in members},
                "matched_by": group["matched_by"],
                "others": {names[other["library_id"]]: other for other in group["others"]},
                "keeper": names[group["keeper"]["library_id"]],
            }
        )
    return groups


def test_one_recording_in_three_encoders_with_offset_and_padding_is_one_group(made):
    ids = library_of(made)
    groups = groups_by_name(ids)
    first = [g for g in groups if "first.flac" in g["members"]]
    assert len(first) == 1
    assert first[0]["members"] == {
        "first.flac",
        "first.mp3",
        "first.m4a",
        "first_cut.flac",
        "first_padded.flac",
    }
    # the keeper by effective quality: a genuine lossless copy, never the MP3 or the AAC
    assert first[0]["keeper"].endswith(".flac")
    for name in ("first.mp3", "first.m4a"):
        other = first[0]["others"][name]
        assert other["matched_by"] == "acoustic_fingerprint"
        assert 0.5 <= other["confidence"] < 0.9  # never acted on by a default dedupe
        assert other["reason"] == "lower_quality"
    # the fingerprints went to the report's Phase 2 column; acoustid_id stays for the service
    stored = FileQuality.objects.filter(library_file_id__in=ids.values())
    assert stored.filter(acoustid_fingerprint__isnull=True).count() == 0
    assert stored.exclude(acoustid_id__isnull=True).count() == 0


def test_different_recordings_with_identical_tags_and_duration_never_group(made):
    ids = library_of(made)
    assert LibraryFile.objects.get(id=ids["intro_a"]).metadata_hash == (
        LibraryFile.objects.get(id=ids["intro_b"]).metadata_hash
    )
    groups = groups_by_name(ids)
    assert not [g for g in groups if {"intro_a", "intro_b"} & g["members"]]
    pair = sorted((ids["intro_a"], ids["intro_b"]))
    assert not AudioMatch.objects.filter(
        file_a=pair[0], file_b=pair[1], same_recording=True
    ).exists()


def test_identical_audio_at_two_compression_levels_is_an_audio_hash_match(made):
    assert made["level0"].stat().st_size != made["level12"].stat().st_size
    ids = library_of(made)
    [group] = [g for g in groups_by_name(ids) if "level0" in g["members"]]
    assert group["members"] == {"level0", "level12"}
    assert group["matched_by"] == "audio_hash"
    [other] = group["others"].values()
    assert (other["matched_by"], other["confidence"], other["reason"]) == (
        "audio_hash",
        1.0,
        "exact_duplicate",
    )


def test_the_pcm_hash_equals_the_flac_streaminfo_md5(made):
    ids = library_of(made)
    for name in ("first.flac", "level0", "level12", "intro_a"):
        md5 = f"{mutagen.File(made[name]).info.md5_signature:032x}"
        assert md5 != "0" * 32
        assert AudioVerification.objects.get(library_file_id=ids[name]).pcm_hash == md5


def test_upgrades_are_proposed_once_per_recording_and_never_for_a_held_lossless(made):
    ids = library_of(made)
    run("identify_upgrades")
    proposed = set(UpgradeCandidate.objects.values_list("library_file_id", flat=True))
    # held as FLAC: neither the MP3 nor the AAC copy is a candidate
    assert ids["first.mp3"] not in proposed and ids["first.m4a"] not in proposed
    # held only as two MP3 copies: exactly one candidate, the better one
    lossy = proposed & {ids["lossy_128"], ids["lossy_192"]}
    assert lossy == {ids["lossy_192"]}


def candidate_make(library_file_id: int, *, user_action: str, notes: str | None = None):
    """A candidate as an earlier identify run (before the recordings were known) left it."""
    row = LibraryFile.objects.get(id=library_file_id)
    return UpgradeCandidate.objects.create(
        library_file=row,
        file_path=row.file_path,
        current_format="mp3",
        current_quality_score=30.0,
        artist=row.artist or "",
        title=row.title or "",
        recommended_format="flac",
        potential_quality_gain=55.0,
        priority_score=50.0,
        user_action=user_action,
        notes=notes,
        identified_at="2026-11-01T00:00:00+00:00",
        last_updated="2026-11-01T00:00:00+00:00",
    )


def test_pending_candidates_of_lesser_copies_are_completed_and_decisions_stay(made):
    ids = library_of(made)
    pending = candidate_make(ids["lossy_128"], user_action=UserAction.PENDING, notes="mine")
    approved = candidate_make(ids["first.mp3"], user_action=UserAction.APPROVED)
    rejected = candidate_make(ids["first.m4a"], user_action=UserAction.REJECTED)

    run("identify_upgrades")

    pending.refresh_from_db()
    assert pending.user_action == UserAction.COMPLETED
    first_line, second_line = pending.notes.splitlines()
    assert first_line == "mine"  # the user's notes are kept
    assert second_line.startswith(f"[{pending.last_updated.date()}] completed automatically: ")
    assert str(made["lossy_192"]) in second_line  # names the better copy
    for decided, action in ((approved, UserAction.APPROVED), (rejected, UserAction.REJECTED)):
        decided.refresh_from_db()
        assert (decided.user_action, decided.notes) == (action, None)


def test_a_re_run_proposes_the_same_single_candidate(made):
    library_of(made)
    run("identify_upgrades")
    first = set(UpgradeCandidate.objects.values_list("library_file_id", "user_action"))
    run("identify_upgrades")
    assert set(UpgradeCandidate.objects.values_list("library_file_id", "user_action")) == first


def test_keep_both_an_intentional_flac_and_aac_survives_find_and_dedupe(made, tmp_path, settings):
    # dedupe moves files: a copy of the made library, under its own library root
    root = tmp_path / "music"
    shutil.copytree(next(iter(made.values())).parent, root)
    settings.LIBRARY_ROOTS = [root]
    settings.QUARANTINE_DIR = tmp_path / "quarantine"
    copies = {name: root / path.name for name, path in made.items()}
    ids = library_of(copies)
    duplicate_decision_create(file_ids=[ids["first.flac"], ids["first.m4a"]])

    run("dedupe", "--apply", "--yes", "--min-confidence", "0.5")
    assert copies["first.m4a"].is_file()  # kept by the decision
    assert not copies["first.mp3"].exists()  # the MP3 copy of the same recording went
    assert list((tmp_path / "quarantine").rglob("first.mp3"))  # into the quarantine

    report = json.loads(run("find_duplicates", "--json", "-"))
    assert report["totals"]["files"] == 0  # nothing left to remove after the re-run
    # both files of the decision are still held by it (the keeper may be another FLAC copy)
    assert report["totals"]["kept_by_decision"] in (1, 2)
    assert copies["first.flac"].is_file() and copies["first.m4a"].is_file()
