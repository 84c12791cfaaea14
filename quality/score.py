"""The quality score of DESIGN.md §5: one pure function, the formula in one place.

``SCORING_REVISION`` goes into every ``file_quality.analyzer_version``: bump it whenever the
formula changes, so the next ``analyze_quality`` run re-scores every file.
"""

from __future__ import annotations

SCORING_REVISION = 1

LOSSLESS_CODECS = frozenset({"FLAC", "ALAC", "PCM", "APE", "WavPack", "TTA", "DSD", "WMA Lossless"})
# Codec-equivalent bitrate factors: modern codecs sound as good as MP3 at a higher bitrate.
LOSSY_FACTORS = {"AAC": 1.25, "Vorbis": 1.25, "Musepack": 1.25, "Opus": 1.5}

LOSSLESS_BASE = 85.0
HIGH_BIT_DEPTH_BONUS = 2.5
HIGH_RATE_BONUS = 2.5
HIRES_BONUS = 10.0
MULTICHANNEL_BONUS = 5.0
VBR_BONUS = 3.0


def is_lossless_codec(codec: str | None) -> bool:
    return codec in LOSSLESS_CODECS


def is_hires(*, sample_rate: int | None, bit_depth: int | None) -> bool:
    return (sample_rate or 0) > 48000 or (bit_depth or 0) > 16


def lossy_base(*, codec: str | None, bitrate_kbps: float | None) -> float:
    """Piecewise-linear in the MP3-equivalent bitrate: 192 k → 50, 256 k → 70, 320 k → 84."""
    eq = (bitrate_kbps or 0) * LOSSY_FACTORS.get(codec or "", 1.0)
    if eq < 192:
        return 49 * eq / 192
    if eq < 256:
        return 50 + 19 * (eq - 192) / 64
    if eq <= 320:
        return 70 + 14 * (eq - 256) / 64
    return 84.0


def quality_score(
    *,
    codec: str | None,
    bitrate_kbps: float | None,
    sample_rate: int | None,
    bit_depth: int | None,
    channels: int | None,
    bitrate_mode: str | None,
) -> float:
    """0–100, one decimal. Lossless is decided by ``codec``, never by the file extension."""
    if is_lossless_codec(codec):
        score = LOSSLESS_BASE
        if (bit_depth or 0) >= 24 or codec == "DSD":
            score += HIGH_BIT_DEPTH_BONUS
        if (sample_rate or 0) >= 88200:
            score += HIGH_RATE_BONUS
    else:
        score = lossy_base(codec=codec, bitrate_kbps=bitrate_kbps)
        if bitrate_mode == "VBR":
            score += VBR_BONUS
    if is_hires(sample_rate=sample_rate, bit_depth=bit_depth):
        score += HIRES_BONUS
    if (channels or 0) > 2:
        score += MULTICHANNEL_BONUS
    return round(min(100.0, max(0.0, score)), 1)
