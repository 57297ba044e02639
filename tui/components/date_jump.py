"""Asking for a date to jump to (`d`)."""

from __future__ import annotations

from datetime import datetime, tzinfo
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from archiver.read.search import DATE_FORMS, date_problem, parse_period


def parse_day(text: str, tz: tzinfo) -> datetime | None:
    """The start of the day ``text`` names, in ``tz``; None when it names none.

    The dates every command takes (``archiver.read.search.parse_period``):
    ``2020-09-13``, ``13 Sep 2020``, ``2020-09`` or ``Sep 2020`` (its first
    day), ``2020`` (1 January); ``09/13/2020`` and a time are refused, as
    everywhere.
    """
    period = parse_period(text)
    if period is None:
        return None
    start = period.start
    return datetime(start.year, start.month, start.day, tzinfo=tz)


class DateJump(ModalScreen[datetime | None]):
    """A one-line form; dismissed with the chosen day's start, or None."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "dismiss(None)", "Cancel")]

    def __init__(self, tz: tzinfo) -> None:
        super().__init__()
        self.tz = tz

    def compose(self) -> ComposeResult:
        with Vertical(id="date-jump-box"):
            yield Static("Go to the first message on or after:", id="date-jump-title")
            yield Input(placeholder="2020-09-13, 13 Sep 2020, 2020-09…", id="date-jump-input")
            yield Static("Enter to go, Escape to cancel.", id="date-jump-hint")

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    @on(Input.Submitted, "#date-jump-input")
    def _submitted(self, event: Input.Submitted) -> None:
        day = parse_day(event.value, self.tz)
        if day is None:
            self.query_one("#date-jump-hint", Static).update(  # quotes what was typed
                Text(f"'{event.value.strip()}' {date_problem(event.value)}. Use {DATE_FORMS}.")
            )
            return
        self.dismiss(day)
