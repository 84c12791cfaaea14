"""Real audio folders for the job tests (PyAV encodes them; tags as the demo writes them)."""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

from quality.services.demo import DemoTrack, tags_write
from quality.services.encoding import EncodeSpec, audio_encode

TRACK = DemoTrack("Job Artist", "Job Song", "Job Album", 2001, None)
MP3 = EncodeSpec("m", "mp3", "libmp3lame", bit_rate=128_000)
FLAC = EncodeSpec("f", "flac", "flac", sample_fmt="s16")


def music_make(folder: Path) -> dict[str, Path]:
    """Three files: a FLAC and its exact copy elsewhere, and an MP3 of another song."""
    (folder / "Album").mkdir(parents=True, exist_ok=True)
    flac = audio_encode(path=folder / "Album" / "song.flac", spec=FLAC, seed=1)
    tags_write(path=flac, track=TRACK)
    copy = folder / "Copies" / "song.flac"
    copy.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(flac, copy)
    mp3 = audio_encode(path=folder / "Album" / "other.mp3", spec=MP3, seed=2)
    tags_write(path=mp3, track=replace(TRACK, title="Other Song"))
    return {"flac": flac, "copy": copy, "mp3": mp3}
