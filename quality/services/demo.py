"""A demo library that looks like a real collection, and a matching legacy ``music_tools.db``.

Every catalogue recording has its own audio: a seeded music-like signal
(:func:`quality.services.music_signal.music_like_fast`: a melody of harmonic notes over a
broadband bed reaching 22 kHz), 20-25 s long, a few of them full-length (2.5-4 min). Each
library file is one of:

- a recording in its album (``music/Albums/<artist>/<year> - <album>/``), in its main format
  (MP3 CBR 96-320, VBR V0/V2, ABR 192; AAC 128/256; ALAC; FLAC 16/44.1, genuine 24/96 and 5.1;
  Opus; Vorbis; WAV; AIFF);
- the same recording again: in another format (``<album> [<format>]/``), an exact copy
  (``music/Copies/``, a dump folder), a re-tagged copy (on a compilation in
  ``music/Compilations/`` or in an edition of its album, "<album> (Deluxe Edition)"; maybe
  the artist's name in other case, maybe " (Remastered)" after the title), another rip with
  leading silence or a cut start (``music/Rips/``). These hold their recording's audio;
  different recordings never share audio, not even the decoys: pairs of different recordings
  with the same artist, title and duration;
- a planted case, labelled with the verdict ``verify_audio`` is to give: FLACs decoded from
  128k/192k MP3, AAC 128 and Vorbis q3 files, 44.1 kHz audio upsampled to 96 kHz/24-bit,
  16-bit audio padded to 24 bits, truncated files, a FLAC whose STREAMINFO MD5 was changed,
  random bytes and an empty file with audio extensions, and files whose names are not UTF-8
  (``music/Odd names/``, kept apart so that a scanner that cannot take them can skip them).

``DIR/manifest.json`` says what every file is (path relative to DIR, kind, recording, format,
which decoded audio it holds, the source of a fake, the label), for tests and benchmarks.

Speed: the recordings are a pool encoded once, in worker processes (one task per recording
makes its signal once and writes every encoded file of it); the copies are then made by
copying files and rewriting tags (mutagen). Encoding is nearly all of the time, so the number
of recordings (``recordings``, by default :func:`recordings_default`) sets the build time:
bench/RESULTS.md, "Demo library".

Everything under ``music/`` and the manifest are byte-identical for a given seed;
``music_tools.db`` timestamps are relative to the day it was made (so "added in the last 30
days" means something in the demo).
"""

from __future__ import annotations

import datetime
import itertools
import json
import logging
import os
import random
import shutil
import sqlite3
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import mutagen
import numpy as np
from mutagen.id3 import TALB, TDRC, TIT2, TPE1, TSRC
from mutagen.mp4 import MP4, MP4FreeForm

from musicquality.parallel import chunks_map, default_workers
from musicquality.schema import LEGACY_MUSIC_TOOLS_DDL
from quality.services.audio_make import decode, resample
from quality.services.encoding import EncodeSpec, samples_encode
from quality.services.music_signal import music_like_fast, noise_bed_bank

logger = logging.getLogger(__name__)

# LAME -q 7 takes half the CPU time of FFmpeg's default (LAME's -q 3); the lowpass, which is
# what verify_audio measures, follows from the bitrate and is the same.
LAME_FAST = {"compression_level": "7"}
# FFmpeg's "fast" AAC coder takes 40 % of the default's ("twoloop") time. Its lowpass sits
# about 700 Hz lower, so the fake made from AAC uses twoloop, the one verify_audio's table
# of encoder cutoffs was measured on.
AAC_FAST = {"aac_coder": "fast"}

# (spec, weight): how often each format is a recording's main format.
DEMO_SPECS: tuple[tuple[EncodeSpec, int], ...] = (
    (EncodeSpec("mp3-cbr-96", "mp3", "libmp3lame", bit_rate=96_000, options=LAME_FAST), 2),
    (EncodeSpec("mp3-cbr-128", "mp3", "libmp3lame", bit_rate=128_000, options=LAME_FAST), 7),
    (EncodeSpec("mp3-cbr-192", "mp3", "libmp3lame", bit_rate=192_000, options=LAME_FAST), 6),
    (EncodeSpec("mp3-cbr-256", "mp3", "libmp3lame", bit_rate=256_000, options=LAME_FAST), 3),
    (EncodeSpec("mp3-cbr-320", "mp3", "libmp3lame", bit_rate=320_000, options=LAME_FAST), 6),
    (EncodeSpec("mp3-vbr-v0", "mp3", "libmp3lame", vbr_quality=0, options=LAME_FAST), 5),
    (EncodeSpec("mp3-vbr-v2", "mp3", "libmp3lame", vbr_quality=2, options=LAME_FAST), 4),
    (
        EncodeSpec(
            "mp3-abr-192", "mp3", "libmp3lame", bit_rate=192_000, abr=True, options=LAME_FAST
        ),
        3,
    ),
    (EncodeSpec("aac-128", "m4a", "aac", bit_rate=128_000, options=AAC_FAST), 7),
    (EncodeSpec("aac-256", "m4a", "aac", bit_rate=256_000, options=AAC_FAST), 10),
    (EncodeSpec("alac-16-44", "m4a", "alac", sample_fmt="s16p"), 2),
    (EncodeSpec("flac-16-44", "flac", "flac", sample_fmt="s16"), 10),
    (EncodeSpec("flac-24-96", "flac", "flac", sample_rate=96_000, sample_fmt="s32"), 2),
    (EncodeSpec("flac-5.1", "flac", "flac", layout="5.1", sample_fmt="s16"), 1),
    (EncodeSpec("opus-128", "opus", "libopus", sample_rate=48_000, bit_rate=128_000), 4),
    (EncodeSpec("vorbis-q5", "ogg", "vorbis", vorbis_quality=0.5), 4),
    (EncodeSpec("wav-16-44", "wav", "pcm_s16le"), 1),
    (EncodeSpec("aiff-16-44", "aiff", "pcm_s16be"), 1),
)
# Formats only the planted cases use.
PLANTED_SPECS = (
    EncodeSpec("flac-24-44", "flac", "flac", sample_fmt="s32"),  # padded bits
    EncodeSpec("wav-24-96", "wav", "pcm_s24le", sample_rate=96_000),  # upsampled
    EncodeSpec("vorbis-q3", "ogg", "vorbis", vorbis_quality=0.3),  # a fake's source
    EncodeSpec("aac-128-twoloop", "m4a", "aac", bit_rate=128_000),  # a fake's source
)
SPECS: dict[str, EncodeSpec] = {
    spec.name: spec for spec in (*(spec for spec, _ in DEMO_SPECS), *PLANTED_SPECS)
}
#: Formats whose 16-bit 44.1 kHz stereo samples decode identically from any of them.
PCM16_SPECS = frozenset({"flac-16-44", "alac-16-44", "wav-16-44", "aiff-16-44"})
#: The codec name ffprobe reports for an encoder.
FFPROBE_CODECS = {"libmp3lame": "mp3", "libopus": "opus"}

KIND_ORIGINAL = "original"
KIND_OTHER_FORMAT = "other_format"
KIND_EXACT_COPY = "exact_copy"
KIND_RETAGGED_COPY = "retagged_copy"
KIND_OFFSET_COPY = "offset_copy"
KIND_DECOY = "decoy"
KIND_FAKE_LOSSLESS = "fake_lossless"
KIND_UPSAMPLED = "upsampled"
KIND_PADDED_BITS = "padded_bits"
KIND_TRUNCATED = "truncated"
KIND_WRONG_MD5 = "wrong_md5"
KIND_ODD_NAME = "odd_name"
KIND_GARBAGE = "garbage"
KIND_EMPTY = "empty"
#: What each kind of file is, for ``manifest.json``.
KINDS = {
    KIND_ORIGINAL: "a recording in its album, in its main format",
    KIND_OTHER_FORMAT: "the same recording in another format (album folder '[format]')",
    KIND_EXACT_COPY: "a byte-identical copy of another file (Copies/)",
    KIND_RETAGGED_COPY: "a copy of another file with other tags: on a compilation "
    "(Compilations/) or an edition of its album ('(Deluxe Edition)', '(Remastered)')",
    KIND_OFFSET_COPY: "the same recording with leading silence added or its start cut (Rips/)",
    KIND_DECOY: "a recording with the same artist, title and duration as another (decoy_of)",
    KIND_FAKE_LOSSLESS: "a FLAC decoded from a lossy file (source)",
    KIND_UPSAMPLED: "44.1 kHz audio resampled to 96 kHz / 24 bit",
    KIND_PADDED_BITS: "16-bit audio stored as 24-bit",
    KIND_TRUNCATED: "a file cut at 60 % of its bytes",
    KIND_WRONG_MD5: "a FLAC whose STREAMINFO MD5 was changed",
    KIND_ODD_NAME: "a recording whose file name is not UTF-8 (Odd names/)",
    KIND_GARBAGE: "random bytes with an audio extension",
    KIND_EMPTY: "an empty file with an audio extension",
}

LABEL_OK = "ok"
LABEL_DAMAGED = "damaged"

FOLDER_ALBUMS = "Albums"
FOLDER_COPIES = "Copies"
FOLDER_COMPILATIONS = "Compilations"
FOLDER_RIPS = "Rips"
FOLDER_ODD_NAMES = "Odd names"
WORK_FOLDER = ".work"  # under DIR: files being made, moved into music/ when complete

SHORT_SECONDS = (20.0, 22.0)
FULL_LENGTH_SECONDS = (150.0, 240.0)
FULL_LENGTH_EVERY = 200  # one recording in this many is full-length
TILTS = (3.0, 6.0)  # dB per octave of the noise bed above 1 kHz
#: The default pool: this share of the files are recordings of their own (the rest hold the
#: audio of one of them), at most so many recordings, beyond which the files are copies. The
#: build time is about proportional to the number of recordings (bench/RESULTS.md, "Demo
#: library").
RECORDING_SHARE = 0.8
MAX_DEFAULT_RECORDINGS = 2500
#: At most this many files per recording are encoded beyond its first (other formats, rips);
#: the rest of the extras are copies.
ENCODED_EXTRAS_PER_RECORDING = 0.15
PLANTED_SET_FILES = 2000  # one set of planted cases per this many files
PLANTED_MIN_FILES = 100  # smaller libraries get no planted set
FAKE_SOURCES = ("mp3-cbr-128", "mp3-cbr-192", "aac-128-twoloop", "vorbis-q3")
TRUNCATE_AT = 0.6
ODD_NAMES = (  # (title, encoding of the file name)
    ("Café del Mar", "latin-1"),
    ("Naïve “Quotes”", "cp1252"),
    ("夜の歌", "shift_jis"),
)
# (kind, weight) of the files beyond each recording's first: copies cost a copy, the other
# two an encode.
EXTRA_KINDS = (
    (KIND_EXACT_COPY, 25),
    (KIND_RETAGGED_COPY, 25),
    (KIND_OTHER_FORMAT, 40),
    (KIND_OFFSET_COPY, 10),
)
LOSSLESS_COPY_CHANCE = 0.15  # a lossless recording's weight when copies are drawn (lossy: 1)
COMPILATIONS = ("Greatest Hits", "Now That's Music", "Summer Anthems", "Road Trip", "Chill Out")
RETAG_CASE_CHANCE = 0.4
RETAG_REMASTERED_CHANCE = 0.4
RETAG_COMPILATION_CHANCE = 0.5  # else a deluxe or remastered edition of the album
RETAG_TRIES = 10
EDITIONS = ("Deluxe Edition", "Remastered", "Anniversary Edition")

SERVICES = ("spotify", "tidal", "deezer", "apple_music")
ADJECTIVES = (
    "Silent", "Electric", "Golden", "Broken", "Velvet", "Midnight", "Paper", "Crystal", "Wild",
    "Hollow", "Neon", "Quiet", "Burning", "Lonely", "Bright", "Frozen", "Secret", "Distant",
    "Amber", "Restless", "Little", "Northern", "Painted", "Silver", "Tender", "Violet",
)  # fmt: skip
NOUNS = (
    "River", "Garden", "Machine", "Harbor", "Echo", "Mirror", "Highway", "Lantern", "Ocean",
    "Signal", "Forest", "Satellite", "Winter", "Orchard", "Engine", "Horizon", "Canyon", "Tide",
    "Island", "Letters", "Station", "Thunder", "Window", "Summer", "Morning", "Shadows",
)  # fmt: skip


@dataclass(frozen=True)
class DemoTrack:
    """The tags of a file."""

    artist: str
    title: str
    album: str
    year: int
    isrc: str | None


@dataclass(frozen=True)
class DemoRecording:
    """One catalogue recording: its tags and how its audio is made."""

    id: int
    track: DemoTrack
    track_number: int
    seconds: float
    sample_rate: int
    channels: int
    tilt: float
    signal_seed: int
    spec: str  # its main format


@dataclass(frozen=True)
class DemoFile:
    """One file of the library, as ``manifest.json`` lists it."""

    path: str  # relative to DIR; a name that is not UTF-8 is held with surrogate escapes
    kind: str
    recording: int | None
    format: str | None  # an EncodeSpec name
    audio: str | None  # files with the same value decode to the same samples
    tags: DemoTrack | None
    source: str | None = None  # fake_lossless: the lossy format it was decoded from
    copy_of: str | None = None  # copies and truncated copies: the file copied
    offset_seconds: float | None = None  # offset copies: + silence added, - start cut
    label: str | None = None  # the verify_audio verdict it is made to get (None: ok or
    # inconclusive, as a genuine lossy file may be)
    decoy_of: int | None = None


@dataclass
class DemoLibrary:
    out: Path
    music_dir: Path
    streaming_db: Path
    manifest: Path
    files: int = 0
    recordings: int = 0
    total_bytes: int = 0
    seconds: float = 0.0
    by_kind: dict[str, int] = field(default_factory=dict)
    by_format: dict[str, int] = field(default_factory=dict)


def recordings_default(files: int) -> int:
    """How many distinct recordings a library of ``files`` files gets by default."""
    return max(1, min(MAX_DEFAULT_RECORDINGS, round(files * RECORDING_SHARE)))


def planted_sets(files: int) -> int:
    """How many sets of planted cases (fakes, upsampled, padded, damaged, decoys, odd names)."""
    return 0 if files < PLANTED_MIN_FILES else max(1, round(files / PLANTED_SET_FILES))


def _name(rng: random.Random) -> str:
    return f"{rng.choice(ADJECTIVES)} {rng.choice(NOUNS)}"


def _band(rng: random.Random) -> str:
    noun = rng.choice(NOUNS)
    return f"The {rng.choice(ADJECTIVES)} {noun if noun.endswith('s') else noun + 's'}"


def catalogue_make(*, tracks: int, seed: int) -> list[DemoTrack]:
    """Artists (about 12 tracks each) with albums of 10 tracks; titles unique per artist."""
    rng = random.Random(f"catalogue-{seed}")
    artists = [_band(rng) for _ in range(max(3, tracks // 12))]
    titles: dict[str, set[str]] = {}
    result = []
    for index in range(tracks):
        artist = artists[index % len(artists)]
        taken = titles.setdefault(artist, set())
        title = _name(rng)
        while title in taken:
            title = f"{_name(rng)} {rng.choice(NOUNS)}"
        taken.add(title)
        isrc = f"US{rng.choice('ABCDEFGH')}{rng.randrange(10, 99)}{rng.randrange(10**7):07d}"
        album_no = index // (10 * len(artists)) * len(artists) + index % len(artists)
        result.append(
            DemoTrack(
                artist=artist,
                title=title,
                album=f"{_name(random.Random(f'album-{seed}-{album_no}'))}",
                year=random.Random(f"year-{seed}-{album_no}").randrange(1965, 2025),
                isrc=isrc if rng.random() < 0.7 else None,
            )
        )
    return result


ID3_TYPES = frozenset({"MP3", "WAVE", "AIFF", "DSF"})


def tags_write(*, path: Path, track: DemoTrack) -> None:
    """Write artist/title/album/year/ISRC in the tag format native to the file."""
    audio = mutagen.File(path)
    if audio.tags is None:
        audio.add_tags()
    if isinstance(audio, MP4):
        audio["©ART"], audio["©nam"], audio["©alb"] = track.artist, track.title, track.album
        audio["©day"] = str(track.year)
        if track.isrc:
            audio["----:com.apple.iTunes:ISRC"] = [MP4FreeForm(track.isrc.encode())]
    elif type(audio).__name__ in ID3_TYPES:
        tags = audio.tags
        tags.add(TPE1(encoding=3, text=track.artist))
        tags.add(TIT2(encoding=3, text=track.title))
        tags.add(TALB(encoding=3, text=track.album))
        tags.add(TDRC(encoding=3, text=str(track.year)))
        if track.isrc:
            tags.add(TSRC(encoding=3, text=track.isrc))
    else:  # Vorbis comments
        audio["artist"], audio["title"], audio["album"] = track.artist, track.title, track.album
        audio["date"] = str(track.year)
        if track.isrc:
            audio["isrc"] = track.isrc
    audio.save()


def _safe(text: str) -> str:
    return "".join(c if c.isalnum() or c in " .-_()" else "_" for c in text).strip()


def _album_folder(track: DemoTrack) -> str:
    return f"{FOLDER_ALBUMS}/{_safe(track.artist)}/{track.year} - {_safe(track.album)}"


def _is_lossless(spec_name: str) -> bool:
    return SPECS[spec_name].codec in ("flac", "alac") or SPECS[spec_name].codec.startswith("pcm")


def bit_depth(spec: EncodeSpec) -> int | None:
    """The stored bit depth of a lossless format (None: lossy)."""
    if not _is_lossless(spec.name):
        return None
    return 16 if spec.sample_fmt in ("s16", "s16p") or "s16" in spec.codec else 24


def _audio_key(recording: int, spec_name: str, variant: str = "") -> str:
    """Which decoded audio a file holds: the 16-bit 44.1 kHz lossless formats share theirs."""
    base = "pcm16-44" if spec_name in PCM16_SPECS and not variant else spec_name
    return f"r{recording}:{base}{':' + variant if variant else ''}"


class _DemoPlanner:
    """Decides, file by file, what the demo library holds (the same choices for a seed)."""

    def __init__(self, *, files: int, recordings: int, seed: int):
        self.rng = random.Random(f"plan-{seed}")
        self.seed = seed
        self.sets = planted_sets(files)
        # a set takes 20 recordings for its roles and adds 7 more files
        recordings = max(1, min(recordings, files - 7 * self.sets), 28 * self.sets)
        self.target = files
        self.recordings: list[DemoRecording] = []
        self.files: list[DemoFile] = []
        self.paths: set[str] = set()
        self.by_recording: dict[int, list[DemoFile]] = {}
        self.planted: set[int] = set()
        self.retagged: set[tuple[str, DemoTrack]] = set()
        self.folder_numbers: dict[str, int] = {}
        self.catalogue_draw(recordings)

    # --- the recordings ---------------------------------------------------------------------
    def catalogue_draw(self, count: int) -> None:
        specs = [spec.name for spec, _ in DEMO_SPECS]
        weights = [weight for _, weight in DEMO_SPECS]
        numbers: dict[str, int] = {}
        for index, track in enumerate(catalogue_make(tracks=count, seed=self.seed)):
            spec = self.rng.choices(specs, weights=weights, k=1)[0]
            full = index % FULL_LENGTH_EVERY == FULL_LENGTH_EVERY // 2 and spec not in (
                "flac-24-96",
                "flac-5.1",
            )
            low, high = FULL_LENGTH_SECONDS if full else SHORT_SECONDS
            album_key = _album_folder(track)
            numbers[album_key] = numbers.get(album_key, 0) + 1
            self.recordings.append(
                DemoRecording(
                    id=index + 1,
                    track=track,
                    track_number=numbers[album_key],
                    seconds=round(self.rng.uniform(low, high), 1),
                    sample_rate=SPECS[spec].sample_rate if spec == "flac-24-96" else 44100,
                    channels=6 if spec == "flac-5.1" else 2,
                    tilt=self.rng.choice(TILTS),
                    signal_seed=self.seed * 1_000_003 + index,
                    spec=spec,
                )
            )

    def eligible(self) -> list[DemoRecording]:
        """Recordings free for a planted role: not taken, short, stereo, 44.1 kHz."""
        return [
            r
            for r in self.recordings
            if r.id not in self.planted
            and r.channels == 2
            and r.sample_rate == 44100
            and r.seconds <= SHORT_SECONDS[1]
        ]

    def role_take(self, **changes) -> DemoRecording:
        eligible = self.eligible()
        if not eligible:
            raise ValueError("too few recordings for the planted cases: give more --recordings")
        pick = self.rng.choice(eligible)
        changed = replace(pick, **changes)
        self.recordings[pick.id - 1] = changed
        self.planted.add(pick.id)
        return changed

    # --- files ------------------------------------------------------------------------------
    def add(self, file: DemoFile) -> DemoFile:
        path = file.path
        stem, _, extension = path.rpartition(".")
        number = 2
        while path in self.paths:
            path = f"{stem} ({number}).{extension}"
            number += 1
        file = replace(file, path=path)
        self.paths.add(path)
        self.files.append(file)
        if file.recording is not None:
            self.by_recording.setdefault(file.recording, []).append(file)
        return file

    def main_file(self, recording: DemoRecording, **fields) -> DemoFile:
        spec = SPECS[fields.pop("format", recording.spec)]
        folder = fields.pop("folder", _album_folder(recording.track))
        name = fields.pop("name", f"{recording.track_number:02d} {_safe(recording.track.title)}")
        kind = fields.pop("kind", KIND_ORIGINAL)
        if "label" not in fields and kind in (KIND_ORIGINAL, KIND_DECOY, KIND_ODD_NAME):
            fields["label"] = LABEL_OK if _is_lossless(spec.name) else None
        return self.add(
            DemoFile(
                path=f"music/{folder}/{name}.{spec.extension}",
                kind=kind,
                recording=recording.id,
                format=spec.name,
                audio=fields.pop("audio", _audio_key(recording.id, spec.name)),
                tags=fields.pop("tags", recording.track),
                **fields,
            )
        )

    def copy_file(self, source: DemoFile, kind: str, folder: str, name: str, **fields):
        extension = source.path.rpartition(".")[2]
        return self.add(
            DemoFile(
                path=f"music/{folder}/{name}.{extension}",
                kind=kind,
                recording=source.recording,
                format=source.format,
                audio=fields.pop("audio", source.audio),
                tags=fields.pop("tags", source.tags),
                copy_of=source.path,
                label=fields.pop("label", source.label),
                **fields,
            )
        )

    # --- planted cases ----------------------------------------------------------------------
    def planted_add(self) -> None:
        for _ in range(self.sets):
            self.planted_set_add()

    def planted_set_add(self) -> None:
        for source in FAKE_SOURCES:
            recording = self.role_take(spec="flac-16-44")
            self.main_file(
                recording,
                kind=KIND_FAKE_LOSSLESS,
                source=source,
                audio=_audio_key(recording.id, "flac-16-44", f"from-{source}"),
                label="lossy_source",
            )
            if source == "mp3-cbr-128":  # the keeper is the genuine 320k MP3, not the fake
                self.other_format_add(recording, "mp3-cbr-320")
        for spec in ("flac-24-96", "wav-24-96"):
            recording = self.role_take(spec="flac-16-44")
            self.main_file(
                recording,
                format=spec,
                kind=KIND_UPSAMPLED,
                audio=_audio_key(recording.id, spec, "upsampled"),
                label="upsampled",
            )
        recording = self.role_take(spec="flac-16-44")
        self.main_file(
            recording,
            format="flac-24-44",
            kind=KIND_PADDED_BITS,
            audio=_audio_key(recording.id, "flac-24-44", "padded"),
            label="padded_bits",
        )
        recording = self.role_take(spec="flac-16-44")
        self.main_file(recording, kind=KIND_WRONG_MD5, label=LABEL_DAMAGED)
        recording = self.role_take(spec="mp3-cbr-192")
        self.main_file(recording, kind=KIND_TRUNCATED, audio=None, label=LABEL_DAMAGED)
        intact = self.role_take(spec="flac-16-44")
        original = self.main_file(intact)
        self.other_format_add(intact, "alac-16-44")  # the same samples in another container
        self.copy_file(
            original,
            KIND_TRUNCATED,
            FOLDER_COPIES,
            f"{_safe(intact.track.artist)} - {_safe(intact.track.title)}",
            audio=None,
            label=LABEL_DAMAGED,
        )
        for title, encoding in ODD_NAMES:
            recording = self.role_take()
            recording = replace(recording, track=replace(recording.track, title=title))
            self.recordings[recording.id - 1] = recording
            raw = f"{recording.track.artist} - {title}".encode(encoding)
            self.main_file(
                recording, kind=KIND_ODD_NAME, folder=FOLDER_ODD_NAMES, name=os.fsdecode(raw)
            )
        self.decoys_add(same_album=False)
        self.decoys_add(same_album=True)
        for offset in (1.5, -0.25):
            recording = self.role_take()
            self.main_file(recording)
            self.offset_copy_add(recording, offset)
        host = self.role_take()
        self.main_file(host)
        folder = _album_folder(host.track)
        garbage = f"music/{folder}/{host.track_number:02d} {_safe(host.track.title)} (1).mp3"
        empty = f"music/{FOLDER_COPIES}/{_safe(host.track.artist)} - {_safe(host.track.title)}.m4a"
        for path, kind in ((garbage, KIND_GARBAGE), (empty, KIND_EMPTY)):
            self.add(DemoFile(path, kind, None, None, None, None, label=LABEL_DAMAGED))

    def decoys_add(self, *, same_album: bool) -> None:
        first = self.role_take()
        track = first.track
        second = self.role_take(seconds=first.seconds)
        tags = replace(second.track, artist=track.artist, title=track.title)
        if same_album:
            tags = replace(tags, album=track.album, year=track.year)
        elif tags.album == track.album:  # both drawn from one album: the other is a live one
            tags = replace(tags, album=f"{tags.album} (Live)")
        number = first.track_number + 1 if same_album else second.track_number
        second = replace(second, track=tags, track_number=number)
        self.recordings[second.id - 1] = second
        self.main_file(first, kind=KIND_DECOY, decoy_of=second.id)
        self.main_file(second, kind=KIND_DECOY, decoy_of=first.id)

    # --- the rest ---------------------------------------------------------------------------
    def originals_add(self) -> None:
        for recording in self.recordings:
            if recording.id not in self.planted:
                self.main_file(recording)

    def other_format_add(self, recording: DemoRecording, spec_name: str) -> DemoFile:
        spec = SPECS[spec_name]
        track = recording.track
        folder = f"{_album_folder(track)} [{spec.name}]"
        return self.main_file(recording, format=spec.name, kind=KIND_OTHER_FORMAT, folder=folder)

    def offset_copy_add(self, recording: DemoRecording, offset: float) -> DemoFile:
        spec = "flac-16-44" if _is_lossless(recording.spec) else recording.spec
        track = recording.track
        return self.main_file(
            recording,
            format=spec,
            kind=KIND_OFFSET_COPY,
            folder=f"{FOLDER_RIPS}/{_safe(track.artist)} - {_safe(track.album)}",
            offset_seconds=offset,
            audio=_audio_key(recording.id, spec, f"offset{offset:+.2f}"),
        )

    def extras_add(self) -> None:
        """Fill the library up to its size with more files of the ordinary recordings."""
        apart = {KIND_ODD_NAME, KIND_TRUNCATED}
        ordinary = [r for r in self.recordings if self.by_recording[r.id][0].kind not in apart]
        # lossless files are big: fewer copies of them; full-length recordings get none
        chances = [
            0.0
            if r.seconds > SHORT_SECONDS[1]
            else LOSSLESS_COPY_CHANCE
            if _is_lossless(self.by_recording[r.id][0].format or r.spec)
            else 1.0
            for r in ordinary
        ]
        kinds = [kind for kind, _ in EXTRA_KINDS]
        weights = [weight for _, weight in EXTRA_KINDS]
        encoded_left = round(ENCODED_EXTRAS_PER_RECORDING * len(self.recordings))
        while len(self.files) < self.target:
            recording = self.rng.choices(ordinary, weights=chances, k=1)[0]
            kind = self.rng.choices(kinds, weights=weights, k=1)[0]
            held = self.by_recording[recording.id]
            if kind in (KIND_OTHER_FORMAT, KIND_OFFSET_COPY):
                if encoded_left <= 0:
                    kind = self.rng.choice([KIND_EXACT_COPY, KIND_RETAGGED_COPY])
                encoded_left -= 1
            if kind == KIND_OTHER_FORMAT and not self.other_format_try(recording, held):
                kind = KIND_EXACT_COPY
            if kind == KIND_OFFSET_COPY:
                offsets = {f.offset_seconds or 0.0 for f in held}
                offset = 0.0
                while offset in offsets:  # two rips with one offset would be the same file
                    offset = self.rng.choice([1, -1]) * round(self.rng.uniform(0.1, 2.0), 2)
                self.offset_copy_add(recording, offset)
            elif kind in (KIND_EXACT_COPY, KIND_RETAGGED_COPY):
                # copies are made of the album files themselves, never of other copies
                albums = [
                    f
                    for f in held
                    if f.copy_of is None and f.path.startswith(f"music/{FOLDER_ALBUMS}/")
                ]
                self.copy_add(recording, self.rng.choice(albums or held[:1]), kind)

    def other_format_try(self, recording: DemoRecording, held: Sequence[DemoFile]) -> bool:
        formats = {f.format for f in held}
        choices = [
            (spec, weight)
            for spec, weight in DEMO_SPECS
            if spec.name not in formats
            and spec.layout == "stereo"
            and spec.sample_rate <= max(recording.sample_rate, 48_000)
        ]
        if not choices:
            return False
        spec = self.rng.choices([s for s, _ in choices], weights=[w for _, w in choices])[0]
        self.other_format_add(recording, spec.name)
        return True

    def copy_add(self, recording: DemoRecording, source: DemoFile, kind: str) -> None:
        track = source.tags or recording.track
        if kind == KIND_EXACT_COPY:
            name = f"{_safe(track.artist)} - {_safe(track.title)}"
            self.copy_file(source, kind, FOLDER_COPIES, name)
            return
        for _ in range(RETAG_TRIES):  # a re-tagged copy differs from every other one
            tags, compilation = self.retag_draw(track)
            if (source.path, tags) not in self.retagged:
                break
        else:
            self.copy_add(recording, source, KIND_EXACT_COPY)
            return
        self.retagged.add((source.path, tags))
        if compilation:
            folder = f"{FOLDER_COMPILATIONS}/{_safe(tags.album)}"
            name = f"{_safe(tags.artist)} - {_safe(tags.title)}"
        else:
            # in the artist's own folder whatever case the tag has: the original sorts (and
            # is scanned, so kept on ties) before its editions ("<album> (Deluxe Edition)")
            folder = _album_folder(replace(tags, artist=track.artist))
            name = _safe(tags.title)
        number = self.folder_numbers[folder] = self.folder_numbers.get(folder, 0) + 1
        self.copy_file(source, kind, folder, f"{number:02d} {name}", tags=tags)

    def retag_draw(self, track: DemoTrack) -> tuple[DemoTrack, bool]:
        """Another album (a compilation, or a deluxe or remastered edition of the album), maybe
        the artist's name in other case, maybe " (Remastered)" after the title; and whether
        the album is a compilation."""
        artist, title = track.artist, track.title
        if self.rng.random() < RETAG_CASE_CHANCE:
            artist = artist.upper() if self.rng.random() < 0.5 else artist.lower()
        if self.rng.random() < RETAG_REMASTERED_CHANCE:
            title = f"{title} (Remastered)"
        compilation = self.rng.random() < RETAG_COMPILATION_CHANCE
        if compilation:
            album = f"{self.rng.choice(COMPILATIONS)} Vol. {self.rng.randint(1, 20)}"
        else:
            album = f"{track.album} ({self.rng.choice(EDITIONS)})"
        return replace(track, artist=artist, title=title, album=album), compilation


def demo_plan(
    *, files: int, recordings: int, seed: int
) -> tuple[list[DemoRecording], list[DemoFile]]:
    """The recordings and the files of a demo library (no audio made)."""
    planner = _DemoPlanner(files=files, recordings=recordings, seed=seed)
    planner.planted_add()
    planner.originals_add()
    planner.extras_add()
    return planner.recordings, planner.files[:files]


# --- making the files -----------------------------------------------------------------------


def _encoded(file: DemoFile) -> bool:
    """Made from its recording's signal (the rest are copies of other files, or no audio)."""
    return file.recording is not None and file.copy_of is None


class _RecordingAudio:
    """A recording's signal, made once, at the rates and channel counts its files need."""

    def __init__(self, recording: DemoRecording):
        self.recording = recording
        self.native = music_like_fast(
            seconds=recording.seconds,
            sample_rate=recording.sample_rate,
            channels=recording.channels,
            seed=recording.signal_seed,
            tilt_db_per_octave=recording.tilt,
        )
        self.versions: dict[tuple[int, int], np.ndarray] = {
            (recording.sample_rate, recording.channels): self.native
        }

    def at(self, sample_rate: int, channels: int) -> np.ndarray:
        """The signal at ``sample_rate`` with ``channels`` (the first ones of a 5.1 master);
        a 96 kHz master is resampled once for every 44.1 kHz file, so they share samples."""
        key = (sample_rate, channels)
        if key not in self.versions:
            data = self.native[:channels]
            if sample_rate != self.recording.sample_rate:
                data = resample(np.ascontiguousarray(data), self.recording.sample_rate, sample_rate)
            self.versions[key] = data
        return self.versions[key]


def _pcm16(data: np.ndarray) -> np.ndarray:
    """Float samples that are exactly 16-bit values (so a 24-bit file of them is padded)."""
    return (np.clip(np.round(data.astype(np.float64) * 32768), -32768, 32767) / 32768).astype(
        np.float32
    )


def _offset(data: np.ndarray, sample_rate: int, seconds: float) -> np.ndarray:
    samples = round(abs(seconds) * sample_rate)
    if seconds >= 0:
        return np.concatenate([np.zeros((data.shape[0], samples), np.float32), data], axis=1)
    return np.ascontiguousarray(data[:, samples:])


def _file_encode(out: Path, audio: _RecordingAudio, file: DemoFile, number: int) -> None:
    """Write one file of a recording: encode, tag, damage it if it is to be damaged, then move
    it into place (encoders are given a plain UTF-8 name: libsndfile takes no other)."""
    assert file.format is not None and file.tags is not None
    spec = SPECS[file.format]
    channels = 6 if spec.layout == "5.1" else 2
    # A 96 kHz master feeds its 96 kHz files; everything else (44.1 kHz files, Opus, which the
    # encoder resamples to 48 kHz, and the upsampled fakes) is made from the 44.1 kHz signal.
    native = spec.sample_rate == audio.recording.sample_rate and file.kind != KIND_UPSAMPLED
    data_rate = audio.recording.sample_rate if native else 44100
    data = audio.at(data_rate, channels)
    serial = audio.recording.signal_seed
    work = out / WORK_FOLDER / f"r{audio.recording.id}-{number}.{spec.extension}"
    work.parent.mkdir(parents=True, exist_ok=True)
    if file.kind == KIND_FAKE_LOSSLESS:
        assert file.source is not None
        source = SPECS[file.source]
        lossy = work.with_suffix(f".source.{source.extension}")
        samples_encode(path=lossy, spec=source, data=data, sample_rate=data_rate, serial=serial)
        data, data_rate = decode(lossy)
        lossy.unlink()
    elif file.kind == KIND_PADDED_BITS:
        data = _pcm16(data)
    elif file.offset_seconds:
        data = _offset(data, data_rate, file.offset_seconds)
    samples_encode(path=work, spec=spec, data=data, sample_rate=data_rate, serial=serial)
    tags_write(path=work, track=file.tags)
    if file.kind == KIND_WRONG_MD5:
        flac_md5_change(path=work)
    elif file.kind == KIND_TRUNCATED:
        truncate(path=work)
    path = out / file.path
    path.parent.mkdir(parents=True, exist_ok=True)
    os.replace(work, path)


def flac_md5_change(*, path: Path) -> None:
    """Flip every bit of the STREAMINFO MD5 (bytes 26..42: 'fLaC', block header, 18 bytes)."""
    data = bytearray(path.read_bytes())
    if data[:4] != b"fLaC" or data[4] & 0x7F != 0:
        raise ValueError(f"{path}: no STREAMINFO block first")
    data[26:42] = bytes(b ^ 0xFF for b in data[26:42])
    path.write_bytes(bytes(data))


def truncate(*, path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * TRUNCATE_AT)])


@dataclass(frozen=True)
class _RecordingJob:
    out: str
    recording: DemoRecording
    files: tuple[DemoFile, ...]


def _recordings_write(chunk: Sequence[_RecordingJob]) -> list[int]:
    """Worker: make each recording's signal once and write its encoded files."""
    for job in chunk:
        audio = _RecordingAudio(job.recording)
        for number, file in enumerate(job.files):
            _file_encode(Path(job.out), audio, file, number)
    return [len(job.files) for job in chunk]


def _copies_write(chunk: Sequence[tuple[str, DemoFile]]) -> list[int]:
    """Worker: copy files (and re-tag or cut the copies), write the files with no audio."""
    for out, file in chunk:
        path = Path(out) / file.path
        path.parent.mkdir(parents=True, exist_ok=True)
        if file.kind == KIND_EMPTY:
            path.write_bytes(b"")
        elif file.kind == KIND_GARBAGE:
            # Seeded by the file name, not the whole path: the same bytes whatever --out is.
            path.write_bytes(random.Random(path.name).randbytes(20_000))
        else:
            assert file.copy_of is not None
            shutil.copyfile(Path(out) / file.copy_of, path)
            if file.kind == KIND_RETAGGED_COPY and file.tags is not None:
                tags_write(path=path, track=file.tags)
            elif file.kind == KIND_TRUNCATED:
                truncate(path=path)
    return [1 for _ in chunk]


def _cost(job: _RecordingJob) -> float:
    """Rough encode cost, to start the longest jobs first."""
    return job.recording.seconds * job.recording.sample_rate * len(job.files)


def manifest_write(
    *, path: Path, seed: int, recordings: Sequence[DemoRecording], files: Sequence[DemoFile]
) -> None:
    def entry(file: DemoFile) -> dict:
        data = {k: v for k, v in asdict(file).items() if v is not None}
        raw = os.fsencode(file.path)
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError:
            data["path_bytes"] = raw.hex()
        if file.format:
            spec = SPECS[file.format]
            data["codec"] = FFPROBE_CODECS.get(spec.codec, spec.codec)
            data["sample_rate"] = spec.sample_rate
            data["channels"] = 6 if spec.layout == "5.1" else 2
            if bit_depth(spec):
                data["bit_depth"] = bit_depth(spec)
        return data

    document = {
        "seed": seed,
        "file_count": len(files),
        "recording_count": len(recordings),
        "kinds": KINDS,
        "recordings": [
            {
                "id": r.id,
                **asdict(r.track),
                "seconds": r.seconds,
                "sample_rate": r.sample_rate,
                "channels": r.channels,
            }
            for r in recordings
        ],
        "files": [entry(file) for file in files],
    }
    path.write_text(json.dumps(document, indent=1) + "\n", encoding="ascii")


def manifest_read(*, path: Path) -> dict:
    """The manifest, with each file's ``path`` as written (surrogate escapes for names that are
    not UTF-8: ``out / entry['path']`` opens the file)."""
    return json.loads(path.read_text(encoding="ascii"))


def streaming_db_write(
    *, path: Path, library_tracks: Sequence[tuple[DemoTrack, float]], seed: int
) -> None:
    """A legacy ``music_tools.db``: most library tracks on one or more services (some with
    ISRCs, some only by name), some tracks the library lacks, and playlists added to
    recently and long ago. ``library_tracks``: (tags, seconds) of each recording."""
    rng = random.Random(f"streaming-{seed}")
    now = datetime.datetime.now(datetime.UTC).replace(microsecond=0)

    def ago(days: float) -> str:
        return (now - datetime.timedelta(days=days)).isoformat()

    path.unlink(missing_ok=True)
    conn = sqlite3.connect(path)
    try:
        for statement in LEGACY_MUSIC_TOOLS_DDL:
            conn.execute(statement)
        track_ids: list[str] = []
        extra = catalogue_make(tracks=max(3, len(library_tracks) // 10), seed=seed + 10_000)
        everything = [*library_tracks, *((track, rng.uniform(150, 300)) for track in extra)]
        for number, (track, seconds) in enumerate(everything):
            if rng.random() < 0.25:
                continue  # not on any service
            for service in rng.sample(SERVICES, k=rng.randint(1, 3)):
                track_id = f"{service}:{seed}:{number}"
                with_isrc = track.isrc if rng.random() < 0.8 else None
                conn.execute(
                    "INSERT INTO tracks VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        track_id,
                        track.title,
                        track.artist,
                        track.album,
                        int(seconds * 1000),
                        f"{track.year}-01-01",
                        with_isrc,
                        service,
                        ago(rng.uniform(30, 700)),
                        ago(rng.uniform(0, 30)),
                    ),
                )
                track_ids.append(track_id)
        for number in range(max(4, len(track_ids) // 40)):
            service = SERVICES[number % len(SERVICES)]
            playlist_id = f"{service}:pl:{seed}:{number}"
            members = rng.sample(track_ids, k=min(len(track_ids), rng.randint(5, 40)))
            recent = number % 3 == 0
            conn.execute(
                "INSERT INTO playlists VALUES (?, ?, ?, 'demo', ?, ?, 0, ?, ?)",
                (
                    playlist_id,
                    f"{'New' if recent else 'Old'} favourites {number}",
                    f"https://example.invalid/{playlist_id}",
                    len(members),
                    service,
                    ago(400),
                    ago(1 if recent else 200),
                ),
            )
            for position, track_id in enumerate(members):
                added = rng.uniform(0, 29) if recent else rng.uniform(60, 900)
                conn.execute(
                    "INSERT INTO playlist_tracks VALUES (?, ?, ?, ?)",
                    (playlist_id, track_id, ago(added), position),
                )
        conn.execute(
            "INSERT INTO settings VALUES ('demo_seed', ?, ?)", (str(seed), now.isoformat())
        )
        conn.commit()
    finally:
        conn.close()


def demo_library_make(
    *,
    out: Path,
    files: int,
    seed: int,
    recordings: int | None = None,
    workers: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> DemoLibrary:
    """Write ``files`` audio files under ``out/music``, ``out/manifest.json`` and
    ``out/music_tools.db``; ``recordings`` distinct recordings (default
    :func:`recordings_default`)."""
    started = time.monotonic()
    out.mkdir(parents=True, exist_ok=True)
    catalogue, plan = demo_plan(
        files=files, recordings=recordings or recordings_default(files), seed=seed
    )
    workers = workers or default_workers()
    for recording_rate in {r.sample_rate for r in catalogue}:
        for tilt in {r.tilt for r in catalogue}:
            noise_bed_bank(recording_rate, tilt)  # shared by the forked workers
    by_recording: dict[int, list[DemoFile]] = {}
    for file in plan:
        if _encoded(file):
            assert file.recording is not None
            by_recording.setdefault(file.recording, []).append(file)
    jobs = sorted(
        (
            _RecordingJob(str(out), catalogue[number - 1], tuple(items))
            for number, items in by_recording.items()
        ),
        key=_cost,
        reverse=True,
    )
    copies = [(str(out), file) for file in plan if not _encoded(file)]
    done = 0
    # one recording per task (their costs differ a lot), then the copies, which read them
    for counts in itertools.chain(
        chunks_map(_recordings_write, jobs, workers=workers, chunk_size=1),
        chunks_map(_copies_write, copies, workers=workers, chunk_size=50),
    ):
        done += sum(counts)
        if progress:
            progress(done, len(plan))
    shutil.rmtree(out / WORK_FOLDER, ignore_errors=True)
    summary = DemoLibrary(
        out=out,
        music_dir=out / "music",
        streaming_db=out / "music_tools.db",
        manifest=out / "manifest.json",
        files=len(plan),
        recordings=len(catalogue),
    )
    streaming_db_write(
        path=summary.streaming_db,
        library_tracks=[(r.track, r.seconds) for r in catalogue],
        seed=seed,
    )
    manifest_write(path=summary.manifest, seed=seed, recordings=catalogue, files=plan)
    for file in plan:
        summary.by_kind[file.kind] = summary.by_kind.get(file.kind, 0) + 1
        extension = file.path.rpartition(".")[2]
        summary.by_format[extension] = summary.by_format.get(extension, 0) + 1
        summary.total_bytes += (out / file.path).stat().st_size
    summary.seconds = time.monotonic() - started
    logger.info("demo library: %d files in %s", summary.files, summary.music_dir)
    return summary
