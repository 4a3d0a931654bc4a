"""Horizontal bar charts for the report, drawn on the server as SVG (no JavaScript).

Each bar has its label on the left and its value on the right as text, so the chart reads in
print and in black and white; the same figures are in the table next to it.
"""

from dataclasses import dataclass

from .queries import Table

WIDTH = 500
LABEL_WIDTH = 200
VALUE_WIDTH = 56
ROW_HEIGHT = 22
BAR_HEIGHT = 14
PADDING = 6
LABEL_CHARS = 28


@dataclass
class Bar:
    label: str
    short_label: str
    value: int | float
    y: int
    width: float
    text_y: int
    value_x: float


@dataclass
class BarChart:
    slug: str
    title: str
    description: str
    bars: list[Bar]
    width: int
    height: int
    label_width: int


def _short(label: str) -> str:
    return label if len(label) <= LABEL_CHARS else label[: LABEL_CHARS - 1] + "…"


def bar_chart(table: Table, description: str) -> BarChart | None:
    """Bars for column `table.chart_column` against the labels of column 0; None for no chart."""
    if table.chart_column is None:
        return None
    column = table.chart_column
    values = [row[column] if isinstance(row[column], int | float) else 0 for row in table.rows]
    top = max([*values, 0]) or 1
    plot = WIDTH - LABEL_WIDTH - VALUE_WIDTH
    bars = []
    for index, (row, value) in enumerate(zip(table.rows, values, strict=True)):
        y = PADDING + index * ROW_HEIGHT
        width = round(plot * value / top, 1)
        bars.append(
            Bar(
                label=str(row[0]),
                short_label=_short(str(row[0])),
                value=value,
                y=y,
                width=width,
                text_y=y + BAR_HEIGHT - 3,
                value_x=LABEL_WIDTH + width + 4,
            )
        )
    return BarChart(
        slug=table.slug,
        title=table.title,
        description=description,
        bars=bars,
        width=WIDTH,
        height=max(len(bars), 1) * ROW_HEIGHT + 2 * PADDING,
        label_width=LABEL_WIDTH,
    )
