"""verify_audio over a real library: verdicts, the effective score, its history, the keeper,
upgrade candidates, and which files a re-run verifies again.

The files are made here from music-like signals; what each one is comes from how it was made
(a FLAC decoded from a 128 kbps MP3 is a fake whose source scores as a 128 kbps MP3: 32.7).
"""

from __future__ import annotations

import os
import time
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from dedup.selectors import duplicate_groups_suggested
from quality.models import AudioVerification, FileQuality, LibraryFile, QualityHistory
from quality.selectors import verification_backlog_count
from quality.services import audio_make as E
from quality.services.music_signal import music_like
from quality.versions import VERIFIER_VERSION
from tests.conftest import LIBRARY_DBS
from tests.factories import tags_write
from upgrades.models import UpgradeCandidate

pytestmark = [
    pytest.mark.django_db(databases=LIBRARY_DBS, transaction=True),
    pytest.mark.usefixtures("clean_library"),
]

SR = 44100
SECONDS = 12.0


@pytest.fixture(scope="module")
def made(tmp_path_factory) -> dict[str, Path]:
    """One recording as a genuine 320 kbps MP3 and as a FLAC made from a 128 kbps MP3 (same
    tags: a duplicate group), a genuine FLAC, a 44.1 kHz one upsampled to 96 kHz/24 bit, and a
    truncated FLAC."""
    folder = tmp_path_factory.mktemp("verify") / "music"
    folder.mkdir()
    song = music_like(seconds=SECONDS, seed=41)
    other = music_like(seconds=SECONDS, seed=42, tilt_db_per_octave=6.0)
    files = {}
    files["mp3_320"] = tags_write(
        E.encode(folder / "song.mp3", song, SR, "libmp3lame", bit_rate=320_000),
        artist="Band",
        title="Song",
    )
    source = E.encode(folder.parent / "source128.mp3", song, SR, "libmp3lame", bit_rate=128_000)
    decoded, rate = E.decode(source)
    fake = E.write_int_flac(folder / "song.flac", E.to_int(decoded, 16), rate, 16)
    files["fake_flac"] = tags_write(fake, artist="Band", title="Song")
    genuine = E.write_int_flac(folder / "other.flac", E.to_int(other, 16), SR, 16)
    files["genuine_flac"] = tags_write(genuine, artist="Band", title="Other")
    up = E.write_int_flac(
        folder / "upsampled.flac", E.to_int(E.resample(other, SR, 96_000), 24), 96_000, 24
    )
    files["upsampled"] = tags_write(up, artist="Band", title="Upsampled")
    data = genuine.read_bytes()
    cut = folder / "cut.flac"
    cut.write_bytes(data[: len(data) // 2])
    files["truncated"] = cut
    return files


def run(command: str, **options) -> str:
    out = StringIO()
    call_command(command, workers=1, stdout=out, **options)
    return out.getvalue()


def library_with(made: dict[str, Path]) -> dict[str, LibraryFile]:
    folder = made["mp3_320"].parent
    past = time.time() - 60  # undo a test's future mtime: every file up to date once verified
    for path in made.values():
        os.utime(path, (past, past))
    call_command("scan_library", str(folder), workers=1, stdout=StringIO())
    run("analyze_quality")
    return {name: LibraryFile.objects.get(file_path=str(path)) for name, path in made.items()}


def score(file: LibraryFile) -> float | None:
    row = FileQuality.objects.filter(library_file=file).first()
    return row.quality_score if row else None


def test_verdicts_and_effective_scores(made):
    files = library_with(made)
    assert score(files["fake_flac"]) == 85.0  # the container says CD-quality lossless
    assert score(files["upsampled"]) == 100.0  # 24/96 claimed: every hi-res term

    output = run("verify_audio")

    verdicts = dict(AudioVerification.objects.values_list("library_file__file_path", "verdict"))
    assert verdicts[str(made["fake_flac"])] == "lossy_source"
    assert verdicts[str(made["genuine_flac"])] == "ok"
    assert verdicts[str(made["upsampled"])] == "upsampled"
    assert verdicts[str(made["mp3_320"])] in ("ok", "inconclusive")
    fake = AudioVerification.objects.get(library_file=files["fake_flac"])
    assert fake.estimated_source == "MP3 ≈128 kbps"
    assert (fake.estimated_source_codec, fake.estimated_source_kbps) == ("MP3", 128)
    assert score(files["fake_flac"]) == 32.7  # scores as its 128 kbps MP3 source
    assert FileQuality.objects.get(library_file=files["fake_flac"]).is_lossless  # codec truth
    assert score(files["upsampled"]) == 85.0  # the CD-quality copy it was made from
    assert not FileQuality.objects.get(library_file=files["upsampled"]).is_hires
    assert score(files["genuine_flac"]) == 85.0
    assert "lossy_source 1" in output and "upsampled 1" in output
    # every change of score is in the history, oldest first
    history = list(
        QualityHistory.objects.filter(library_file=files["fake_flac"])
        .order_by("id")
        .values_list("quality_score", flat=True)
    )
    assert history == [85.0, 32.7]


def test_a_truncated_file_is_damaged_and_never_scores(made):
    files = library_with(made)
    run("verify_audio")
    truncated = AudioVerification.objects.get(library_file=files["truncated"])
    assert truncated.verdict == "damaged"
    assert "truncated" in truncated.integrity
    # 0 when its header let it be analysed; no score at all when analysis refused it
    assert score(files["truncated"]) in (0.0, None)


def test_keeper_is_the_genuine_mp3_and_the_fake_a_candidate_only_when_alone(made):
    files = library_with(made)
    run("verify_audio")
    groups = [
        g
        for g in duplicate_groups_suggested().groups
        if files["fake_flac"].id in {g.keeper.id, *(r.candidate.id for r in g.removals)}
    ]
    assert len(groups) == 1
    assert groups[0].keeper.id == files["mp3_320"].id
    assert [r.candidate.id for r in groups[0].removals] == [files["fake_flac"].id]

    run("identify_upgrades")
    candidates = set(UpgradeCandidate.objects.values_list("library_file_id", flat=True))
    # the recording is already held at 84 (the genuine MP3): the fake is a duplicate only
    assert files["fake_flac"].id not in candidates
    assert files["genuine_flac"].id not in candidates
    assert files["mp3_320"].id not in candidates  # 84 ≥ 70

    LibraryFile.objects.filter(id=files["mp3_320"].id).update(is_active=False)  # deleted
    run("identify_upgrades")
    candidates = set(UpgradeCandidate.objects.values_list("library_file_id", flat=True))
    assert files["fake_flac"].id in candidates  # a fake lossless is worth upgrading


def test_rerun_verifies_only_what_changed_force_does_all(made):
    library_with(made)
    run("verify_audio")
    assert verification_backlog_count() == 0
    assert "Verified 0, skipped 5" in run("verify_audio")
    fake = made["fake_flac"]
    stat = fake.stat()
    os.utime(fake, (stat.st_atime, time.time() + 10))  # changed after its verification
    call_command("scan_library", str(fake.parent), workers=1, stdout=StringIO())
    assert verification_backlog_count() == 1
    assert "Verified 1 (lossy_source 1), skipped 4" in run("verify_audio")
    assert "Verified 5" in run("verify_audio", force=True)
    assert "Verified 2" in run("verify_audio", force=True, limit=2)


def test_path_takes_a_prefix_and_limit_leaves_the_rest_for_the_next_run(made):
    library_with(made)
    song = str(made["mp3_320"].parent / "song")  # song.mp3 and song.flac, nothing else
    by_prefix = run("verify_audio", path_prefix=song)
    assert "Verified 2 (" in by_prefix and "skipped 0 (up to date);" in by_prefix
    assert set(AudioVerification.objects.values_list("library_file__file_path", flat=True)) == {
        str(made["mp3_320"]),
        str(made["fake_flac"]),
    }
    limited = run("verify_audio", limit=2)
    assert "Verified 2 (" in limited
    assert "skipped 2 (up to date), 1 left for the next run (--limit);" in limited
    assert verification_backlog_count() == 1
    rest = run("verify_audio")
    assert "Verified 1 (" in rest and "skipped 4 (up to date);" in rest
    assert verification_backlog_count() == 0


def test_a_new_verifier_version_verifies_again(made):
    files = library_with(made)
    run("verify_audio")
    AudioVerification.objects.filter(library_file_id=files["fake_flac"].id).update(
        verifier_version="0.0-older"
    )
    assert verification_backlog_count() == 1
    assert "Verified 1 (lossy_source 1), skipped 4" in run("verify_audio")
    assert set(AudioVerification.objects.values_list("verifier_version", flat=True)) == {
        VERIFIER_VERSION
    }


def test_bad_options_are_refused(made):
    library_with(made)
    with pytest.raises(CommandError, match="--workers must be at least 1"):
        call_command("verify_audio", workers=0, stdout=StringIO())
    with pytest.raises(CommandError, match="--limit must be 0 or more"):
        call_command("verify_audio", limit=-1, stdout=StringIO())
    assert not AudioVerification.objects.exists()
