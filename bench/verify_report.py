"""Verify a labelled set and tabulate recall per class and false positives (tests, bench)."""

from __future__ import annotations

from collections import defaultdict
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from bench import labelled_set as LS
from quality import verdicts
from quality.services.decoding import VerificationResult, audio_verify, declared_read

ACCEPT = {
    "ok": {"ok"},
    "lossy_source": {"lossy_source"},
    "upsampled": {"upsampled"},
    "padded_bits": {"padded_bits"},
    "damaged": {"damaged"},
    "inconclusive": {"inconclusive"},
    "lossy_genuine": {"ok", "inconclusive"},
}


def verify_item(item: LS.Item) -> tuple[LS.Item, VerificationResult]:
    return item, audio_verify(item.path, declared=declared_read(item.path))


def verify_all(items, workers: int = 2):
    if workers > 1:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            return list(pool.map(verify_item, items, chunksize=4))
    return [verify_item(i) for i in items]


def kbps_of(result: VerificationResult) -> tuple[int, int] | None:
    """(low, high) kbps band of the estimated source, from the evidence candidates."""
    rng = result.evidence.get("estimated_kbps_range")
    if rng:
        return rng[0], rng[1]
    k = result.evidence.get("estimated_kbps")
    return (k, k) if k else None


def band_ok(item: LS.Item, result: VerificationResult) -> bool:
    """Estimated source band within one LAME ladder step of what the fake was made from."""
    band = kbps_of(result)
    if band is None or item.source_kbps is None:
        return False
    lo = verdicts.ladder_index(band[0])
    hi = verdicts.ladder_index(band[1])
    true = verdicts.ladder_index(item.source_kbps)
    return lo - 1 <= true <= hi + 1


def is_correct(item: LS.Item, result: VerificationResult) -> bool:
    if result.verdict not in ACCEPT[item.label]:
        return False
    if item.label == "lossy_source":
        return band_ok(item, result)
    return True


def table(pairs) -> str:
    """Recall per class (verdict == how the file was made; for fakes also the source band),
    the by-design subsets of the fakes, false positives on genuine files, and a per-kind summary."""
    by_label = defaultdict(list)
    by_kind = defaultdict(list)
    for item, res in pairs:
        by_label[item.label].append(is_correct(item, res))
        by_kind[item.kind].append((item, res))
    lines = [f"{'class (label from how the file was made)':44s}    n  recall", "-" * 60]
    for key in sorted(by_label):
        v = by_label[key]
        lines.append(f"{key:44s} {len(v):4d}  {sum(v) / len(v):6.1%}")
    fakes = [(i, r) for i, r in pairs if i.label == "lossy_source"]
    for title, sel in (
        ("  fakes with a wall < 19.8 kHz (asserted)", lambda i: i.detectable),
        (
            "  fakes, wall in 19.8-20.6 kHz zone -> inconclusive",
            lambda i: i.expect == "inconclusive",
        ),
        ("  fakes without any wall (V0, AAC 256k) -> ok", lambda i: i.expect == "ok"),
    ):
        rows = [(i, r) for i, r in fakes if sel(i)]
        if rows:
            caught = sum(is_correct(i, r) for i, r in rows)
            by_design = sum(r.verdict == i.expected for i, r in rows)
            lines.append(
                f"{title:44s} {len(rows):4d}  {caught / len(rows):6.1%}  (verdict as designed: "
                f"{by_design}/{len(rows)})"
            )
    genuine = [(i, r) for i, r in pairs if i.label in ("ok", "lossy_genuine")]
    fp = [(i, r) for i, r in genuine if r.verdict not in ("ok", "inconclusive")]
    inc = [(i, r) for i, r in genuine if r.verdict == "inconclusive"]
    lines.append("-" * 60)
    lines.append(
        "false positives on genuine files (lossless + lossy at their own bitrate): "
        f"{len(fp)}/{len(genuine)} "
        f"({len(fp) / max(1, len(genuine)):.1%}); inconclusive {len(inc)}/{len(genuine)}"
    )
    for i, r in fp:
        lines.append(f"   FP {i.kind} {Path(i.path).name}: {r.verdict} {r.estimated_source}")
    lines.append("")
    lines.append("per kind: correct/n  verdicts  cutoffs (Hz)  estimated source")
    for kind in sorted(by_kind):
        rows = by_kind[kind]
        verdicts = defaultdict(int)
        for _, r in rows:
            verdicts[r.verdict] += 1
        cut = sorted({int(r.cutoff_hz) for _, r in rows if r.cutoff_hz})
        est = sorted({r.estimated_source for _, r in rows if r.estimated_source})
        ok = sum(is_correct(i, r) for i, r in rows)
        lines.append(f"  {kind:26s} {ok}/{len(rows)} {dict(verdicts)} {cut} {est}")
    return "\n".join(lines)
