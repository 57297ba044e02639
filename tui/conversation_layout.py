"""The reading pane's virtual layout: rows of a conversation of any length.

A conversation can hold a million messages, and how many rows a message takes
depends on the width it is wrapped to, so the rows cannot all be laid out up
front. Instead the conversation is cut into *pages* of ``page_size`` messages
(by ``position``, the archive's paging key). A page is fetched from SQLite and
laid out only when the view comes near it; from then on its exact height is
known (and kept, even after its rows leave the LRU cache). Pages never seen
count as ``messages × average rows per message so far``.

Row ``y`` of the whole conversation is found by bisecting the pages' running
totals (a few thousand pages at most). Because a page's estimate turns into an
exact height when it is first laid out, the rows below it move; the reading
pane keeps what the user sees still by anchoring the view on (page, row in
page) across every such change (see :meth:`ConversationLayout.anchor` and
:meth:`ConversationLayout.row_of`). So scrolling is in rows, smooth, and a jump
to message N costs one page of work whatever N is.

Nothing here knows about Textual widgets; the pane supplies a function that
turns a message (and the one before it) into a :class:`Block`.

The pages kept are tens of thousands of rows, and Python's garbage collector
walks every object in them at each full collection, in the middle of some key
press. So a row is kept as few objects as it can be: its segments (a row or
segment that recurs on a page, such as a blank, a sender's name or a
picture's margin, once) and its width, made a ``Strip`` again when it is
drawn (a few microseconds; a ``Strip`` carries seven small caches of its own).
Kept as strips, the rows made the rare full collection take most of a second
(see benchmarks/README.md, photo-heavy).
"""

from __future__ import annotations

from bisect import bisect_right
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import accumulate

from rich.segment import Segment
from textual.strip import Strip

from archiver.read.messages import MessageView, messages_between
from archiver.store.database import Database

from .message_lines import Block, PictureRow

PAGE_SIZE = 200
CACHED_PAGES = 48
FIRST_ESTIMATE = 3.0  # rows per message before any page has been measured

LayOut = Callable[[MessageView, MessageView | None], Block]


@dataclass
class Page:
    """One page laid out: its messages and the rows of their blocks."""

    messages: list[MessageView]
    rows: list[tuple[Segment, ...]]  # each row's segments (a Strip when drawn)
    widths: list[int]  # and its width in cells
    starts: list[int]  # first row of each message's block, within the page
    body_starts: list[int]  # first row of each message's body, within the page
    owner: list[int]  # for each row, the index of its message within the page
    # Rows that show a picture (drawn when the pane paints them), by row in the page.
    pictures: dict[int, PictureRow] = field(default_factory=dict)

    @property
    def height(self) -> int:
        return len(self.rows)


@dataclass(frozen=True)
class Row:
    strip: Strip
    position: int  # the message this row belongs to
    in_body: bool  # False for its day separator and sender rows
    picture: PictureRow | None = None  # the picture row it shows, if any


class ConversationLayout:
    """Maps rows to messages for one conversation, laying pages out lazily."""

    def __init__(
        self,
        db: Database,
        conversation_id: int,
        message_count: int,
        lay_out: LayOut,
        *,
        page_size: int = PAGE_SIZE,
        cached_pages: int = CACHED_PAGES,
    ) -> None:
        self.db = db
        self.conversation_id = conversation_id
        self.message_count = message_count
        self.page_size = page_size
        self.cached_pages = cached_pages
        self._lay_out = lay_out
        self.page_count = max(1, -(-message_count // page_size))
        self._measured: list[int | None] = [None] * self.page_count
        self._rows_measured = 0
        self._messages_measured = 0
        self._estimate = FIRST_ESTIMATE
        self._heights = [self._estimated(p) for p in range(self.page_count)]
        self._offsets: list[int] | None = None
        self._pages: OrderedDict[int, Page] = OrderedDict()

    # -- geometry -----------------------------------------------------------

    @property
    def height(self) -> int:
        """Rows in the whole conversation (estimated for pages not seen yet)."""
        return self._offsets_now()[-1]

    def offset(self, page: int) -> int:
        """The row where ``page`` starts."""
        return self._offsets_now()[page]

    def is_measured(self, page: int) -> bool:
        return self._measured[page] is not None

    def locate(self, row: int) -> tuple[int, int]:
        """(page, row within that page) of a conversation row."""
        offsets = self._offsets_now()
        row = max(0, min(row, offsets[-1] - 1))
        page = min(bisect_right(offsets, row) - 1, self.page_count - 1)
        return page, row - offsets[page]

    def page_of(self, position: int) -> int:
        return min(max(position, 0) // self.page_size, self.page_count - 1)

    def anchor(self, row: int) -> tuple[int, int]:
        """A place that stays put while estimates change: (page, row in page),
        with its page measured first (its row scaled from the estimate)."""
        page, within = self.locate(row)
        if not self.is_measured(page):
            estimated = self._heights[page]
            self.measure(page)
            exact = self._heights[page]
            within = min(round(within * exact / max(estimated, 1)), max(exact - 1, 0))
        return page, within

    def row_of(self, anchor: tuple[int, int]) -> int:
        page, within = anchor
        return self.offset(page) + within

    def block_rows(self, position: int) -> tuple[int, int, int]:
        """(block start, body start, end) rows of the message at ``position``."""
        page = self.page_of(position)
        laid = self.page(page)
        i = min(position - page * self.page_size, len(laid.messages) - 1)
        base = self.offset(page)
        end = laid.starts[i + 1] if i + 1 < len(laid.starts) else laid.height
        return base + laid.starts[i], base + laid.body_starts[i], base + end

    def position_at(self, row: int) -> int:
        """The message whose block holds ``row``."""
        page, within = self.locate(row)
        laid = self.page(page)
        if not laid.owner:
            return page * self.page_size
        return page * self.page_size + laid.owner[min(within, len(laid.owner) - 1)]

    def row(self, row: int) -> Row | None:
        """The row at ``row``, laying out its page if needed."""
        if row < 0 or self.message_count == 0:
            return None
        for _ in range(3):
            if row >= self.height:
                return None
            page, within = self.locate(row)
            laid = self.page(page)
            # Measuring the page may have shrunk it: locate again.
            if within < laid.height:
                i = laid.owner[within]
                strip = Strip(laid.rows[within], laid.widths[within])
                return Row(strip, page * self.page_size + i,
                           within >= laid.body_starts[i], laid.pictures.get(within))
        return None

    # -- pages --------------------------------------------------------------

    def page(self, page: int) -> Page:
        """Page ``page`` laid out (from the cache, or fetched and laid out)."""
        cached = self._pages.get(page)
        if cached is not None:
            self._pages.move_to_end(page)
            return cached
        first = page * self.page_size
        last = first + self.page_size - 1
        fetched = messages_between(self.db, self.conversation_id, max(first - 1, 0), last)
        prev: MessageView | None = None
        if fetched and first > 0 and fetched[0].position == first - 1:
            prev = fetched.pop(0)
        laid = Page(fetched, [], [], [], [], [])
        # A row or a segment that recurs (a blank, a sender's name, a picture's
        # margin) is kept once a page.
        kept_segments: dict[Segment, Segment] = {}
        kept_rows: dict[tuple[Segment, ...], tuple[Segment, ...]] = {}
        for i, msg in enumerate(fetched):
            block = self._lay_out(msg, prev)
            laid.starts.append(len(laid.rows))
            laid.body_starts.append(len(laid.rows) + block.body_start)
            for at, picture in block.pictures.items():
                laid.pictures[len(laid.rows) + at] = picture
            for strip in block.rows:
                row = tuple(kept_segments.setdefault(segment, segment) for segment in strip)
                laid.rows.append(kept_rows.setdefault(row, row))
            laid.widths.extend(strip.cell_length for strip in block.rows)
            laid.owner.extend([i] * block.height)
            if not msg.folded:  # a folded notice shows nothing: the next one follows the last shown
                prev = msg
        self._pages[page] = laid
        while len(self._pages) > self.cached_pages:
            self._pages.popitem(last=False)
        self._record(page, laid)
        return laid

    def measure(self, page: int) -> None:
        if not self.is_measured(page):
            self.page(page)

    def cached_messages(self) -> int:
        return sum(len(p.messages) for p in self._pages.values())

    def refresh_estimate(self) -> bool:
        """Re-estimate the pages not seen yet from those measured so far.
        Returns True when that changed any height (the caller re-anchors)."""
        if not self._messages_measured:
            return False
        estimate = self._rows_measured / self._messages_measured
        if abs(estimate - self._estimate) < 0.05:
            return False
        self._estimate = estimate
        for p, measured in enumerate(self._measured):
            if measured is None:
                self._heights[p] = self._estimated(p)
        self._offsets = None
        return True

    def _record(self, page: int, laid: Page) -> None:
        if self._measured[page] is None:
            self._rows_measured += laid.height
            self._messages_measured += len(laid.messages)
        self._measured[page] = laid.height
        if self._heights[page] != laid.height:
            self._heights[page] = laid.height
            self._offsets = None

    def _estimated(self, page: int) -> int:
        count = min(self.page_size, self.message_count - page * self.page_size)
        return max(0, round(max(count, 0) * self._estimate))

    def _offsets_now(self) -> list[int]:
        if self._offsets is None:
            self._offsets = list(accumulate(self._heights, initial=0))
        return self._offsets
