"""A demo library of real audio files, and a matching legacy ``music_tools.db``.

A handful of masters is encoded once per format (PyAV / soundfile, ~1.5 s each); every library
file is a copy of a master with its own tags (mutagen), so a large library takes minutes. The mix
is what a real library looks like to this product: MP3 CBR/VBR/ABR at 96–320 kbps, AAC
128–256, ALAC, FLAC 16/44.1 and 24/96, 5.1 FLAC, Opus, Vorbis, WAV, AIFF; exact duplicates,
the same track in several formats, re-tagged copies and a few corrupt files. Everything under
``music/`` is deterministic for a given seed; ``music_tools.db`` timestamps are relative to
the day it was made (so "added in the last 30 days" means something in the demo).
"""

from __future__ import annotations

import datetime
import logging
import random
import shutil
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import mutagen
from mutagen.id3 import TALB, TDRC, TIT2, TPE1, TSRC
from mutagen.mp4 import MP4, MP4FreeForm

from musicquality.parallel import chunks_map, default_workers
from musicquality.schema import LEGACY_MUSIC_TOOLS_DDL
from quality.services.encoding import EncodeSpec, audio_encode

logger = logging.getLogger(__name__)

MASTER_SECONDS = 1.5
MASTER_VARIANTS = 3

# (spec, weight): how often each format appears in the demo library.
DEMO_SPECS: tuple[tuple[EncodeSpec, int], ...] = (
    (EncodeSpec("mp3-cbr-96", "mp3", "libmp3lame", bit_rate=96_000), 4),
    (EncodeSpec("mp3-cbr-128", "mp3", "libmp3lame", bit_rate=128_000), 10),
    (EncodeSpec("mp3-cbr-192", "mp3", "libmp3lame", bit_rate=192_000), 8),
    (EncodeSpec("mp3-cbr-256", "mp3", "libmp3lame", bit_rate=256_000), 5),
    (EncodeSpec("mp3-cbr-320", "mp3", "libmp3lame", bit_rate=320_000), 8),
    (EncodeSpec("mp3-vbr-v0", "mp3", "libmp3lame", vbr_quality=0), 6),
    (EncodeSpec("mp3-vbr-v2", "mp3", "libmp3lame", vbr_quality=2), 5),
    (EncodeSpec("mp3-abr-192", "mp3", "libmp3lame", bit_rate=192_000, abr=True), 3),
    (EncodeSpec("aac-128", "m4a", "aac", bit_rate=128_000), 6),
    (EncodeSpec("aac-256", "m4a", "aac", bit_rate=256_000), 8),
    (EncodeSpec("alac-16-44", "m4a", "alac", sample_fmt="s16p"), 3),
    (EncodeSpec("flac-16-44", "flac", "flac", sample_fmt="s16"), 12),
    (EncodeSpec("flac-24-96", "flac", "flac", sample_rate=96_000, sample_fmt="s32"), 4),
    (EncodeSpec("flac-5.1", "flac", "flac", layout="5.1", sample_fmt="s16"), 1),
    (EncodeSpec("opus-128", "opus", "libopus", sample_rate=48_000, bit_rate=128_000), 4),
    (EncodeSpec("vorbis-q5", "ogg", "vorbis", vorbis_quality=0.5), 4),
    (EncodeSpec("wav-16-44", "wav", "pcm_s16le"), 2),
    (EncodeSpec("aiff-16-44", "aiff", "pcm_s16be"), 2),
)

SERVICES = ("spotify", "tidal", "deezer", "apple_music")
ADJECTIVES = (
    "Silent", "Electric", "Golden", "Broken", "Velvet", "Midnight", "Paper", "Crystal", "Wild",
    "Hollow", "Neon", "Quiet", "Burning", "Lonely", "Bright", "Frozen", "Secret", "Distant",
)  # fmt: skip
NOUNS = (
    "River", "Garden", "Machine", "Harbor", "Echo", "Mirror", "Highway", "Lantern", "Ocean",
    "Signal", "Forest", "Satellite", "Winter", "Orchard", "Engine", "Horizon", "Canyon", "Tide",
)  # fmt: skip

KIND_ORIGINAL = "original"
KIND_DUPLICATE = "exact duplicate"
KIND_OTHER_FORMAT = "same track, other format"
KIND_RETAGGED = "re-tagged copy"
KIND_CORRUPT = "corrupt"


@dataclass(frozen=True)
class DemoTrack:
    artist: str
    title: str
    album: str
    year: int
    isrc: str | None


@dataclass
class DemoLibrary:
    out: Path
    music_dir: Path
    streaming_db: Path
    files: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)
    by_format: dict[str, int] = field(default_factory=dict)
    corrupt: list[Path] = field(default_factory=list)


def _name(rng: random.Random) -> str:
    return f"{rng.choice(ADJECTIVES)} {rng.choice(NOUNS)}"


def catalogue_make(*, tracks: int, seed: int) -> list[DemoTrack]:
    rng = random.Random(f"catalogue-{seed}")
    artists = [f"The {_name(rng)}s" for _ in range(max(3, tracks // 12))]
    result = []
    for index in range(tracks):
        artist = artists[index % len(artists)]
        album_no = index // 10
        isrc = f"US{rng.choice('ABCDEFGH')}{rng.randrange(10, 99)}{rng.randrange(10**7):07d}"
        result.append(
            DemoTrack(
                artist=artist,
                title=f"{_name(rng)} {index}",
                album=f"{_name(rng)} Vol. {album_no}",
                year=rng.randrange(1965, 2025),
                isrc=isrc if rng.random() < 0.7 else None,
            )
        )
    return result


def masters_encode(*, folder: Path, seed: int) -> dict[tuple[str, int], Path]:
    folder.mkdir(parents=True, exist_ok=True)
    masters = {}
    for spec, _weight in DEMO_SPECS:
        for variant in range(MASTER_VARIANTS):
            path = folder / f"{spec.name}-{variant}.{spec.extension}"
            audio_encode(
                path=path, spec=spec, seconds=MASTER_SECONDS, seed=seed * 100 + variant * 7
            )
            masters[(spec.name, variant)] = path
    return masters


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


def _write_chunk(chunk: Sequence[tuple]) -> list[str]:
    """Worker: copy masters to their library paths and tag them (or corrupt them)."""
    for target, master, track, corruption in chunk:
        target_path = Path(target)
        target_path.parent.mkdir(parents=True, exist_ok=True)
        if corruption == "zero":
            target_path.write_bytes(b"")
            continue
        if corruption == "garbage":
            # Seeded by the file name, not the whole path: the same bytes whatever --out is.
            target_path.write_bytes(random.Random(target_path.name).randbytes(20_000))
            continue
        shutil.copyfile(master, target_path)
        if track is not None:
            tags_write(path=target_path, track=DemoTrack(*track))
        if corruption == "truncated":
            data = target_path.read_bytes()
            target_path.write_bytes(data[: max(64, len(data) // 20)])
    return [target for target, *_ in chunk]


def _safe(text: str) -> str:
    return "".join(c if c.isalnum() or c in " .-_()" else "_" for c in text).strip()


CORRUPT_EVERY = 500
CORRUPTIONS = ("truncated", "garbage", "zero")


@dataclass(frozen=True)
class _Placed:
    """An intact file already planned: what copies of it are made from."""

    path: str
    master: str
    track: DemoTrack
    spec_name: str


class _DemoPlanner:
    """Decides, file by file, what the demo library holds (the same choices for a seed)."""

    def __init__(self, *, files: int, seed: int, masters: dict, music: Path):
        self.rng = random.Random(f"plan-{seed}")
        self.catalogue = catalogue_make(tracks=max(3, files * 2 // 3), seed=seed)
        self.specs = [spec for spec, _ in DEMO_SPECS]
        self.weights = [weight for _, weight in DEMO_SPECS]
        self.masters = masters
        self.music = music
        self.jobs: list[tuple] = []
        self.placed: list[_Placed] = []
        self.library_tracks: list[tuple[DemoTrack, str]] = []
        self.summary = DemoLibrary(out=music.parent, music_dir=music, streaming_db=Path())
        self.next_track = 0

    def kind_of(self, index: int) -> str:
        roll = self.rng.random()
        if index >= 3 and (index % CORRUPT_EVERY == CORRUPT_EVERY // 2 or index in (5, 11, 17)):
            return KIND_CORRUPT
        if self.placed and roll < 0.04:
            return KIND_DUPLICATE
        if self.placed and roll < 0.12:
            return KIND_OTHER_FORMAT
        if self.placed and roll < 0.16:
            return KIND_RETAGGED
        return KIND_ORIGINAL

    def count(self, kind: str, extension: str) -> None:
        self.summary.by_kind[kind] = self.summary.by_kind.get(kind, 0) + 1
        self.summary.by_format[extension] = self.summary.by_format.get(extension, 0) + 1

    def copy_add(self, index: int, kind: str) -> None:
        """An exact copy (same bytes) or a re-tagged copy (same audio) of a placed file."""
        source = self.placed[self.rng.randrange(len(self.placed))]
        folder = "Copies" if kind == KIND_DUPLICATE else "Re-tagged"
        spec = next(s for s in self.specs if s.name == source.spec_name)
        track = source.track
        target = self.music / folder / f"{index:06d} {_safe(track.title)}.{spec.extension}"
        if kind == KIND_RETAGGED:
            retagged = DemoTrack(
                artist=track.artist.upper() if self.rng.random() < 0.5 else track.artist,
                title=f"{track.title} (Remastered)" if self.rng.random() < 0.5 else track.title,
                album=f"{track.album} [Deluxe]",
                year=track.year,
                isrc=track.isrc,
            )
            self.jobs.append((str(target), source.master, tuple(vars(retagged).values()), None))
        else:
            self.jobs.append((str(target), source.path, None, None))
        self.count(kind, spec.extension)

    def file_add(self, index: int, kind: str) -> None:
        """A new catalogue track, the same track in another format, or a corrupt file."""
        if kind == KIND_OTHER_FORMAT:
            source = self.placed[self.rng.randrange(len(self.placed))]
            track = source.track
            spec = self.rng.choices([s for s in self.specs if s.name != source.spec_name], k=1)[0]
        else:
            track = self.catalogue[self.next_track % len(self.catalogue)]
            self.next_track += 1
            spec = self.rng.choices(self.specs, weights=self.weights, k=1)[0]
        master = str(self.masters[(spec.name, self.rng.randrange(MASTER_VARIANTS))])
        album_dir = self.music / _safe(track.artist) / f"{track.year} - {_safe(track.album)}"
        suffix = f" [{spec.name}]" if kind == KIND_OTHER_FORMAT else ""
        target = album_dir / f"{index:06d} {_safe(track.title)}{suffix}.{spec.extension}"
        corruption = None
        if kind == KIND_CORRUPT:
            corruption = CORRUPTIONS[index % len(CORRUPTIONS)]
            self.summary.corrupt.append(target)
        self.jobs.append((str(target), master, tuple(vars(track).values()), corruption))
        if kind != KIND_CORRUPT:
            self.placed.append(_Placed(str(target), master, track, spec.name))
            self.library_tracks.append((track, spec.name))
        self.count(kind, spec.extension)


def _plan(
    *, files: int, seed: int, masters: dict, music: Path
) -> tuple[list[tuple], list[tuple[DemoTrack, str]], DemoLibrary]:
    planner = _DemoPlanner(files=files, seed=seed, masters=masters, music=music)
    for index in range(files):
        kind = planner.kind_of(index)
        if kind in (KIND_DUPLICATE, KIND_RETAGGED):
            planner.copy_add(index, kind)
        else:
            planner.file_add(index, kind)
    planner.summary.files = len(planner.jobs)
    return planner.jobs, planner.library_tracks, planner.summary


def streaming_db_write(
    *, path: Path, library_tracks: Sequence[tuple[DemoTrack, str]], seed: int
) -> None:
    """A legacy ``music_tools.db``: most library tracks on one or more services (some with
    ISRCs, some only by name), some tracks the library lacks, and playlists added to
    recently and long ago."""
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
        unique = {track: spec for track, spec in library_tracks}
        extra = catalogue_make(tracks=max(3, len(unique) // 10), seed=seed + 10_000)
        for number, track in enumerate([*unique, *extra]):
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
                        int(MASTER_SECONDS * 1000),
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
    *, out: Path, files: int, seed: int, workers: int | None = None
) -> DemoLibrary:
    """Write ``files`` audio files under ``out/music`` and ``out/music_tools.db``."""
    out.mkdir(parents=True, exist_ok=True)
    music = out / "music"
    masters = masters_encode(folder=out / ".masters", seed=seed)
    jobs, library_tracks, summary = _plan(files=files, seed=seed, masters=masters, music=music)
    # Originals first: copies read the files they duplicate.
    originals = [job for job in jobs if "Copies" not in Path(job[0]).parts]
    copies = [job for job in jobs if "Copies" in Path(job[0]).parts]
    for batch in (originals, copies):
        for _ in chunks_map(_write_chunk, batch, workers=workers or default_workers()):
            pass
    summary.streaming_db = out / "music_tools.db"
    streaming_db_write(path=summary.streaming_db, library_tracks=library_tracks, seed=seed)
    shutil.rmtree(out / ".masters", ignore_errors=True)
    summary.out = out
    logger.info("demo library: %d files in %s", summary.files, music)
    return summary
