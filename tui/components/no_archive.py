"""What the reader shows when there is no archive to read."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Center, Middle
from textual.screen import Screen
from textual.widgets import Footer, Static

from archiver.store.opening import DB_NAME


class NoArchiveScreen(Screen[None]):
    """A plain explanation and the command that fixes it."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("q,escape", "app.quit", "Quit")]

    def __init__(self, problem: str, archive_dir: Path) -> None:
        super().__init__()
        self.problem = problem
        self.archive_dir = archive_dir

    def compose(self) -> ComposeResult:
        if (self.archive_dir / DB_NAME).exists():
            text = f"{self.problem}\n\nPress q to quit."  # there, but not readable
        else:
            text = (
                f"There is no archive at {self.archive_dir} yet.\n\n"
                "Import a Facebook, Messenger or Instagram download first:\n\n"
                "    chatkeep import PATH\n\n"
                "PATH is the download's folder, or its .zip file (all parts of it).\n"
                "Another archive: chatkeep --archive DIR, or CHATKEEP_ARCHIVE=DIR.\n\n"
                "Press q to quit."
            )
        with Middle(), Center():
            yield Static(Text(text), id="no-archive")  # the problem quotes paths
        yield Footer()
