"""The library's quality distribution (report query 3 and the score histogram), as plain sums.

The page needs query 3 per format and the histogram over all formats, both over the files
still in the library. Joining 50,000
``file_quality`` rows to ``library_index`` to filter ``is_active`` costs more than the whole
page budget, so the selector sums every analysis through the ``file_quality`` indexes and
subtracts the sums over the (usually few) inactive files. Sums subtract exactly; averages
do not, which is why the rows carry ``score_sum`` and the average is taken at the end.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

SCORE_BIN_WIDTH = 10
SCORE_BINS = 100 // SCORE_BIN_WIDTH
SUMMED = ("file_count", "score_sum", "lossless_count", "hires_count")


@dataclass(frozen=True)
class FormatRow:
    """One line of the report's query 3 (docs/report.md)."""

    file_format: str
    file_count: int
    avg_score: float | None
    lossless_count: int
    hires_count: int


@dataclass(frozen=True)
class QualityDistribution:
    formats: list[FormatRow]
    score_bins: list[tuple[str, int]]

    @property
    def analysed(self) -> int:
        return sum(row.file_count for row in self.formats)

    @property
    def lossless(self) -> int:
        return sum(row.lossless_count for row in self.formats)

    @property
    def hires(self) -> int:
        return sum(row.hires_count for row in self.formats)


def score_bin_bounds(index: int) -> tuple[float, float | None]:
    """``[low, high)`` of bin ``index``; the last bin has no upper bound (a 100 falls in it)."""
    low = index * SCORE_BIN_WIDTH
    return low, (low + SCORE_BIN_WIDTH if index < SCORE_BINS - 1 else None)


def score_bin_filter(index: int) -> dict[str, str]:
    """The ``/files/`` filter (``score_min``, ``score_max``, both inclusive) holding exactly
    the files of bin ``index``: scores have one decimal, so ``< high`` is ``<= high - 0.1``;
    the first bin is open below and the last above, as the histogram counts them."""
    low, high = score_bin_bounds(index)
    query = {}
    if index:
        query["score_min"] = f"{low:g}"
    if high is not None:
        query["score_max"] = f"{high - 0.1:.1f}"
    return query


def score_bin_labels() -> list[str]:
    return [f"{low}–{low + SCORE_BIN_WIDTH}" for low in range(0, 100, SCORE_BIN_WIDTH)]


def quality_distribution(
    *,
    rows: Iterable[Mapping],
    bins: Sequence[int],
    minus: Iterable[Mapping] = (),
    minus_bins: Sequence[int] = (),
) -> QualityDistribution:
    """Per-format sums in ``rows`` less those in ``minus``: formats by count, then the bins.

    ``bins`` and ``minus_bins`` hold one file count per score bin, over the same files.
    """
    totals: dict[str, dict[str, float]] = {}
    for sign, source in ((1, rows), (-1, minus)):
        for row in source:
            entry = totals.setdefault(row["file_format"], dict.fromkeys(SUMMED, 0))
            for key in SUMMED:
                entry[key] += sign * (row[key] or 0)
    formats = sorted(
        (
            FormatRow(
                file_format=fmt,
                file_count=int(entry["file_count"]),
                avg_score=entry["score_sum"] / entry["file_count"],
                lossless_count=int(entry["lossless_count"]),
                hires_count=int(entry["hires_count"]),
            )
            for fmt, entry in totals.items()
            if entry["file_count"] > 0
        ),
        key=lambda row: (-row.file_count, row.file_format),
    )
    removed = list(minus_bins) or [0] * SCORE_BINS
    score_bins = [
        (label, int(count - less))
        for label, count, less in zip(score_bin_labels(), bins, removed, strict=True)
    ]
    return QualityDistribution(formats=formats, score_bins=score_bins)
