"""The whole cycle on real files: an MP3 becomes a candidate, is replaced by a FLAC of the same
track, and after a rescan, a re-analysis and a re-identify its candidate is completed."""

import subprocess

import pytest
from mutagen.flac import FLAC
from mutagen.id3 import ID3, TALB, TIT2, TPE1, TSRC

from quality.services.analysis import file_quality_refresh
from quality.services.encoding import EncodeSpec, audio_encode
from quality.services.scanning import library_file_index, library_scan
from tests.conftest import LIBRARY_DBS
from tests.legacy import music_tools_add_track
from upgrades.models import UpgradeCandidate, UserAction
from upgrades.services import upgrade_candidates_identify

pytestmark = pytest.mark.django_db(databases=LIBRARY_DBS)

ISRC = "GBAYE0601498"
MP3_128 = EncodeSpec("mp3-cbr-128", "mp3", "libmp3lame", bit_rate=128_000)
FLAC_16 = EncodeSpec("flac-16-44", "flac", "flac", sample_fmt="s16")


def ffprobe_codec(path) -> str:
    return subprocess.run(
        ["ffprobe", "-v", "error", "-select_streams", "a:0", "-show_entries",
         "stream=codec_name", "-of", "csv=p=0", str(path)],
        capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip


def test_replacing_an_mp3_by_a_flac_completes_its_candidate(tmp_path, music_tools):
    streaming, conn = music_tools
    # the service spells the title differently: only the ISRC can match it
    music_tools_add_track(
        conn, name="Song (2020 Remaster)", artist="The Band", service="qobuz", isrc=ISRC
    )
    conn.commit()
    music = tmp_path / "music"
    music.mkdir()
    mp3 = audio_encode(path=music / "Song.mp3", spec=MP3_128, seconds=2.0, seed=1)
    id3 = ID3()
    for frame in (TPE1(text="Band"), TIT2(text="Song"), TALB(text="Album"), TSRC(text=ISRC)):
        id3.add(frame)
    id3.save(mp3)
    assert ffprobe_codec(mp3) == "mp3"

    mp3_row = library_file_index(path=mp3)
    analysed = file_quality_refresh(library_file=mp3_row)
    assert analysed is not None and not analysed.is_lossless
    first = upgrade_candidates_identify(streaming_db=streaming, workers=1)

    candidate = UpgradeCandidate.objects.get()
    assert (first.new, first.tags_read, first.matched_by_isrc) == (1, 1, 1)
    assert candidate.library_file_id == mp3_row.id
    assert (candidate.isrc, candidate.available_on_service) == (ISRC, "qobuz")
    assert (candidate.artist, candidate.title) == ("Band", "Song")
    assert candidate.current_bitrate == 128
    assert candidate.user_action == UserAction.PENDING

    flac = audio_encode(path=music / "Song.flac", spec=FLAC_16, seconds=2.0, seed=1)
    vorbis = FLAC(flac)
    vorbis.update(
        {"artist": "Band", "title": "Song", "album": "Album", "date": "2020", "isrc": ISRC}
    )
    vorbis.save()
    assert ffprobe_codec(flac) == "flac"
    mp3.unlink()

    library_scan(roots=[music], workers=1)
    flac_row = library_file_index(path=flac)
    assert file_quality_refresh(library_file=flac_row).is_lossless
    second = upgrade_candidates_identify(streaming_db=streaming, workers=1)

    completed = UpgradeCandidate.objects.get()
    assert (second.completed, second.candidates) == (1, 0)
    assert completed.user_action == UserAction.COMPLETED
    assert completed.action_at is not None
    assert f"replaced by {flac_row.file_path}, lossless (FLAC" in completed.notes

    third = upgrade_candidates_identify(streaming_db=streaming, workers=1)
    assert third.completed == 0  # already completed: nothing left to do


def test_tags_are_read_in_worker_processes_and_only_once(tmp_path, music_tools, monkeypatch):
    from upgrades import services

    streaming, conn = music_tools
    master = audio_encode(path=tmp_path / "master.mp3", spec=MP3_128, seconds=1.0, seed=2)
    for n in range(4):
        music_tools_add_track(
            conn, name=f"Other title {n}", artist="X", service="tidal", isrc=f"USRC1760{n:04d}"
        )
        path = tmp_path / f"{n}.mp3"
        path.write_bytes(master.read_bytes())
        id3 = ID3()
        id3.add(TPE1(text="Band"))
        id3.add(TIT2(text=f"Song {n}"))
        id3.add(TSRC(text=f"USRC1760{n:04d}"))
        id3.save(path)
        file_quality_refresh(library_file=library_file_index(path=path))
    conn.commit()
    monkeypatch.setattr(services, "PARALLEL_FROM", 1)  # a pool even for four files

    first = upgrade_candidates_identify(streaming_db=streaming, workers=2)
    again = upgrade_candidates_identify(streaming_db=streaming, workers=2)

    assert (first.new, first.tags_read, first.matched_by_isrc) == (4, 4, 4)
    assert set(UpgradeCandidate.objects.values_list("available_on_service", flat=True)) == {"tidal"}
    assert (again.refreshed, again.tags_read, again.matched_by_isrc) == (4, 0, 4)


def test_a_bad_streaming_db_stops_the_tag_readers_and_writes_nothing(tmp_path, monkeypatch):
    """The workers start before the streaming DB is opened; its error must still leave no
    candidate and no process behind."""
    import multiprocessing

    from upgrades import services
    from upgrades.streaming import StreamingDatabaseError

    for n in range(4):
        path = audio_encode(path=tmp_path / f"{n}.mp3", spec=MP3_128, seconds=0.5, seed=n)
        file_quality_refresh(library_file=library_file_index(path=path))
    monkeypatch.setattr(services, "PARALLEL_FROM", 1)

    with pytest.raises(StreamingDatabaseError, match="does not exist"):
        upgrade_candidates_identify(streaming_db=tmp_path / "missing.db", workers=2)

    assert not UpgradeCandidate.objects.exists()
    assert multiprocessing.active_children() == []
