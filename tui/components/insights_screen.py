"""The Insights screen (`i`): a conversation, or the whole archive, as pictures.

The figures come from :func:`archiver.read.insights.insights` in a thread worker on
its own read-only connection (the screen says "computing…" meanwhile); the
drawings are the same Rich charts ``chatkeep stats`` prints. At 80×24 the
first screen holds the month bars, the weekday × hour heatmap, who writes and
the streak and silence; years, media, reactions and reply times follow below.
"""

from __future__ import annotations

from datetime import date, tzinfo
from pathlib import Path
from typing import ClassVar

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Static

from archiver.cli import charts
from archiver.read.conversations import Conversation
from archiver.read.insights import Insights, insights
from archiver.store.opening import ArchiveError, open_archive

COMPUTING = "computing…"


def _summary(data: Insights) -> Group:
    """Who writes, then the streak, the silence and the busiest day, narrow
    enough for the column beside the heatmap at 80 columns."""
    people = list(data.by_person.items())
    shown = people if len(people) <= 4 else people[:3]
    if len(people) > len(shown):
        shown.append((f"{len(people) - 3} others", sum(n for _, n in people[3:])))
    table = Table.grid(padding=(0, 1), expand=True)
    table.add_column(no_wrap=True, overflow="ellipsis", max_width=14)
    table.add_column(ratio=1, no_wrap=True)
    table.add_column(justify="right", no_wrap=True)
    top = max((n for _, n in shown), default=1)
    for name, n in shown:
        table.add_row(Text(name), charts.Bar(n / top), Text(f"{100 * n / data.messages:.0f}%"))
    streak, silence = data.streak, data.silence
    lines = [Text(""), _figure("Streak", _days(streak.days)), _span(streak.start, streak.end)]
    if silence.days:
        lines += [_figure("Silence", _days(silence.days)), _span(silence.start, silence.end)]
    else:
        lines.append(_figure("Silence", "none"))
    if data.busiest_day:
        day, n = data.busiest_day
        lines.append(_figure("Busiest", f"{day} ({n:,})"))
    return Group(charts.heading("Who writes"), table, *lines)


def _figure(label: str, value: str) -> Text:
    line = Text(f"{label:<8}", style="bold", no_wrap=True, overflow="ellipsis")
    line.append(value, style="not bold")
    return line


def _days(n: int) -> str:
    return "1 day" if n == 1 else f"{n:,} days"


def _span(start: date | None, end: date | None) -> Text:
    """``2021-09-04 → 09-05`` (the end's year only when it differs)."""
    if start is None or end is None:
        return Text("")
    if start == end:
        return Text(str(start), style="dim")
    shown = end.strftime("%m-%d") if end.year == start.year else end.isoformat()
    return Text(f"{start} → {shown}", style="dim", no_wrap=True, overflow="ellipsis")


class InsightsScreen(Screen[None]):
    """Charts for conversation ``conversation`` (None: the whole archive)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,i,q", "dismiss(None)", "Back"),
    ]

    def __init__(self, archive_dir: Path, tz: tzinfo,
                 conversation: Conversation | None = None) -> None:
        super().__init__()
        self.archive_dir = archive_dir
        self.tz = tz
        self.conversation = conversation
        self.data: Insights | None = None

    def compose(self) -> ComposeResult:
        title = Text(no_wrap=True, overflow="ellipsis")
        title.append("Insights  ", style="bold")
        if self.conversation is None:
            title.append("the whole archive")
        else:
            title.append(self.conversation.title)
        yield Static(title, id="insights-title")
        with VerticalScroll(id="insights-body"):
            yield Static(COMPUTING, id="insights-status")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#insights-body").focus()
        self.compute()

    @work(thread=True, exclusive=True, name="insights", group="insights")
    def compute(self) -> None:
        cid = self.conversation.id if self.conversation is not None else None
        try:
            db = open_archive(self.archive_dir, readonly=True)
            try:
                data = insights(db, cid, tz=self.tz)
            finally:
                db.conn.close()
        except ArchiveError as exc:
            self.app.call_from_thread(self._failed, str(exc))
            return
        self.app.call_from_thread(self._show, data)

    def _failed(self, problem: str) -> None:
        self.query_one("#insights-status", Static).update(Text(f"Could not compute: {problem}"))

    def _show(self, data: Insights) -> None:
        self.data = data
        title = self.query_one("#insights-title", Static)
        line = Text(no_wrap=True, overflow="ellipsis")
        line.append("Insights  ", style="bold")
        line.append(self.conversation.title if self.conversation else "the whole archive")
        line.append(f"  {data.messages:,} messages", style="dim")
        if data.first_ms is not None and data.busiest_day is not None:
            years = list(data.by_year)
            span = years[0] if len(years) == 1 else f"{years[0]}–{years[-1]}"
            line.append(f", {span}, times in {data.tz}", style="dim")
        title.update(line)
        status = self.query_one("#insights-status", Static)
        if not data.messages:
            status.update("No messages.")
            return
        status.display = False
        body = self.query_one("#insights-body", VerticalScroll)
        body.mount_all([
            Static(charts.heading("Messages per month"), classes="insights-heading"),
            Static(charts.MonthChart(data.by_month, height=6, note=False), id="insights-months"),
            Horizontal(
                Vertical(
                    Static(charts.heading("Weekday × hour"), classes="insights-heading"),
                    Static(charts.Heatmap(data.by_weekday_hour), id="insights-heatmap"),
                    id="insights-when",
                ),
                Static(_summary(data), id="insights-summary"),
                id="insights-middle",
            ),
            Static(charts.details(data, self.tz), id="insights-details"),
        ])
