"""The quality badge of a file ("FLAC 24/96", "ALAC 16/44.1", "MP3 V0", "MP3 320 CBR",
"AAC 256"): one pure function of the analysed values, so every page names a file's quality
the same way (file list, file page, duplicate groups, upgrade candidates).

A VBR MP3 is named by the LAME ``-V`` preset its header records: ``verify_audio`` keeps the
settings mutagen reads from the LAME tag ("-V 2", "--preset extreme") in the verification's
evidence (``file_quality``, the report's table, has no column for them). Until the file is
verified, or when its verification is older than the file, the preset is the one whose
published average bitrate is nearest to the file's (:data:`LAME_VBR_AVERAGE_KBPS`), which
misnames quiet or sparse music (a ``-V 2`` file averaging 150 kbps reads as V5). A verified VBR
MP3 without LAME settings (another encoder) is named by its average: "MP3 VBR 187".
"""

from __future__ import annotations

import json
import re

from quality.score import LOSSLESS_CODECS

#: LAME's table of average bitrates per ``-V`` preset (its documentation's "VBR" column).
LAME_VBR_AVERAGE_KBPS = {
    0: 245,
    1: 225,
    2: 190,
    3: 175,
    4: 165,
    5: 130,
    6: 115,
    7: 100,
    8: 85,
    9: 65,
}

#: The bitrates encoders are asked for: a measured average within
#: :data:`NOMINAL_TOLERANCE` of one is shown as it ("AAC 256" for a file averaging 249 kbps).
NOMINAL_KBPS = (32, 48, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320)
NOMINAL_TOLERANCE = 0.06

#: PCM is named by its container, as collectors do ("WAV 16/44.1", "AIFF 24/96").
_PCM_CONTAINERS = {"wav": "WAV", "aif": "AIFF", "aiff": "AIFF", "w64": "W64"}
#: DSD's sample rate is a multiple of 44.1 kHz: DSD64 = 2.8224 MHz.
_DSD_BASE_RATE = 44_100


def sample_rate_khz(sample_rate: int) -> str:
    """44100 → ``44.1``, 96000 → ``96``, 88200 → ``88.2``."""
    return f"{sample_rate / 1000:.1f}".removesuffix(".0")


def nominal_kbps(kbps: int) -> int:
    """The asked-for bitrate a measured average stands for, or the average itself."""
    nearest = min(NOMINAL_KBPS, key=lambda n: abs(n - kbps))
    return nearest if abs(nearest - kbps) <= NOMINAL_TOLERANCE * nearest else kbps


def lame_vbr_preset(kbps: int) -> int:
    """The LAME ``-V`` preset whose average bitrate is nearest (ties: the better preset)."""
    return min(LAME_VBR_AVERAGE_KBPS, key=lambda v: (abs(LAME_VBR_AVERAGE_KBPS[v] - kbps), v))


#: LAME's named VBR presets and the ``-V`` level each is (LAME's usage text: "--preset
#: standard" is -V 2, "extreme" -V 0, "medium" -V 4; "fast" only chose the VBR routine).
LAME_NAMED_PRESETS = {"extreme": 0, "standard": 2, "medium": 4}
_V_SETTING = re.compile(r"(?:^|\s)-V\s*(\d)\b")
_NAMED_SETTING = re.compile(r"--(?:alt-)?preset\s+(?:fast\s+)?(extreme|standard|medium)\b")


def lame_preset_from_settings(settings: str) -> int | None:
    """The ``-V`` level of LAME settings as mutagen reads them from the LAME tag ("-V 2",
    "-V 0 --vbr-old", "--preset fast extreme"); None for CBR/ABR settings or none."""
    if match := _V_SETTING.search(settings):
        return int(match.group(1))
    if match := _NAMED_SETTING.search(settings):
        return LAME_NAMED_PRESETS[match.group(1)]
    return None


def mp3_vbr_name(kbps: int, encoder_settings: str | None) -> str:
    """``V2`` from the LAME tag's settings; without a verification (``None``), the nearest
    preset by average bitrate; a verified file without a LAME preset, ``VBR 187``."""
    if encoder_settings is None:
        return f"V{lame_vbr_preset(kbps)}"
    preset = lame_preset_from_settings(encoder_settings)
    return f"V{preset}" if preset is not None else f"VBR {kbps}"


def quality_badge(
    *,
    file_format: str | None,
    codec: str | None = None,
    is_lossless: bool | None = None,
    bitrate: int | None = None,
    bitrate_mode: str | None = None,
    sample_rate: int | None = None,
    bit_depth: int | None = None,
    encoder_settings: str | None = None,
) -> str:
    """The badge text of one file. Without an analysis (``codec`` None) it is the
    container's name in capitals; lossless is named by codec, depth and rate; lossy by codec
    and bitrate (MP3 also by mode: ``V0``, ``320 CBR``, ``256 ABR``). ``encoder_settings``:
    an MP3's LAME settings as its verification read them, None when not known."""
    container = (file_format or "").strip().lower()
    if not codec:
        return container.upper() or "unknown"
    if codec == "DSD" and sample_rate:
        return f"DSD{round(sample_rate / _DSD_BASE_RATE)}"
    if is_lossless or codec in LOSSLESS_CODECS:
        name = _PCM_CONTAINERS.get(container, "PCM") if codec == "PCM" else codec
        if bit_depth and sample_rate:
            return f"{name} {bit_depth}/{sample_rate_khz(sample_rate)}"
        if sample_rate:
            return f"{name} {sample_rate_khz(sample_rate)} kHz"
        return name
    if not bitrate:
        return codec
    if codec == "MP3":
        if bitrate_mode == "VBR":
            return f"MP3 {mp3_vbr_name(bitrate, encoder_settings)}"
        if bitrate_mode == "CBR":
            return f"MP3 {bitrate} CBR"
        if bitrate_mode == "ABR":
            return f"MP3 {nominal_kbps(bitrate)} ABR"
    return f"{codec} {nominal_kbps(bitrate)}"


def verified_encoder_settings(verification, *, file_mtime) -> str | None:
    """The LAME settings a verification read (``evidence["encoder_settings"]``), while the
    file is unchanged since; None when it recorded none (not an MP3, or an earlier verifier)."""
    if verification is None or not verification.evidence:
        return None
    verified_at = verification.verified_at
    if file_mtime is not None and verified_at is not None and verified_at < file_mtime:
        return None
    try:
        settings = json.loads(verification.evidence).get("encoder_settings")
    except (ValueError, AttributeError):
        return None
    return settings if isinstance(settings, str) else None


def file_quality_badge(library_file) -> str:
    """The badge of a ``LibraryFile``, from its ``quality`` row when it has one and, for an
    MP3, its verification's LAME settings (pass files fetched with
    ``select_related("quality", "verification")``: otherwise each badge costs a query)."""
    quality = getattr(library_file, "quality", None)
    if quality is None:
        return quality_badge(file_format=library_file.file_format)
    settings = None
    if quality.codec == "MP3" and quality.bitrate_mode == "VBR":
        verification = getattr(library_file, "verification", None)
        settings = verified_encoder_settings(verification, file_mtime=library_file.file_mtime)
    return analysis_badge(quality, encoder_settings=settings)


def analysis_badge(quality, *, encoder_settings: str | None = None) -> str:
    """The badge of an analysis: a ``file_quality`` row or the row analysis would write for a
    file not in the library (an import being vetted); both have the same fields."""
    return quality_badge(
        file_format=quality.file_format,
        codec=quality.codec,
        is_lossless=quality.is_lossless,
        bitrate=quality.bitrate,
        bitrate_mode=quality.bitrate_mode,
        sample_rate=quality.sample_rate,
        bit_depth=quality.bit_depth,
        encoder_settings=encoder_settings,
    )
