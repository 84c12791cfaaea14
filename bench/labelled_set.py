"""Build a labelled set of audio files from music_like signals.

Every label comes from how the file was made, never from the verifier.

Labels (expected verdict class):
    ok             genuine lossless (16/24-bit FLAC, 24/96 FLAC)
    lossy_source   fakes: lossy encode -> decode -> FLAC (or -> 320k MP3)
    upsampled      genuine 44.1/48 kHz resampled to 96 kHz/24-bit (WAV, FLAC)
    padded_bits    16-bit audio stored as 24-bit (FLAC, WAV)
    damaged        truncated FLAC/MP3, FLAC with patched STREAMINFO MD5
    inconclusive   3 s, digital silence, mono 22.05 kHz
    lossy_genuine  lossy files made straight from the source (MP3 320, AAC 256 ...):
                   ok or inconclusive

`detectable=False` marks fakes a lowpass-wall method cannot catch by construction; `expect`
says what it can give instead: 'ok' for LAME V0 and FFmpeg AAC 256k (no lowpass below Nyquist
on 44.1 kHz input), 'inconclusive' for MP3 320k, Opus 96/128k and Vorbis q5 (wall in the
19.8-20.6 kHz zone). They count against lossy_source recall in the report, and their `expect`
is asserted separately.
"""

from __future__ import annotations

import json
import shutil
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import soundfile as sf

from quality.services import audio_make as E
from quality.services.music_signal import music_like

SR = 44100


@dataclass(frozen=True)
class Item:
    path: str
    label: str  # expected verdict class (see module doc)
    kind: str  # e.g. fake_mp3_128, genuine_flac16
    source: str | None = None  # how the lossy source was made, e.g. "MP3 128", "Vorbis q3"
    source_kbps: int | None = None  # nominal bitrate of the lossy source
    detectable: bool = True
    tilt: float | None = None
    seed: int | None = None
    expect: str | None = None  # verdict a lowpass-wall method can give by design (None: = label)

    @property
    def expected(self) -> str:
        return self.expect or self.label


# (kind suffix, encoder spec, nominal kbps, expected verdict by design)
# expect 'inconclusive': wall in the 19.8-20.6 kHz zone; 'ok': no wall below Nyquist at all.
FAKES = (
    ("mp3_96", dict(codec="libmp3lame", bit_rate=96000, ext="mp3"), 96, None),
    ("mp3_128", dict(codec="libmp3lame", bit_rate=128000, ext="mp3"), 128, None),
    ("mp3_160", dict(codec="libmp3lame", bit_rate=160000, ext="mp3"), 160, None),
    ("mp3_192", dict(codec="libmp3lame", bit_rate=192000, ext="mp3"), 192, None),
    ("mp3_224", dict(codec="libmp3lame", bit_rate=224000, ext="mp3"), 224, None),
    ("mp3_256", dict(codec="libmp3lame", bit_rate=256000, ext="mp3"), 256, None),
    ("mp3_320", dict(codec="libmp3lame", bit_rate=320000, ext="mp3"), 320, "inconclusive"),
    ("mp3_V0", dict(codec="libmp3lame", vbr_quality=0, ext="mp3"), 245, "ok"),
    ("mp3_V2", dict(codec="libmp3lame", vbr_quality=2, ext="mp3"), 190, None),
    ("mp3_V4", dict(codec="libmp3lame", vbr_quality=4, ext="mp3"), 165, None),
    ("mp3_V6", dict(codec="libmp3lame", vbr_quality=6, ext="mp3"), 115, None),
    ("aac_128", dict(codec="aac", bit_rate=128000, ext="m4a"), 128, None),
    ("aac_256", dict(codec="aac", bit_rate=256000, ext="m4a"), 256, "ok"),
    (
        "opus_96",
        dict(codec="libopus", bit_rate=96000, ext="opus", out_rate=48000),
        96,
        "inconclusive",
    ),
    (
        "opus_128",
        dict(codec="libopus", bit_rate=128000, ext="opus", out_rate=48000),
        128,
        "inconclusive",
    ),
    ("vorbis_q3", dict(vorbis_q=3, ext="ogg"), 112, None),
    ("vorbis_q5", dict(vorbis_q=5, ext="ogg"), 160, "inconclusive"),
)


def _lossy(path: Path, x: np.ndarray, spec: dict) -> Path:
    spec = dict(spec)
    ext = spec.pop("ext")
    path = path.with_suffix("." + ext)
    if "vorbis_q" in spec:
        return E.write_vorbis(path, x, SR, spec["vorbis_q"])
    return E.encode(path, x, SR, **spec)


def _source_name(kind: str) -> str:
    codec, q = kind.split("_", 1)
    return {"mp3": "MP3", "aac": "AAC", "opus": "Opus", "vorbis": "Vorbis"}[codec] + " " + q


def _signal(
    tilt: float, seed: int, seconds: float, rate: int = SR, channels: int = 2
) -> np.ndarray:
    return music_like(
        seconds=seconds, sample_rate=rate, channels=channels, seed=seed, tilt_db_per_octave=tilt
    )


def _build_fakes(root: str, tilt: float, seed: int, seconds: float) -> list[Item]:
    root_p = Path(root)
    x = _signal(tilt, seed, seconds)
    items = []
    tmp = root_p / f"_lossy_t{tilt:g}_s{seed}"
    tmp.mkdir(exist_ok=True)
    for kind, spec, kbps, expect in FAKES:
        lossy = _lossy(tmp / kind, x, spec)
        y, rate = E.decode(lossy)
        out = root_p / f"fake_{kind}_t{tilt:g}_s{seed}.flac"
        E.write_int_flac(out, E.to_int(y, 16), rate, 16)
        items.append(
            Item(
                str(out),
                "lossy_source",
                f"fake_{kind}",
                _source_name(kind),
                kbps,
                expect is None,
                tilt,
                seed,
                expect,
            )
        )
    shutil.rmtree(tmp)
    return items


def _build_misc(root: str, tilt: float, seed: int, seconds: float, extended: bool) -> list[Item]:
    root_p = Path(root)
    items = []
    x = _signal(tilt, seed, seconds)
    tag = f"t{tilt:g}_s{seed}"
    pcm16 = E.to_int(x, 16)

    def add(path, label, kind, **kw):
        items.append(Item(str(path), label, kind, tilt=tilt, seed=seed, **kw))

    g16 = E.write_int_flac(root_p / f"genuine_flac16_{tag}.flac", pcm16, SR, 16)
    add(g16, "ok", "genuine_flac16")
    if not extended:
        return items
    # genuine 24-bit via libFLAC (soundfile) -> independent MD5 reference
    g24 = root_p / f"genuine_flac24_libflac_{tag}.flac"
    sf.write(str(g24), x.T, SR, subtype="PCM_24", format="FLAC")
    add(g24, "ok", "genuine_flac24_libflac")
    # upsampled 44.1 -> 96 kHz / 24-bit, WAV and FLAC (libswresample)
    up = E.resample(x, SR, 96000)
    up24 = E.to_int(up, 24)
    add(
        E.write_int_flac(root_p / f"upsampled_96k_{tag}.flac", up24, 96000, 24),
        "upsampled",
        "upsampled_flac_96k",
    )
    wav = root_p / f"upsampled_96k_{tag}.wav"
    sf.write(str(wav), (up24.T << 8).astype(np.int32), 96000, subtype="PCM_24")
    add(wav, "upsampled", "upsampled_wav_96k")
    # upsampled with an ideal (FFT, brickwall) resampler: no images above 22.05 kHz
    n_out = round(x.shape[1] * 96000 / SR)
    spec = np.fft.rfft(x.astype(np.float64), axis=1)
    padded_spec = np.zeros((x.shape[0], n_out // 2 + 1), complex)
    padded_spec[:, : spec.shape[1]] = spec
    up_fft = np.fft.irfft(padded_spec, n_out, axis=1) * (n_out / x.shape[1])
    add(
        E.write_int_flac(root_p / f"upsampled_fft_96k_{tag}.flac", E.to_int(up_fft, 24), 96000, 24),
        "upsampled",
        "upsampled_flac_96k_fft",
    )
    # padded: 16-bit audio stored as 24-bit
    add(
        E.write_int_flac(root_p / f"padded_{tag}.flac", pcm16 << 8, SR, 24),
        "padded_bits",
        "padded_flac24",
    )
    # genuine lossy files
    add(
        E.encode(root_p / f"lossy_mp3_320_{tag}.mp3", x, SR, "libmp3lame", bit_rate=320000),
        "lossy_genuine",
        "genuine_mp3_320",
    )
    add(
        E.encode(root_p / f"lossy_aac_256_{tag}.m4a", x, SR, "aac", bit_rate=256000),
        "lossy_genuine",
        "genuine_aac_256",
    )
    # truncated FLAC / MP3 (cut at 60 % of the bytes)
    for src, ext in ((g16, "flac"), (root_p / f"lossy_mp3_320_{tag}.mp3", "mp3")):
        data = Path(src).read_bytes()
        cut = root_p / f"truncated_{ext}_{tag}.{ext}"
        cut.write_bytes(data[: int(len(data) * 0.6)])
        add(cut, "damaged", f"truncated_{ext}")
    return items


def _build_once(root: str, seconds: float) -> list[Item]:
    """Files made once (not per signal)."""
    root_p = Path(root)
    items = []
    x = _signal(3.0, 11, seconds)
    pcm16 = E.to_int(x, 16)
    g = E.write_int_flac(root_p / "genuine_for_md5.flac", pcm16, SR, 16)
    # wrong MD5: patch the 16 MD5 bytes of STREAMINFO (offset 4 'fLaC' + 4 header + 18)
    data = bytearray(Path(g).read_bytes())
    assert data[:4] == b"fLaC" and (data[4] & 0x7F) == 0
    data[26:42] = bytes((b ^ 0x5A) for b in data[26:42])
    bad = root_p / "wrong_md5.flac"
    bad.write_bytes(bytes(data))
    items.append(Item(str(bad), "damaged", "wrong_md5_flac", tilt=3.0, seed=11))
    # one flipped byte in the middle of the audio (frame CRC fails)
    data = bytearray(Path(g).read_bytes())
    data[len(data) // 2] ^= 0x10
    flip = root_p / "bitflip.flac"
    flip.write_bytes(bytes(data))
    items.append(Item(str(flip), "damaged", "bitflip_flac", tilt=3.0, seed=11))
    # inconclusive: short, silent, mono 22.05 kHz
    short = _signal(3.0, 12, 3.0)
    items.append(
        Item(
            str(E.write_int_flac(root_p / "short_3s.flac", E.to_int(short, 16), SR, 16)),
            "inconclusive",
            "short_3s",
        )
    )
    silent = np.zeros((2, int(SR * seconds)), np.int32)
    items.append(
        Item(
            str(E.write_int_flac(root_p / "silent.flac", silent, SR, 16)), "inconclusive", "silent"
        )
    )
    mono = _signal(3.0, 13, seconds, rate=22050, channels=1)
    items.append(
        Item(
            str(E.write_int_flac(root_p / "mono_22k.flac", E.to_int(mono, 16), 22050, 16)),
            "inconclusive",
            "mono_22k",
        )
    )
    # mono at 44.1 kHz, full band and from a 128 kbps MP3: neither is judged
    mono = _signal(3.0, 13, seconds, channels=1)
    items.append(
        Item(
            str(E.write_int_flac(root_p / "mono_44k.flac", E.to_int(mono, 16), SR, 16)),
            "inconclusive",
            "mono_44k",
        )
    )
    lossy = E.encode(root_p / "_mono_128.mp3", mono, SR, "libmp3lame", bit_rate=128000)
    decoded, rate = E.decode(lossy)
    lossy.unlink()
    items.append(
        Item(
            str(
                E.write_int_flac(
                    root_p / "mono_44k_from_mp3_128.flac", E.to_int(decoded, 16), rate, 16
                )
            ),
            "inconclusive",
            "mono_44k_from_mp3_128",
        )
    )
    # 48 kHz genuine -> 96 kHz (effective rate should read 48000)
    x48 = _signal(6.0, 14, seconds, rate=48000)
    up = E.to_int(E.resample(x48, 48000, 96000), 24)
    items.append(
        Item(
            str(E.write_int_flac(root_p / "upsampled_48to96.flac", up, 96000, 24)),
            "upsampled",
            "upsampled_flac_48to96",
            tilt=6.0,
            seed=14,
        )
    )
    # genuine hi-res 96 kHz / 24-bit (synthesised at 96 kHz)
    x96 = _signal(6.0, 15, seconds, rate=96000)
    items.append(
        Item(
            str(E.write_int_flac(root_p / "genuine_96k24.flac", E.to_int(x96, 24), 96000, 24)),
            "ok",
            "genuine_flac_96k24",
            tilt=6.0,
            seed=15,
        )
    )
    # genuinely band-limited master: 16 kHz brickwall, analog-like noise floor at -85 dBFS (white)
    xb = _signal(6.0, 16, seconds)
    spec = np.fft.rfft(xb.astype(np.float64), axis=1)
    spec[:, np.fft.rfftfreq(xb.shape[1], 1 / SR) > 16000] = 0
    xb = np.fft.irfft(spec, xb.shape[1], axis=1)
    xb += np.random.default_rng(16).standard_normal(xb.shape) * 10 ** (-85 / 20)
    items.append(
        Item(
            str(E.write_int_flac(root_p / "band_limited_master.flac", E.to_int(xb, 16), SR, 16)),
            "ok",
            "genuine_band_limited_16k",
            tilt=6.0,
            seed=16,
        )
    )
    # padded 24-bit WAV
    wav = root_p / "padded_24bit.wav"
    sf.write(str(wav), (pcm16.T << 16).astype(np.int32), SR, subtype="PCM_24")
    items.append(Item(str(wav), "padded_bits", "padded_wav24", tilt=3.0, seed=11))
    # lossy -> lossy: 320k MP3 made from a 128k MP3
    tmp = E.encode(root_p / "_src128.mp3", x, SR, "libmp3lame", bit_rate=128000)
    y, _ = E.decode(tmp)
    Path(tmp).unlink()
    items.append(
        Item(
            str(E.encode(root_p / "mp3_320_from_128.mp3", y, SR, "libmp3lame", bit_rate=320000)),
            "lossy_source",
            "mp3_320_from_mp3_128",
            "MP3 128",
            128,
            True,
            3.0,
            11,
        )
    )
    # more genuine lossy at their own bitrate
    items.append(
        Item(
            str(E.encode(root_p / "lossy_mp3_128.mp3", x, SR, "libmp3lame", bit_rate=128000)),
            "lossy_genuine",
            "genuine_mp3_128",
            tilt=3.0,
            seed=11,
        )
    )
    items.append(
        Item(
            str(
                E.encode(
                    root_p / "lossy_opus_128.opus",
                    x,
                    SR,
                    "libopus",
                    bit_rate=128000,
                    out_rate=48000,
                )
            ),
            "lossy_genuine",
            "genuine_opus_128",
            tilt=3.0,
            seed=11,
        )
    )
    items.append(
        Item(
            str(E.write_vorbis(root_p / "lossy_vorbis_q5.ogg", x, SR, 5)),
            "lossy_genuine",
            "genuine_vorbis_q5",
            tilt=3.0,
            seed=11,
        )
    )
    return items


# signals used for fakes (tilt, seed) and for genuine/misc files (tilt, seed, extended)
FAKE_SIGNALS = ((3.0, 1), (3.0, 2), (6.0, 3), (6.0, 4))
MISC_SIGNALS = ((3.0, 1, True), (6.0, 3, True), (3.0, 5, False), (6.0, 6, False), (4.5, 7, False))


def build_labelled_set(root: str | Path, *, seconds: float = 20.0, workers: int = 2) -> list[Item]:
    """Build everything under ``root`` (created); the manifest, also in ``manifest.json``."""
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    jobs = [(_build_fakes, (str(root), t, s, seconds)) for t, s in FAKE_SIGNALS]
    jobs += [(_build_misc, (str(root), t, s, seconds, ext)) for t, s, ext in MISC_SIGNALS]
    jobs.append((_build_once, (str(root), seconds)))
    items: list[Item] = []
    if workers > 1:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            futures = [pool.submit(fn, *args) for fn, args in jobs]
            for fut in futures:
                items.extend(fut.result())
    else:
        for fn, args in jobs:
            items.extend(fn(*args))
    (root / "manifest.json").write_text(json.dumps([asdict(i) for i in items], indent=1))
    return items


def load_manifest(root: str | Path) -> list[Item]:
    return [Item(**d) for d in json.loads((Path(root) / "manifest.json").read_text())]


def build_fuzz_seeds(root: str | Path, seconds: float = 6.0) -> list[Path]:
    """Small FLAC / MP3 / M4A / Ogg Vorbis files to mutate in the fuzz test."""
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    x = _signal(3.0, 21, seconds)
    return [
        E.write_int_flac(root / "seed.flac", E.to_int(x, 16), SR, 16),
        E.write_int_flac(root / "seed24.flac", E.to_int(x, 24), SR, 24),
        E.encode(root / "seed.mp3", x, SR, "libmp3lame", bit_rate=128000),
        E.encode(root / "seed.m4a", x, SR, "aac", bit_rate=128000),
        E.write_vorbis(root / "seed.ogg", x, SR, 3),
    ]
