"""Artist, title, album, year and ISRC from every tag format the library holds.

The legacy indexer asked mutagen for ``easy`` keys, which left ID3-tagged files (MP3, WAV,
AIFF, DSF) without artist/title/album (docs/legacy-schema.md). Here each tag family is read by its
own names: ID3 frames, Vorbis comments (FLAC, Ogg, Opus), MP4 atoms (with the iTunes
freeform ISRC), APEv2 (APE, WavPack, Musepack, TTA, MP3 with APE tags) and ASF attributes.
"""

from __future__ import annotations

import logging
import os
import re
from dataclasses import dataclass
from pathlib import Path

import mutagen
from mutagen.aac import AAC
from mutagen.ac3 import AC3
from mutagen.aiff import AIFF
from mutagen.apev2 import APEv2, APEv2File
from mutagen.asf import ASF, ASFTags
from mutagen.dsdiff import DSDIFF
from mutagen.dsf import DSF
from mutagen.flac import FLAC
from mutagen.id3 import ID3, ID3FileType, ID3NoHeaderError
from mutagen.monkeysaudio import MonkeysAudio
from mutagen.mp3 import MP3
from mutagen.mp4 import MP4, MP4Tags
from mutagen.musepack import Musepack
from mutagen.oggflac import OggFLAC
from mutagen.oggopus import OggOpus
from mutagen.oggspeex import OggSpeex
from mutagen.oggtheora import OggTheora
from mutagen.oggvorbis import OggVorbis
from mutagen.optimfrog import OptimFROG
from mutagen.smf import SMF
from mutagen.tak import TAK
from mutagen.trueaudio import TrueAudio
from mutagen.wave import WAVE
from mutagen.wavpack import WavPack

from musicquality.regular_files import regular_file_open

logger = logging.getLogger(__name__)

YEAR_RE = re.compile(r"(?<!\d)(\d{4})(?!\d)")
YEAR_MIN, YEAR_MAX = 1900, 2100  # the legacy tool keeps only these
ISRC_RE = re.compile(r"^[A-Z]{2}[A-Z0-9]{3}\d{7}$")
_ISRC_IGNORED = re.compile(r"[\s-]+")


@dataclass(frozen=True, slots=True)
class AudioTags:
    artist: str | None = None
    title: str | None = None
    album: str | None = None
    year: int | None = None
    isrc: str | None = None

    @property
    def is_empty(self) -> bool:
        return not (self.artist or self.title or self.album)


class TagReadError(Exception):
    """The file is not a format mutagen knows (``not_audio``) or its tags cannot be parsed."""

    def __init__(self, message: str, *, not_audio: bool = False):
        super().__init__(message)
        self.not_audio = not_audio


@dataclass(frozen=True, slots=True)
class TaggedFile:
    tags: AudioTags
    duration: float | None


#: The formats ``mutagen.File`` tries by default (mutagen 1.48), so that the same one wins.
FILE_TYPES: tuple[type[mutagen.FileType], ...] = (
    MP3, TrueAudio, OggTheora, OggSpeex, OggVorbis, OggFLAC, FLAC, AIFF, APEv2File, MP4,
    ID3FileType, WavPack, Musepack, MonkeysAudio, OptimFROG, ASF, OggOpus, AAC, AC3, SMF, TAK,
    DSF, DSDIFF, WAVE,
)  # fmt: skip
HEADER_BYTES = 128


def tags_only_read(*, path: Path) -> AudioTags:
    """The tags of ``path`` as :func:`tagged_file_read` gives them, for about half the cost on the
    ID3-tagged formats (MP3, TrueAudio): their tag is parsed without the scan of the audio
    stream for its duration and bitrate, which matching on artist, title and ISRC does not
    need. The format is chosen exactly as ``mutagen.File`` chooses it; the other formats are
    loaded whole. A file whose tag is readable but whose audio stream is not gives its tags
    here (``tagged_file_read`` raises). Empty :class:`AudioTags` when unreadable.
    """
    try:
        with regular_file_open(path) as fileobj:
            header = fileobj.read(HEADER_BYTES)
            name = os.fspath(path)
            (score, _), file_type = max(
                ((kind.score(name, fileobj, header), kind.__name__), kind) for kind in FILE_TYPES
            )
            if score <= 0:
                return AudioTags()
            fileobj.seek(0)
            if issubclass(file_type, ID3FileType):
                try:
                    tags = file_type.ID3(fileobj)
                except ID3NoHeaderError:
                    tags = None
            else:
                tags = file_type(fileobj, filename=name).tags
    except Exception as error:  # mutagen raises many types on damaged files
        logger.debug("tags of %s unreadable: %s: %s", path, type(error).__name__, error)
        return AudioTags()
    return tags_from_mutagen(tags)


def tagged_file_read(*, path: Path) -> TaggedFile:
    """Tags and duration in one parse (what the scanner needs). Raises :class:`TagReadError`."""
    try:
        with regular_file_open(path) as fileobj:
            audio = mutagen.File(fileobj)
    except OSError as error:
        raise TagReadError(f"cannot read: {error}") from None
    except Exception as error:  # mutagen raises many types on damaged files
        raise TagReadError(f"{type(error).__name__}: {error}") from None
    if audio is None:
        raise TagReadError("not an audio format mutagen knows", not_audio=True)
    duration = getattr(audio.info, "length", None) if audio.info is not None else None
    return TaggedFile(tags=tags_from_mutagen(audio.tags), duration=duration)


def tags_from_mutagen(tags) -> AudioTags:
    if tags is None:
        return AudioTags()
    if isinstance(tags, ID3):
        return _tags(
            _id3(tags, "TPE1"),
            _id3(tags, "TIT2"),
            _id3(tags, "TALB"),
            _id3(tags, "TDRC") or _id3(tags, "TYER") or _id3(tags, "TDOR"),
            _id3(tags, "TSRC"),
        )
    if isinstance(tags, MP4Tags):
        return _tags(
            _first(tags.get("©ART")) or _first(tags.get("aART")),
            _first(tags.get("©nam")),
            _first(tags.get("©alb")),
            _first(tags.get("©day")),
            _first(tags.get("----:com.apple.iTunes:ISRC")),
        )
    if isinstance(tags, APEv2):
        return _tags(
            _ape(tags, "Artist"),
            _ape(tags, "Title"),
            _ape(tags, "Album"),
            _ape(tags, "Year"),
            _ape(tags, "ISRC"),
        )
    if isinstance(tags, ASFTags):
        return _tags(
            _first(tags.get("Author")) or _first(tags.get("WM/AlbumArtist")),
            _first(tags.get("Title")),
            _first(tags.get("WM/AlbumTitle")),
            _first(tags.get("WM/Year")) or _first(tags.get("WM/OriginalReleaseYear")),
            _first(tags.get("WM/ISRC")),
        )
    if hasattr(tags, "get") and hasattr(tags, "keys"):  # Vorbis comments (case-insensitive)
        return _tags(
            _first(tags.get("artist")) or _first(tags.get("albumartist")),
            _first(tags.get("title")),
            _first(tags.get("album")),
            _first(tags.get("date")) or _first(tags.get("year")),
            _first(tags.get("isrc")),
        )
    logger.debug("unknown tag container %s", type(tags).__name__)
    return AudioTags()


def _tags(artist, title, album, date, isrc) -> AudioTags:
    return AudioTags(
        artist=_clean(artist),
        title=_clean(title),
        album=_clean(album),
        year=year_parse(date),
        isrc=isrc_normalise(isrc),
    )


def _clean(value) -> str | None:
    if value is None:
        return None
    text = str(value).replace("\x00", "").strip()
    return text or None


def _first(values):
    if values is None:
        return None
    if isinstance(values, list | tuple):
        for value in values:
            if isinstance(value, bytes):
                value = value.decode("utf-8", "replace")
            if str(value).strip():
                return value
        return None
    return values


def _id3(tags: ID3, frame_id: str):
    frame = tags.get(frame_id)
    if frame is None or not getattr(frame, "text", None):
        return None
    return _first([str(text) for text in frame.text])


def _ape(tags: APEv2, key: str):
    value = tags.get(key)
    if value is None:
        return None
    try:
        return _first(list(value))
    except (TypeError, ValueError):
        return str(value)


def year_parse(value) -> int | None:
    if value is None:
        return None
    match = YEAR_RE.search(str(value))
    if not match:
        return None
    year = int(match.group(1))
    return year if YEAR_MIN <= year <= YEAR_MAX else None


def isrc_normalise(value) -> str | None:
    """The one spelling of an ISRC: written with or without hyphens or spaces and in either
    case, stored and compared as its 12 characters; anything that is not an ISRC is None."""
    if value is None:
        return None
    text = _ISRC_IGNORED.sub("", str(value)).upper()
    return text if ISRC_RE.match(text) else None
