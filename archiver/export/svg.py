"""Insights for the HTML export: the month bars, the weekday × hour heatmap,
who writes, and the streak and silence, in a page's header.

The shapes are measured here from :class:`archiver.read.insights.Insights` and
drawn by ``templates/insights.svg.j2`` with autoescape, so a name or an emoji
can never become markup. Bars and cells are inline SVG that stretches to the
page's width; every word (titles, axes, legend, names) is HTML text around
it, so it keeps its size on a phone instead of shrinking with the drawing.
No script, no font, nothing fetched: the charts use ``currentColor`` and read
the same in a light or dark page and on paper.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import tzinfo

import jinja2
from markupsafe import Markup

from ..read.insights import WEEKDAYS, Insights, insights
from ..store.database import Database
from .common import DateRange

WIDTH = 720  # the month bars' viewBox; the SVG stretches to the page's width
MONTHS_HEIGHT = 120
MAX_BAR = 24  # a bar is at most this wide, so that one month is a bar, not a block
CELL_W, CELL_H = 20, 14
PEOPLE = 6
# The narrowest plot the labels are spaced for (a 390 px phone, less margins and axis).
NARROWEST_PLOT_PX = 300
LABEL_PX = 44  # room for "2016" at 12 px, with a gap

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
    """An axis label, placed at ``at`` percent of the plot's width."""

    at: float
    text: str
    centred: bool = False


def _messages(n: int) -> str:
    return "1 message" if n == 1 else f"{n:,} messages"


def _months(data: Insights) -> tuple[list[Box], list[Label]]:
    """One bar per month (months without messages are gaps), and the labels
    of the axis under them: years at their Januaries, as many as fit on a
    phone without touching, or each month when there are only a few."""
    months = list(data.by_month.items())
    top = max((n for _, n in months), default=0) or 1
    count = max(len(months), 1)
    step = WIDTH / count
    width = min(max(step - (1 if step > 3 else 0), 0.5), MAX_BAR)
    bars = [
        Box(round(i * step + (step - width) / 2, 2),
            round(MONTHS_HEIGHT - n * MONTHS_HEIGHT / top, 2),
            round(width, 2), round(n * MONTHS_HEIGHT / top, 2), f"{key}: {_messages(n)}")
        for i, (key, n) in enumerate(months) if n
    ]
    if count * LABEL_PX * 1.5 <= NARROWEST_PLOT_PX:  # a few months: each is named
        return bars, [Label(round((i + 0.5) * 100 / count, 3), key, centred=True)
                      for i, (key, _) in enumerate(months)]
    slot_px = NARROWEST_PLOT_PX / count
    labels: list[Label] = []
    last_px = -LABEL_PX
    for i, (key, _) in enumerate(months):
        if (i == 0 or key.endswith("-01")) and i * slot_px - last_px >= LABEL_PX:
            labels.append(Label(round(i * 100 / count, 3), key[:4]))
            last_px = i * slot_px
    return bars, labels


def _heatmap(data: Insights) -> tuple[list[Box], int]:
    """The 7 × 24 cells, and the most messages in one of them (for the legend)."""
    top = max((n for row in data.by_weekday_hour for n in row), default=0) or 1
    cells = [
        Box(hour * CELL_W, day * CELL_H, CELL_W - 2, CELL_H - 2,
            f"{WEEKDAYS[day]} {hour:02d}:00–{hour:02d}:59: {_messages(n)}",
            round(0.08 + 0.92 * n / top, 3) if n else 0.0)
        for day, row in enumerate(data.by_weekday_hour) for hour, n in enumerate(row)
    ]
    return cells, top


@dataclass
class PersonBar:
    name: str
    messages: int
    share: str
    width: float  # percent of the longest bar


def _people(data: Insights) -> list[PersonBar]:
    people = list(data.by_person.items())
    if len(people) > PEOPLE:
        rest = people[PEOPLE - 1:]
        people = [*people[:PEOPLE - 1], (f"{len(rest)} others", sum(n for _, n in rest))]
    top = max((n for _, n in people), default=0) or 1
    return [PersonBar(name, n, f"{100 * n / data.messages:.1f}%", round(100 * n / top, 2))
            for name, n in people]


def render_svg(data: Insights) -> Markup:
    """The charts for ``data`` as safe markup (empty when there are no messages)."""
    if not data.messages:
        return Markup("")
    bars, labels = _months(data)
    cells, busiest_hour = _heatmap(data)
    return Markup(_ENV.get_template("insights.svg.j2").render(
        data=data, width=WIDTH, months_height=MONTHS_HEIGHT, bars=bars, labels=labels,
        top=max(data.by_month.values(), default=0), cells=cells, busiest_hour=busiest_hour,
        weekdays=WEEKDAYS, cell_w=CELL_W, cell_h=CELL_H, people=_people(data),
        messages=_messages,
    ))


def insights_svg(
    db: Database, conversation_id: int | None, *, tz: tzinfo,
    span: DateRange | None = None,
) -> Markup:
    """Compute and draw the insights of a conversation (None: every one),
    for the messages the export writes."""
    start, end = span.bounds_ms(tz) if span else (None, None)
    return render_svg(insights(db, conversation_id, tz=tz, start_ms=start, end_ms=end))
