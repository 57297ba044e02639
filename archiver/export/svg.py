"""Insights as inline SVG for the HTML export: the month bars, the weekday ×
hour heatmap, who writes, and the streak and silence, in a page's header.

The shapes are measured here from :class:`archiver.read.insights.Insights` and
drawn by ``templates/insights.svg.j2`` with autoescape, so a name or an emoji
can never become markup. No script, no font, nothing fetched: the charts use
``currentColor`` and read the same in a light or dark page and on paper.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import tzinfo

import jinja2
from markupsafe import Markup

from ..read.insights import WEEKDAYS, Insights, insights
from ..store.database import Database
from .common import DateRange

WIDTH = 720
MONTHS_HEIGHT = 120
CELL_W, CELL_H, LABEL_W = 20, 14, 34
PEOPLE = 6

_ENV = jinja2.Environment(
    loader=jinja2.PackageLoader("archiver.export", "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


@dataclass
class Box:
    """A rectangle with its tooltip and how strongly it is filled (0..1)."""

    x: float
    y: float
    w: float
    h: float
    title: str
    opacity: float = 1.0


@dataclass
class Label:
    x: float
    y: float
    text: str
    anchor: str = "start"


def _messages(n: int) -> str:
    return "1 message" if n == 1 else f"{n:,} messages"


def _months(data: Insights) -> tuple[list[Box], list[Label]]:
    months = list(data.by_month.items())
    top = max((n for _, n in months), default=0) or 1
    step = WIDTH / max(len(months), 1)
    bars = [
        Box(round(i * step, 2), round(MONTHS_HEIGHT - n * MONTHS_HEIGHT / top, 2),
            round(max(step - (1 if step > 3 else 0), 0.5), 2), round(n * MONTHS_HEIGHT / top, 2),
            f"{key}: {_messages(n)}")
        for i, (key, n) in enumerate(months) if n
    ]
    years = [Label(round(i * step, 2), MONTHS_HEIGHT + 14, key[:4])
             for i, (key, _) in enumerate(months) if key.endswith("-01") or i == 0]
    # Labels no closer than a label's width.
    spaced: list[Label] = []
    for label in years:
        if not spaced or label.x - spaced[-1].x >= 34:
            spaced.append(label)
    return bars, spaced


def _heatmap(data: Insights) -> list[Box]:
    top = max((n for row in data.by_weekday_hour for n in row), default=0) or 1
    return [
        Box(LABEL_W + hour * CELL_W, 16 + day * CELL_H, CELL_W - 2, CELL_H - 2,
            f"{WEEKDAYS[day]} {hour:02d}:00–{hour:02d}:59: {_messages(n)}",
            round(0.08 + 0.92 * n / top, 3) if n else 0.0)
        for day, row in enumerate(data.by_weekday_hour) for hour, n in enumerate(row)
    ]


@dataclass
class PersonBar:
    name: str
    messages: int
    share: str
    width: float


def _people(data: Insights) -> list[PersonBar]:
    people = list(data.by_person.items())
    if len(people) > PEOPLE:
        rest = people[PEOPLE - 1:]
        people = [*people[:PEOPLE - 1], (f"{len(rest)} others", sum(n for _, n in rest))]
    top = max((n for _, n in people), default=0) or 1
    return [PersonBar(name, n, f"{100 * n / data.messages:.1f}%", round(300 * n / top, 2))
            for name, n in people]


def render_svg(data: Insights) -> Markup:
    """The charts for ``data`` as safe markup (empty when there are no messages)."""
    if not data.messages:
        return Markup("")
    bars, years = _months(data)
    return Markup(_ENV.get_template("insights.svg.j2").render(
        data=data, width=WIDTH, months_height=MONTHS_HEIGHT, bars=bars, years=years,
        cells=_heatmap(data), weekdays=WEEKDAYS, cell_w=CELL_W, cell_h=CELL_H,
        label_w=LABEL_W, people=_people(data),
    ))


def insights_svg(
    db: Database, conversation_id: int | None, *, tz: tzinfo,
    span: DateRange | None = None,
) -> Markup:
    """Compute and draw the insights of a conversation (None: every one),
    for the messages the export writes."""
    start, end = span.bounds_ms(tz) if span else (None, None)
    return render_svg(insights(db, conversation_id, tz=tz, start_ms=start, end_ms=end))
