"""The full-pane viewer (Enter or ``v`` on a photo): one attachment at a time,
← and → through the conversation's media, Esc back, ``o`` the system viewer."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Footer, Static

from archiver.read.attachments import Attachment
from archiver.read.render import human_size

from .. import message_lines
from ..emoji import narrow
from ..thumbnails import PICTURE_KINDS, ThumbnailCache
from .picture import Picture


class MediaViewer(Screen[int | None]):
    """Dismissed with the position of the message last shown (or None)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,v", "back", "Back"),
        Binding("left,h,k,up", "step(-1)", "Previous"),
        Binding("right,l,j,down,space", "step(1)", "Next"),
        Binding("o", "open", "Open"),
    ]

    def __init__(self, cache: ThumbnailCache, media: list[tuple[int, Attachment]],
                 index: int) -> None:
        super().__init__()
        self.cache = cache
        self.media = media
        self.index = index

    def compose(self) -> ComposeResult:
        with Vertical(id="viewer"):
            yield Static("", id="viewer-caption")
            yield Vertical(id="viewer-canvas")
        yield Static("", id="status")  # what o answered, never over the picture
        yield Footer()

    def on_mount(self) -> None:
        self._show()

    @property
    def current(self) -> tuple[int, Attachment]:
        return self.media[self.index]

    def _show(self) -> None:
        _, a = self.current
        facts = [f"{self.index + 1} of {len(self.media)}", a.kind, a.label]
        if a.size is not None:
            facts.append(human_size(a.size))
        caption = Text(" · ".join(facts))
        if a.file:  # the copy in the archive, for any other program (cut anywhere: no words)
            caption.append("\n")
            caption.append(message_lines.shown_path(a.file), style="dim")
        caption.overflow = "fold"
        self.query_one("#viewer-caption", Static).update(caption)
        canvas = self.query_one("#viewer-canvas")
        canvas.remove_children()
        if a.file and a.kind in PICTURE_KINDS:
            canvas.mount(Picture(self.cache, a.file))
        elif a.file:
            canvas.mount(Picture(self.cache, None, note_name=narrow(a.label),
                                 note=": o opens it with the system's player"))
        else:
            canvas.mount(Picture(self.cache, None, note_name=narrow(a.label),
                                 note=f" is missing: {a.reason}"))

    def action_step(self, step: int) -> None:
        index = self.index + step
        if 0 <= index < len(self.media):
            self.index = index
            self._show()
        else:
            self.notify("No more media this way.", timeout=2)

    def action_back(self) -> None:
        self.dismiss(self.current[0])

    def action_open(self) -> None:
        self.app.open_file(self.current[1])  # type: ignore[attr-defined]
