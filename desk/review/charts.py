"""Bar charts drawn on the server as SVG geometry, for templates/review/_charts.html to render.

No script and no network: the page is complete as served, and each chart carries a text
summary and a table of its numbers for anyone who cannot see it.
"""

from collections.abc import Sequence
from dataclasses import dataclass

# Room for the axis: value labels on the left, bar labels below (columns) or left (rows).
LEFT, TOP, BOTTOM = 36, 10, 26
ROW_LABEL_WIDTH = 190
ROW_HEIGHT = 26


@dataclass(frozen=True)
class Bar:
    """One bar, placed."""

    label: str
    value: int
    x: float
    y: float
    width: float
    height: float
    text_x: float
    text_y: float
    is_labelled: bool  # dense axes label every few bars only


@dataclass(frozen=True)
class Gridline:
    position: float
    value: int


@dataclass(frozen=True)
class Chart:
    """A bar chart ready to draw: columns (up from an axis) or rows (across from labels)."""

    key: str
    title: str
    summary: str
    orientation: str  # "columns" or "rows"
    width: int
    height: int
    bars: tuple[Bar, ...]
    gridlines: tuple[Gridline, ...]
    unit: str

    @property
    def is_empty(self) -> bool:
        return not any(bar.value for bar in self.bars)


def nice_top(largest: int) -> int:
    """A round number at or above `largest`, for the top of the scale."""
    if largest <= 5:
        return max(largest, 1)
    step = 10 ** (len(str(largest)) - 1)
    for multiple in (1, 2, 2.5, 5, 10):
        top = int(step * multiple)
        if top >= largest:
            return top
    return largest


def columns(
    key: str,
    title: str,
    summary: str,
    data: Sequence[tuple[str, int]],
    *,
    unit: str = "calls",
    width: int = 560,
    height: int = 200,
    label_every: int = 1,
) -> Chart:
    """Vertical bars along an axis: hours, days, or time buckets."""
    top = nice_top(max((value for _, value in data), default=0))
    plot_w, plot_h = width - LEFT - 8, height - TOP - BOTTOM
    slot = plot_w / max(len(data), 1)
    bars = []
    for n, (label, value) in enumerate(data):
        h = plot_h * value / top
        x = LEFT + n * slot + slot * 0.12
        bars.append(
            Bar(
                label=label,
                value=value,
                x=round(x, 1),
                y=round(TOP + plot_h - h, 1),
                width=round(slot * 0.76, 1),
                height=round(h, 1),
                text_x=round(x + slot * 0.38, 1),
                text_y=height - 8,
                is_labelled=n % label_every == 0,
            )
        )
    # A middle line only where it falls on a whole number.
    fractions = (0, 0.5, 1) if top % 2 == 0 else (0, 1)
    grid = tuple(Gridline(round(TOP + plot_h - plot_h * f, 1), round(top * f)) for f in fractions)
    return Chart(key, title, summary, "columns", width, height, tuple(bars), grid, unit)


def rows(
    key: str,
    title: str,
    summary: str,
    data: Sequence[tuple[str, int]],
    *,
    unit: str = "calls",
    width: int = 560,
) -> Chart:
    """Horizontal bars, one a labelled row: outcomes, operators, flags."""
    top = nice_top(max((value for _, value in data), default=0))
    plot_w = width - ROW_LABEL_WIDTH - 48
    height = TOP + ROW_HEIGHT * max(len(data), 1) + 4
    bars = []
    for n, (label, value) in enumerate(data):
        w = plot_w * value / top
        y = TOP + n * ROW_HEIGHT
        bars.append(
            Bar(
                label=label,
                value=value,
                x=ROW_LABEL_WIDTH,
                y=y + 4,
                width=round(w, 1),
                height=ROW_HEIGHT - 8,
                text_x=ROW_LABEL_WIDTH - 8,
                text_y=y + ROW_HEIGHT / 2 + 5,
                is_labelled=True,
            )
        )
    return Chart(key, title, summary, "rows", width, height, tuple(bars), (), unit)
