import pytest

from musicquality.charts import PLOT_LEFT, PLOT_SIDE, bar_chart, grouped_bar_chart, line_chart


def test_bars_are_proportional_to_the_largest_value():
    chart = bar_chart(items=[("a", 10), ("b", 5), ("c", 0)], title="t", width=300, height=124)
    plot = 124 - 24 - 16
    a, b, c = chart.bars
    assert a.height == plot and b.height == plot / 2 and c.height == 0
    assert a.y == chart.baseline - plot
    assert a.x < b.x < c.x and a.width == b.width
    assert c.x + c.width <= 300


def test_every_nth_label_and_the_last_are_shown():
    chart = bar_chart(items=[(str(i), i) for i in range(12)], title="t", label_every=5)
    assert [bar.label for bar in chart.bars if bar.show_label] == ["0", "5", "10", "11"]


def test_an_all_zero_chart_is_empty_and_has_no_division_by_zero():
    chart = bar_chart(items=[("a", 0), ("b", 0)], title="t")
    assert chart.is_empty and all(bar.height == 0 for bar in chart.bars)
    assert bar_chart(items=[], title="t").bars == ()


def test_grouped_bars_share_one_scale_and_sit_side_by_side():

    chart = grouped_bar_chart(
        groups=[("home", (2.0, 8.0)), ("a_very_long_query_name_indeed", (1.0, 4.0))],
        series=("p50", "p95"),
        title="t",
        width=300,
        height=124,
    )
    plot = 124 - 24 - 16
    (home_p50, home_p95), (long_p50, long_p95) = (g.bars for g in chart.groups)
    assert home_p95.height == plot and home_p50.height == plot / 4 and long_p95.height == plot / 2
    assert home_p50.x + home_p50.width == pytest.approx(home_p95.x)
    assert home_p95.x + home_p95.width < long_p50.x
    assert [b.series_name for b in chart.groups[0].bars] == ["p50", "p95"]
    assert chart.groups[1].short_label.endswith("…") and len(chart.groups[1].short_label) == 18
    assert not chart.is_empty


def test_lines_span_the_plot_from_the_first_to_the_last_x():

    chart = line_chart(
        series=[("size", [(1000.0, 0.0), (2000.0, 5.0), (3000.0, 10.0)]), ("other", [])],
        title="t",
        width=300,
        height=124,
        x_time=True,
    )
    first, middle, last = chart.series[0].points
    assert first.x == PLOT_LEFT and last.x == 300 - PLOT_SIDE
    assert middle.x == pytest.approx((first.x + last.x) / 2)
    assert first.y == chart.baseline and last.y == 16 and middle.y == (16 + chart.baseline) / 2
    assert chart.x_first == "01-01 00:16" and chart.top_text == "10"
    assert chart.series[0].polyline.startswith(f"{first.x},{first.y} ")


def test_a_line_chart_without_points_is_empty_and_one_point_sits_in_the_middle():

    assert line_chart(series=[("a", [])], title="t").is_empty
    (point,) = line_chart(series=[("a", [(5.0, 1.0)])], title="t", width=300).series[0].points
    assert 48 < point.x < 300
