"""The quality score (docs/formulas.md): one pure function, the formula in one place.

The score is the file's *effective* quality: what the container declares, corrected by what
its decoded audio showed when it was verified (:class:`AudioEvidence`, docs/verification.md):
a FLAC made from a 128 kbps MP3 scores as that MP3, an upsampled or padded file loses the
hi-res terms it does not earn, a damaged file scores 0. Every rule downstream (keeper,
candidates, dashboards) reads the stored score and sees the truth without knowing how it was
found.

``SCORING_REVISION`` goes into every ``file_quality.analyzer_version``: bump it whenever the
formula changes, so the next ``analyze_quality`` run re-scores every file.
"""

from __future__ import annotations

from dataclasses import dataclass

#: 3: the upgrade priority's availability term gives a lossy-only match 5 points, not 30
#: (``upgrades.rules.Availability.LOSSY_ONLY``); re-analysing re-runs identify's inputs.
SCORING_REVISION = 3

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


@dataclass(frozen=True)
class AudioEvidence:
    """What a file's decoded audio showed (its current ``audio_verification`` row), as far as
    the score is concerned."""

    verdict: str
    integrity: str = "ok"
    cutoff_hz: float | None = None
    estimated_source: str | None = None
    estimated_source_codec: str | None = None
    estimated_source_kbps: int | None = None
    effective_sample_rate: int | None = None
    effective_bit_depth: int | None = None


#: A stream resampled up is scored as the CD-quality copy it was made from.
UPSAMPLED_SOURCE_BIT_DEPTH = 16


def effective_format(
    *, sample_rate: int | None, bit_depth: int | None, evidence: AudioEvidence | None
) -> tuple[int | None, int | None]:
    """The sample rate and bit depth the audio really has: the declared ones, unless the
    verification found the stream upsampled (then the source's rate, and 16 bit) or padded
    (then the bits that carry audio)."""
    if evidence is None:
        return sample_rate, bit_depth
    if evidence.verdict == "upsampled":
        rate = evidence.effective_sample_rate or sample_rate
        depth = min(bit_depth, UPSAMPLED_SOURCE_BIT_DEPTH) if bit_depth else bit_depth
        return rate, depth
    if evidence.verdict == "padded_bits" and evidence.effective_bit_depth:
        return sample_rate, min(
            bit_depth or evidence.effective_bit_depth, evidence.effective_bit_depth
        )
    return sample_rate, bit_depth


def _lossy_parts(
    codec: str | None, bitrate_kbps: float | None, bitrate_mode: str | None
) -> list[tuple[str, float]]:
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
    return parts


def _source_parts(evidence: AudioEvidence) -> list[tuple[str, float]]:
    """A file made from a lossy source scores as that source (no VBR or hi-res terms)."""
    codec = evidence.estimated_source_codec
    kbps = evidence.estimated_source_kbps
    wall = f"wall at {evidence.cutoff_hz / 1000:.1f} kHz → " if evidence.cutoff_hz else ""
    label = (
        f"lossy source detected: {wall}{evidence.estimated_source or 'a lossy encoder'}: scored "
        f"as {codec or 'lossy'} {kbps or 0:g} kbps"
    )
    return [(label, lossy_base(codec=codec, bitrate_kbps=kbps))]


def quality_score_parts(
    *,
    codec: str | None,
    bitrate_kbps: float | None,
    sample_rate: int | None,
    bit_depth: int | None,
    channels: int | None,
    bitrate_mode: str | None,
    evidence: AudioEvidence | None = None,
) -> list[tuple[str, float]]:
    """The score's terms, labelled for people (the file page shows them): base, then bonuses,
    then what the verification found.

    :func:`quality_score` is their clamped, rounded sum, so the page and the stored score
    cannot disagree.
    """
    if evidence is not None and evidence.verdict == "damaged":
        return [(f"damaged audio ({evidence.integrity}): scores 0", 0.0)]
    if evidence is not None and evidence.verdict == "lossy_source":
        parts = _source_parts(evidence)
        if (channels or 0) > 2:
            parts.append((f"{channels} channels", MULTICHANNEL_BONUS))
        return parts
    rate, depth = effective_format(sample_rate=sample_rate, bit_depth=bit_depth, evidence=evidence)
    if is_lossless_codec(codec):
        parts = [(f"lossless base ({codec})", LOSSLESS_BASE)]
        if (depth or 0) >= 24 or codec == "DSD":
            parts.append(("bit depth 24 or more", HIGH_BIT_DEPTH_BONUS))
        if (rate or 0) >= 88200:
            parts.append(("sample rate 88.2 kHz or more", HIGH_RATE_BONUS))
    else:
        parts = _lossy_parts(codec, bitrate_kbps, bitrate_mode)
    if is_hires(sample_rate=rate, bit_depth=depth):
        parts.append(("hi-res (above 48 kHz or 16 bit)", HIRES_BONUS))
    if (channels or 0) > 2:
        parts.append((f"{channels} channels", MULTICHANNEL_BONUS))
    if evidence is not None and evidence.verdict == "upsampled":
        parts.append((f"upsampled from {rate or 0:,} Hz: no hi-res terms", 0.0))
    elif evidence is not None and evidence.verdict == "padded_bits":
        parts.append((f"padded: only {depth} bits carry audio", 0.0))
    return parts


def quality_score(
    *,
    codec: str | None,
    bitrate_kbps: float | None,
    sample_rate: int | None,
    bit_depth: int | None,
    channels: int | None,
    bitrate_mode: str | None,
    evidence: AudioEvidence | None = None,
) -> float:
    """0–100, one decimal. Lossless is decided by ``codec``, never by the file extension."""
    parts = quality_score_parts(
        codec=codec,
        bitrate_kbps=bitrate_kbps,
        sample_rate=sample_rate,
        bit_depth=bit_depth,
        channels=channels,
        bitrate_mode=bitrate_mode,
        evidence=evidence,
    )
    return score_total(parts)


def effective_is_hires(
    *, sample_rate: int | None, bit_depth: int | None, evidence: AudioEvidence | None
) -> bool:
    """``file_quality.is_hires``: the hi-res test on the format the audio really has."""
    if evidence is not None and evidence.verdict in ("lossy_source", "damaged"):
        return False
    rate, depth = effective_format(sample_rate=sample_rate, bit_depth=bit_depth, evidence=evidence)
    return is_hires(sample_rate=rate, bit_depth=depth)


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
