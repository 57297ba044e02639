"""The help screen (`?`): every key, in one place."""

from __future__ import annotations

from typing import ClassVar

from rich.table import Table
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

KEYS: list[tuple[str, list[tuple[str, str]]]] = [
    ("Anywhere", [
        ("/", "search every conversation"),
        ("n / N", "next / previous search result"),
        ("d", "jump to a date"),
        ("e", "export this conversation to Markdown or HTML (in the current folder)"),
        ("i", "insights: this conversation, or the whole archive from the list"),
        ("o", "open the selected message's attachment"),
        ("enter  v", "view a photo or attachment full-pane (← → steps, esc back)"),
        ("m", "the conversation's media, newest first (enter: go to it)"),
        ("c", "copy the selected message's text"),
        ("l", "show or hide the conversation list"),
        ("r", "read the archive again (after an import)"),
        ("tab", "move between the list and the conversation"),
        ("?", "this help"),
        ("q", "quit"),
    ]),
    ("Conversation list", [
        ("f", "filter by title or participant (as you type)"),
        ("↑ ↓ enter", "choose a conversation"),
        ("escape", "from the filter back to the list"),
    ]),
    ("Conversation", [
        ("↑ ↓  k j", "previous / next message"),
        ("pgup pgdn  b space", "a screen up / down"),
        ("home end  g G", "first / last message"),
        ("wheel, click", "scroll; select a message"),
    ]),
]


def help_table() -> Table:
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold", no_wrap=True)
    table.add_column()
    for title, keys in KEYS:
        table.add_row(f"[underline]{title}[/]", "")
        for key, what in keys:
            table.add_row(key, what)
        table.add_row("", "")
    return table


class HelpScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,question_mark", "dismiss(None)", "Close"),
    ]

    def on_mount(self) -> None:
        self.query_one("#help-box").focus()  # so that the arrows scroll it

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-box"):
            yield Static("chatkeep reader — keys", id="help-title")
            yield Static(help_table(), id="help-keys")
            yield Static("Escape, q or ? closes this screen.", id="help-hint")
