"""The reader: a conversation list beside a reading pane, over a read-only archive.

``run_reader`` is what ``chatkeep`` and ``chatkeep browse [THREAD]`` call. The
archive is opened with SQLite's read-only mode, so the reader can stay open
while an import writes to the same archive in another process (WAL), and can
never change it. The one file it writes is its own, beside the database: the
export format last chosen (``preferences.py``).
"""

from __future__ import annotations

import gc
import sqlite3
import sys
from datetime import datetime, tzinfo
from pathlib import Path
from typing import Any, ClassVar

from rich.text import Text
from textual import events, on, work
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.events import Resize
from textual.timer import Timer
from textual.widgets import Footer, Input, Label, Static

from archiver.cli.base import say
from archiver.read import names
from archiver.read.attachments import Attachment, conversation_media
from archiver.read.conversations import Conversation, get_conversation, list_conversations
from archiver.store.database import Database
from archiver.store.opening import ArchiveError, NoArchive, describe_error, open_archive
from archiver.timefmt import UnknownZone, local, resolve_tz

from . import desktop, preferences
from .components.conversation_list import (
    CROSS_APP_MARK,
    FROZEN_MARK,
    LISTED_NAMES,
    ConversationList,
    badges,
)
from .components.date_jump import DateJump
from .components.export_format import EXPORT_FORMATS, ExportFormat
from .components.help_screen import HelpScreen
from .components.insights_screen import InsightsScreen
from .components.media_gallery import MediaGallery
from .components.media_viewer import MediaViewer
from .components.no_archive import NoArchiveScreen
from .components.reading_pane import ReadingPane
from .components.search_screen import SearchScreen
from .emoji import narrow
from .messages import ConversationChosen, CursorMoved, ListFilled, PicturesReady
from .positions import first_on_or_after, place_of_message
from .thumbnails import ThumbnailCache, UnknownRenderer, choose_renderer

EMPTY_ARCHIVE = (
    "The archive is empty.\n\nImport a Facebook, Messenger or Instagram download:\n\n"
    "    chatkeep import PATH"
)
CHOOSE = "Choose a conversation on the left (↑ ↓ Enter), or press / to search."
WIDE = 110  # at this width and more, the list gets more room
NARROW = 60  # below this width the list and the conversation take turns


class ChatkeepReader(App[None]):
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
        self.pane.display = False
        self.query_one("#pane-header").display = False
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
            # One at a time: the conversation once one is open, else the list.
            reading = self.pane.conversation is not None
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
        pane = self.pane
        pane.display = True
        self.query_one("#pane-header").display = True
        self.query_one("#placeholder").display = False
        title = Text(no_wrap=True, overflow="ellipsis")
        title.append(narrow(conv.title), style="bold")
        title.append(f"  {badges(conv)}", style="bold magenta")
        self.query_one("#pane-title", Label).update(title)
        self._header_marks(conv)
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

    def _open_in_pane(self, conv: Conversation, position: int | None, hit: bool) -> None:
        pane = self._live_pane()
        if pane is None:
            return
        pane.open(conv, position, hit=hit)
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
        conv = pane.conversation if pane is not None else None
        if pane is None or conv is None:
            return
        msg = pane.selected
        when = local(msg.timestamp_ms, self.tz).strftime("%Y-%m-%d %H:%M") if msg else ""
        hit = ""
        if self.hits and pane.hit == message.position and self.hit_label:
            hit = f"{self.hit_label}  "  # in the header: a toast would cover the hit
        self.query_one("#pane-position", Label).update(  # the hit label quotes a query
            Text(f"{hit}{message.position + 1:,}/{conv.messages:,}  {when}")
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

    def action_search(self) -> None:
        def opened(result: tuple[list[Any], int, str] | None) -> None:
            if result:
                self.hits, self.hit_index, query = result
                self.pane.mark(query)
                self._show_hit()

        self.push_screen(SearchScreen(self.archive_dir, self.tz), opened)

    def _show_hit(self) -> None:
        assert self.db is not None
        hit = self.hits[self.hit_index]
        place = place_of_message(self.db, hit.id)
        if place is None:
            self.notify("That message is no longer in the archive.", severity="warning")
            return
        cid, position = place
        self.hit_label = f"Result {self.hit_index + 1} of {len(self.hits)}"
        pane = self.pane
        if pane.conversation is not None and pane.conversation.id == cid:
            pane.hit = position
            pane.move_cursor(position, context=max(pane.size.height // 3, 1))
            pane.focus()
        else:
            self.open_conversation(cid, position, hit=True)

    def action_next_hit(self) -> None:
        self._step_hit(+1)

    def action_previous_hit(self) -> None:
        self._step_hit(-1)

    def _step_hit(self, step: int) -> None:
        if not self.hits:
            self.notify("No search results yet: press / to search.")
            return
        index = self.hit_index + step
        if not 0 <= index < len(self.hits):
            self.notify("No more results." if step > 0 else "This is the first result.")
            return
        self.hit_index = index
        self._show_hit()

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

    def action_export(self) -> None:
        conv = self.pane.conversation
        if conv is None:
            self.notify("Open a conversation first.")
            return

        def chosen(fmt: str | None) -> None:
            if fmt is None:
                return
            self.export_format = fmt  # highlighted next time, in this session and later ones
            preferences.remember(self.archive_dir, export_format=fmt)
            self.notify(f"Exporting {conv.title}…", timeout=2)
            self.export_conversation(conv, fmt)

        self.push_screen(ExportFormat(self.export_format), chosen)

    @work(thread=True, exclusive=True, name="export", group="export")
    def export_conversation(self, conv: Conversation, fmt: str = "md") -> None:
        """Write the conversation as Markdown or HTML into the current folder
        (where ``chatkeep export`` would write it too), named as ``export
        --all`` names it."""
        from archiver.export import EXTENSIONS, conversation_slug, export_conversation

        out = Path.cwd() / f"{conversation_slug(conv)}{EXTENSIONS[fmt]}"
        try:
            db = open_archive(self.archive_dir, readonly=True)
            try:
                result = export_conversation(db, self.archive_dir, conv.id, out, fmt=fmt,
                                             tz=self.tz)
            finally:
                db.conn.close()
        except (OSError, ArchiveError, names.ThreadNotFound) as exc:
            self.call_from_thread(
                self.notify, f"Could not export: {exc}", severity="error", timeout=8
            )
            return
        media = f", attachments in {result.media_dir.name}/" if result.media_copied else ""
        pages = f" and {len(result.pages) - 1} more pages" if len(result.pages) > 1 else ""
        self.call_from_thread(
            self.notify, f"Exported {result.messages:,} messages to {out}{pages}{media}",
            timeout=8,
        )

    def action_open_attachment(self) -> None:
        msg = self.pane.selected
        if msg is None:
            self.notify("Open a conversation and select a message first.")
            return
        if not msg.attachments:
            self.notify("The selected message has no attachment.")
            return
        files = [a for a in msg.attachments if a.file]
        if not files:
            a = msg.attachments[0]
            self.notify(f"{a.label} is not in the archive: {a.reason}.", severity="warning")
            return
        self.open_file(files[0], more=len(files) - 1)

    def open_file(self, a: Attachment, *, more: int = 0) -> None:
        """Hand an attachment's file to the system's viewer or player."""
        if not a.file or not Path(a.file).exists():
            self.notify(f"{a.label} is not in the archive: {a.reason or 'its file is gone'}.",
                        severity="warning")
            return
        self._open_in_viewer(a, more)

    @work(thread=True, group="open")
    def _open_in_viewer(self, a: Attachment, more: int) -> None:
        # Off the UI thread: the opener's answer may take a few seconds.
        assert a.file is not None
        try:
            desktop.open_in_viewer(Path(a.file))
        except desktop.NoViewer as exc:
            self.call_from_thread(
                self.notify, f"This system has no {exc} to open files with; the file is {a.file}",
                severity="warning", timeout=10)
            return
        except desktop.ViewerFailed as exc:
            self.call_from_thread(
                self.notify, f"Could not open {a.label} ({exc}); the file is {a.file}",
                severity="error", timeout=10)
            return
        except OSError as exc:
            self.call_from_thread(
                self.notify, f"Could not open {a.file}: {exc.strerror or exc}", severity="error")
            return
        extra = f" (the first of {more + 1})" if more else ""
        self.call_from_thread(self.notify, f"Opened {a.label}{extra}: {a.file}")

    def _media(self) -> list[tuple[int, Attachment]]:
        conv = self.pane.conversation
        assert self.db is not None and conv is not None
        return conversation_media(self.db, conv.id)

    def action_view_media(self) -> None:
        """The full-pane viewer, on the selected message's first attachment."""
        msg = self.pane.selected
        if msg is None or self.thumbnails is None:
            self.notify("Open a conversation and select a message first." if msg is None
                        else "Pictures are off (--images off).")
            return
        if not msg.attachments:
            self.notify("The selected message has no photo or attachment to view.")
            return
        media = self._media()
        index = next((i for i, (p, _) in enumerate(media) if p == msg.position), 0)
        self._open_viewer(media, index)

    def _open_viewer(self, media: list[tuple[int, Attachment]], index: int) -> None:
        assert self.thumbnails is not None

        def back(position: int | None) -> None:
            if position is not None:
                self.pane.move_cursor(position, context=max(self.pane.size.height // 3, 1))
            self.pane.focus()

        self.push_screen(MediaViewer(self.thumbnails, media, index), back)

    def action_gallery(self) -> None:
        conv = self.pane.conversation
        if conv is None:
            self.notify("Open a conversation first.")
            return
        if self.thumbnails is None:
            self.notify("Pictures are off (--images off).")
            return
        media = self._media()
        if not media:
            self.notify("This conversation has no photos or other media.")
            return

        def chosen(result: tuple[str, int] | None) -> None:
            if result is None:
                self.pane.focus()
            elif result[0] == "jump":
                self.pane.move_cursor(result[1], context=max(self.pane.size.height // 3, 1))
                self.pane.focus()
            else:
                self._open_viewer(media, result[1])

        self.push_screen(MediaGallery(self.thumbnails, media, conv.title), chosen)

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
