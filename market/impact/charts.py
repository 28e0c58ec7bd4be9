"""Bar charts drawn on the server as SVG geometry: grouped bars by month with a y axis of round
steps and month labels, for templates/impact/_charts.html. No script, no style attribute:
colours are SVG presentation attributes (allowed by the CSP) named by series number."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

WIDTH, HEIGHT = 400, 250
LEFT, RIGHT, TOP, BOTTOM = 52, 4, 12, 38
COLOURS = ("#2e7d32", "#8d5524", "#1f5f8b", "#7b3f99")


@dataclass
class Series:
    label: str
    values: list[int | None]


@dataclass
class Bar:
    x: float
    y: float
    width: float
    height: float
    colour: str
    title: str


@dataclass
class Chart:
    ident: str
    title: str
    description: str
    months: list[str]
    series: list[Series]
    shown: list[list[str]]  # the table: one row per month, one text per series
    bars: list[Bar] = field(default_factory=list)
    ticks: list[tuple[float, str]] = field(default_factory=list)  # (y, label)
    labels: list[tuple[float, str, str]] = field(default_factory=list)  # (x, month, year or "")
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    baseline: int = HEIGHT - BOTTOM
    colours: tuple[str, ...] = COLOURS

    @property
    def legend(self) -> list[tuple[str, str]]:
        return [(self.colours[i], s.label) for i, s in enumerate(self.series)]


def nice_step(top: int, most_ticks: int = 5) -> int:
    """The smallest step of 1, 2 or 5 × 10^k giving at most `most_ticks` steps up to `top`."""
    step = 1
    while True:
        for factor in (1, 2, 5):
            if top <= step * factor * most_ticks:
                return step * factor
        step *= 10


def bar_chart(ident: str, title: str, description: str, months: list[str], series: list[Series],
              text: Callable[[int | None], str], tick_text: Callable[[int], str] | None = None,
              top: int | None = None) -> Chart:
    """Grouped bars, one group per month; `text` writes a value for titles and the table,
    `tick_text` an axis step (default: `text`); `top` fixes the axis (e.g. 50 tenths of a star)."""
    tick_text = tick_text or text
    highest = max([0] + [v for s in series for v in s.values if v is not None])
    ceiling = top or highest or 1
    step = nice_step(ceiling)
    axis_top = top or step * -(-ceiling // step)
    chart = Chart(ident, title, description, months, series,
                  shown=[[text(s.values[i]) for s in series] for i in range(len(months))])
    plot_height = chart.baseline - TOP
    scale = plot_height / axis_top
    chart.ticks = [(round(chart.baseline - value * scale, 1), tick_text(value))
                   for value in range(0, axis_top + 1, step)]
    slot = (WIDTH - LEFT - RIGHT) / max(1, len(months))
    bar_width = slot * 0.8 / max(1, len(series))
    for i, month in enumerate(months):
        start = LEFT + i * slot + slot * 0.1
        chart.labels.append((round(start + slot * 0.4, 1), month[5:],
                             month[:4] if i == 0 or month[5:] == "01" else ""))
        for j, one in enumerate(series):
            value = one.values[i]
            if not value or value < 0:
                continue
            height = round(min(value, axis_top) * scale, 1)
            chart.bars.append(Bar(round(start + j * bar_width, 1), round(chart.baseline - height, 1),
                                  round(bar_width, 1), height, COLOURS[j % len(COLOURS)],
                                  f"{month} {one.label}: {text(value)}"))
    return chart
