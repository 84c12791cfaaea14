"""Bar charts drawn as server-side SVG: geometry here, markup in ``charts/bars.html``.

The machine that serves the dashboards may have no internet, so no chart library from a CDN;
an SVG computed on the server needs no JavaScript and prints well. This module only turns
``(label, value)`` pairs into rectangles in a fixed coordinate box; the template scales it.
"""

from __future__ import annotations

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

    @property
    def center(self) -> float:
        return round(self.x + self.width / 2, 2)

    @property
    def value_y(self) -> float:
        return round(self.y - 4, 2)


@dataclass(frozen=True)
class BarChart:
    bars: tuple[Bar, ...]
    width: int
    height: int
    baseline: float
    title: str

    @property
    def label_y(self) -> float:
        return self.height - 8

    @property
    def is_empty(self) -> bool:
        return not any(bar.value for bar in self.bars)


def bar_chart(
    *,
    items: Sequence[tuple[str, float]],
    title: str,
    value_format: str = "{:,.0f}",
    label_every: int = 1,
    width: int = CHART_WIDTH,
    height: int = CHART_HEIGHT,
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
            )
        )
    return BarChart(bars=tuple(bars), width=width, height=height, baseline=baseline, title=title)
