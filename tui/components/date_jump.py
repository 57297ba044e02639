"""Asking for a date to jump to (`d`)."""

from __future__ import annotations

from datetime import datetime, tzinfo
from typing import ClassVar

from dateutil import parser as dateparser
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static


def parse_day(text: str, tz: tzinfo) -> datetime | None:
    """The start of the day ``text`` names, in ``tz``; None when it names none.

    Anything dateutil reads: ``2020-09-13``, ``13 Sep 2020``, ``Sept 2020`` (its
    first day), ``2020`` (1 January).
    """
    text = text.strip()
    if not text:
        return None
    try:
        when = dateparser.parse(text, default=datetime(2000, 1, 1))
    except (ValueError, OverflowError):
        return None
    return when.replace(hour=0, minute=0, second=0, microsecond=0, tzinfo=tz)


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
                Text(f"'{event.value}' is not a date I can read. Try 2020-09-13.")
            )
            return
        self.dismiss(day)
