"""Insights drawn with Rich, for the terminal (``chatkeep stats``) and the reader.

Each chart is a Rich renderable that fits the width it is given, so the same
drawing serves an 80-column terminal, a wide one, and a pane of the reader.
Bars are block characters (eighths for the month columns), the heatmap is
shades from blank to full block, and every figure is also written as a number,
so nothing depends on colour. Names and emoji are data: every cell is a
``Text``, never a string Rich would read as markup (``Jo [/s]``).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, tzinfo

from rich.console import Console, ConsoleOptions, Group, RenderableType, RenderResult
from rich.measure import Measurement
from rich.table import Table
from rich.text import Text

from ..read.insights import WEEKDAYS, Insights

EIGHTHS = " ▁▂▃▄▅▆▇█"
SHADES = " ░▒▓█"
BAR = "█"
PARTIAL = " ▏▎▍▌▋▊▉"
BAR_STYLE = "cyan"
HEAT_STYLE = "yellow"


def _count(n: int) -> str:
    return f"{n:,}"


class MonthChart:
    """Messages per month as columns; several months share a column when
    there are more months than room (each column then says their total)."""

    def __init__(self, by_month: dict[str, int], height: int = 7, *, note: bool = True) -> None:
        self.by_month = by_month
        self.height = height
        self.note = note  # a line saying how many months a column holds

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        yield from self.lines(options.max_width)

    def lines(self, width: int) -> Iterator[Text]:
        months = list(self.by_month.items())
        if not months:
            yield Text("no messages", style="dim")
            return
        top = max(n for _, n in months)
        label = _count(top)
        plot_width = max(width - len(label) - 2, 12)
        per_column = -(-len(months) // plot_width)  # ceiling
        columns = [months[i:i + per_column] for i in range(0, len(months), per_column)]
        values = [sum(n for _, n in col) for col in columns]
        top = max(values) or 1
        label = _count(top)
        pad = len(label)
        eighths = [round(v * self.height * 8 / top) for v in values]
        for row in range(self.height, 0, -1):
            line = Text(f"{label if row == self.height else '':>{pad}} ┤", style="dim")
            cells = []
            for e, value in zip(eighths, values, strict=True):
                fill = max(0, min(e - (row - 1) * 8, 8))
                if row == 1 and value and not fill:
                    fill = 1  # a month with messages always shows a sliver
                cells.append(EIGHTHS[fill])
            line.append("".join(cells), style=BAR_STYLE)
            yield line
        yield Text(" " * pad + " └" + "─" * len(columns), style="dim")
        yield Text(" " * (pad + 2) + self._axis(columns, plot_width), style="dim")
        if per_column > 1 and self.note:
            yield Text(" " * (pad + 2) + f"(each column: {per_column} months)", style="dim")

    @staticmethod
    def _axis(columns: list[list[tuple[str, int]]], width: int) -> str:
        """Years under the column holding their January (or their first month),
        each label only where it fits."""
        axis = [" "] * max(len(columns), min(width, len(columns) + 4))
        free_from = 0
        seen: set[str] = set()
        for i, col in enumerate(columns):
            year = col[0][0][:4]
            for key, _ in col:
                if key.endswith("-01"):
                    year = key[:4]
            if year in seen:
                continue
            seen.add(year)
            text = year if len(axis) - i >= 4 else ""
            if text and i >= free_from:
                axis[i:i + len(text)] = list(text)
                free_from = i + len(text) + 1
        return "".join(axis)


class Heatmap:
    """The weekday × hour grid, two columns an hour, Monday on top."""

    def __init__(self, grid: list[list[int]]) -> None:
        self.grid = grid

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        cell = 2 if options.max_width >= 4 + 48 else 1
        axis = [" "] * (24 * cell)
        for hour in (0, 6, 12, 18):
            axis[hour * cell:hour * cell + len(str(hour))] = list(str(hour))
        yield Text("    " + "".join(axis), style="dim")
        top = max((n for row in self.grid for n in row), default=0) or 1
        for day, row in enumerate(self.grid):
            line = Text(f"{WEEKDAYS[day]:<4}", style="dim")
            for n in row:
                level = 0 if n == 0 else max(1, round(n * (len(SHADES) - 1) / top))
                line.append(SHADES[level] * cell, style=HEAT_STYLE)
            yield line
        scale = Text("    ", style="dim")
        scale.append(" ".join(SHADES[1:]), style=HEAT_STYLE)
        scale.append(f"  up to {_count(top)} messages an hour", style="dim")
        yield scale


def bars(items: dict[str, int], *, total: int | None = None, limit: int = 8,
         unit: str = "") -> Table:
    """Horizontal bars, one row per item (the rest summed as "others"), with
    the figure and, given ``total``, the share."""
    table = Table.grid(padding=(0, 1), expand=True)
    table.add_column(no_wrap=True, overflow="ellipsis", max_width=24)
    table.add_column(ratio=1, no_wrap=True)
    table.add_column(justify="right", no_wrap=True)
    if total is not None:
        table.add_column(justify="right", no_wrap=True)
    rows = list(items.items())
    if len(rows) > limit:
        rest = rows[limit - 1:]
        rows = [*rows[:limit - 1], (f"{len(rest)} others", sum(n for _, n in rest))]
    top = max((n for _, n in rows), default=0) or 1
    for name, n in rows:
        cells: list[RenderableType] = [Text(name), Bar(n / top), Text(_count(n) + unit)]
        if total is not None:
            cells.append(Text(f"{100 * n / total:.1f}%" if total else ""))
        table.add_row(*cells)
    return table


class Bar:
    """A horizontal bar of ``fraction`` of the width it gets, in eighths."""

    def __init__(self, fraction: float) -> None:
        self.fraction = fraction

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        eighths = round(self.fraction * options.max_width * 8)
        if self.fraction > 0:
            eighths = max(eighths, 1)
        text = BAR * (eighths // 8) + (PARTIAL[eighths % 8] if eighths % 8 else "")
        yield Text(text, style=BAR_STYLE, no_wrap=True, overflow="crop")

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        return Measurement(1, options.max_width)


def duration(seconds: int) -> str:
    """``42 s``, ``3 min``, ``2 h 5 min``, ``3 days``."""
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min"
    if seconds < 86400:
        hours, minutes = divmod(seconds // 60, 60)
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    days = seconds / 86400
    return f"{days:.1f} days"


def _days(n: int) -> str:
    return f"{n:,} day" + ("" if n == 1 else "s")


def rhythm(data: Insights, tz: tzinfo) -> Table:
    """First and last message, streak, silence, busiest day: label, figure."""
    table = Table.grid(padding=(0, 2))
    table.add_column(style="dim", no_wrap=True)
    table.add_column()
    if data.first_ms is None or data.last_ms is None:
        return table

    def when(ms: int) -> str:
        return datetime.fromtimestamp(ms / 1000, tz).strftime("%Y-%m-%d %H:%M")

    rows = [("first message", when(data.first_ms)), ("last message", when(data.last_ms)),
            ("days with messages", f"{data.active_days:,}")]
    s = data.streak
    rows.append(("longest streak", f"{_days(s.days)} ({s.start} → {s.end})"))
    q = data.silence
    rows.append(("longest silence", f"{_days(q.days)} ({q.start} → {q.end})" if q.days else "none"))
    if data.busiest_day:
        day, n = data.busiest_day
        rows.append(("busiest day", f"{day:%Y-%m-%d, %a}: {n:,} messages"))
    for label, value in rows:
        table.add_row(Text(label), Text(value))
    return table


def replies(data: Insights, limit: int = 8) -> Table:
    table = Table.grid(padding=(0, 2))
    table.add_column(no_wrap=True, overflow="ellipsis", max_width=24)
    table.add_column(justify="right", no_wrap=True)
    table.add_column(style="dim", no_wrap=True)
    for who in list(data.reply_seconds_median)[:limit]:
        table.add_row(Text(who), Text(duration(data.reply_seconds_median[who])),
                      Text(f"median of {data.replies[who]:,} replies"))
    return table


def reactions(data: Insights, limit: int = 8) -> Table:
    """Top reactions, then who gives them (with each one's favourite)."""
    table = Table.grid(padding=(0, 2))
    table.add_column(no_wrap=True)
    table.add_column(justify="right", no_wrap=True)
    table.add_column(no_wrap=True, overflow="ellipsis")
    table.add_column(justify="right", no_wrap=True)
    top = list(data.reactions.items())[:limit]
    givers = list(data.reactions_given.items())[:limit]
    for i in range(max(len(top), len(givers))):
        emoji, n = top[i] if i < len(top) else ("", None)
        cells = [emoji, _count(n) if n is not None else ""]
        if i < len(givers):
            who, theirs = givers[i]
            favourite = next(iter(theirs), "")
            cells += [f"{who} {favourite}", _count(sum(theirs.values()))]
        else:
            cells += ["", ""]
        table.add_row(*(Text(cell) for cell in cells))
    return table


def heading(text: str) -> Text:
    return Text(text, style="bold underline")


def details(data: Insights, tz: tzinfo) -> Group:
    """Everything below the first screen of the reader: years, rhythm, media,
    reactions, reply times."""
    parts: list[RenderableType] = [
        Text(""), heading("Messages per year"), bars(data.by_year, limit=100),
        Text(""), heading("Rhythm"), rhythm(data, tz),
    ]
    if data.media:
        parts += [Text(""), heading("Media"), bars(data.media)]
    if data.reactions:
        parts += [Text(""), heading("Reactions, and who gives them"), reactions(data)]
    if data.reply_seconds_median:
        parts += [Text(""), heading("Median reply time"), replies(data)]
    return Group(*parts)


def report(data: Insights, tz: tzinfo) -> Group:
    """Every chart and figure, one section after another (``chatkeep stats``)."""
    if not data.messages:
        return Group(Text("No messages in this period.", style="dim"))
    return Group(
        heading("Messages per month"), MonthChart(data.by_month), Text(""),
        heading("Who writes"), bars(data.by_person, total=data.messages), Text(""),
        heading(f"When (weekday × hour, {data.tz})"), Heatmap(data.by_weekday_hour),
        details(data, tz),
    )
