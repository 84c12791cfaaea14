"""Write ``beets_expected.json``: what ffprobe and mediainfo (Debian) say about each corpus file.

Run from the repository root when the corpus changes:

    .venv/bin/python tests/data/corpus/beets_expected_make.py

Rules, applied to every file alike (nothing here reads the project's own analyser):

- A file is audio when ffprobe or mediainfo finds an audio stream in it (Debian's ffprobe
  rejects these WMA files, mediainfo reads them); when neither does, it is expected to fail.
- A file is cut (expected to fail as ``truncated``) when the bytes present are less than half
  of what its stream declares: ffprobe's format ``bit_rate`` (file size × 8 / duration) under
  half of its stream ``bit_rate`` (``emptylist.mp3`` keeps 8 KiB of a 217 s track).
- codec: ffprobe ``codec_name`` mapped to the product's names (``CODEC_NAMES``), else
  mediainfo ``Format``.
- sample rate: ffprobe, else mediainfo. DSD: mediainfo, because ffprobe reports the rate of its
  8×-decimated PCM output, not the DSD rate.
- channels: ffprobe, else mediainfo.
- bit depth: lossless codecs only: ffprobe ``bits_per_raw_sample``, else ``bits_per_sample``,
  else mediainfo ``BitDepth``; DSD is 1 bit by definition (ffprobe says 8, its packing).
- lossless: mediainfo ``Compression_Mode`` when it gives one, else from the codec.
- bitrate (kbps, compared ±5 %): ffprobe stream ``bit_rate``, else mediainfo ``BitRate``, else
  the sum of ffprobe's packet sizes × 8 / ffprobe's format duration (an Ogg stream's
  own duration counts the Opus pre-skip).
"""

import json
import subprocess
from pathlib import Path

CORPUS = Path(__file__).resolve().parent / "beets"
OUT = Path(__file__).with_name("beets_expected.json")

CODEC_NAMES = {
    "mp3": "MP3", "vorbis": "Vorbis", "opus": "Opus", "aac": "AAC", "alac": "ALAC",
    "flac": "FLAC", "ape": "APE", "wavpack": "WavPack", "musepack7": "Musepack",
    "musepack8": "Musepack", "tta": "TTA", "wmav1": "WMA", "wmav2": "WMA", "wmapro": "WMA",
    "wmalossless": "WMA Lossless",
}  # fmt: skip
MEDIAINFO_CODECS = {"WMA": "WMA", "DSD": "DSD"}
LOSSLESS = {"FLAC", "ALAC", "PCM", "APE", "WavPack", "TTA", "DSD", "WMA Lossless"}


def run(*args: str) -> str:
    return subprocess.run(args, capture_output=True, text=True, check=False).stdout


def ffprobe(path: Path) -> dict | None:
    out = run(
        "ffprobe", "-v", "error", "-select_streams", "a:0", "-show_streams", "-show_format",
        "-of", "json", str(path),
    )  # fmt: skip
    data = json.loads(out or "{}")
    streams = data.get("streams") or []
    if not streams:
        return None
    format_ = data.get("format", {})
    return {
        **streams[0],
        "duration": format_.get("duration"),
        "format_bit_rate": format_.get("bit_rate"),
    }


def packet_kbps(path: Path, duration: float) -> float | None:
    out = run(
        "ffprobe", "-v", "error", "-select_streams", "a:0", "-show_entries", "packet=size",
        "-of", "csv=p=0", str(path),
    )  # fmt: skip
    fields = (line.split(",")[0].strip() for line in out.splitlines())
    total = sum(int(field) for field in fields if field.isdigit())
    return total * 8 / duration / 1000 if duration and total else None


def mediainfo(path: Path) -> dict:
    fields = "Format|BitRate|SamplingRate|Channels|BitDepth|Compression_Mode|Duration"
    out = run("mediainfo", f"--Inform=Audio;{'%' + '%|%'.join(fields.split('|')) + '%'}", str(path))
    values = out.strip().split("|")
    if len(values) < 7 or not values[0]:
        return {}
    return dict(zip(fields.split("|"), values, strict=False))


def number(value) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def expected(path: Path) -> dict:
    probe = ffprobe(path)
    info = mediainfo(path)
    if probe is None and not info:
        return {"error": True}
    declared, average = (number((probe or {}).get(k)) for k in ("bit_rate", "format_bit_rate"))
    if declared and average and average < declared / 2:
        return {"error": True, "error_kind": "truncated"}
    codec_name = (probe or {}).get("codec_name", "")
    if codec_name.startswith("pcm_"):
        codec = "PCM"
    elif codec_name.startswith("dsd_"):
        codec = "DSD"
    else:
        codec = CODEC_NAMES.get(codec_name) or MEDIAINFO_CODECS.get(info.get("Format", ""))
    rate = number((probe or {}).get("sample_rate")) or number(info.get("SamplingRate"))
    if codec == "DSD":
        rate = number(info.get("SamplingRate"))
    channels = number((probe or {}).get("channels")) or number(info.get("Channels"))
    mode = info.get("Compression_Mode")
    lossless = mode == "Lossless" if mode else codec in LOSSLESS
    depth = None
    if lossless:
        depth = (
            number((probe or {}).get("bits_per_raw_sample"))
            or number((probe or {}).get("bits_per_sample"))
            or number(info.get("BitDepth"))
        )
        if codec == "DSD":
            depth = 1
    kbps = number((probe or {}).get("bit_rate"))
    kbps = kbps / 1000 if kbps else None
    if kbps is None and number(info.get("BitRate")):
        kbps = number(info["BitRate"]) / 1000
    if kbps is None and probe:
        kbps = packet_kbps(path, number(probe.get("duration")) or 0)
    return {
        "error": False,
        "codec": codec,
        "sample_rate": int(rate) if rate else None,
        "channels": int(channels) if channels else None,
        "bit_depth": int(depth) if depth else None,
        "is_lossless": lossless,
        "bitrate_kbps": round(kbps, 3) if kbps else None,
    }


def main() -> None:
    table = {path.name: expected(path) for path in sorted(CORPUS.iterdir())}
    OUT.write_text(json.dumps(table, indent=1, sort_keys=True) + "\n")
    print(f"{len(table)} files -> {OUT}")


if __name__ == "__main__":
    main()
