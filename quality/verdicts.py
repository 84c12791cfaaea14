"""What a file's decoded audio says it is: the verdict rule and the encoders' known lowpass.

One pure function, :func:`verdict_decide`, turns the measurements of a decode pass
(integrity, the spectral wall, the effective rate and bit depth) into exactly one verdict:
``damaged`` > ``lossy_source`` > ``upsampled`` > ``padded_bits`` > (``inconclusive`` | ``ok``).
Verdicts are triage signals with their evidence, not proof (docs/verification.md):

- a wall below 19 kHz, or at 19.0-19.8 kHz with a drop of 40 dB or more (LAME 224/256 kbps,
  FFmpeg AAC 192 kbps put theirs there), is lossy evidence;
- a wall at 19.8-20.6 kHz alone (MP3 320k, Opus, Vorbis q5, or a band-limited master) makes a
  lossless file ``inconclusive``, never an accusation;
- a lossy file is only ``lossy_source`` when its wall says its source was well below its own
  bitrate (a 320 kbps MP3 made from a 128 kbps one);
- too short (< 5 s), silent, mono, or too low a rate for the test (< 32 kHz):
  ``inconclusive``. Mono is never judged: mono sources are mostly historical and broadcast
  recordings whose band limit comes from tape, disc or radio, not from an encoder, so a wall in
  a mono file accuses nobody.
"""

from __future__ import annotations

from typing import Any

import numpy as np

VERDICTS = ("ok", "lossy_source", "upsampled", "padded_bits", "damaged", "inconclusive")

AMBIGUOUS_LOW_HZ = 19000.0  # walls at or above this are not lossy evidence on their own ...
AMBIGUOUS_ACCUSE_HZ = 19800.0  # ... except 19.0-19.8 kHz with a steep drop
ZONE_MIN_DROP_DB = 40.0  # the drop a wall in the 19.0-19.8 kHz zone needs
AMBIGUOUS_HIGH_HZ = 20600.0  # walls above this: no lossy evidence
MIN_SECONDS = 5.0
SILENCE_DBFS = -60.0
MIN_SPECTRAL_RATE = 32000

# Encoder lowpass table: (family, label, nominal kbps, nominal lowpass Hz, measured cutoff Hz).
# Nominal LAME 3.100 lowpass values are LAME's own (its optimum_bandwidth table and VBR
# presets). "measured" is where spectral_wall() puts the cutoff (the -20 dB point) on music_like
# signals decoded from this FFmpeg 8.1 / LAME build (measure_cutoffs.py); matching uses the
# measured value when there is one. Note LAME here gives the same wall for 96 and 112 kbps and
# for 224 and 256 kbps, and cutoffs 200-400 Hz below the nominal lowpass (transition band).
# AAC = FFmpeg native encoder, Opus = libopus (48 kHz), Vorbis = libsndfile/libvorbis.
ENCODER_LOWPASS: tuple[tuple[str, str, int, float | None, float | None], ...] = (
    ("MP3", "64 kbps", 64, 11000.0, 11200.0),
    ("MP3", "80 kbps", 80, 13500.0, 13200.0),
    ("MP3", "96 kbps", 96, 15100.0, 15200.0),
    ("MP3", "112 kbps", 112, 15600.0, 15200.0),
    ("MP3", "128 kbps", 128, 17000.0, 16700.0),
    ("MP3", "160 kbps", 160, 17500.0, 17350.0),
    ("MP3", "192 kbps", 192, 18600.0, 18750.0),
    ("MP3", "224 kbps", 224, 19400.0, 19400.0),
    ("MP3", "256 kbps", 256, 19700.0, 19400.0),
    ("MP3", "320 kbps", 320, 20500.0, 20100.0),
    ("MP3", "V1", 225, 19500.0, 19400.0),
    ("MP3", "V2", 190, 18500.0, 18750.0),
    ("MP3", "V3", 175, 18000.0, 18100.0),
    ("MP3", "V4", 165, 17500.0, 17350.0),
    ("MP3", "V5", 130, 17000.0, 16700.0),
    ("MP3", "V6", 115, 16500.0, 16650.0),
    ("MP3", "V7", 100, 15600.0, 15150.0),
    ("MP3", "V8", 85, 15200.0, 15150.0),
    ("MP3", "V9", 65, 7230.0, 7800.0),
    ("AAC", "96 kbps", 96, None, 15900.0),
    ("AAC", "128 kbps", 128, None, 17300.0),
    ("AAC", "160 kbps", 160, None, 19050.0),
    ("AAC", "192 kbps", 192, None, 19300.0),
    ("Opus", "64-128 kbps", 96, None, 20200.0),
    ("Vorbis", "q3", 112, None, 18100.0),
    ("Vorbis", "q5", 160, None, 20350.0),
)
# not in the table because they show no wall below Nyquist on 44.1 kHz input:
# LAME V0, FFmpeg aac 256k.
LADDER_KBPS = (64, 80, 96, 112, 128, 160, 192, 224, 256, 320)
SOURCE_TOLERANCE_HZ = 300.0


def _lowpass_of(nominal: float | None, measured: float | None) -> float:
    """Where an encoder's wall is found: measured when known, else its nominal lowpass."""
    return measured if measured is not None else (nominal or 0.0)


def ladder_index(kbps: float) -> int:
    return int(np.argmin([abs(kbps - k) for k in LADDER_KBPS]))


def source_estimate(cutoff_hz: float | None, codec_family: str | None = None) -> dict | None:
    """Map a wall frequency to the encoders' known lowpass (ENCODER_LOWPASS).

    codec_family: the file's own lossy family ('MP3', 'AAC', 'Vorbis', 'Opus'), preferred when one
    of its entries is within SOURCE_TOLERANCE_HZ; None for lossless files (all families).
    Returns {'text', 'kbps', 'kbps_range', 'family', 'candidates'} or None if no cutoff.
    """
    if cutoff_hz is None:
        return None
    fam = (codec_family or "").lower() or None
    cands: list[dict[str, Any]] = []
    for f, lab, kb, nominal, measured in ENCODER_LOWPASS:
        hz = _lowpass_of(nominal, measured)
        if abs(cutoff_hz - hz) <= SOURCE_TOLERANCE_HZ:
            cands.append(
                {
                    "family": f,
                    "label": lab,
                    "kbps": kb,
                    "lowpass_hz": hz,
                    "delta_hz": round(cutoff_hz - hz, 1),
                }
            )
    cands.sort(key=lambda c: abs(c["delta_hz"]))
    own = [c for c in cands if fam and c["family"].lower() == fam]
    if own:
        best = own[0]
        ks = [c["kbps"] for c in own]
        return {
            "text": f"{best['family']} ≈{best['label']}",
            "kbps": best["kbps"],
            "kbps_range": [min(ks), max(ks)],
            "family": best["family"],
            "candidates": own,
        }
    if not cands:
        near = min(ENCODER_LOWPASS, key=lambda e: abs(cutoff_hz - _lowpass_of(e[3], e[4])))
        rel = "≤" if cutoff_hz < _lowpass_of(near[3], near[4]) else "≈"
        return {
            "text": f"lossy {rel}{near[2]} kbps",
            "kbps": near[2],
            "kbps_range": [near[2], near[2]],
            "family": None,
            "candidates": [],
        }
    best = cands[0]
    ks = [c["kbps"] for c in cands]
    families = {c["family"] for c in cands}
    if len(families) == 1:
        text = f"{best['family']} ≈{best['label']}"
    elif ladder_index(max(ks)) - ladder_index(min(ks)) <= 1:
        text = f"lossy ≈{best['kbps']} kbps"
    else:
        text = f"lossy ≈{min(ks)}-{max(ks)} kbps"
    return {
        "text": text,
        "kbps": best["kbps"],
        "kbps_range": [min(ks), max(ks)],
        "family": best["family"] if len(families) == 1 else None,
        "candidates": cands,
    }


def verdict_decide(
    *,
    integrity: str,
    lossless: bool,
    decoded_seconds: float,
    sample_rate: int,
    peak_dbfs: float | None,
    wall: dict,
    rate_info: dict | None,
    declared_bit_depth: int | None,
    effective_bit_depth: int | None,
    codec_family: str | None,
    own_kbps: float | None,
    channels: int | None = None,
) -> tuple[str, str | None, list[str]]:
    """Apply the precedence damaged > lossy_source > upsampled > padded_bits > (inconclusive|ok).

    Lossy evidence = a wall (spectral_wall) below 19.0 kHz, or at 19.0-19.8 kHz with a drop of
    >= 40 dB (LAME 224/256k, FFmpeg AAC 192k). A wall at 19.8-20.6 kHz (MP3 320k, Opus, Vorbis q5,
    or a band-limited master) makes a lossless file inconclusive; higher walls are ignored. For a
    lossy file the wall only counts when the estimated source is more than one ladder step (and
    25 %) below the file's own bitrate. Too short / silent / mono / < 32 kHz -> inconclusive.
    Returns (verdict, estimated_source_text, notes)."""
    notes: list[str] = []
    if integrity != "ok":
        return "damaged", None, [integrity]
    if decoded_seconds < MIN_SECONDS:
        return "inconclusive", None, [f"too short ({decoded_seconds:.1f} s < {MIN_SECONDS:.0f} s)"]
    if peak_dbfs is None or peak_dbfs < SILENCE_DBFS:
        return "inconclusive", None, [f"silent (peak below {SILENCE_DBFS:.0f} dBFS)"]
    if channels == 1:
        return "inconclusive", None, ["mono: not judged (its band limit may be the source's own)"]
    if sample_rate < MIN_SPECTRAL_RATE:
        return "inconclusive", None, [f"sample rate {sample_rate} Hz too low for the spectral test"]

    inconclusive = False
    estimate = None
    lossy = False
    cutoff = wall.get("cutoff_hz")
    if cutoff is not None:
        est = source_estimate(cutoff, None if lossless else codec_family)
        estimate = est["text"] if est else None
        floor = wall.get("floor_db")
        if cutoff < AMBIGUOUS_LOW_HZ:
            lossy = True
            notes.append(f"wall at {cutoff:.0f} Hz, floor {floor} dB")
        elif cutoff < AMBIGUOUS_ACCUSE_HZ and (wall.get("drop_db") or 0.0) >= ZONE_MIN_DROP_DB:
            lossy = True
            notes.append(
                f"wall at {cutoff:.0f} Hz (19.0-19.8 kHz zone), drop {wall.get('drop_db')} dB, "
                f"floor {floor} dB"
            )
        elif cutoff <= AMBIGUOUS_HIGH_HZ:
            if lossless:
                inconclusive = True
                estimate = "lossy ≥256 kbps (MP3 320k, Opus, Vorbis q5) or a band-limited master"
                notes.append(
                    f"wall at {cutoff:.0f} Hz in the 19-20.6 kHz zone: MP3 320k / Opus / Vorbis q5 "
                    "or a band-limited master"
                )
            else:
                estimate = None
                notes.append(
                    f"wall at {cutoff:.0f} Hz: the band limit of a high-bitrate lossy encoder"
                )
        else:
            estimate = None
        if lossy and not lossless and est is not None and own_kbps:
            # a lossy file is expected to show its own encoder's lowpass
            top = est["kbps_range"][1]
            if top >= 0.75 * own_kbps or ladder_index(top) >= ladder_index(own_kbps) - 1:
                lossy = False
                notes.append(f"wall consistent with the file's own bitrate ({own_kbps:.0f} kbps)")
        if lossy:
            return "lossy_source", estimate, notes
        if not lossless and not inconclusive:
            estimate = None
    if rate_info is not None and rate_info.get("rate") and rate_info["rate"] < sample_rate:
        notes.append(f"no content above {rate_info['rate'] / 2:.0f} Hz")
        return "upsampled", None, notes
    if (
        declared_bit_depth
        and declared_bit_depth > 16
        and effective_bit_depth is not None
        and effective_bit_depth <= 16
    ):
        notes.append(f"low {declared_bit_depth - effective_bit_depth} bits zero in every sample")
        return "padded_bits", None, notes
    if inconclusive:
        return "inconclusive", estimate if lossless else None, notes
    return "ok", None, notes
