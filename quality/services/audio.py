"""The audio facts of one file, read from what is inside the container, never from its name.

This module runs in worker processes and does no database work: :func:`audio_properties_read`
takes a path and returns :class:`AudioProperties` or raises :class:`AudioReadError` with a
``kind`` the summary can count. Every failure of a parser on a damaged file becomes
``AudioReadError``; nothing else escapes (the fuzz test holds it to that).

Why not simply ``mutagen.File()``: it guesses the type partly from the extension, parses every
tag (cover art included) and leaves gaps this product cares about. Here the container is
recognised from its first bytes, only the stream information is parsed (mutagen's info classes,
or a few lines of our own for FLAC, WAV and AIFF), and the gaps are filled:

- MP3 ``bitrate_mode`` only from a LAME/Xing/Info/VBRI header (mutagen's reading); no header,
  no mode. Vorbis: the identification header's max/nominal/min (Vorbis I spec §4.2.2: all
  three equal = CBR; a max or min set = VBR within limits; only nominal = "VBR or ABR", so
  unknown).
- MP3 inside WAV is MP3; ALAC inside M4A is ALAC; WMA Lossless inside ASF is lossless.
- MP4: the bitrate is the real average (sample sizes / duration, as ffprobe and mediainfo
  report it), not the header's claim; AAC's channel count comes from the
  AudioSpecificConfig, which the sample entry often gets wrong.
- Opus always decodes at 48 kHz. A lossy stream without a header bitrate gets audio bytes × 8
  / duration.

What a header declares is checked against the bytes present, without decoding (a cut
download must not be scored, and so kept, as the whole track; bytes added after the audio
must not inflate a bitrate): the FLAC STREAMINFO (total samples, frame sizes) against the
audio bytes and the number of the last frame; the Xing/Info or VBRI byte count of an MP3;
an MP4's atoms and sample table against the file; a WAV ``data`` chunk against the file.
A mismatch is ``truncated`` (bytes missing) or ``inconsistent`` (bytes the header does not
account for), and gives no facts.
"""

from __future__ import annotations

import contextvars
import os
import struct
from array import array
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path

from mutagen.aac import AACInfo
from mutagen.aiff import read_float
from mutagen.asf import ASF
from mutagen.dsdiff import DSDIFF
from mutagen.dsf import DSF
from mutagen.monkeysaudio import MonkeysAudio
from mutagen.mp3 import BitrateMode, MPEGInfo
from mutagen.mp4 import MP4Info
from mutagen.mp4._as_entry import ES_Descriptor
from mutagen.mp4._atom import Atoms
from mutagen.musepack import Musepack
from mutagen.oggflac import OggFLAC
from mutagen.oggopus import OggOpus
from mutagen.oggspeex import OggSpeex
from mutagen.oggvorbis import OggVorbis
from mutagen.trueaudio import TrueAudio
from mutagen.wavpack import WavPack

from musicquality.regular_files import regular_file_open
from quality.score import is_lossless_codec

HEAD_BYTES = 128
MIN_SAMPLE_RATE = 1000
MAX_SAMPLE_RATE = 50_000_000
MAX_CHANNELS = 64
MAX_FLAC_BLOCKS = 4096
ASF_GUID = bytes.fromhex("3026b2758e66cf11a6d900aa0062ce6c")


class AudioReadError(Exception):
    """The file gives no audio facts; ``kind`` is one of the ``KIND_*`` values."""

    KIND_MISSING = "missing"
    KIND_UNREADABLE = "unreadable"
    KIND_EMPTY = "empty"
    KIND_NOT_AUDIO = "not audio"
    KIND_CORRUPT = "corrupt"
    KIND_TRUNCATED = "truncated"
    KIND_INCONSISTENT = "inconsistent"

    def __init__(self, kind: str, message: str):
        super().__init__(message)
        self.kind = kind


@dataclass(frozen=True, slots=True)
class AudioProperties:
    codec: str
    bitrate: int | None  # kbps
    sample_rate: int | None
    bit_depth: int | None  # lossless/PCM only
    channels: int | None
    bitrate_mode: str | None
    duration: float | None
    #: Samples per channel the header declares, where it says (FLAC STREAMINFO, WAV, AIFF).
    total_samples: int | None = None
    #: FLAC STREAMINFO MD5 of the decoded audio, 32 hex digits; None when unset or not FLAC.
    flac_md5: str | None = None
    #: MP3: the LAME settings its header records, as mutagen reads them ("-V 2", "-b 320",
    #: "--preset extreme"); "" for an MP3 without them; None for other codecs.
    encoder_settings: str | None = None

    @property
    def is_lossless(self) -> bool:
        return is_lossless_codec(self.codec)


def audio_properties_read(path: Path | str, *, check_sizes: bool = True) -> AudioProperties:
    """The stream facts of ``path``, or :class:`AudioReadError`. ``check_sizes=False`` gives
    what the header declares even when the bytes present do not match it (module
    docstring): for a verifier that decodes the file and judges a cut itself."""
    token = _size_checks.set(check_sizes)
    try:
        return _audio_properties_read(path)
    finally:
        _size_checks.reset(token)


def _audio_properties_read(path: Path | str) -> AudioProperties:
    try:
        handle = regular_file_open(path)
    except FileNotFoundError:
        raise AudioReadError(AudioReadError.KIND_MISSING, "file not found") from None
    except OSError as error:
        raise AudioReadError(AudioReadError.KIND_UNREADABLE, error.strerror or str(error)) from None
    with handle:
        try:
            size = os.fstat(handle.fileno()).st_size
            if size == 0:
                raise AudioReadError(AudioReadError.KIND_EMPTY, "zero-byte file")
            props = _read(handle, size)
        except AudioReadError:
            raise
        except OSError as error:
            raise AudioReadError(AudioReadError.KIND_UNREADABLE, str(error)) from None
        except Exception as error:  # any parser failure on a damaged file
            raise AudioReadError(
                AudioReadError.KIND_CORRUPT, f"{type(error).__name__}: {error}"
            ) from None
    return _checked(props)


def _checked(props: AudioProperties) -> AudioProperties:
    """Reject values no real stream has: a parser that read garbage must not make a row."""
    if props.sample_rate is not None and not (
        MIN_SAMPLE_RATE <= props.sample_rate <= MAX_SAMPLE_RATE
    ):
        raise AudioReadError(
            AudioReadError.KIND_CORRUPT, f"implausible sample rate {props.sample_rate}"
        )
    if props.channels is not None and not (1 <= props.channels <= MAX_CHANNELS):
        raise AudioReadError(AudioReadError.KIND_CORRUPT, f"implausible channels {props.channels}")
    if props.duration is not None and not (0 <= props.duration < 1e7):
        raise AudioReadError(AudioReadError.KIND_CORRUPT, f"implausible duration {props.duration}")
    return props


def _read(handle, size: int) -> AudioProperties:
    offset = 0
    head = handle.read(HEAD_BYTES)
    while head[:3] == b"ID3" and len(head) >= 10:
        offset += _id3_size(head)
        handle.seek(offset)
        head = handle.read(HEAD_BYTES)
    if not head:
        raise AudioReadError(AudioReadError.KIND_CORRUPT, "nothing after the ID3 tag")
    reader = _reader_for(head)
    if reader is None:
        raise AudioReadError(AudioReadError.KIND_NOT_AUDIO, "no known audio container")
    handle.seek(offset)
    return reader(handle, size, offset, head)


def _id3_size(head: bytes) -> int:
    flags = head[5]
    body = (head[6] << 21) | (head[7] << 14) | (head[8] << 7) | head[9]
    return 10 + body + (10 if flags & 0x10 else 0)


def _reader_for(head: bytes):
    if head.startswith(b"fLaC"):
        return _read_flac
    if head.startswith(b"OggS"):
        return _read_ogg
    if head[4:8] == b"ftyp":
        return _read_mp4
    if head[:4] in (b"RIFF", b"RF64") and head[8:12] == b"WAVE":
        return _read_wav
    if head[:4] == b"FORM" and head[8:12] in (b"AIFF", b"AIFC"):
        return _read_aiff
    if head.startswith(ASF_GUID):
        return _read_asf
    if head.startswith(b"MAC "):
        return _read_ape
    if head.startswith(b"wvpk"):
        return _read_wavpack
    if head.startswith((b"TTA1", b"TTA2")):
        return _read_tta
    if head.startswith(b"DSD "):
        return _read_dsf
    if head.startswith(b"FRM8"):
        return _read_dsdiff
    if head.startswith((b"MPCK", b"MP+")):
        return _read_musepack
    if len(head) >= 2 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0:
        if head[1] & 0x06 == 0:
            return _read_adts
        return _read_mpeg
    return None


# --- helpers -----------------------------------------------------------------------------


def _kbps(bits_per_second: float | None) -> int | None:
    if not bits_per_second or bits_per_second < 0:
        return None
    return round(bits_per_second / 1000)


def _estimated_kbps(audio_bytes: int, duration: float | None) -> int | None:
    if not duration or duration <= 0 or audio_bytes <= 0:
        return None
    return _kbps(audio_bytes * 8 / duration)


BYTES_SLACK = 64 * 1024
"""Bytes after the audio tolerated beyond what the header accounts for (a tag of a kind we
do not measure, a few bytes of junk); padding beyond that is ``inconsistent``."""


#: Off while :func:`audio_properties_read` is asked for the header's facts only
#: (``check_sizes=False``: a verifier that decodes the file judges a cut itself).
_size_checks = contextvars.ContextVar("audio_size_checks", default=True)


def _truncated(message: str) -> None:
    if _size_checks.get():
        raise AudioReadError(AudioReadError.KIND_TRUNCATED, message)


def _inconsistent(message: str) -> None:
    if _size_checks.get():
        raise AudioReadError(AudioReadError.KIND_INCONSISTENT, message)


def _declared_bytes_check(what: str, *, declared: int, present: int) -> None:
    """A stream whose header declares ``declared`` bytes, of which ``present`` are there."""
    if present + max(4096, declared // 200) < declared:
        _truncated(f"{what} declares {declared} bytes, {present} present")
    if present > declared + max(BYTES_SLACK, declared // 10):
        _inconsistent(f"{what} declares {declared} bytes, {present} present")


def _trailing_tag_bytes(handle, size: int) -> int:
    """Bytes of ID3v1 and APEv2 tags at the end of the file (not audio)."""
    trailing = 0
    if size >= 128:
        handle.seek(size - 128)
        if handle.read(3) == b"TAG":
            trailing += 128
    if size - trailing >= 32:
        handle.seek(size - trailing - 32)
        footer = handle.read(32)
        if footer.startswith(b"APETAGEX"):
            tag_size, _items, flags = struct.unpack("<III", footer[12:24])
            trailing += tag_size + (32 if flags & 0x80000000 else 0)
    return min(trailing, size)


def _props(
    codec: str,
    *,
    bitrate: int | None,
    sample_rate: int | None,
    channels: int | None,
    duration: float | None,
    bit_depth: int | None = None,
    bitrate_mode: str | None = None,
    total_samples: int | None = None,
    flac_md5: str | None = None,
    encoder_settings: str | None = None,
) -> AudioProperties:
    lossless = is_lossless_codec(codec)
    return AudioProperties(
        codec=codec,
        bitrate=bitrate,
        sample_rate=int(sample_rate) if sample_rate else None,
        bit_depth=int(bit_depth) if lossless and bit_depth else None,
        channels=int(channels) if channels else None,
        bitrate_mode=None if lossless else bitrate_mode,
        duration=float(duration) if duration is not None else None,
        total_samples=total_samples or None,
        flac_md5=flac_md5,
        encoder_settings=encoder_settings,
    )


# --- MPEG audio, ADTS ---------------------------------------------------------------------

MP3_MODES = {BitrateMode.CBR: "CBR", BitrateMode.VBR: "VBR", BitrateMode.ABR: "ABR"}


MPEG_MONO = 3


def _mpeg_declared_bytes(handle, info) -> int | None:
    """The stream length (first frame included) that the Xing/Info or VBRI header in the
    first frame declares, or None. ``frame_offset``, ``version`` and ``mode`` are the first
    frame's, which ``MPEGInfo`` copies onto itself (guarded by test_mutagen_guard.py)."""
    if info.layer != 3:
        return None
    mono = info.mode == MPEG_MONO
    side_info = (17 if mono else 32) if info.version == 1 else (9 if mono else 17)
    handle.seek(info.frame_offset + 4 + side_info)
    xing = handle.read(16)
    if xing[:4] in (b"Xing", b"Info") and len(xing) == 16:
        flags = int.from_bytes(xing[4:8], "big")
        at = 12 if flags & 1 else 8
        return (int.from_bytes(xing[at : at + 4], "big") or None) if flags & 2 else None
    handle.seek(info.frame_offset + 36)
    vbri = handle.read(14)
    if vbri[:4] == b"VBRI" and len(vbri) == 14:
        return int.from_bytes(vbri[10:14], "big") or None
    return None


def _mpeg_props(handle, offset: int, audio_bytes: int) -> AudioProperties:
    info = MPEGInfo(handle, offset)
    declared = _mpeg_declared_bytes(handle, info)
    if declared is not None:
        present = offset + audio_bytes - info.frame_offset
        _declared_bytes_check("the MP3 Xing/VBRI header", declared=declared, present=present)
    codec = "MP3" if info.layer == 3 else f"MP{info.layer}"
    return _props(
        codec,
        bitrate=_kbps(info.bitrate) or _estimated_kbps(audio_bytes, info.length),
        sample_rate=info.sample_rate,
        channels=info.channels,
        duration=info.length,
        bitrate_mode=MP3_MODES.get(info.bitrate_mode),
        encoder_settings=(info.encoder_settings or "") if codec == "MP3" else None,
    )


def _read_mpeg(handle, size, offset, head):
    return _mpeg_props(handle, offset, size - offset - _trailing_tag_bytes(handle, size))


def _read_adts(handle, size, offset, head):
    info = AACInfo(handle)
    return _props(
        "AAC",
        bitrate=_kbps(info.bitrate),
        sample_rate=info.sample_rate,
        channels=info.channels,
        duration=info.length,
    )


# --- FLAC ----------------------------------------------------------------------------------


def _read_flac(handle, size, offset, head):
    handle.seek(offset + 4)
    streaminfo = None
    for _ in range(MAX_FLAC_BLOCKS):
        header = handle.read(4)
        if len(header) < 4:
            raise AudioReadError(AudioReadError.KIND_CORRUPT, "FLAC metadata truncated")
        last, block_type = header[0] & 0x80, header[0] & 0x7F
        length = int.from_bytes(header[1:4], "big")
        if block_type == 0:
            streaminfo = handle.read(length)
        else:
            handle.seek(length, os.SEEK_CUR)
        if last:
            break
    else:
        raise AudioReadError(AudioReadError.KIND_CORRUPT, "FLAC metadata never ends")
    audio_offset = handle.tell()
    if streaminfo is None or len(streaminfo) < 18 or audio_offset > size:
        raise AudioReadError(AudioReadError.KIND_CORRUPT, "FLAC STREAMINFO missing or truncated")
    packed = int.from_bytes(streaminfo[10:18], "big")
    sample_rate = packed >> 44
    channels = ((packed >> 41) & 0x7) + 1
    bit_depth = ((packed >> 36) & 0x1F) + 1
    total_samples = packed & 0xFFFFFFFFF
    duration = total_samples / sample_rate if sample_rate and total_samples else None
    if total_samples:
        _flac_size_check(
            handle,
            FlacStream(
                min_block=int.from_bytes(streaminfo[0:2], "big"),
                max_block=int.from_bytes(streaminfo[2:4], "big"),
                min_frame=int.from_bytes(streaminfo[4:7], "big"),
                max_frame=int.from_bytes(streaminfo[7:10], "big"),
                channels=channels,
                bit_depth=bit_depth,
                total_samples=total_samples,
                audio_offset=audio_offset,
                audio_end=size - _trailing_tag_bytes(handle, size),
            ),
        )
    md5 = streaminfo[18:34].hex() if len(streaminfo) >= 34 else ""
    return _props(
        "FLAC",
        total_samples=total_samples,
        flac_md5=md5 if md5.strip("0") else None,
        bitrate=_estimated_kbps(size - audio_offset, duration),
        sample_rate=sample_rate,
        channels=channels,
        duration=duration,
        bit_depth=bit_depth,
    )


@dataclass(frozen=True, slots=True)
class FlacStream:
    """What STREAMINFO declares, and where the audio frames lie in the file."""

    min_block: int
    max_block: int
    min_frame: int  # bytes; 0 = unknown
    max_frame: int
    channels: int
    bit_depth: int
    total_samples: int
    audio_offset: int
    audio_end: int

    @property
    def audio_bytes(self) -> int:
        return self.audio_end - self.audio_offset


FLAC_FRAME_OVERHEAD = 18  # frame header (up to 16 bytes) and CRC-16
FLAC_TAIL_WINDOW = 256 * 1024  # where the last two frames are sought when max_frame is unknown
FLAC_SAMPLE_SIZES = {0: 0, 1: 8, 2: 12, 4: 16, 5: 20, 6: 24, 7: 32}
#: (mask, value) of the first byte of a frame or sample number in FLAC's UTF-8-like coding,
#: by the number of continuation bytes that follow it.
UTF8_LEADS = ((0x80, 0x00), (0xE0, 0xC0), (0xF0, 0xE0), (0xF8, 0xF0), (0xFC, 0xF8),
              (0xFE, 0xFC), (0xFF, 0xFE))  # fmt: skip


def _flac_size_check(handle, stream: FlacStream) -> None:
    """Truncated or padded FLAC: the bytes against STREAMINFO's frame sizes (or, when the
    encoder left them unknown, the uncompressed size), then the sample number of the last
    frame against the declared total."""
    if not stream.max_block or not stream.min_block:
        return
    frames_least = -(-stream.total_samples // stream.max_block)
    frames_most = -(-stream.total_samples // stream.min_block)
    present = stream.audio_bytes
    if stream.min_frame and present < frames_least * stream.min_frame:
        _truncated(
            f"FLAC STREAMINFO declares {stream.total_samples} samples, at least "
            f"{frames_least * stream.min_frame} audio bytes; {present} present"
        )
    if stream.max_frame:
        most = frames_most * stream.max_frame
    else:
        uncompressed = stream.total_samples * stream.channels * -(-stream.bit_depth // 8)
        most = uncompressed + frames_most * (FLAC_FRAME_OVERHEAD + stream.channels)
    if present > most + BYTES_SLACK:
        _inconsistent(
            f"FLAC STREAMINFO declares {stream.total_samples} samples, at most {most} audio "
            f"bytes; {present} present"
        )
    last = _flac_last_frame(handle, stream)
    if last is None:
        return
    end_sample, tail_bytes = last
    if end_sample < stream.total_samples:
        _truncated(
            f"FLAC stream ends at sample {end_sample} of the {stream.total_samples} its "
            "STREAMINFO declares"
        )
    if stream.max_frame and tail_bytes > stream.max_frame + BYTES_SLACK:
        _inconsistent(f"{tail_bytes} bytes after the last FLAC frame header")


def _crc8(data: bytes) -> int:
    crc = 0
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = ((crc << 1) ^ 0x07) & 0xFF if crc & 0x80 else (crc << 1) & 0xFF
    return crc


def _flac_frame_header(data: bytes, at: int, stream: FlacStream) -> tuple[int, int] | None:
    """(first sample, block size) of a FLAC frame header at ``data[at]`` that agrees with
    STREAMINFO and whose CRC-8 holds; None for anything else (a sync code inside audio)."""
    if at + 6 > len(data):
        return None
    variable = data[at + 1] & 1
    block_code, rate_code = data[at + 2] >> 4, data[at + 2] & 0xF
    channel_code, size_code = data[at + 3] >> 4, (data[at + 3] >> 1) & 0x7
    if block_code == 0 or rate_code == 0xF or channel_code > 10 or data[at + 3] & 1:
        return None
    if (channel_code + 1 if channel_code < 8 else 2) != stream.channels:
        return None
    if FLAC_SAMPLE_SIZES.get(size_code, -1) not in (0, stream.bit_depth):
        return None
    position = at + 4
    lead = data[position]
    extra = next((n for n, (mask, value) in enumerate(UTF8_LEADS) if lead & mask == value), None)
    if extra is None or position + 1 + extra > len(data):
        return None
    number = lead & (0x3F >> extra if extra else 0x7F)
    for byte in data[position + 1 : position + 1 + extra]:
        if byte & 0xC0 != 0x80:
            return None
        number = (number << 6) | (byte & 0x3F)
    position += 1 + extra
    if block_code == 6:
        block, position = data[position] + 1 if position < len(data) else 0, position + 1
    elif block_code == 7:
        block = int.from_bytes(data[position : position + 2], "big") + 1
        position += 2
    elif block_code == 1:
        block = 192
    elif block_code <= 5:
        block = 576 << (block_code - 2)
    else:
        block = 256 << (block_code - 8)
    position += {12: 1, 13: 2, 14: 2}.get(rate_code, 0)
    if position >= len(data) or _crc8(data[at:position]) != data[position]:
        return None
    return (number if variable else number * stream.max_block), block


def _flac_last_frame(handle, stream: FlacStream) -> tuple[int, int] | None:
    """Where the last frame ends (in samples) and the bytes from its header to the end of the
    audio, or None when no last frame can be told apart from audio bytes.

    A candidate counts only if the frame before it is found too, right before it and ending
    where it starts: a sync code with a valid CRC-8 inside the audio data of the last frame
    is then no reason to call a file truncated.
    """
    window = 2 * stream.max_frame + FLAC_FRAME_OVERHEAD if stream.max_frame else FLAC_TAIL_WINDOW
    start = max(stream.audio_offset, stream.audio_end - window)
    handle.seek(start)
    data = handle.read(stream.audio_end - start)
    headers: list[tuple[int, int, int]] = []  # (position, first sample, block size), from the end
    at = len(data)
    while (at := max(data.rfind(b"\xff\xf8", 0, at), data.rfind(b"\xff\xf9", 0, at))) >= 0:
        header = _flac_frame_header(data, at, stream)
        if header is None or header[0] >= stream.total_samples:
            continue
        first, block = header
        if first == 0 and start + at == stream.audio_offset and not headers:
            return block, len(data) - at
        for position, later_first, _ in headers:
            if later_first == first + block and position > at:
                return later_first + _block_of(headers, position), len(data) - position
        headers.append((at, first, block))
    return None


def _block_of(headers: list[tuple[int, int, int]], position: int) -> int:
    return next(block for at, _, block in headers if at == position)


# --- Ogg -----------------------------------------------------------------------------------


def _vorbis_mode(maximum: int, nominal: int, minimum: int) -> str | None:
    maximum, nominal, minimum = (max(0, v) for v in (maximum, nominal, minimum))
    if nominal and maximum == nominal == minimum:
        return "CBR"
    if (maximum or minimum) and not maximum == minimum == nominal:
        return "VBR"
    return None


def _read_ogg(handle, size, offset, head):
    packet = head[27 + head[26] :] if len(head) > 27 else b""
    if packet.startswith(b"\x01vorbis"):
        maximum, nominal, minimum = struct.unpack("<3i", packet[16:28])
        info = OggVorbis(handle).info
        return _props(
            "Vorbis",
            bitrate=_kbps(info.bitrate) or _estimated_kbps(size, info.length),
            sample_rate=info.sample_rate,
            channels=info.channels,
            duration=info.length,
            bitrate_mode=_vorbis_mode(maximum, nominal, minimum),
        )
    if packet.startswith(b"OpusHead"):
        info = OggOpus(handle).info
        return _props(
            "Opus",
            bitrate=_kbps(getattr(info, "bitrate", 0)) or _estimated_kbps(size, info.length),
            sample_rate=48000,
            channels=info.channels,
            duration=info.length,
        )
    if packet.startswith(b"\x7fFLAC"):
        info = OggFLAC(handle).info
        return _props(
            "FLAC",
            bitrate=_estimated_kbps(size, info.length),
            sample_rate=info.sample_rate,
            channels=info.channels,
            duration=info.length,
            bit_depth=info.bits_per_sample,
        )
    if packet.startswith(b"Speex   "):
        info = OggSpeex(handle).info
        return _props(
            "Speex",
            bitrate=_kbps(info.bitrate) or _estimated_kbps(size, info.length),
            sample_rate=info.sample_rate,
            channels=info.channels,
            duration=info.length,
        )
    raise AudioReadError(AudioReadError.KIND_NOT_AUDIO, "Ogg stream of no known audio codec")


# --- MP4 -----------------------------------------------------------------------------------

MP4_CODECS = {
    "alac": "ALAC",
    "ac-3": "AC-3",
    "ec-3": "E-AC-3",
    "flac": "FLAC",
    "fLaC": "FLAC",
    "Opus": "Opus",
    "opus": "Opus",
    "mp4a.69": "MP3",
    "mp4a.6B": "MP3",
    "mp4a.6b": "MP3",
}
AAC_CHANNEL_CONFIGS = {1: 1, 2: 2, 3: 3, 4: 4, 5: 5, 6: 6, 7: 8}


def _mp4_sample_bytes(handle, trak) -> int | None:
    """Sum of the sample sizes of the track (``stsz``): the audio bytes, as ffprobe counts."""
    try:
        stsz = trak[b"mdia", b"minf", b"stbl", b"stsz"]
    except KeyError:
        return None
    ok, data = stsz.read(handle)
    if not ok or len(data) < 12:
        return None
    sample_size, count = struct.unpack(">II", data[4:12])
    if sample_size:
        return sample_size * count
    sizes = array("I", data[12 : 12 + 4 * count])
    if array("I", b"\x00\x00\x00\x01")[0] != 1:
        sizes.byteswap()
    return sum(sizes)


def _mp4_size_check(
    atoms, *, size: int, sample_bytes: int | None, all_sample_bytes: int | None
) -> None:
    """Truncated MP4: a top-level atom (the media data, usually) declared longer than the
    file, or an audio sample table larger than all the media data present. Padded MP4:
    bytes after the boxes that no box accounts for (zeros read as a box without a type that
    runs to the end of the file), or media data far larger than every track's sample table
    (``all_sample_bytes``; fragmented files, whose samples the tables do not list, are not
    judged so)."""
    media = 0
    unaccounted = 0
    fragmented = False
    for atom in atoms.atoms:
        if atom.offset + atom.length > size:
            name = atom.name.decode("latin-1")
            _truncated(
                f"MP4 atom {name!r} declares {atom.length} bytes, {size - atom.offset} present"
            )
        if atom.name == b"mdat":
            media += atom.datalength
        elif atom.name == b"moof":
            fragmented = True
        elif not _is_box_type(atom.name):
            unaccounted += atom.length
    if sample_bytes and sample_bytes > media:
        _truncated(f"MP4 sample table declares {sample_bytes} audio bytes, {media} present")
    if unaccounted > BYTES_SLACK:
        _inconsistent(f"{unaccounted} bytes after the MP4 boxes belong to no box")
    if (
        all_sample_bytes
        and not fragmented
        and media > all_sample_bytes + max(BYTES_SLACK, all_sample_bytes // 10)
    ):
        _inconsistent(f"MP4 sample tables declare {all_sample_bytes} bytes, media data {media}")


def _is_box_type(name: bytes) -> bool:
    """A box type is four printable characters (ISO/IEC 14496-12 four-character codes;
    Apple's start with ©)."""
    return len(name) == 4 and all(32 < byte < 127 or byte == 0xA9 for byte in name)


def _aac_channels(handle, trak) -> int | None:
    """Channel count from the AudioSpecificConfig, which the sample entry often gets wrong."""
    stsd = trak[b"mdia", b"minf", b"stbl", b"stsd"]
    ok, data = stsd.read(handle)
    at = data.find(b"esds") if ok else -1
    if at < 4:
        return None
    esds_size = int.from_bytes(data[at - 4 : at], "big")
    payload = data[at + 8 : at - 4 + esds_size]
    if not payload or payload[0] != ES_Descriptor.TAG:
        return None
    descriptor = ES_Descriptor.parse(BytesIO(payload[1:]))
    specific = descriptor.decConfigDescr.decSpecificInfo
    if specific is None:
        return None
    return AAC_CHANNEL_CONFIGS.get(getattr(specific, "channelConfiguration", 0))


def _read_mp4(handle, size, offset, head):
    atoms = Atoms(handle)
    info = MP4Info(atoms, handle)
    trak = None
    for candidate in atoms[b"moov"].findall(b"trak"):
        ok, data = candidate[b"mdia", b"hdlr"].read(handle)
        if ok and data[8:12] == b"soun":
            trak = candidate
            break
    if trak is None or not info.codec:
        raise AudioReadError(AudioReadError.KIND_NOT_AUDIO, "MP4 file without an audio track")
    codec_id = info.codec
    codec = MP4_CODECS.get(codec_id, MP4_CODECS.get(codec_id.split(".")[0], ""))
    if not codec:
        codec = "AAC" if codec_id.startswith("mp4a.40") else codec_id
    channels = info.channels
    tracks = list(atoms[b"moov"].findall(b"trak"))
    every_track = [_mp4_sample_bytes(handle, track) for track in tracks]
    sample_bytes = every_track[tracks.index(trak)]
    known = [bytes_ for bytes_ in every_track if bytes_ is not None]
    _mp4_size_check(
        atoms,
        size=size,
        sample_bytes=sample_bytes,
        all_sample_bytes=sum(known) if len(known) == len(every_track) else None,
    )
    if codec == "AAC":
        channels = _aac_channels(handle, trak) or channels
    bitrate = _estimated_kbps(sample_bytes or 0, info.length) or _kbps(info.bitrate)
    return _props(
        codec,
        bitrate=bitrate,
        sample_rate=info.sample_rate,
        channels=channels,
        duration=info.length,
        bit_depth=info.bits_per_sample,
    )


# --- RIFF WAVE, AIFF -----------------------------------------------------------------------

WAVE_FORMATS = {
    0x0001: "PCM",
    0x0003: "PCM",
    0x0006: "A-law",
    0x0007: "µ-law",
    0x0002: "ADPCM",
    0x0011: "ADPCM",
    0x0050: "MP2",
    0x0055: "MP3",
    0x00FF: "AAC",
    0x1610: "AAC",
    0x0160: "WMA",
    0x0161: "WMA",
    0x0162: "WMA",
    0x0163: "WMA Lossless",
    0xF1AC: "FLAC",
}
WAVE_FORMAT_EXTENSIBLE = 0xFFFE


def _riff_chunks(handle, start: int, end: int, *, big_endian: bool):
    order = ">" if big_endian else "<"
    position = start
    while position + 8 <= end:
        handle.seek(position)
        header = handle.read(8)
        if len(header) < 8:
            return
        chunk_id, chunk_size = header[:4], struct.unpack(order + "I", header[4:])[0]
        yield chunk_id, position + 8, chunk_size
        position += 8 + chunk_size + (chunk_size & 1)


def _chunked_size_check(
    what: str, handle, offset: int, size: int, *, data_end: int, big_endian: bool
) -> None:
    """Padded WAV or AIFF: bytes after the RIFF or FORM chunk, whose size the header
    declares. A size that cannot be right (0, 0xFFFFFFFF as streaming writers leave it, or
    one ending before the audio data) says nothing and is not judged."""
    handle.seek(offset + 4)
    field = handle.read(4)
    if len(field) < 4:
        return
    declared = struct.unpack(">I" if big_endian else "<I", field)[0]
    end = offset + 8 + declared + (declared & 1)
    if declared in (0, 0xFFFFFFFF) or end < data_end:
        return
    trailing = size - end - _trailing_tag_bytes(handle, size)
    if trailing > BYTES_SLACK:
        _inconsistent(f"{what} header declares {declared + 8} bytes, {size - offset} present")


def _read_wav(handle, size, offset, head):
    fmt = None
    data_offset = data_size = None
    declared_bytes = 0
    for chunk_id, start, chunk_size in _riff_chunks(handle, offset + 12, size, big_endian=False):
        if chunk_id == b"fmt ":
            handle.seek(start)
            fmt = handle.read(min(chunk_size, 40))
        elif chunk_id == b"data":
            data_offset = start
            data_size = min(chunk_size, size - start)
            declared_bytes = chunk_size
            if chunk_size == 0xFFFFFFFF:  # RF64: real size in ds64
                data_size = size - start
            elif chunk_size and chunk_size > size - start + 1:  # + its pad byte
                _truncated(f"WAV data chunk declares {chunk_size} bytes, {size - start} present")
            break
    if fmt is None or len(fmt) < 16 or data_offset is None:
        raise AudioReadError(AudioReadError.KIND_CORRUPT, "WAV without fmt or data chunk")
    if head[:4] == b"RIFF" and data_size is not None:
        _chunked_size_check(
            "WAV", handle, offset, size, data_end=data_offset + data_size, big_endian=False
        )
    tag, channels, sample_rate, byte_rate, block_align, bits = struct.unpack("<HHIIHH", fmt[:16])
    if tag == WAVE_FORMAT_EXTENSIBLE and len(fmt) >= 26:
        tag = struct.unpack("<H", fmt[24:26])[0]
    codec = WAVE_FORMATS.get(tag, f"WAV format 0x{tag:04x}")
    if codec in ("MP3", "MP2"):
        return _mpeg_props(handle, data_offset, data_size)
    duration = data_size / byte_rate if byte_rate else None
    return _props(
        codec,
        bitrate=_kbps(byte_rate * 8) if codec == "PCM" else _estimated_kbps(data_size, duration),
        sample_rate=sample_rate,
        channels=channels,
        duration=duration,
        bit_depth=bits,
        total_samples=(
            declared_bytes // block_align
            if codec == "PCM" and block_align and declared_bytes != 0xFFFFFFFF
            else None
        ),
    )


AIFC_PCM = {b"NONE", b"sowt", b"twos", b"raw ", b"in24", b"in32", b"fl32", b"FL32", b"fl64"}


def _read_aiff(handle, size, offset, head):
    comm = None
    for chunk_id, start, chunk_size in _riff_chunks(handle, offset + 12, size, big_endian=True):
        if chunk_id == b"COMM":
            handle.seek(start)
            comm = handle.read(min(chunk_size, 22))
            break
    if comm is None or len(comm) < 18:
        raise AudioReadError(AudioReadError.KIND_CORRUPT, "AIFF without COMM chunk")
    _chunked_size_check("AIFF", handle, offset, size, data_end=offset + 12, big_endian=True)
    channels, frames, bits = struct.unpack(">hIh", comm[:8])
    sample_rate = int(read_float(comm[8:18]))
    compression = comm[18:22] if head[8:12] == b"AIFC" and len(comm) >= 22 else b"NONE"
    codec = "PCM" if compression in AIFC_PCM else f"AIFC {compression.decode('latin-1')}"
    duration = frames / sample_rate if sample_rate else None
    bitrate = _kbps(sample_rate * bits * channels) if codec == "PCM" else None
    return _props(
        codec,
        bitrate=bitrate,
        sample_rate=sample_rate,
        channels=channels,
        duration=duration,
        bit_depth=bits,
        total_samples=frames if codec == "PCM" else None,
    )


# --- other containers (mutagen's stream info) ----------------------------------------------


def _read_asf(handle, size, offset, head):
    info = ASF(handle).info
    description = f"{info.codec_type} {info.codec_name}"
    if "Lossless" in description:
        codec = "WMA Lossless"
    elif "Voice" in description:
        codec = "WMA Voice"
    elif info.codec_type or info.codec_name:
        codec = "WMA"
    else:
        raise AudioReadError(AudioReadError.KIND_NOT_AUDIO, "ASF file without an audio stream")
    return _props(
        codec,
        bitrate=_kbps(info.bitrate),
        sample_rate=info.sample_rate,
        channels=info.channels,
        duration=info.length,
    )


def _lossless_props(codec: str, info, handle, size: int, offset: int) -> AudioProperties:
    audio_bytes = size - offset - _trailing_tag_bytes(handle, size)
    return _props(
        codec,
        bitrate=_kbps(getattr(info, "bitrate", 0)) or _estimated_kbps(audio_bytes, info.length),
        sample_rate=info.sample_rate,
        channels=info.channels,
        duration=info.length,
        bit_depth=info.bits_per_sample,
    )


def _read_ape(handle, size, offset, head):
    return _lossless_props("APE", MonkeysAudio(handle).info, handle, size, offset)


def _read_wavpack(handle, size, offset, head):
    return _lossless_props("WavPack", WavPack(handle).info, handle, size, offset)


def _read_tta(handle, size, offset, head):
    return _lossless_props("TTA", TrueAudio(handle).info, handle, size, offset)


def _read_dsf(handle, size, offset, head):
    return _lossless_props("DSD", DSF(handle).info, handle, size, offset)


def _read_dsdiff(handle, size, offset, head):
    return _lossless_props("DSD", DSDIFF(handle).info, handle, size, offset)


def _read_musepack(handle, size, offset, head):
    info = Musepack(handle).info
    audio_bytes = size - offset - _trailing_tag_bytes(handle, size)
    return _props(
        "Musepack",
        bitrate=_kbps(info.bitrate) or _estimated_kbps(audio_bytes, info.length),
        sample_rate=info.sample_rate,
        channels=info.channels,
        duration=info.length,
    )
