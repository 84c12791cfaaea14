"""MP3 through the system's LAME library (Debian's ``libmp3lame0``), called through its public
C API (``lame.h``) with ctypes.

Why not PyAV's LAME: the copy bundled in PyAV's wheel encodes about a third as fast as
Debian's build of the same LAME 3.100 (bench/RESULTS.md, "Demo library"), and MP3 is half of
the demo library's files. :func:`quality.services.encoding.samples_encode` uses this writer when
the library is installed (``make runtime-deps`` installs it) and PyAV's otherwise.

The file is what the ``lame`` front end writes: MPEG frames only (no ID3, which the caller
adds), the first frame being LAME's Xing/Info frame with the LAME tag (encoder "LAME3.100",
the VBR method that was asked for: CBR, ABR or VBR, the encoder delay and padding that
decoders trim). Settings as FFmpeg's libmp3lame wrapper sets them: joint stereo, the input
sample rate kept (LAME would otherwise pick a lower one for low bitrates), the quality
(``-q``) given as ``compression_level``.
"""

from __future__ import annotations

import ctypes
import functools
from pathlib import Path

import numpy as np

LIBRARY_NAME = "libmp3lame.so.0"
JOINT_STEREO = 1  # MPEG_mode
VBR_OFF = 0  # vbr_mode
VBR_ABR = 3
VBR_MTRH = 4  # LAME's default VBR (-V n)
DEFAULT_QUALITY = 3  # LAME's -q when none is given (FFmpeg's default too)
BLOCK_SAMPLES = 1 << 16


class LameError(Exception):
    """LAME refused the settings or failed to encode; the message says which call."""


@functools.cache
def lame_library() -> ctypes.CDLL | None:
    """The system's libmp3lame, or None when it is not installed."""
    try:
        library = ctypes.CDLL(LIBRARY_NAME)
    except OSError:
        return None
    pointer = ctypes.c_void_p
    library.lame_init.restype = pointer
    library.lame_close.argtypes = [pointer]
    for setter in (
        "lame_set_num_channels",
        "lame_set_in_samplerate",
        "lame_set_out_samplerate",
        "lame_set_brate",
        "lame_set_quality",
        "lame_set_mode",
        "lame_set_VBR",
        "lame_set_VBR_quality",
        "lame_set_VBR_mean_bitrate_kbps",
        "lame_set_bWriteVbrTag",
    ):
        function = getattr(library, setter)
        function.argtypes = [
            pointer,
            ctypes.c_float if setter == "lame_set_VBR_quality" else ctypes.c_int,
        ]
        function.restype = ctypes.c_int
    library.lame_init_params.argtypes = [pointer]
    floats = ctypes.POINTER(ctypes.c_float)
    library.lame_encode_buffer_ieee_float.argtypes = [
        pointer, floats, floats, ctypes.c_int, ctypes.c_char_p, ctypes.c_int
    ]  # fmt: skip
    library.lame_encode_flush.argtypes = [pointer, ctypes.c_char_p, ctypes.c_int]
    library.lame_get_lametag_frame.argtypes = [pointer, ctypes.c_char_p, ctypes.c_size_t]
    library.lame_get_lametag_frame.restype = ctypes.c_size_t
    return library


def mp3_write(
    *,
    path: Path,
    data: np.ndarray,
    sample_rate: int,
    bit_rate: int | None = None,
    vbr_quality: int | None = None,
    abr: bool = False,
    quality: int = DEFAULT_QUALITY,
) -> Path:
    """Encode (2, samples) float32 ``data``: CBR at ``bit_rate``, ABR around it (``abr``), or
    VBR ``-V vbr_quality``."""
    library = lame_library()
    if library is None:
        raise LameError(f"{LIBRARY_NAME} is not installed (apt-get install libmp3lame0)")
    if data.shape[0] != 2:
        raise LameError(f"{path}: stereo samples expected, not {data.shape[0]} channels")
    handle = library.lame_init()
    if not handle:
        raise LameError("lame_init failed")
    try:
        settings = [
            ("lame_set_num_channels", 2),
            ("lame_set_in_samplerate", sample_rate),
            ("lame_set_out_samplerate", sample_rate),
            ("lame_set_mode", JOINT_STEREO),
            ("lame_set_quality", quality),
            ("lame_set_bWriteVbrTag", 1),
        ]
        if vbr_quality is not None:
            settings += [("lame_set_VBR", VBR_MTRH), ("lame_set_VBR_quality", vbr_quality)]
        elif abr:
            if not bit_rate:
                raise LameError(f"{path}: ABR needs a bit rate")
            settings += [
                ("lame_set_VBR", VBR_ABR),
                ("lame_set_VBR_mean_bitrate_kbps", bit_rate // 1000),
            ]
        else:
            if not bit_rate:
                raise LameError(f"{path}: CBR needs a bit rate")
            settings += [("lame_set_VBR", VBR_OFF), ("lame_set_brate", bit_rate // 1000)]
        for setter, value in settings:
            if getattr(library, setter)(handle, value) < 0:
                raise LameError(f"{path}: LAME refused {setter}({value})")
        if library.lame_init_params(handle) < 0:
            raise LameError(f"{path}: LAME refused the settings {settings}")
        # C-contiguous rows: every block of a row is contiguous, handed to LAME in place
        left, right = np.ascontiguousarray(data, dtype=np.float32)
        buffer = ctypes.create_string_buffer(int(1.25 * BLOCK_SAMPLES) + 7200)
        floats = ctypes.POINTER(ctypes.c_float)
        chunks: list[bytes] = []
        for start in range(0, len(left), BLOCK_SAMPLES):
            block_left = left[start : start + BLOCK_SAMPLES]
            written = library.lame_encode_buffer_ieee_float(
                handle,
                block_left.ctypes.data_as(floats),
                right[start : start + BLOCK_SAMPLES].ctypes.data_as(floats),
                len(block_left),
                buffer,
                len(buffer),
            )
            if written < 0:
                raise LameError(f"{path}: lame_encode_buffer_ieee_float returned {written}")
            chunks.append(ctypes.string_at(buffer, written))
        written = library.lame_encode_flush(handle, buffer, len(buffer))
        if written < 0:
            raise LameError(f"{path}: lame_encode_flush returned {written}")
        chunks.append(ctypes.string_at(buffer, written))
        stream = b"".join(chunks)
        # The first frame LAME wrote is a blank Xing/Info frame of this size; fill it in.
        tag = ctypes.create_string_buffer(8192)
        tag_size = library.lame_get_lametag_frame(handle, tag, len(tag))
        if 0 < tag_size <= len(stream):
            stream = ctypes.string_at(tag, tag_size) + stream[tag_size:]
        path.write_bytes(stream)
    finally:
        library.lame_close(handle)
    return path
