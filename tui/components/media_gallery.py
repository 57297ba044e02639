"""The gallery (``m``): the conversation's media as a grid of thumbnails,
newest first; Enter jumps to the message, ``v`` opens the viewer.

A line-API ``ScrollView`` like the reading pane: only the rows on screen are
drawn, so a conversation with a hundred thousand photos opens at once, and
thumbnails are decoded in the background as they come into view.
"""

from __future__ import annotations

from typing import ClassVar

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.geometry import Size
from textual.screen import Screen
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.widgets import Footer, Static

from archiver.read.attachments import Attachment

from ..emoji import narrow
from ..message_lines import shortened
from ..thumbnails import PICTURE_KINDS, ThumbnailCache

CELL_COLUMNS = 16
CELL_ROWS = 6
CELL_WIDTH = CELL_COLUMNS + 2
CELL_HEIGHT = CELL_ROWS + 2  # the picture, its name, a gap
ICONS = {"video": "▶", "audio": "♪", "file": "▤"}


class GalleryGrid(ScrollView, can_focus=True):
    """The grid itself; ``cursor`` is the index of the chosen item."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("left,h", "move(-1, 0)", show=False),
        Binding("right,l", "move(1, 0)", show=False),
        Binding("up,k", "move(0, -1)", show=False),
        Binding("down,j", "move(0, 1)", show=False),
    ]

    def __init__(self, cache: ThumbnailCache, items: list[tuple[int, Attachment]]) -> None:
        super().__init__(id="gallery-grid", classes="pictures")
        self.cache = cache
        self.items = items
        self.cursor = 0

    @property
    def per_row(self) -> int:
        return max(1, self.scrollable_content_region.width // CELL_WIDTH)

    def on_resize(self) -> None:
        rows = -(-len(self.items) // self.per_row)
        self.virtual_size = Size(self.scrollable_content_region.width, rows * CELL_HEIGHT)

    def action_move(self, dx: int, dy: int) -> None:
        target = self.cursor + dx + dy * self.per_row
        if 0 <= target < len(self.items):
            self.cursor = target
            row = target // self.per_row
            self.scroll_to_region(
                self.region.__class__(0, row * CELL_HEIGHT, 1, CELL_HEIGHT), animate=False
            )
            self.refresh()

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        absolute = round(self.scroll_y) + y
        grid_row, line = divmod(absolute, CELL_HEIGHT)
        segments: list[Segment] = []
        for col in range(self.per_row):
            index = grid_row * self.per_row + col
            if index >= len(self.items):
                break
            segments.extend(self._cell_line(index, line))
        return Strip(segments).adjust_cell_length(width)

    def _cell_line(self, index: int, line: int) -> list[Segment]:
        _, a = self.items[index]
        chosen = index == self.cursor
        mark = Style(reverse=True) if chosen else Style(dim=True)
        if line < CELL_ROWS:
            cells: list[Segment] = []
            if a.file and a.kind in PICTURE_KINDS:
                picture = self.cache.get(a.file, CELL_COLUMNS, CELL_ROWS)
                if picture is None:
                    cells = [Segment("…" if line == 0 else "")]
                elif picture.error is not None:
                    cells = [Segment("(cannot show)" if line == 0 else "", Style(dim=True))]
                elif line < len(picture.rows):
                    cells = list(picture.rows[line])
            elif line == CELL_ROWS // 2:
                cells = [Segment(f"{ICONS.get(a.kind, '▣')} {a.kind}".center(CELL_COLUMNS))]
            body = Strip(cells).adjust_cell_length(CELL_COLUMNS)
            edge = Segment("▌" if chosen else " ", mark)
            return [edge, *body, Segment(" ")]
        if line == CELL_ROWS:
            # Shortened in the middle, so the extension shows (in cells: CJK takes two).
            name = shortened(narrow(a.label), CELL_COLUMNS)
            text = Strip([Segment(name, mark)]).adjust_cell_length(CELL_COLUMNS)
            return [Segment(" "), *text, Segment(" ")]
        return [Segment(" " * CELL_WIDTH)]


class MediaGallery(Screen[tuple[str, int] | None]):
    """Dismissed with ("jump", position), ("view", index in oldest-first
    order), or None for Esc."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,m", "dismiss(None)", "Back"),
        Binding("enter", "jump", "Go to message"),
        Binding("v", "view", "View"),
    ]

    def __init__(self, cache: ThumbnailCache, media: list[tuple[int, Attachment]],
                 title: str) -> None:
        super().__init__()
        self.cache = cache
        self.media = media  # oldest first, as the viewer steps through them
        self.title_text = title

    def compose(self) -> ComposeResult:
        count = len(self.media)
        yield Static(Text(f"{narrow(self.title_text)} · {count:,} media, newest first"),
                     id="gallery-caption")
        yield GalleryGrid(self.cache, list(reversed(self.media)))
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(GalleryGrid).focus()

    def _chosen(self) -> int:
        """The chosen item's index in oldest-first order."""
        return len(self.media) - 1 - self.query_one(GalleryGrid).cursor

    def action_jump(self) -> None:
        if self.media:
            self.dismiss(("jump", self.media[self._chosen()][0]))

    def action_view(self) -> None:
        if self.media:
            self.dismiss(("view", self._chosen()))
