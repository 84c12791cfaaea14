"""Charts drawn as server-side SVG: geometry here, markup in ``templates/charts/``.

Bars (``charts/bars.html``), grouped bars (``charts/grouped_bars.html``: several values per
label, e.g. p50 and p95) and lines over time or over runs (``charts/lines.html``).

The machine that serves the dashboards may have no internet, so no chart library from a CDN;
an SVG computed on the server needs no JavaScript and prints well. This module only turns
``(label, value)`` pairs into rectangles in a fixed coordinate box; the template scales it.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass

CHART_WIDTH = 600
CHART_HEIGHT = 180
PLOT_TOP = 16  # room for the value above the tallest bar
PLOT_BOTTOM = 24  # room for the labels under the bars
PLOT_SIDE = 16  # room for half a label left of the first bar and right of the last


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    value_text: str
    x: float
    y: float
    width: float
    height: float
    show_label: bool
    #: Where the bar leads (a filtered list), when the chart was given links.
    url: str | None = None

    @property
    def center(self) -> float:
        return round(self.x + self.width / 2, 2)

    @property
    def value_y(self) -> float:
        return round(self.y - 4, 2)


@dataclass(frozen=True)
class ChartFrame:
    """The SVG's coordinate box, its baseline (the x axis) and its title."""

    width: int
    height: int
    baseline: float
    title: str

    @property
    def label_y(self) -> float:
        return self.height - 8


@dataclass(frozen=True)
class BarChart(ChartFrame):
    bars: tuple[Bar, ...]

    @property
    def is_empty(self) -> bool:
        return not any(bar.value for bar in self.bars)

    @property
    def has_links(self) -> bool:
        """Bars that are links make the chart a group of links, not one image (an image's
        content is not interactive)."""
        return any(bar.url for bar in self.bars)


def bar_chart(
    *,
    items: Sequence[tuple[str, float]],
    title: str,
    value_format: str = "{:,.0f}",
    label_every: int = 1,
    width: int = CHART_WIDTH,
    height: int = CHART_HEIGHT,
    urls: Sequence[str | None] | None = None,
) -> BarChart:
    """Lay out one bar per item, heights proportional to the largest value.

    ``label_every`` keeps every n-th label (and the last) so that 30 daily bars stay legible.
    Zero values get no bar but keep their slot, so gaps in a time series stay visible.
    """
    baseline = height - PLOT_BOTTOM
    plot_height = baseline - PLOT_TOP
    top = max((value for _, value in items), default=0) or 1
    slot = (width - 2 * PLOT_SIDE) / max(len(items), 1)
    gap = min(slot * 0.2, 8)
    bars = []
    for index, (label, value) in enumerate(items):
        bar_height = plot_height * max(value, 0) / top
        bars.append(
            Bar(
                label=label,
                value=value,
                value_text=value_format.format(value),
                x=round(PLOT_SIDE + index * slot + gap / 2, 2),
                y=round(baseline - bar_height, 2),
                width=round(slot - gap, 2),
                height=round(bar_height, 2),
                show_label=index % label_every == 0 or index == len(items) - 1,
                url=urls[index] if urls else None,
            )
        )
    return BarChart(bars=tuple(bars), width=width, height=height, baseline=baseline, title=title)


# --- grouped bars ---------------------------------------------------------------------------

GROUP_LABEL_CHARS = 18  # longer labels are cut (the full one is in the tooltip)


@dataclass(frozen=True)
class GroupedBar(Bar):
    series: int = 0
    series_name: str = ""


@dataclass(frozen=True)
class BarGroup:
    label: str
    short_label: str
    center: float
    bars: tuple[GroupedBar, ...]


@dataclass(frozen=True)
class GroupedBarChart(ChartFrame):
    groups: tuple[BarGroup, ...]
    series: tuple[str, ...]

    @property
    def is_empty(self) -> bool:
        return not any(bar.value for group in self.groups for bar in group.bars)


def grouped_bar_chart(
    *,
    groups: Sequence[tuple[str, Sequence[float]]],
    series: Sequence[str],
    title: str,
    value_format: str = "{:,.0f}",
    width: int = CHART_WIDTH,
    height: int = CHART_HEIGHT,
) -> GroupedBarChart:
    """One slot per label, one bar per series in it, heights proportional to the largest."""
    baseline = height - PLOT_BOTTOM
    plot_height = baseline - PLOT_TOP
    top = max((v for _, values in groups for v in values), default=0) or 1
    slot = (width - 2 * PLOT_SIDE) / max(len(groups), 1)
    gap = min(slot * 0.2, 12)
    bar_width = (slot - gap) / max(len(series), 1)
    laid_out = []
    for index, (label, values) in enumerate(groups):
        left = PLOT_SIDE + index * slot + gap / 2
        bars = []
        for number, value in enumerate(values):
            bar_height = plot_height * max(value, 0) / top
            bars.append(
                GroupedBar(
                    label=label,
                    value=value,
                    value_text=value_format.format(value),
                    x=round(left + number * bar_width, 2),
                    y=round(baseline - bar_height, 2),
                    width=round(bar_width, 2),
                    height=round(bar_height, 2),
                    show_label=False,
                    series=number,
                    series_name=series[number],
                )
            )
        short = label if len(label) <= GROUP_LABEL_CHARS else label[: GROUP_LABEL_CHARS - 1] + "…"
        laid_out.append(
            BarGroup(
                label=label,
                short_label=short,
                center=round(left + (slot - gap) / 2, 2),
                bars=tuple(bars),
            )
        )
    return GroupedBarChart(
        groups=tuple(laid_out),
        series=tuple(series),
        width=width,
        height=height,
        baseline=baseline,
        title=title,
    )


# --- lines ----------------------------------------------------------------------------------

PLOT_LEFT = 48  # room for the y-axis values


@dataclass(frozen=True)
class LinePoint:
    x: float
    y: float
    label: str
    value_text: str


@dataclass(frozen=True)
class LineSeries:
    name: str
    index: int
    points: tuple[LinePoint, ...]

    @property
    def polyline(self) -> str:
        return " ".join(f"{p.x},{p.y}" for p in self.points)


@dataclass(frozen=True)
class LineChart(ChartFrame):
    series: tuple[LineSeries, ...]
    plot_left: float
    plot_top: float
    top_text: str
    x_first: str
    x_last: str

    @property
    def right(self) -> float:
        return self.width - PLOT_SIDE

    @property
    def is_empty(self) -> bool:
        return not any(s.points for s in self.series)


def _x_text(x: float, *, x_time: bool) -> str:
    if x_time:
        return datetime.datetime.fromtimestamp(x, tz=datetime.UTC).strftime("%m-%d %H:%M")
    return f"{x:,.0f}"


def line_chart(
    *,
    series: Sequence[tuple[str, Sequence[tuple[float, float]]]],
    title: str,
    value_format: str = "{:,.0f}",
    x_time: bool = False,
    width: int = CHART_WIDTH,
    height: int = CHART_HEIGHT,
) -> LineChart:
    """Each series a line through its ``(x, y)`` points (x ascending), over one x range
    (Unix times with ``x_time``, labelled in UTC) and one y range from 0 to the largest y."""
    baseline = height - PLOT_BOTTOM
    plot_height = baseline - PLOT_TOP
    xs = [x for _, points in series for x, _ in points]
    low, high = (min(xs), max(xs)) if xs else (0.0, 0.0)
    top = max((y for _, points in series for _, y in points), default=0) or 1
    plot_width = width - PLOT_LEFT - PLOT_SIDE

    def place_x(x: float) -> float:
        share = (x - low) / (high - low) if high > low else 0.5
        return round(PLOT_LEFT + share * plot_width, 2)

    laid_out = tuple(
        LineSeries(
            name=name,
            index=index,
            points=tuple(
                LinePoint(
                    x=place_x(x),
                    y=round(baseline - plot_height * max(y, 0) / top, 2),
                    label=_x_text(x, x_time=x_time),
                    value_text=value_format.format(y),
                )
                for x, y in points
            ),
        )
        for index, (name, points) in enumerate(series)
    )
    return LineChart(
        series=laid_out,
        width=width,
        height=height,
        baseline=baseline,
        plot_left=PLOT_LEFT,
        plot_top=PLOT_TOP,
        top_text=value_format.format(top) if xs else "",
        x_first=_x_text(low, x_time=x_time) if xs else "",
        x_last=_x_text(high, x_time=x_time) if xs else "",
        title=title,
    )
