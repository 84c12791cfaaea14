import pytest

from quality.distribution import quality_distribution, score_bin_bounds

NO_BINS = [0] * 10


def row(fmt, count, score_sum, lossless=0, hires=0):
    return {
        "file_format": fmt,
        "file_count": count,
        "score_sum": score_sum,
        "lossless_count": lossless,
        "hires_count": hires,
    }


def test_inactive_sums_are_subtracted_and_the_average_recomputed():
    result = quality_distribution(
        rows=[row("mp3", 3, 30 + 40 + 80), row("flac", 2, 85 + 100, lossless=2, hires=1)],
        bins=[0, 0, 0, 1, 1, 0, 0, 0, 2, 1],
        minus=[row("mp3", 1, 80)],
        minus_bins=[0, 0, 0, 0, 0, 0, 0, 0, 1, 0],
    )
    assert [
        (r.file_format, r.file_count, r.lossless_count, r.hires_count) for r in result.formats
    ] == [
        ("flac", 2, 2, 1),
        ("mp3", 2, 0, 0),
    ]
    assert result.formats[1].avg_score == pytest.approx(35)
    assert dict(result.score_bins) | {} == {
        "0–10": 0, "10–20": 0, "20–30": 0, "30–40": 1, "40–50": 1,
        "50–60": 0, "60–70": 0, "70–80": 0, "80–90": 1, "90–100": 1,
    }  # fmt: skip
    assert (result.analysed, result.lossless, result.hires) == (4, 2, 1)


def test_a_format_whose_files_are_all_inactive_disappears():
    result = quality_distribution(
        rows=[row("wma", 1, 20.0)],
        bins=[0, 0, 1, *NO_BINS[3:]],
        minus=[row("wma", 1, 20.0)],
        minus_bins=[0, 0, 1, *NO_BINS[3:]],
    )
    assert result.formats == [] and result.analysed == 0


def test_bins_are_half_open_and_the_last_one_holds_100():
    assert score_bin_bounds(0) == (0, 10)
    assert score_bin_bounds(8) == (80, 90)
    assert score_bin_bounds(9) == (90, None)
