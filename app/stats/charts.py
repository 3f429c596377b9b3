"""Bar charts drawn on the server as SVG geometry, from figures already aggregated by SQL."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class Bar:
    label: str
    value: Decimal
    text: str  # the value as shown, e.g. "1 234,50 €"
    x: float
    y: float
    width: float
    height: float
    sublabel: str = ""  # a second line under a column, e.g. the year under "janv."


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    bars: list[Bar]
    baseline: float  # y of the axis (columns) or x of the axis (rows)


def _scale(value: Decimal, largest: Decimal, room: float) -> float:
    if largest <= 0 or value <= 0:
        return 0.0
    return round(float(value / largest) * room, 1)


def columns(points: list[tuple[str, str, Decimal, str]], *, width=720, height=250) -> Chart:
    """Vertical bars, one per (label, sublabel, value, shown text), e.g. one per month."""
    top, bottom, side = 24, 50, 8
    room = height - top - bottom
    largest = max((value for _label, _sub, value, _text in points), default=Decimal(0))
    slot = (width - 2 * side) / max(len(points), 1)
    bar_width = round(min(slot * 0.7, 64), 1)
    bars = []
    for index, (label, sublabel, value, text) in enumerate(points):
        bar_height = _scale(value, largest, room)
        bars.append(
            Bar(
                label=label,
                sublabel=sublabel,
                value=value,
                text=text,
                x=round(side + index * slot + (slot - bar_width) / 2, 1),
                y=round(top + room - bar_height, 1),
                width=bar_width,
                height=bar_height,
            )
        )
    return Chart(width=width, height=height, bars=bars, baseline=top + room)


def rows(items: list[tuple[str, Decimal, str]], *, width=720, label_width=240) -> Chart:
    """Horizontal bars, one per (label, value, shown text), e.g. one per category."""
    row_height, gap, text_room = 26, 8, 120
    room = width - label_width - text_room
    largest = max((value for _label, value, _text in items), default=Decimal(0))
    bars = [
        Bar(
            label=label,
            value=value,
            text=text,
            x=label_width,
            y=index * (row_height + gap),
            width=_scale(value, largest, room),
            height=row_height,
        )
        for index, (label, value, text) in enumerate(items)
    ]
    height = max(len(items) * (row_height + gap) - gap, row_height)
    return Chart(width=width, height=height, bars=bars, baseline=label_width)
