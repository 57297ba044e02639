"""One picture, as large as its widget: the viewer's and the gallery's canvas.

With half blocks (and in tests) it draws the cache's rows; with Kitty or
Sixel it hands the picture the cache decoded (bounded in pixels, decoded once)
to textual-image's widget for that protocol, which draws at the terminal's
full resolution; never the file, which that widget would decode whole.
"""

from __future__ import annotations

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from textual.strip import Strip
from textual.widget import Widget

from ..message_lines import shortened
from ..thumbnails import ThumbnailCache


class Picture(Widget):
    """Draws ``file`` fitted to the widget, centred; a note while it decodes."""

    DEFAULT_CSS = """
    Picture { width: 1fr; height: 1fr; }
    """

    def __init__(self, cache: ThumbnailCache, file: str | None, *, note: str = "",
                 note_name: str = "", id: str | None = None) -> None:
        super().__init__(id=id, classes="pictures")
        self.cache = cache
        self.file = file
        # Shown instead, when there is no file: ``note_name`` (a file name, shortened
        # in the middle to leave the note room) followed by ``note``.
        self.note_name = note_name
        self.note = note
        self._mounting = False  # the protocol's widget is on its way

    @property
    def graphics(self) -> bool:
        return bool(self.file) and self.cache.renderer in ("kitty", "sixel")

    def render_line(self, y: int) -> Strip:
        width, height = self.size
        if self.graphics and self.children:
            return Strip.blank(width)
        lines = self._graphics_lines(width) if self.graphics else self._lines(width, height)
        top = max(0, (height - len(lines)) // 2)
        if not top <= y < top + len(lines):
            return Strip.blank(width)
        line = lines[y - top]
        left = max(0, (width - line.cell_length) // 2)
        return Strip([Segment(" " * left), *line]).adjust_cell_length(width)

    def _graphics_lines(self, width: int) -> list[Strip]:
        """A note until the cache has decoded the file; then the protocol's widget."""
        assert self.file is not None
        source = self.cache.source(self.file)
        if source is None:
            return [Strip([Segment("…", Style(dim=True))])]
        if source.image is None:
            return [Strip([Segment(f"(cannot show it: {source.error})"[:width], Style(dim=True))])]
        if not self._mounting:
            import textual_image.widget as graphics

            self._mounting = True
            kind = graphics.TGPImage if self.cache.renderer == "kitty" else graphics.SixelImage
            self.call_later(self.mount, kind(source.image))
        return [Strip([Segment("…", Style(dim=True))])]

    def _lines(self, width: int, height: int) -> list[Strip]:
        if not self.file:
            name = shortened(self.note_name, width - cell_len(self.note))
            return [Strip([Segment(name + self.note, Style(dim=True))]).crop(0, width)]
        picture = self.cache.get(self.file, max(width, 1), max(height, 1))
        if picture is None:
            return [Strip([Segment("…", Style(dim=True))])]
        if picture.error is not None:
            return [Strip([Segment(f"(cannot show it: {picture.error})"[:width], Style(dim=True))])]
        return picture.rows
