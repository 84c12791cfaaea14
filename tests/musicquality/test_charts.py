from musicquality.charts import bar_chart


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
