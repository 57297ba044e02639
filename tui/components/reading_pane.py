"""The reading pane: one conversation of any length, drawn row by row.

A ``ScrollView`` implementing ``render_line`` over a
:class:`~tui.conversation_layout.ConversationLayout` (pages of messages fetched
from SQLite by position, laid out lazily, kept in an LRU cache), in the way
toolong shows huge logs. No widget per message: the pane holds one cursor (the
selected message, for copying, opening attachments and showing search hits).

Every change of the scroll position goes through :meth:`ReadingPane._settle`,
which lays out the pages around the view and, when that turns estimated
heights above the view into exact ones, moves the offset so that what is on
the screen stays where it is.
"""

from __future__ import annotations

import textwrap
from datetime import tzinfo
from typing import ClassVar

from rich.segment import Segment
from rich.style import Style
from textual.binding import Binding, BindingType
from textual.events import Click, Resize
from textual.geometry import Size
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from archiver.read.conversations import Conversation
from archiver.read.messages import MessageView
from archiver.read.search import mark_matches
from archiver.store.database import Database

from ..conversation_layout import PAGE_SIZE, ConversationLayout
from ..message_lines import LineStyles, MessageLayout, PictureRow
from ..messages import CursorMoved
from ..thumbnails import ThumbnailCache, kitty_rows


class ReadingPane(ScrollView, can_focus=True):
    """Shows the open conversation; up/down move the selected message."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up,k", "cursor_up", "Previous", show=False),
        Binding("down,j", "cursor_down", "Next", show=False),
        Binding("pageup,b", "page_up", "Page up", show=False),
        Binding("pagedown,space", "page_down", "Page down", show=False),
        Binding("home,g", "first", "First", show=False),
        Binding("end,G", "last", "Last", show=False),
        Binding("enter", "app.view_media", "View", show=False),
    ]

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "reading-pane--text", "reading-pane--day", "reading-pane--sender",
        "reading-pane--owner", "reading-pane--time", "reading-pane--event",
        "reading-pane--note", "reading-pane--share", "reading-pane--attachment",
        "reading-pane--missing", "reading-pane--reaction", "reading-pane--cursor",
        "reading-pane--hit", "reading-pane--empty",
    }

    cursor: reactive[int] = reactive(0, repaint=False)

    def __init__(
        self, db: Database, tz: tzinfo, *,
        page_size: int = PAGE_SIZE, id: str | None = None,
        thumbnails: ThumbnailCache | None = None,
    ) -> None:
        super().__init__(id=id)
        # Decoded pictures, shared with the viewer and the gallery; None: no pictures.
        self.thumbnails = thumbnails
        self.db = db
        self.tz = tz
        self.page_size = page_size
        self.conversation: Conversation | None = None
        # The virtual layout of the open conversation ("layout" is Widget's own).
        self.rows: ConversationLayout | None = None
        self.hit: int | None = None  # position of the search hit being shown
        self.marked_query: str | None = None  # its words are marked in the text
        self._layout_width = 0
        self._settling = False

    # -- opening ------------------------------------------------------------

    def open(self, conversation: Conversation, position: int | None = None, *,
             hit: bool = False) -> None:
        """Show ``conversation``: at ``position`` (the cursor, shown a little
        below the top, marked as a search hit when ``hit``), else at its end."""
        self.conversation = conversation
        self.hit = position if hit else None
        self._new_layout()
        last = max(conversation.messages - 1, 0)
        target = last if position is None else max(0, min(position, last))
        self.set_reactive(ReadingPane.cursor, target)
        if position is None:
            self.action_last()
        else:
            self.show_message(target, context=max(self.size.height // 3, 1))
        self.post_message(CursorMoved(self.cursor))

    def _styles(self) -> LineStyles:
        def style(name: str) -> Style:
            # The full style resolves colours such as $text-muted against the
            # background; the background itself is left to the pane and the cursor.
            full = self.get_component_rich_style(f"reading-pane--{name}")
            return Style(
                color=full.color, bold=full.bold, dim=full.dim, italic=full.italic,
                underline=full.underline, strike=full.strike, reverse=full.reverse,
            )

        return LineStyles(
            text=style("text"), day=style("day"), sender=style("sender"),
            owner=style("owner"), time=style("time"), event=style("event"),
            note=style("note"), share=style("share"), attachment=style("attachment"),
            missing=style("missing"), reaction=style("reaction"),
        )

    def _width(self) -> int:
        return max(self.scrollable_content_region.width, 20)

    def _new_layout(self) -> None:
        if self.conversation is None:
            return
        width = self._width()
        query = self.marked_query
        marker = (lambda text: mark_matches(query, text)) if query else None
        lines = MessageLayout(
            self.app.console, width, self.tz, self._styles(), marker,
            pictures=self.thumbnails is not None,
        )
        self.rows = ConversationLayout(
            self.db, self.conversation.id, self.conversation.messages, lines.block,
            page_size=self.page_size,
        )
        self._layout_width = width

    def mark(self, query: str | None) -> None:
        """Mark the words of ``query`` (a search) in the messages, or stop."""
        if query == self.marked_query:
            return
        self.marked_query = query
        if self.conversation is not None:
            self._new_layout()
            self.refresh()

    # -- the selected message -------------------------------------------------

    @property
    def selected(self) -> MessageView | None:
        """The message under the cursor."""
        if self.rows is None or not self.conversation or not self.conversation.messages:
            return None
        layout = self.rows
        page = layout.page(layout.page_of(self.cursor))
        i = self.cursor - layout.page_of(self.cursor) * layout.page_size
        return page.messages[i] if 0 <= i < len(page.messages) else None

    def move_cursor(self, position: int, *, context: int = 0) -> None:
        if self.rows is None or not self.conversation:
            return
        position = max(0, min(position, self.conversation.messages - 1))
        # A folded reaction notice has no rows: step over it the way we went.
        step = 1 if position >= self.cursor else -1
        while self._folded(position) and 0 <= position + step < self.conversation.messages:
            position += step
        self.cursor = position
        self.show_message(position, context=context)
        self.post_message(CursorMoved(position))

    def _folded(self, position: int) -> bool:
        assert self.rows is not None
        page_no = self.rows.page_of(position)
        page = self.rows.page(page_no)
        i = position - page_no * self.rows.page_size
        return 0 <= i < len(page.messages) and page.messages[i].folded

    def watch_cursor(self) -> None:
        self.refresh()

    def show_message(self, position: int, *, context: int = 0) -> None:
        """Scroll so that the message at ``position`` is in view (its block
        starting ``context`` rows below the top when it must move)."""
        if self.rows is None:
            return
        height = self.scrollable_content_region.height
        start, _, end = self.rows.block_rows(position)
        top = round(self.scroll_y)
        if context or start < top:
            self._scroll_rows(start - context)
        elif end > top + height:
            self._scroll_rows(min(start, end - height))
        else:
            self._scroll_rows(top)

    def show_at_top(self, position: int) -> None:
        """Put the block of the message at ``position`` at the top, and the cursor on it."""
        if self.rows is None:
            return
        self.cursor = position
        start, _, _ = self.rows.block_rows(position)
        self._scroll_rows(start)
        self.post_message(CursorMoved(position))

    # -- actions ------------------------------------------------------------

    def action_cursor_up(self) -> None:
        on_screen = self._on_screen()
        if on_screen and not on_screen[0] <= self.cursor <= on_screen[1]:
            self.move_cursor(on_screen[1])  # scrolled away (wheel): start from what is seen
        else:
            self.move_cursor(self.cursor - 1)

    def action_cursor_down(self) -> None:
        on_screen = self._on_screen()
        if on_screen and not on_screen[0] <= self.cursor <= on_screen[1]:
            self.move_cursor(on_screen[0])
        else:
            self.move_cursor(self.cursor + 1)

    def _on_screen(self) -> tuple[int, int] | None:
        """The first and last messages with a row on screen."""
        if self.rows is None or not self.rows.message_count:
            return None
        top = round(self.scroll_y)
        bottom = min(top + self.scrollable_content_region.height, self.rows.height) - 1
        return self.rows.position_at(top), self.rows.position_at(max(bottom, top))

    def action_first(self) -> None:
        if self.rows is None:
            return
        self.cursor = 0
        self._scroll_rows(0)
        self.post_message(CursorMoved(0))

    def action_last(self) -> None:
        if self.rows is None or not self.conversation:
            return
        last = max(self.conversation.messages - 1, 0)
        self.cursor = last
        self.rows.measure(self.rows.page_count - 1)
        self._scroll_rows(self.rows.height)  # clamped to the last screenful
        self.post_message(CursorMoved(last))

    def action_page_down(self) -> None:
        self._page(+1)

    def action_page_up(self) -> None:
        self._page(-1)

    def _page(self, direction: int) -> None:
        if self.rows is None:
            return
        height = self.scrollable_content_region.height
        self._scroll_rows(round(self.scroll_y) + direction * max(height - 1, 1))
        # The cursor goes to the first message whose body is on screen.
        top = round(self.scroll_y)
        position = self.rows.position_at(top)
        _, body, _ = self.rows.block_rows(position)
        if body < top and position + 1 < (self.conversation.messages if self.conversation else 0):
            position += 1
        self.cursor = position
        self.post_message(CursorMoved(position))

    def on_click(self, event: Click) -> None:
        if self.rows is None:
            return
        row = round(self.scroll_y) + event.y
        if row < self.rows.height:
            self.cursor = self.rows.position_at(row)
            self.post_message(CursorMoved(self.cursor))

    # -- scrolling ------------------------------------------------------------

    def _scroll_rows(self, row: int) -> None:
        row = self._settle(row)
        self._settling = True
        try:
            self.scroll_to(y=row, animate=False, immediate=True, force=True)
        finally:
            self._settling = False
        # scroll_to does nothing when the row is unchanged; still repaint the cursor.
        self.refresh()

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        if self.rows is not None and not self._settling:
            row = self._settle(round(new_value))
            if row != round(new_value):
                self.set_reactive(ScrollView.scroll_y, float(row))
                self.set_reactive(ScrollView.scroll_target_y, float(row))
                new_value = float(row)
        super().watch_scroll_y(old_value, new_value)

    def _settle(self, row: int) -> int:
        """Lay out the pages within a screen of a view starting at ``row`` (so
        that the next page up or down lands on exact heights); returns the start
        row to use so that what is at the top stays at the top."""
        layout = self.rows
        if layout is None:
            return 0
        height = max(self.scrollable_content_region.height, 1)
        for _ in range(8):
            anchor = layout.anchor(row)
            layout.refresh_estimate()
            top = layout.row_of(anchor)
            first = layout.locate(max(top - height, 0))[0]
            last = layout.locate(top + 2 * height)[0]
            missing = [q for q in range(first, last + 1) if not layout.is_measured(q)]
            for q in missing:
                layout.measure(q)
            layout.refresh_estimate()
            # Near the end the view is pulled up, maybe onto pages not laid out yet.
            settled = max(0, min(layout.row_of(anchor), layout.height - height))
            if not missing and settled == layout.row_of(anchor):
                row = settled
                break
            row = settled
        size = Size(self._layout_width, layout.height)
        if self.virtual_size != size:
            self.virtual_size = size
        return row

    def on_resize(self, event: Resize) -> None:
        if self.rows is None or self._width() == self._layout_width:
            if self.rows is not None:
                self._scroll_rows(round(self.scroll_y))
            return
        # New width: lay everything out again, keeping the top message in place.
        top = round(self.scroll_y)
        position = self.rows.position_at(top)
        start, _, _ = self.rows.block_rows(position)
        into = top - start
        self._new_layout()
        start, _, end = self.rows.block_rows(position)
        self._scroll_rows(start + min(into, max(end - start - 1, 0)))

    # -- drawing --------------------------------------------------------------

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        base = self.rich_style
        layout = self.rows
        if layout is None or self.conversation is None:
            return Strip.blank(width, base)
        if not self.conversation.messages:
            if y == 1:
                text = "  No messages in this conversation."
                return Strip([Segment(text, self.get_component_rich_style(
                    "reading-pane--empty"))]).adjust_cell_length(width, base)
            return Strip.blank(width, base)
        row = layout.row(round(self.scroll_y) + y)
        if row is None:
            return Strip.blank(width, base)
        strip = row.strip
        selected = row.position == self.cursor and row.in_body
        over = None
        if selected:
            name = "reading-pane--hit" if row.position == self.hit else "reading-pane--cursor"
            over = Style(bgcolor=self.get_component_rich_style(name).bgcolor)
        if row.picture is not None:
            return self._picture_row(row.picture, width, over).apply_style(base)
        if over is not None:
            strip = Strip(list(Segment.apply_style(list(strip), None, over)), strip.cell_length)
        return strip.adjust_cell_length(width).apply_style(base)

    def _picture_row(self, slot: PictureRow, width: int, over: Style | None) -> Strip:
        """One row of a thumbnail: the gutter (marked when selected), then the
        picture's cells as they are, or a note while it is decoded."""
        gutter = Segment(" " * slot.indent, over)
        cells: list[Segment] = []
        picture = self.thumbnails.get(slot.file, slot.columns, slot.rows) if self.thumbnails else None
        if picture is None:
            if slot.line == 0:
                cells = [Segment("…", self.get_component_rich_style("reading-pane--time"))]
        elif picture.error is not None:
            note = textwrap.wrap(f"(cannot show it: {picture.error})", max(width - slot.indent, 10))
            if slot.line < len(note):
                cells = [Segment(note[slot.line],
                                 self.get_component_rich_style("reading-pane--missing"))]
        else:
            if self.thumbnails is not None and self.thumbnails.renderer == "kitty":
                rows = kitty_rows(picture, slot.columns, slot.rows)
            else:
                rows = picture.rows
            if slot.line < len(rows):
                cells = list(rows[slot.line])
        return Strip([gutter, *cells]).adjust_cell_length(width)

    def refresh_pictures(self) -> None:
        """Repaint once pictures decoded in the background are ready."""
        if self.rows is not None:
            self.refresh()

    def visible_text(self) -> list[str]:
        """The rows on screen as plain text (for tests and the benchmark)."""
        height = self.scrollable_content_region.height
        return [self.render_line(y).text.rstrip() for y in range(height)]
