"""The reader: a conversation list beside a reading pane, over a read-only archive.

``run_reader`` is what ``chatkeep`` and ``chatkeep browse [THREAD]`` call. The
archive is opened with SQLite's read-only mode, so the reader can stay open
while an import writes to the same archive in another process (WAL), and can
never change it. The one file it writes is its own, beside the database: the
export format last chosen (``preferences.py``).

:class:`ChatkeepReader` holds the layout (the list and the pane side by side,
or taking turns on a narrow terminal), opening conversations, the status line
and the keys that move between them. The keys of three larger ideas are mixed
in from modules of their own: searching (``search_keys``), a message's
attachments (``media_keys``) and exporting (``export_keys``). Every key is
bound here, in the order the footer shows them.
"""

from __future__ import annotations

import gc
import sqlite3
import sys
from datetime import datetime, tzinfo
from pathlib import Path
from typing import Any, ClassVar

from rich.text import Text
from textual import events, on
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.events import Resize
from textual.timer import Timer
from textual.widgets import Footer, Input, Label, Static

from archiver.cli.base import say
from archiver.read import names
from archiver.read.conversations import Conversation, get_conversation, list_conversations
from archiver.store.database import Database
from archiver.store.opening import ArchiveError, NoArchive, describe_error, open_archive
from archiver.timefmt import UnknownZone, local, resolve_tz

from . import preferences
from .components.conversation_list import (
    CROSS_APP_MARK,
    FROZEN_MARK,
    LISTED_NAMES,
    ConversationList,
    badges,
)
from .components.date_jump import DateJump
from .components.export_format import EXPORT_FORMATS
from .components.help_screen import HelpScreen
from .components.insights_screen import InsightsScreen
from .components.no_archive import NoArchiveScreen
from .components.reading_pane import ReadingPane
from .emoji import narrow
from .export_keys import ExportKeys
from .media_keys import MediaKeys
from .messages import ConversationChosen, CursorMoved, ListFilled, PicturesReady
from .positions import first_on_or_after
from .search_keys import SearchKeys
from .thumbnails import ThumbnailCache, UnknownRenderer, choose_renderer

EMPTY_ARCHIVE = (
    "The archive is empty.\n\nImport a Facebook, Messenger or Instagram download:\n\n"
    "    chatkeep import PATH"
)
CHOOSE = "Choose a conversation on the left (↑ ↓ Enter), or press / to search."
WIDE = 110  # at this width and more, the list gets more room
NARROW = 60  # below this width the list and the conversation take turns


class ChatkeepReader(SearchKeys, MediaKeys, ExportKeys, App[None]):
    """Read, search and export an archive; its database is never changed."""

    CSS_PATH = "chatkeep.tcss"
    TITLE = "chatkeep"
    ENABLE_COMMAND_PALETTE = False  # every action has its key; ? lists them
    AUTO_FOCUS = None  # on_mount decides (nothing at all when the archive is empty)

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("q", "quit", "Quit"),
        # A reader, not an editor: Ctrl-C quits, as it does every other command.
        Binding("ctrl+c", "quit", show=False, priority=True),
        Binding("slash", "search", "Search", priority=True),
        # Priority: / and f take effect before the keys typed after them are
        # handed out, so that "fana" typed at once lands "ana" in the filter.
        Binding("f", "filter", "Filter", priority=True),
        Binding("d", "jump_to_date", "Date"),
        Binding("e", "export", "Export"),
        Binding("i", "insights", "Insights"),
        Binding("o", "open_attachment", "Open", show=False),
        Binding("v", "view_media", "View", show=False),
        Binding("m", "gallery", "Media"),
        Binding("c", "copy_message", "Copy", show=False),
        Binding("n", "next_hit", "Next hit", show=False),
        Binding("N", "previous_hit", "Prev hit", show=False),
        Binding("l", "toggle_list", "List", show=False),
        Binding("r", "reload", "Reload", show=False),
        Binding("question_mark", "help", "Help"),
    ]

    def __init__(
        self, archive_dir: Path | str, *, thread: int | str | None = None,
        tz: str | tzinfo | None = None, images: str = "blocks", own_process: bool = False,
    ) -> None:
        super().__init__()
        # run_reader's reader has the process to itself (tests start many in one):
        # once started, what the start made is frozen out of the garbage collector.
        self.own_process = own_process
        # The renderer (tui.thumbnails): run_reader resolves "auto" before the
        # app starts; the default draws half blocks, the same on every terminal.
        self.images = images
        self.thumbnails: ThumbnailCache | None = (
            None if images == "off"
            else ThumbnailCache(images, on_ready=lambda: self.post_message(PicturesReady()))
        )
        self.archive_dir = Path(archive_dir)
        self.tz: tzinfo = tz if isinstance(tz, tzinfo) else resolve_tz(tz)
        self.thread = thread
        self.db: Database | None = None
        self.problem: str | None = None
        self.conversations: list[Conversation] = []
        self.export_format = "md"  # the last format chosen with `e`, offered first next time
        self.hits: list[Any] = []
        self.hit_index = -1
        self.missing = False  # no archive at all (the reader then says how to make one)
        self._status_timer: Timer | None = None
        self.hit_label = ""
        self.preferences_problem: str | None = None  # said once the screen is up
        # Keys typed while the reader starts (the list is not filled yet) are
        # kept and played once it is, instead of falling into an empty list.
        self._list_filled = False
        self._early_keys: list[events.Key] = []
        try:
            self.db = open_archive(self.archive_dir, readonly=True)
            self.conversations = list_conversations(self.db, names=LISTED_NAMES)
            remembered_choices, self.preferences_problem = preferences.read(self.archive_dir)
            remembered = remembered_choices.get("export_format")
            if remembered in EXPORT_FORMATS:  # chosen in an earlier session
                self.export_format = remembered
        except NoArchive as exc:
            self.problem, self.missing = str(exc), True
        except ArchiveError as exc:
            self.problem = str(exc)
        except sqlite3.DatabaseError as exc:  # damaged past its first pages
            self.problem = describe_error(exc, self.archive_dir)
            self.db = None

    # -- layout ---------------------------------------------------------------

    def compose(self) -> ComposeResult:
        if self.db is None:
            return
        # Sized from the start: laying the list out at one width and then another
        # would measure every conversation twice.
        with Horizontal(id="main", classes="wide" if self.size.width >= WIDE else ""):
            yield ConversationList(self.conversations, self.tz, id="conversations")
            with Vertical(id="reader"):
                with Horizontal(id="pane-header"):
                    yield Label("", id="pane-title")
                    yield Label("", id="pane-marks")
                    yield Label("", id="pane-position")
                yield ReadingPane(self.db, self.tz, id="pane",
                                  thumbnails=self.thumbnails)
                yield Static(EMPTY_ARCHIVE if not self.conversations else CHOOSE,
                             id="placeholder")
        yield Static("", id="status")
        yield Footer()

    def on_mount(self) -> None:
        if self.problem is not None:
            self.push_screen(NoArchiveScreen(self.problem, self.archive_dir))
            return
        # A conversation named on the command line: its pane and header are in
        # the first layout, so that it opens at the pane's width. (Shown only
        # when it opens, the pane would have no width yet, and a loaded machine
        # would paint its first page wrapped at a guess, then again.)
        opening = self.thread is not None and bool(self.conversations)
        self.pane.display = opening
        self.query_one("#pane-header").display = opening
        self.query_one("#placeholder").display = not opening
        self._fit(self.size.width)
        if self.preferences_problem is not None:
            self.notify(self.preferences_problem, severity="warning", markup=False)
        if self.own_process:
            self.call_after_refresh(self._freeze_what_the_start_made)
        if not self.conversations:
            # Nothing to list: the explanation gets the whole screen, q still quits.
            self.query_one(ConversationList).display = False
            self.set_focus(None)
        elif self.thread is not None:
            self.call_after_refresh(self._open_thread_ref, self.thread)
        else:
            self.query_one("#conversation-options").focus()

    def _freeze_what_the_start_made(self) -> None:
        """Move the objects alive after the first paint (Textual, Rich, the
        styles, the widgets, the list: 70,000 or so, nearly all kept until the
        reader quits) out of the cyclic garbage collector's sight. Each full
        collection walks every object it sees, and these, modules and classes
        with many references, cost more than their number says: the median
        full collection of the photo benchmark falls from 120 to 71 ms
        (benchmarks/README.md, photo-heavy). Reference counting still frees
        them. Only in a process of its own: an object frozen here that later
        became garbage in a cycle would never be freed, so tests, which start
        many readers in one process, do not."""
        gc.collect(1)  # young garbage of the start goes first
        gc.freeze()

    def on_resize(self, event: Resize) -> None:
        if self.thumbnails is not None:  # pictures are decoded to fit the screen
            self.thumbnails.screen = (event.size.width, event.size.height)
        self._fit(event.size.width)

    def _fit(self, width: int) -> None:
        """Give the list more room on wide terminals; below ``NARROW`` columns
        it takes the whole width until a conversation opens, then hides."""
        if self.db is None:
            return
        main = self.query_one("#main")
        main.set_class(width >= WIDE, "wide")
        was_narrow = main.has_class("narrow")
        main.set_class(width < NARROW, "narrow")
        conversations = self.query_one(ConversationList)
        reader = self.query_one("#reader")
        if width < NARROW and self.conversations:
            # One at a time: the conversation once one is opening, else the list.
            reading = bool(self.pane.display)
            conversations.display = not reading
            reader.display = reading
        elif was_narrow and width >= NARROW and self.conversations:
            conversations.display = reader.display = True

    def notify(self, message: str, *, title: str = "", severity: str = "information",
               timeout: float | None = None, markup: bool = False) -> None:  # type: ignore[override]
        """Messages go to the status line above the footer of the screen
        showing (the reader's, the viewer's), wrapped at words, so they never
        cover the conversation or the picture; screens without one keep
        Textual's toasts. Never markup by default: messages quote titles and
        file names."""
        lines = self.screen.query("#status")
        if self.db is None or not lines:
            super().notify(message, title=title, severity=severity,  # type: ignore[arg-type]
                           timeout=timeout, markup=markup)
            return
        status = lines.first(Static)
        status.update(Text(message, style="bold red" if severity == "error" else ""))
        status.display = True
        if self._status_timer is not None:
            self._status_timer.stop()
        self._status_timer = self.set_timer(timeout or 5, lambda: self._clear_status(status))

    def _clear_status(self, status: Static) -> None:
        if status.is_attached:
            status.display = False

    @property
    def pane(self) -> ReadingPane:
        return self.query_one("#pane", ReadingPane)

    def _live_pane(self) -> ReadingPane | None:
        """The pane, or None once the reader is closing: a message the pane
        posted can arrive after Textual has removed the widgets."""
        if not self.screen_stack:
            return None
        found = self.screen_stack[0].query("#pane")
        pane = found.first() if found else None
        return pane if isinstance(pane, ReadingPane) else None

    # -- opening conversations --------------------------------------------------

    def _open_thread_ref(self, ref: int | str) -> None:
        assert self.db is not None
        try:
            cid = int(ref) if isinstance(ref, int) else names.resolve_conversation(self.db, ref)
        except (names.ThreadNotFound, names.AmbiguousThread) as exc:
            self.pane.display = self.query_one("#pane-header").display = False
            self.query_one("#placeholder").display = True
            self._fit(self.size.width)
            self.notify(str(exc), severity="error", timeout=8)
            return
        self.open_conversation(cid)

    def open_conversation(self, cid: int, position: int | None = None, *,
                          hit: bool = False) -> None:
        """Show conversation ``cid`` (at ``position`` if given, else its end)."""
        assert self.db is not None
        try:
            conv = get_conversation(self.db, cid, names=LISTED_NAMES)
        except names.ThreadNotFound as exc:
            self.notify(str(exc), severity="error")
            return
        self.pane.display = True
        self.query_one("#pane-header").display = True
        self.query_one("#placeholder").display = False
        self.query_one(ConversationList).select(cid)
        if self.size.width < NARROW:
            self.query_one(ConversationList).display = False
            self.query_one("#reader").display = True
        # Open once the pane has its size (it may just have been shown).
        self.call_after_refresh(self._open_in_pane, conv, position, hit)

    def _header_marks(self, conv: Conversation) -> None:
        """The cross-app and frozen marks, never cut off with the title: in
        words when there is room, as the list's symbols when there is not."""
        wide = self.size.width >= 100 or not self.query_one(ConversationList).display
        marks = Text()
        if conv.cross_app:
            marks.append(f" {CROSS_APP_MARK}" + (" cross-app" if wide else ""), style="cyan")
        if conv.frozen:
            marks.append(f" {FROZEN_MARK}" + (" frozen" if wide else ""), style="blue")
        label = self.query_one("#pane-marks", Label)
        label.update(marks)
        label.display = bool(marks)

    def _open_in_pane(self, conv: Conversation, position: int | None, hit: bool,
                      waits: int = 3) -> None:
        """Open ``conv`` in the pane, with its title, marks and position in the
        header, all before the next frame is painted (never a header without
        the position, or text laid out at a width the pane does not have)."""
        pane = self._live_pane()
        if pane is None:
            return
        if not pane.size.width and waits:
            # Shown a moment ago and not laid out yet: Textual lays it out
            # before the next refresh. (A few times at most: a pane that is
            # never given a width opens anyway, and is laid out when it is.)
            self.call_after_refresh(self._open_in_pane, conv, position, hit, waits - 1)
            return
        title = Text(no_wrap=True, overflow="ellipsis")
        title.append(narrow(conv.title), style="bold")
        title.append(f"  {badges(conv)}", style="bold magenta")
        self.query_one("#pane-title", Label).update(title)
        self._header_marks(conv)
        pane.open(conv, position, hit=hit)
        self._show_position(pane, pane.cursor)
        pane.focus()

    async def on_event(self, event: events.Event) -> None:
        if (isinstance(event, events.Key) and not self._list_filled and self.db is not None
                and self.conversations and self.screen is self.screen_stack[0]):
            self._early_keys.append(event)
            return
        await super().on_event(event)

    @on(ListFilled)
    def _list_filled_now(self) -> None:
        if self._list_filled:
            return
        self._list_filled = True
        for key in self._early_keys:  # in the order typed, where they were meant to go
            self.post_message(events.Key(key.key, key.character))
        self._early_keys.clear()

    @on(ConversationChosen)
    def _chosen(self, message: ConversationChosen) -> None:
        pane = self._live_pane()
        if pane is None:
            return
        pane.mark(None)  # chosen from the list: no search to show
        self.open_conversation(message.conversation_id)

    @on(PicturesReady)
    def _pictures_ready(self) -> None:
        pane = self._live_pane()
        if self.db is not None and pane is not None:
            pane.refresh_pictures()
        for widget in self.screen.query(".pictures"):
            widget.refresh()

    @on(CursorMoved)
    def _cursor_moved(self, message: CursorMoved) -> None:
        pane = self._live_pane()
        if pane is not None:
            self._show_position(pane, message.position)

    def _show_position(self, pane: ReadingPane, position: int) -> None:
        """The selected message's place and time, in the header."""
        conv = pane.conversation
        if conv is None:
            return
        msg = pane.selected
        when = local(msg.timestamp_ms, self.tz).strftime("%Y-%m-%d %H:%M") if msg else ""
        hit = ""
        if self.hits and pane.hit == position and self.hit_label:
            hit = f"{self.hit_label}  "  # in the header: a toast would cover the hit
        self.query_one("#pane-position", Label).update(  # the hit label quotes a query
            Text(f"{hit}{position + 1:,}/{conv.messages:,}  {when}")
        )

    # -- actions ----------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if isinstance(self.screen, InsightsScreen):
            return action in ("quit", "help")  # the reader's own keys wait behind it
        # f and / (priority keys) type themselves wherever text is typed: the
        # filter, a form, a screen above the reader.
        if action in ("filter", "search") and (isinstance(self.focused, Input)
                                               or self.screen is not self.screen_stack[0]):
            return False
        # Without an archive, or with an empty one, only these make sense.
        return bool(self.conversations) or action in ("quit", "help", "reload")

    def action_jump_to_date(self) -> None:
        pane = self.pane
        if pane.conversation is None:
            self.notify("Open a conversation first.")
            return

        def jump(day: datetime | None) -> None:
            if day is None or pane.conversation is None or self.db is None:
                return
            position = first_on_or_after(self.db, pane.conversation.id,
                                         int(day.timestamp() * 1000))
            if position is None:
                self.notify(f"No messages on or after {day:%Y-%m-%d}; showing the last one.")
                pane.action_last()
            else:
                pane.show_at_top(position)
            pane.focus()

        self.push_screen(DateJump(self.tz), jump)

    def action_copy_message(self) -> None:
        msg = self.pane.selected
        if msg is None:
            self.notify("Open a conversation and select a message first.")
            return
        text = msg.text or msg.share_link or ""
        if not text:
            self.notify("The selected message has no text to copy.")
            return
        self.copy_to_clipboard(text)
        self.notify("Copied the message's text.")

    def action_toggle_list(self) -> None:
        conversations = self.query_one(ConversationList)
        conversations.display = not conversations.display
        if self.size.width < NARROW and self.pane.conversation is not None:
            self.query_one("#reader").display = not conversations.display
            if conversations.display:
                conversations.options.focus()
        if not conversations.display and self.pane.conversation is not None:
            self.pane.focus()
        if self.pane.conversation is not None:
            self._header_marks(self.pane.conversation)

    def action_reload(self) -> None:
        """Read the archive again (an import may have added to it meanwhile)."""
        if self.db is None:
            return
        self.conversations = list_conversations(self.db, names=LISTED_NAMES)
        conversations = self.query_one(ConversationList)
        conversations.conversations = self.conversations
        conversations.apply_filter(self.query_one("#conversation-filter", Input).value)
        if self.conversations and not conversations.display:  # the first import is in
            conversations.display = True
            self.query_one("#placeholder", Static).update(CHOOSE)
            conversations.options.focus()
        pane = self.pane
        if pane.conversation is not None:
            self.open_conversation(pane.conversation.id, pane.cursor)
        self.notify(f"{len(self.conversations):,} conversations.", timeout=2)

    def action_filter(self) -> None:
        conversations = self.query_one(ConversationList)
        conversations.display = True
        conversations.focus_filter()

    def action_insights(self) -> None:
        """Pictures of the open conversation, or of the whole archive when the
        conversation list has the focus (or nothing is open)."""
        pane = self.pane
        conversation = pane.conversation if pane.has_focus else None
        self.push_screen(InsightsScreen(self.archive_dir, self.tz, conversation))

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())


def run_reader(archive_dir: Path, thread: str | None = None, tz: str | None = None,
               images: str | None = None) -> None:
    """Run the reader on ``archive_dir`` (``chatkeep browse``); ``images`` is
    ``--images`` (else ``$CHATKEEP_IMAGES``, else auto)."""
    try:
        zone = resolve_tz(tz)
        renderer = choose_renderer(images)
    except (UnknownZone, UnknownRenderer) as exc:
        say(f"chatkeep: {exc}", err=True)
        sys.exit(2)
    app = ChatkeepReader(archive_dir, tz=zone, images=renderer, own_process=True)
    if app.problem is not None and not app.missing:
        # A damaged, foreign, newer or locked archive: said plainly, before the
        # screen is taken over (a missing one the reader explains itself).
        say(f"chatkeep: {app.problem}", err=True)
        sys.exit(2)
    if thread is not None and app.db is not None:
        # A thread that names nothing (or several) is a usage error, said before
        # the screen is taken over.
        try:
            app.thread = names.resolve_conversation(app.db, thread)
        except (names.ThreadNotFound, names.AmbiguousThread) as exc:
            say(f"chatkeep: {exc}", err=True)  # titles may hold escapes
            sys.exit(2)
    app.run()


__all__ = ["ChatkeepReader", "run_reader"]
