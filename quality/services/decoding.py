"""One decode pass per file: integrity, the spectrum's evidence, bit depth, the PCM hash.

Runs in worker processes and does no database work. :func:`audio_verify` decodes the whole
stream once with PyAV (FFmpeg) and, from that single pass, gathers everything that needs
samples (docs/verification.md):

- integrity: decode errors (decoders run with CRC checks), gaps in the timestamps, fewer samples
  than the header declares (truncation; lossy codecs get their encoder delay and padding as
  tolerance), and for FLAC the STREAMINFO MD5 against the decoded samples;
- up to three 10-second mono windows (at 20, 50 and 80 % of the file) for the spectrum
  (``quality.spectrum``), and the OR of every integer sample (padded bits);
- a hash of the decoded PCM: for lossless streams the MD5 of the interleaved little-endian
  samples at their native depth, which is exactly the FLAC STREAMINFO MD5; for lossy streams a
  SHA-256 of the decoder's float output (decoder-dependent: stored with the decoder version);
- the decoded frames of the first 120 s, handed as they are to ``on_frame`` (the
  fingerprinter) in the same pass.

Memory is bounded (the windows, about 30 s of mono float). :func:`audio_verify` never raises on
a damaged file: the fuzz test holds it to that.
"""

from __future__ import annotations

import contextlib
import hashlib
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import av
import numpy as np

from musicquality.regular_files import regular_file_open
from quality.score import is_lossless_codec
from quality.services.audio import AudioProperties, AudioReadError, audio_properties_read
from quality.spectrum import (
    effective_rate,
    nfft_for,
    power_to_db,
    spectral_wall,
    window_power,
)
from quality.verdicts import MIN_SECONDS, SILENCE_DBFS, source_estimate, verdict_decide
from quality.versions import VERIFIER_VERSION

WINDOW_SECONDS = 10.0
WINDOW_POSITIONS = (0.2, 0.5, 0.8)
FRAME_CALLBACK_SECONDS = 120.0
MAX_ERRORS = 1000  # stop decoding after this many errors (a badly broken file)
MAX_CONSECUTIVE_DEMUX_ERRORS = 50
LOSSLESS_DECODERS = {"flac", "alac", "wavpack", "ape", "tta", "tak", "mlp", "truehd"}

FrameCallback = Callable[[av.AudioFrame], None]


@dataclass(frozen=True)
class DeclaredStream:
    """What the container and header say about the audio stream (our header reader)."""

    codec: str = "unknown"
    sample_rate: int | None = None
    bit_depth: int | None = None
    channels: int | None = None
    duration: float | None = None
    total_samples: int | None = None  # per channel, where the header says
    md5: str | None = None  # FLAC STREAMINFO MD5, 32 hex digits; None when unset or not FLAC
    bitrate: int | None = None  # bits per second (lossy)
    encoder_settings: str | None = None  # MP3: the LAME header's settings ("" without)

    @property
    def lossless(self) -> bool:
        return is_lossless_codec(self.codec)

    @classmethod
    def from_properties(cls, props: AudioProperties) -> DeclaredStream:
        return cls(
            codec=props.codec,
            sample_rate=props.sample_rate,
            bit_depth=props.bit_depth,
            channels=props.channels,
            duration=props.duration,
            total_samples=props.total_samples,
            md5=props.flac_md5,
            bitrate=props.bitrate * 1000 if props.bitrate else None,
            encoder_settings=props.encoder_settings,
        )


def declared_read(path: str | Path) -> DeclaredStream:
    """The header's facts (``quality.services.audio``); never raises."""
    try:
        return DeclaredStream.from_properties(audio_properties_read(path, check_sizes=False))
    except AudioReadError:
        return DeclaredStream()


@dataclass(frozen=True)
class VerificationResult:
    verdict: str
    integrity: str  # 'ok' or a short reason
    md5_status: str  # match | mismatch | unset | n.a.
    decoded_seconds: float
    cutoff_hz: float | None
    high_band_floor_db: float | None
    effective_sample_rate: int | None
    effective_bit_depth: int | None
    estimated_source: str | None
    evidence: dict = field(default_factory=dict)
    pcm_hash: str | None = None
    decoder_version: str = ""
    verifier_version: str = VERIFIER_VERSION


_INT_FORMATS = {"s16": 16, "s16p": 16, "s32": 32, "s32p": 32, "u8": 8, "u8p": 8}
_FAMILY = {
    "mp3": "MP3",
    "mp3float": "MP3",
    "mp3adu": "MP3",
    "mp3adufloat": "MP3",
    "aac": "AAC",
    "aac_fixed": "AAC",
    "aac_latm": "AAC",
    "vorbis": "Vorbis",
    "libvorbis": "Vorbis",
    "opus": "Opus",
    "libopus": "Opus",
    "mp2": "MP2",
    "mp2float": "MP2",
    "ac3": "AC3",
    "eac3": "EAC3",
    "wmav2": "WMA",
}


def decoder_version(codec_name: str) -> str:
    v = av.library_versions.get("libavcodec", ())
    ffmpeg = getattr(av, "ffmpeg_version_info", "?")
    return f"FFmpeg {ffmpeg} libavcodec {'.'.join(map(str, v))} decoder {codec_name}"


class _Accumulator:
    """Per-frame work of the single decode pass."""

    def __init__(
        self, declared: DeclaredStream, on_frame: FrameCallback | None, lossless: bool = True
    ):
        self.declared = declared
        self.lossless = lossless
        self.on_frame: FrameCallback | None = on_frame
        self.frame_error: str | None = None
        self.md5 = hashlib.md5()
        self.sha: list = []
        self.hash_lossy = True
        self.samples = 0
        self.rate = 0  # set by setup() from the first frame
        self.channels = 0
        self.fmt: str | None = None
        self.bits = 0  # native bits per sample for integer output
        self.shift = 0
        self.or_bits = 0
        self.int_output = False
        self.format_changes = 0
        self.windows: list[tuple[int, int, np.ndarray]] = []
        self.filled: list[int] = []
        self.frame_limit = 0
        self.tb = 0.0  # time base of the frames, once known
        self.pts0 = 0.0
        self.gaps: list[dict] = []
        self.slack_s, self.slack_frames = (0.002, 0.5) if lossless else (0.1, 2.0)
        self.wi = 0
        self._pack_buffer = np.empty(0, np.uint8)

    def setup(self, frame, bits_hint: int | None, duration: float | None) -> None:
        self.rate = int(frame.sample_rate)
        self.channels = int(frame.layout.nb_channels)
        self.fmt = frame.format.name
        container_bits = _INT_FORMATS.get(self.fmt)
        self.int_output = container_bits is not None and container_bits >= 16
        if container_bits is not None and self.int_output:
            bits = bits_hint if bits_hint and 0 < bits_hint <= container_bits else container_bits
            self.bits = bits
            self.shift = container_bits - bits
        rate = min(self.rate, 768000)
        wlen = int(WINDOW_SECONDS * rate)
        if duration and duration >= 3 * WINDOW_SECONDS:
            starts = [int((p * duration - WINDOW_SECONDS / 2) * rate) for p in WINDOW_POSITIONS]
            self.windows = [(s, s + wlen, np.zeros(wlen, np.float32)) for s in starts]
        else:
            n = int(min(duration or 3 * WINDOW_SECONDS, 3 * WINDOW_SECONDS) * rate) + rate
            self.windows = [(0, n, np.zeros(n, np.float32))]
        self.filled = [0] * len(self.windows)
        self.frame_limit = int(FRAME_CALLBACK_SECONDS * rate)

    def add(self, frame) -> None:
        n = frame.samples
        if n <= 0:
            return
        pts = frame.pts
        if pts is not None:
            if not self.tb:
                self.tb = float(frame.time_base) if frame.time_base else 1.0 / self.rate
                self.pts0 = pts * self.tb - self.samples / self.rate
            late = pts * self.tb - self.pts0 - self.samples / self.rate
            # lossy demuxers' timestamps are approximate (Ogg granules, block switching):
            # 0.1 s of slack
            if late > self.slack_s and late > self.slack_frames * n / self.rate:
                if len(self.gaps) < 100:
                    self.gaps.append(
                        {"at_s": round(self.samples / self.rate, 3), "missing_s": round(late, 3)}
                    )
                self.pts0 += late
        if self.on_frame is not None and self.samples < self.frame_limit:
            self._call_frame(frame)
        ch = frame.layout.nb_channels
        fmt = frame.format.name
        if fmt != self.fmt or ch != self.channels or frame.sample_rate != self.rate:
            self.format_changes += 1
        container_bits = _INT_FORMATS.get(fmt)
        if self.int_output and container_bits is not None and container_bits >= 16:
            if frame.format.is_planar and ch > 1:
                inter = np.ascontiguousarray(frame.to_ndarray().T).reshape(-1)  # ALAC etc.
            else:
                inter = np.frombuffer(
                    frame.planes[0], dtype=_NP_DTYPES[fmt.removesuffix("p")], count=n * ch
                )  # zero-copy
            self._int_frame(inter, container_bits, ch, n)
        else:
            self._float_frame(frame, fmt, ch, n)
        self.samples += n

    # integer PCM (lossless decoders): native-depth MD5 (= FLAC STREAMINFO MD5), OR of samples
    def _int_frame(self, inter: np.ndarray, container_bits: int, ch: int, n: int) -> None:
        bits = self.bits or container_bits
        shift = container_bits - bits
        if shift == 0:
            self.md5.update(inter.data)
        elif container_bits == 32 and shift == 8:
            # 24-bit in the upper bits of s32: little-endian bytes 1..3 are the packed sample
            self.md5.update(self._packed_24(inter))
        else:
            nbytes = (bits + 7) // 8
            v = inter >> shift
            packed = v.view(np.uint8).reshape(-1, container_bits // 8)[:, :nbytes]
            self.md5.update(np.ascontiguousarray(packed).data)
        if bits > 16:
            self.or_bits |= int(np.bitwise_or.reduce(inter))
        s0 = self.samples
        full = float(1 << (container_bits - 1))
        if self.wi < len(self.windows) and s0 + n > self.windows[self.wi][0]:
            for i, a, b in self._window_parts(s0, n):
                ws, _we, buf = self.windows[i]
                seg = inter[(a - s0) * ch : (b - s0) * ch].reshape(-1, ch)
                mono = seg[:, 0].astype(np.float32)
                for c in range(1, ch):  # (n, ch).sum(axis=1) is slow for small ch
                    mono += seg[:, c]
                mono *= 1.0 / (full * ch)
                buf[a - ws : b - ws] = mono
                self.filled[i] = max(self.filled[i], b - ws)

    def _packed_24(self, inter: np.ndarray) -> memoryview:
        """Bytes 1..3 of each little-endian s32 sample (a 24-bit sample, packed), gathered by
        three strided byte copies into a reused buffer: about twice as fast as a structured
        view of the same bytes (bench/RESULTS.md, "Audio verification throughput")."""
        source = inter.view(np.uint8)
        size = 3 * inter.size
        if self._pack_buffer.size < size:
            self._pack_buffer = np.empty(size, np.uint8)
        packed = self._pack_buffer[:size]
        packed[0::3] = source[1::4]
        packed[1::3] = source[2::4]
        packed[2::3] = source[3::4]
        return packed.data

    # float (lossy) decoders: SHA-256 of each channel's float32 stream (decoder-dependent)
    def _float_frame(self, frame, fmt: str, ch: int, n: int) -> None:
        in_window = self.wi < len(self.windows) and self.samples + n > self.windows[self.wi][0]
        if fmt == "fltp":
            # what the MP3, AAC, Vorbis and Opus decoders give: each plane's first 4n bytes are
            # one channel's samples, hashed straight from the plane; arrays are made only for
            # the frames an analysis window needs (most frames are in none)
            planes = frame.planes[:ch]
            if self.hash_lossy:
                nbytes = 4 * n
                while len(self.sha) < len(planes):
                    self.sha.append(hashlib.sha256())
                for h, plane in zip(self.sha, planes, strict=False):
                    h.update(memoryview(plane)[:nbytes])
            if in_window:
                self._window_floats([np.frombuffer(p, dtype=_F32, count=n) for p in planes], n)
            return
        if fmt == "flt" and ch == 1:
            chans = [np.frombuffer(frame.planes[0], dtype=_F32, count=n)]
        else:
            a = frame.to_ndarray()
            if not frame.format.is_planar:
                a = a.reshape(-1, ch).T
            if a.dtype.kind == "u":
                a = (a.astype(np.float32) - 128.0) / 128.0
            elif a.dtype.kind == "i":
                a = a.astype(np.float32) / float(1 << (8 * a.dtype.itemsize - 1))
            chans = [np.ascontiguousarray(a[c], dtype="<f4") for c in range(ch)]
        if self.hash_lossy:
            while len(self.sha) < len(chans):
                self.sha.append(hashlib.sha256())
            for h, c in zip(self.sha, chans, strict=False):
                h.update(c.data)
        if in_window:
            self._window_floats(chans, n)

    def _window_floats(self, chans: list[np.ndarray], n: int) -> None:
        """The mono mix of the part of a float frame that falls in analysis windows."""
        s0 = self.samples
        for i, a, b in self._window_parts(s0, n):
            ws, _we, buf = self.windows[i]
            seg = chans[0][a - s0 : b - s0].copy()
            for c in chans[1:]:
                seg += c[a - s0 : b - s0]
            buf[a - ws : b - ws] = seg * (1.0 / len(chans))
            self.filled[i] = max(self.filled[i], b - ws)

    def digest(self) -> str | None:
        if not self.samples:
            return None
        if self.int_output:
            return self.md5.hexdigest()
        if not self.hash_lossy:
            return None
        return hashlib.sha256(b"".join(h.digest() for h in self.sha)).hexdigest()

    def _window_parts(self, s0: int, n: int) -> list[tuple[int, int, int]]:
        """(window index, first, end) sample ranges of [s0, s0+n) falling in analysis windows."""
        parts = []
        i = self.wi
        end = s0 + n
        while i < len(self.windows):
            ws, we, _ = self.windows[i]
            if ws >= end:
                break
            a, b = max(ws, s0), min(we, end)
            if a < b:
                parts.append((i, a, b))
            if we <= end and i == self.wi:
                self.wi += 1
            i += 1
        return parts

    def _call_frame(self, frame) -> None:
        assert self.on_frame is not None
        try:
            self.on_frame(frame)
        except Exception as e:  # a broken consumer must not break verification
            self.frame_error = f"{type(e).__name__}: {e}"[:200]
            self.on_frame = None

    def window_arrays(self) -> list[np.ndarray]:
        return [buf[:f] for (_, _, buf), f in zip(self.windows, self.filled, strict=True) if f > 0]


_NP_DTYPES = {"u8": "u1", "s16": "<i2", "s32": "<i4", "flt": "<f4", "dbl": "<f8", "s64": "<i8"}
_F32 = np.dtype("<f4")


def _position(packet, acc: _Accumulator) -> float:
    try:
        if packet is not None and packet.pts is not None and packet.time_base:
            return float(packet.pts * packet.time_base)
    except Exception:
        pass
    return acc.samples / acc.rate if acc.rate else 0.0


def audio_verify(
    path: str | Path,
    *,
    declared: DeclaredStream,
    on_frame: FrameCallback | None = None,
    hash_lossy: bool = True,
) -> VerificationResult:
    """Verify one file in a single decode pass. Never raises (except KeyboardInterrupt/SystemExit).

    on_frame(frame) receives each decoded ``av.AudioFrame`` that starts in the first 120 s, as
    the decoder made it (its planes are only valid during the call).
    hash_lossy=False skips the (decoder-dependent) PCM hash of lossy streams (pcm_hash None),
    ~20 % of the decode time; the lossless MD5 is always computed (it is the integrity check).
    """
    try:
        return _audio_verify(path, declared, on_frame, hash_lossy)
    except Exception as e:  # last-resort guard: an internal failure is not an accusation
        return VerificationResult(
            verdict="inconclusive",
            integrity="ok",
            md5_status="n.a.",
            decoded_seconds=0.0,
            cutoff_hz=None,
            high_band_floor_db=None,
            effective_sample_rate=None,
            effective_bit_depth=None,
            estimated_source=None,
            evidence={"internal_error": f"{type(e).__name__}: {e}"[:300]},
            pcm_hash=None,
            decoder_version=decoder_version("?"),
        )


def pcm_hash_of(path: str | Path) -> str | None:
    """The hash of ``path``'s decoded audio, decoded now (None when it cannot be decoded
    whole): what ``dedupe`` checks before it acts on an ``audio_hash`` match."""
    result = audio_verify(path, declared=declared_read(path))
    if result.integrity != "ok":
        return None
    return result.pcm_hash


def _damaged(
    reason: str, evidence: dict, declared: DeclaredStream, codec: str = "?"
) -> VerificationResult:
    return VerificationResult(
        verdict="damaged",
        integrity=reason,
        md5_status="n.a."
        if declared.codec != "FLAC"
        else "unset"
        if not declared.md5
        else "mismatch",
        decoded_seconds=0.0,
        cutoff_hz=None,
        high_band_floor_db=None,
        effective_sample_rate=None,
        effective_bit_depth=None,
        estimated_source=None,
        evidence=evidence,
        pcm_hash=None,
        decoder_version=decoder_version(codec),
    )


def _audio_verify(
    path, declared: DeclaredStream, on_frame: FrameCallback | None, hash_lossy: bool = True
) -> VerificationResult:
    evidence: dict[str, Any] = {}
    errors: list[dict] = []
    try:
        # FFmpeg reads the descriptor opened here, checked to be a regular file: a path opened
        # by FFmpeg itself could be swapped for a FIFO after the check and wait forever
        handle = regular_file_open(path)
    except Exception as e:
        evidence["open_error"] = f"{type(e).__name__}: {e}"[:200]
        return _damaged("unreadable", evidence, declared)
    try:
        container = av.open(handle, "r", metadata_errors="ignore")
    except Exception as e:
        handle.close()
        evidence["open_error"] = f"{type(e).__name__}: {e}"[:200]
        return _damaged("unreadable", evidence, declared)
    try:
        if not container.streams.audio:
            return _damaged("no audio stream", evidence, declared)
        stream = container.streams.audio[0]
        ctx = stream.codec_context
        if ctx is None:
            return _damaged("no decoder for the audio stream", evidence, declared)
        codec_name = ctx.name
        ctx.thread_count = 1
        ctx.options = {"err_detect": "crccheck+explode"}
        is_lossless = codec_name in LOSSLESS_DECODERS or codec_name.startswith("pcm_")
        family = _FAMILY.get(codec_name)
        bits_hint = None
        if is_lossless:
            bits_hint = int(getattr(ctx, "bits_per_raw_sample", 0) or 0) or declared.bit_depth
            if codec_name.startswith("pcm_"):
                bits_hint = int(getattr(ctx, "bits_per_coded_sample", 0) or 0) or bits_hint
        duration = declared.duration
        if not duration:
            try:
                if stream.duration and stream.time_base:
                    duration = float(stream.duration * stream.time_base)
                elif container.duration:
                    duration = container.duration / 1e6
            except Exception:
                duration = None
        acc = _Accumulator(declared, on_frame, is_lossless)
        acc.hash_lossy = hash_lossy
        demux = container.demux(stream)
        consecutive = 0
        packet = None
        while len(errors) < MAX_ERRORS:
            try:
                packet = next(demux)
                consecutive = 0
            except StopIteration:
                break
            except Exception as e:
                consecutive += 1
                errors.append(
                    {"at_s": round(_position(None, acc), 3), "kind": "demux", "error": _short(e)}
                )
                if consecutive >= MAX_CONSECUTIVE_DEMUX_ERRORS:
                    break
                try:
                    demux = container.demux(stream)
                except Exception:
                    break
                continue
            try:
                frames = packet.decode()
            except Exception as e:
                errors.append(
                    {"at_s": round(_position(packet, acc), 3), "kind": "decode", "error": _short(e)}
                )
                continue
            for frame in frames:
                if not acc.rate:
                    acc.setup(frame, bits_hint, duration)
                acc.add(frame)
        try:
            for frame in ctx.decode(None):
                if not acc.rate:
                    acc.setup(frame, bits_hint, duration)
                acc.add(frame)
        except av.error.EOFError:
            pass  # the decoder is drained: the normal end of the stream
        except Exception as e:
            errors.append(
                {"at_s": round(_position(None, acc), 3), "kind": "flush", "error": _short(e)}
            )
    finally:
        with contextlib.suppress(Exception):
            container.close()
        handle.close()
    return _conclude(acc, declared, errors, evidence, codec_name, is_lossless, family)


def _short(e: Exception) -> str:
    return f"{type(e).__name__}: {e}"[:160]


def _conclude(
    acc: _Accumulator,
    declared: DeclaredStream,
    errors: list[dict],
    evidence: dict,
    codec_name: str,
    is_lossless: bool,
    family: str | None,
) -> VerificationResult:
    rate = acc.rate or declared.sample_rate or 0
    decoded_seconds = acc.samples / rate if rate else 0.0
    evidence["codec"] = codec_name
    if declared.encoder_settings is not None:
        # the badge's LAME preset ("MP3 V2"), read by quality.badges
        evidence["encoder_settings"] = declared.encoder_settings
    evidence["samples_decoded"] = acc.samples
    evidence["sample_rate"] = rate
    evidence["channels"] = acc.channels
    evidence["decode_errors"] = len(errors)
    if errors:
        evidence["first_error_s"] = errors[0]["at_s"]
        evidence["errors"] = errors[:10]
    if acc.format_changes:
        evidence["format_changes"] = acc.format_changes
    if acc.frame_error:
        evidence["on_frame_error"] = acc.frame_error

    # --- integrity --------------------------------------------------------------------------
    integrity = "ok"
    declared_samples = declared.total_samples
    tol = 0
    if declared_samples is None and declared.duration and rate:
        declared_samples = round(declared.duration * rate)
        tol = int(0.002 * rate)  # duration rounding
    if not is_lossless:
        # encoder delay/padding (MP3 1152-sample frames, AAC 1024, Vorbis up to 2048,
        # Opus 960 at 48 kHz)
        # and header estimates: 3 codec frames + 0.1 % of the declared length.
        tol = max(tol, 3 * 2048 + int(0.001 * (declared_samples or 0)))
    evidence["samples_declared"] = declared_samples
    evidence["samples_tolerance"] = tol
    if acc.gaps:
        evidence["gaps"] = acc.gaps[:10]
    problems: list[str] = []
    if acc.samples == 0:
        problems.append("no audio decoded")
    gap_s = sum(g["missing_s"] for g in acc.gaps)
    if declared_samples and acc.samples and acc.samples < declared_samples - tol:
        missing = (declared_samples - acc.samples) / rate
        if missing > gap_s + 0.01:
            problems.append(
                f"truncated: {missing:.2f} s missing, audio ends at {decoded_seconds:.2f} s"
            )
    elif (
        declared_samples
        and is_lossless
        and declared.total_samples
        and acc.samples > declared_samples + tol
    ):
        problems.append(
            f"sample count mismatch: decoded {acc.samples} > declared {declared_samples}"
        )
    if acc.gaps:
        g = acc.gaps[0]
        problems.append(
            f"{len(acc.gaps)} gap(s) in the stream ({gap_s:.2f} s), first at {g['at_s']:.2f} s"
        )
    if errors:
        problems.append(f"{len(errors)} decode error(s), first at {errors[0]['at_s']:.2f} s")
    integrity = "; ".join(problems) if problems else "ok"

    md5_status = "n.a."
    pcm_hash = acc.digest()
    if codec_name == "flac":
        if not declared.md5:
            md5_status = "unset"
        elif pcm_hash == declared.md5:
            md5_status = "match"
        else:
            md5_status = "mismatch"
            integrity = "FLAC MD5 mismatch" + (
                " (position unknown)" if integrity == "ok" else "; " + integrity
            )
    evidence["pcm_hash_kind"] = (
        f"md5 of interleaved LE signed {acc.bits}-bit PCM (the FLAC STREAMINFO MD5 definition)"
        if acc.int_output
        else "sha256 over the per-channel sha256 digests of the float32 LE decoder output "
        "(decoder-dependent)"
    )

    # --- bit depth --------------------------------------------------------------------------
    eff_bits = None
    declared_bits = declared.bit_depth if is_lossless else None
    if is_lossless and acc.int_output and acc.bits:
        declared_bits = declared_bits or acc.bits
        v = acc.or_bits >> acc.shift if acc.bits > 16 else None
        if v is not None and v != 0:
            tz = (v & -v).bit_length() - 1
            eff_bits = acc.bits - tz
        elif v is None:
            eff_bits = acc.bits
        evidence["or_low_bits_zero"] = None if v is None or v == 0 else (v & -v).bit_length() - 1

    # --- spectrum ---------------------------------------------------------------------------
    windows = acc.window_arrays()
    peak = max((float(np.max(np.abs(w))) for w in windows if w.size), default=0.0)
    peak_dbfs = 20 * math.log10(peak) if peak > 0 else None
    evidence["window_peak_dbfs"] = None if peak_dbfs is None else round(peak_dbfs, 2)
    wall: dict = {"cutoff_hz": None}
    rate_info = None
    if (
        windows
        and rate
        and decoded_seconds >= MIN_SECONDS
        and peak_dbfs is not None
        and peak_dbfs >= SILENCE_DBFS
    ):
        nfft = nfft_for(rate)
        per = []
        total = np.zeros(nfft // 2 + 1)
        count = 0
        freqs = np.fft.rfftfreq(nfft, 1.0 / rate)
        for w in windows:
            p, c = window_power(w, nfft)
            total += p
            count += c
            if c:
                wi = spectral_wall(freqs, power_to_db(p, c, nfft))
                per.append(wi["cutoff_hz"])
        if count:
            power_db = power_to_db(total, count, nfft)
            wall = spectral_wall(freqs, power_db)
            evidence["window_cutoffs_hz"] = per
            evidence["windows_s"] = [round(w.size / rate, 2) for w in windows]
            evidence["wall"] = wall
            if rate > 48000:
                rate_info = effective_rate(freqs, power_db, rate)
                evidence["rate"] = rate_info
    own_kbps = (declared.bitrate / 1000.0) if declared.bitrate and not is_lossless else None
    verdict, estimate, notes = verdict_decide(
        integrity=integrity,
        lossless=is_lossless,
        decoded_seconds=decoded_seconds,
        sample_rate=rate,
        peak_dbfs=peak_dbfs,
        wall=wall,
        rate_info=rate_info,
        declared_bit_depth=declared_bits,
        effective_bit_depth=eff_bits,
        codec_family=family,
        own_kbps=own_kbps,
        channels=evidence.get("channels"),
    )
    evidence["notes"] = notes
    if wall.get("cutoff_hz") is not None:
        est = source_estimate(wall["cutoff_hz"], None if is_lossless else family)
        evidence["source_candidates"] = est["candidates"] if est else []
        evidence["estimated_kbps"] = est["kbps"] if est else None
        evidence["estimated_kbps_range"] = est["kbps_range"] if est else None
    eff_rate = rate_info["rate"] if rate_info else (rate or None)
    return VerificationResult(
        verdict=verdict,
        integrity=integrity,
        md5_status=md5_status,
        decoded_seconds=round(decoded_seconds, 3),
        cutoff_hz=wall.get("cutoff_hz"),
        high_band_floor_db=wall.get("floor_db"),
        effective_sample_rate=eff_rate,
        effective_bit_depth=eff_bits,
        estimated_source=estimate if verdict in ("lossy_source", "inconclusive") else None,
        evidence=evidence,
        pcm_hash=pcm_hash,
        decoder_version=decoder_version(codec_name),
    )
