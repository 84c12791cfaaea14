"""Encode short real audio files with known parameters (demo library, tests, benchmarks).

MP3 goes through the system's LAME when it is installed (:mod:`quality.services.lame`: the
same LAME, three times as fast as the copy in PyAV's wheel), else through PyAV's. PyAV's
wheel brings LAME, FFmpeg's AAC, ALAC, FLAC, libopus, PCM and WMA encoders; it has no
libvorbis, so Vorbis goes through ``soundfile`` (libsndfile). The signal is a seeded tone plus
noise, so different seeds give different audio bytes.

ABR MP3: FFmpeg's MP3 muxer writes the LAME tag itself and leaves its VBR-method field
"unknown" (and signs it "Lavf"), so no reader can tell ABR from VBR. For ABR specs we set that
field, and the encoder string, to what LAME was asked to do, as the ``lame`` front end writes
them: method 2 (ABR) and the target bitrate.

Output is byte-for-byte reproducible for a given seed (FFmpeg's bitexact flag, fixed Ogg
serial numbers), so a demo library made twice with one seed is the same library.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
from av.audio.stream import AudioStream
from mutagen.ogg import OggPage

from quality.services.lame import DEFAULT_QUALITY, lame_library, mp3_write

LAME_METHOD_ABR = 2


@dataclass(frozen=True)
class EncodeSpec:
    name: str
    extension: str
    codec: str  # a PyAV encoder name, or "vorbis" (soundfile)
    sample_rate: int = 44100
    layout: str = "stereo"
    bit_rate: int | None = None
    sample_fmt: str | None = None
    vbr_quality: int | None = None  # LAME -V n
    abr: bool = False
    vorbis_quality: float | None = None  # 0.0–1.0 (libvorbis q0–q10)
    options: dict = field(default_factory=dict)
    container_options: dict = field(default_factory=dict)  # e.g. {"movflags": "+faststart"}


def signal_make(*, seconds: float, sample_rate: int, channels: int, seed: int) -> np.ndarray:
    """A (channels, samples) float32 signal: a tone whose pitch depends on ``seed``, plus noise."""
    rng = np.random.default_rng(seed)
    samples = int(seconds * sample_rate)
    t = np.arange(samples) / sample_rate
    frequency = 220.0 + (seed % 48) * 20.0
    tone = 0.3 * np.sin(2 * np.pi * frequency * t)
    data = np.empty((channels, samples), dtype=np.float32)
    for channel in range(channels):
        data[channel] = tone + 0.05 * rng.standard_normal(samples)
    return data


class EncoderMissing(Exception):
    """An optional encoder library is not installed; the message says what to install."""


def soundfile_import():
    """``soundfile`` (libsndfile, for Vorbis), an optional ``demo`` dependency."""
    try:
        import soundfile
    except ImportError:
        raise EncoderMissing(
            "Vorbis files need the soundfile package: pip install -e '.[demo]'"
        ) from None
    return soundfile


def audio_encode(*, path: Path, spec: EncodeSpec, seconds: float = 1.0, seed: int = 0) -> Path:
    """A short test tone (:func:`signal_make`) encoded as ``spec`` says."""
    channels = 2 if spec.codec == "vorbis" else av.AudioLayout(spec.layout).nb_channels
    data = signal_make(seconds=seconds, sample_rate=spec.sample_rate, channels=channels, seed=seed)
    return samples_encode(
        path=path, spec=spec, data=data, sample_rate=spec.sample_rate, serial=seed
    )


FRAME_SAMPLES = 4096
CHANNEL_LAYOUTS = {1: "mono", 2: "stereo", 6: "5.1"}


def samples_encode(
    *, path: Path, spec: EncodeSpec, data: np.ndarray, sample_rate: int, serial: int = 0
) -> Path:
    """Encode (channels, samples) float32 ``data`` at ``sample_rate`` as ``spec`` says.

    PyAV converts the samples to the encoder's format, rate and frame size (libswresample);
    Vorbis (libsndfile) takes them as they are, so ``data`` must be at ``spec.sample_rate``.
    ``serial`` is the Ogg stream serial (Vorbis, Opus): fixed, so the bytes are reproducible.
    """
    if spec.codec == "vorbis":
        if sample_rate != spec.sample_rate:
            raise ValueError(f"{path}: Vorbis needs {spec.sample_rate} Hz samples")
        vorbis_write(
            path=path,
            data=data,
            sample_rate=sample_rate,
            quality=10 * (spec.vorbis_quality if spec.vorbis_quality is not None else 0.5),
        )
        ogg_serial_set(path=path, serial=serial)
        return path
    # The system's LAME takes the samples as they are: stereo at the spec's rate (anything
    # else is left to PyAV, which converts).
    samples_as_asked = (
        sample_rate == spec.sample_rate and spec.layout == "stereo" and data.shape[0] == 2
    )
    if spec.codec == "libmp3lame" and samples_as_asked and lame_library() is not None:
        return mp3_write(
            path=path,
            data=data,
            sample_rate=sample_rate,
            bit_rate=spec.bit_rate,
            vbr_quality=spec.vbr_quality,
            abr=spec.abr,
            quality=int(spec.options.get("compression_level", DEFAULT_QUALITY)),
        )
    container_options = {"fflags": "+bitexact", **spec.container_options}
    with av.open(str(path), "w", options=container_options) as container:
        stream = container.add_stream(spec.codec, rate=spec.sample_rate, layout=spec.layout)
        assert isinstance(stream, AudioStream)
        if spec.bit_rate:
            stream.bit_rate = spec.bit_rate
        if spec.sample_fmt:
            stream.format = spec.sample_fmt
        options = dict(spec.options)
        if spec.abr:
            options["abr"] = "1"
        if options:
            stream.options = options
        if spec.vbr_quality is not None:
            # LAME -V n: the qscale flag, and n as the global quality (PyAV scales it to
            # FFmpeg's lambda). Setting only the flag gives -V 0 whatever n is.
            context = stream.codec_context
            context.qscale = True
            context.global_quality = spec.vbr_quality
        layout = CHANNEL_LAYOUTS[data.shape[0]]
        time_base = Fraction(1, sample_rate)
        for start in range(0, data.shape[1], FRAME_SAMPLES):
            frame = av.AudioFrame.from_ndarray(
                np.ascontiguousarray(data[:, start : start + FRAME_SAMPLES], dtype=np.float32),
                format="fltp",
                layout=layout,
            )
            frame.sample_rate = sample_rate
            frame.time_base = time_base
            frame.pts = start
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    if spec.abr and spec.bit_rate:
        lame_tag_mark_abr(path=path, kbps=spec.bit_rate // 1000)
    if spec.extension in ("ogg", "opus"):
        ogg_serial_set(path=path, serial=serial)
    return path


VORBIS_WRITE_FRAMES = 16384


def vorbis_write(*, path: Path, data: np.ndarray, sample_rate: int, quality: float) -> Path:
    """Ogg Vorbis through libsndfile, quality q 0..10 (``compression_level = 1 - q/10``).

    Written in blocks: libsndfile 1.2.2's Vorbis writer segfaults on one very large write.
    """
    soundfile = soundfile_import()
    frames = np.ascontiguousarray(data.T, dtype=np.float32)
    with soundfile.SoundFile(
        str(path),
        "w",
        sample_rate,
        data.shape[0],
        format="OGG",
        subtype="VORBIS",
        compression_level=1 - quality / 10,
    ) as handle:
        for start in range(0, frames.shape[0], VORBIS_WRITE_FRAMES):
            handle.write(frames[start : start + VORBIS_WRITE_FRAMES])
    return path


def ogg_serial_set(*, path: Path, serial: int) -> None:
    """Ogg muxers pick a random stream serial; a fixed one makes the bytes reproducible."""
    pages = []
    with path.open("rb") as handle:
        while True:
            try:
                pages.append(OggPage(handle))
            except EOFError:
                break
    for page in pages:
        page.serial = serial & 0xFFFFFFFF
    path.write_bytes(b"".join(page.write() for page in pages))


def lame_tag_mark_abr(*, path: Path, kbps: int) -> None:
    """Set the LAME tag's encoder string, VBR method (ABR) and ABR bitrate fields."""
    data = bytearray(path.read_bytes())
    at = max(data.find(b"Xing", 0, 4096), data.find(b"Info", 0, 4096))
    if at < 0:
        raise ValueError(f"{path}: no Xing/Info header to mark as ABR")
    flags = struct.unpack(">I", data[at + 4 : at + 8])[0]
    offset = at + 8
    offset += 4 if flags & 1 else 0
    offset += 4 if flags & 2 else 0
    offset += 100 if flags & 4 else 0
    offset += 4 if flags & 8 else 0
    data[offset : offset + 9] = b"LAME3.100"
    data[offset + 9] = LAME_METHOD_ABR
    data[offset + 20] = min(kbps, 255)
    path.write_bytes(bytes(data))
