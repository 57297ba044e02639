"""Asking which format to export the open conversation in (`e`)."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

# (format, what the list says, its key): the formats a person reads.
CHOICES = (
    ("md", "Markdown (.md): plain text that reads well anywhere", "m"),
    ("html", "HTML (.html): a chat page to open in a browser or print", "h"),
)
EXPORT_FORMATS = tuple(fmt for fmt, _, _ in CHOICES)


class ExportFormat(ModalScreen[str | None]):
    """A two-line choice, the last format used highlighted (Enter repeats it);
    dismissed with the format, or None."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss(None)", "Cancel"),
        *(Binding(key, f"dismiss('{fmt}')", label, show=False) for fmt, label, key in CHOICES),
    ]

    def __init__(self, last: str = "md") -> None:
        super().__init__()
        self.last = last

    def compose(self) -> ComposeResult:
        with Vertical(id="export-format-box"):
            yield Static("Export this conversation as:", id="export-format-title")
            yield OptionList(
                *(Option(f"[b]{key}[/b]  {label}", id=fmt) for fmt, label, key in CHOICES),
                id="export-format-list",
            )
            yield Static("Enter or the letter to export, Escape to cancel. "
                         "Written in the current folder.", id="export-format-hint")

    def on_mount(self) -> None:
        options = self.query_one(OptionList)
        options.highlighted = next(
            (i for i, (fmt, _, _) in enumerate(CHOICES) if fmt == self.last), 0
        )
        options.focus()

    @on(OptionList.OptionSelected, "#export-format-list")
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)
