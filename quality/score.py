"""The quality score (docs/formulas.md): one pure function, the formula in one place.

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


def quality_score_parts(
    *,
    codec: str | None,
    bitrate_kbps: float | None,
    sample_rate: int | None,
    bit_depth: int | None,
    channels: int | None,
    bitrate_mode: str | None,
) -> list[tuple[str, float]]:
    """The score's terms, labelled for people (the file page shows them): base, then bonuses.

    :func:`quality_score` is their clamped, rounded sum, so the page and the stored score
    cannot disagree.
    """
    if is_lossless_codec(codec):
        parts = [(f"lossless base ({codec})", LOSSLESS_BASE)]
        if (bit_depth or 0) >= 24 or codec == "DSD":
            parts.append(("bit depth 24 or more", HIGH_BIT_DEPTH_BONUS))
        if (sample_rate or 0) >= 88200:
            parts.append(("sample rate 88.2 kHz or more", HIGH_RATE_BONUS))
    else:
        factor = LOSSY_FACTORS.get(codec or "", 1.0)
        base = lossy_base(codec=codec, bitrate_kbps=bitrate_kbps)
        parts = [
            (
                f"lossy base: {codec or 'unknown codec'} {bitrate_kbps or 0:g} kbps "
                f"× {factor:g} = {(bitrate_kbps or 0) * factor:g} kbps MP3-equivalent",
                base,
            )
        ]
        if bitrate_mode == "VBR":
            parts.append(("variable bitrate (VBR)", VBR_BONUS))
    if is_hires(sample_rate=sample_rate, bit_depth=bit_depth):
        parts.append(("hi-res (above 48 kHz or 16 bit)", HIRES_BONUS))
    if (channels or 0) > 2:
        parts.append((f"{channels} channels", MULTICHANNEL_BONUS))
    return parts


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
    parts = quality_score_parts(
        codec=codec,
        bitrate_kbps=bitrate_kbps,
        sample_rate=sample_rate,
        bit_depth=bit_depth,
        channels=channels,
        bitrate_mode=bitrate_mode,
    )
    return score_total(parts)


def score_total(parts: list[tuple[str, float]]) -> float:
    """The score from its terms: their sum, clamped to 0–100 and rounded to one decimal."""
    score = sum(points for _, points in parts)
    return round(min(100.0, max(0.0, score)), 1)


#: What a CD-quality lossless copy (16 bit, 44.1 kHz, stereo) scores: the target of upgrades.
CD_QUALITY_SCORE = quality_score(
    codec="FLAC", bitrate_kbps=None, sample_rate=44100, bit_depth=16, channels=2, bitrate_mode=None
)


def reference_scores() -> list[tuple[str, float]]:
    """A few well-known files and their scores, to read the histogram by (the overview)."""

    def lossy(codec: str, kbps: int) -> float:
        return quality_score(
            codec=codec, bitrate_kbps=kbps, sample_rate=44100, bit_depth=None, channels=2,
            bitrate_mode="CBR",
        )  # fmt: skip

    return [
        ("lossless CD quality", CD_QUALITY_SCORE),
        ("a 320 kbps MP3", lossy("MP3", 320)),
        ("a 128 kbps MP3", lossy("MP3", 128)),
    ]
