"""Make audio with known facts: encode, decode, resample, write integer PCM as FLAC.

For the demo library, the tests and the benchmarks; the verifier never imports this module,
so what a file made here is comes from how it was made, not from the code under test.
All functions take / return (channels, samples) float32 arrays in [-1, 1].
"""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
from av.audio.stream import AudioStream

from quality.services.encoding import vorbis_write

LAYOUTS = {1: "mono", 2: "stereo"}


def _frames(data: np.ndarray, sample_rate: int, fmt: str, out_rate: int, frame_size: int | None):
    """Yield av.AudioFrames in `fmt` at `out_rate`, resampled/reformatted by libswresample."""
    channels = data.shape[0]
    layout = LAYOUTS[channels]
    resampler = av.AudioResampler(
        format=fmt, layout=layout, rate=out_rate, frame_size=frame_size or None
    )
    chunk = 4096
    pts = 0
    for start in range(0, data.shape[1], chunk):
        block = np.ascontiguousarray(data[:, start : start + chunk], dtype=np.float32)
        frame = av.AudioFrame.from_ndarray(block, format="fltp", layout=layout)
        frame.sample_rate = sample_rate
        frame.pts = pts
        pts += block.shape[1]
        yield from resampler.resample(frame)
    yield from resampler.resample(None)


def encode(
    path: str | Path,
    data: np.ndarray,
    sample_rate: int,
    codec: str,
    *,
    bit_rate: int | None = None,
    vbr_quality: int | None = None,
    out_rate: int | None = None,
    sample_fmt: str | None = None,
    bits_per_raw_sample: int | None = None,
    container_format: str | None = None,
    codec_options: dict[str, str] | None = None,
) -> Path:
    """Encode with PyAV. `vbr_quality` sets codec_context.qscale flag + global_quality (LAME -V)."""
    path = Path(path)
    out_rate = out_rate or sample_rate
    channels = data.shape[0]
    with av.open(str(path), "w", format=container_format) as out:
        stream = out.add_stream(codec, rate=out_rate)
        assert isinstance(stream, AudioStream)
        cc = stream.codec_context
        cc.layout = LAYOUTS[channels]
        fmt = sample_fmt or (cc.codec.audio_formats or [cc.format])[0].name
        cc.format = fmt
        if bit_rate:
            cc.bit_rate = bit_rate
        if vbr_quality is not None:
            cc.qscale = True
            cc.global_quality = vbr_quality
        options = dict(codec_options or {})
        if bits_per_raw_sample:
            options["bits_per_raw_sample"] = str(bits_per_raw_sample)
        if options:
            cc.options = options
        cc.open()
        frame_size = cc.frame_size if cc.frame_size and cc.frame_size > 1 else None
        pts = 0
        for frame in _frames(data, sample_rate, fmt, out_rate, frame_size):
            frame.pts = pts
            pts += frame.samples
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    return path


def write_int_flac(path: str | Path, pcm: np.ndarray, sample_rate: int, bits: int) -> Path:
    """FLAC (PyAV ``flac``) from integer PCM at ``bits`` (<= 16: int16 input, > 16: int32
    native values)."""
    path = Path(path)
    channels = pcm.shape[0]
    with av.open(str(path), "w") as out:
        stream = out.add_stream("flac", rate=sample_rate)
        cc = stream.codec_context
        cc.layout = LAYOUTS[channels]
        if bits <= 16:
            cc.format = "s16"
            container = pcm.astype(np.int16)
        else:
            cc.format = "s32"
            cc.options = {"bits_per_raw_sample": str(bits)}
            container = (pcm.astype(np.int32) << (32 - bits)).astype(np.int32)
        cc.open()
        inter = np.ascontiguousarray(container.T).reshape(1, -1)
        step = 4096
        n = pcm.shape[1]
        for start in range(0, n, step):
            block = np.ascontiguousarray(
                inter[:, start * channels : min(n, start + step) * channels]
            )
            frame = av.AudioFrame.from_ndarray(
                block, format=cc.format.name, layout=LAYOUTS[channels]
            )
            frame.sample_rate = sample_rate
            frame.pts = start
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    return path


def to_int(data: np.ndarray, bits: int) -> np.ndarray:
    """Float [-1,1] -> integer PCM at `bits` (rounded, clipped), int32 array."""
    scale = float(1 << (bits - 1))
    return np.clip(np.round(data.astype(np.float64) * scale), -scale, scale - 1).astype(np.int32)


def decode(path: str | Path) -> tuple[np.ndarray, int]:
    """Decode the first audio stream to (channels, samples) float32 and its sample rate."""
    chunks = []
    with av.open(str(path)) as container:
        stream = container.streams.audio[0]
        rate = stream.codec_context.sample_rate
        channels = stream.codec_context.channels
        resampler = av.AudioResampler(
            format="fltp", layout=LAYOUTS.get(channels, "stereo"), rate=rate
        )
        for frame in container.decode(stream):
            for out in resampler.resample(frame):
                chunks.append(out.to_ndarray())
        for out in resampler.resample(None):
            chunks.append(out.to_ndarray())
    return np.concatenate(chunks, axis=1).astype(np.float32), rate


def write_vorbis(path: str | Path, data: np.ndarray, sample_rate: int, quality: float) -> Path:
    """Ogg Vorbis via soundfile/libsndfile; quality q in 0..10 (compression_level = 1 - q/10)."""
    return vorbis_write(path=Path(path), data=data, sample_rate=sample_rate, quality=quality)


def resample(data: np.ndarray, sample_rate: int, out_rate: int) -> np.ndarray:
    """libswresample (PyAV AudioResampler) float resampling, (channels, samples) float32."""
    chunks = [f.to_ndarray() for f in _frames(data, sample_rate, "fltp", out_rate, None)]
    return np.concatenate(chunks, axis=1).astype(np.float32)
