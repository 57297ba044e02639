"""Search over the whole archive, results as you type.

Each keystroke starts the named ``search`` worker (a thread, exclusive, so a
newer query cancels the older one). A worker reads through its own read-only
connection, and a stale query still running in SQLite is interrupted. Enter
opens the highlighted result; the screen is dismissed with the hits and the
chosen index, so the app can step through them with n / N.
"""

from __future__ import annotations

import sqlite3
import threading
from datetime import tzinfo
from pathlib import Path
from typing import Any, ClassVar

from rich.text import Text
from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option
from textual.worker import get_current_worker

from archiver.store.opening import ArchiveError, open_archive
from archiver.timefmt import local

from ..messages import SearchResults

SEARCH_LIMIT = 200
MARK_START, MARK_END = "\x02", "\x03"


def snippet_text(snippet: str, match_style: str = "bold reverse") -> Text:
    """A snippet with its marked parts (between \\x02 and \\x03) highlighted."""
    text = Text(no_wrap=True, overflow="ellipsis")
    marked = False
    for piece in snippet.replace("\n", " ").replace(MARK_END, MARK_START).split(MARK_START):
        if piece:
            text.append(piece, style=match_style if marked else "")
        marked = not marked
    return text


def hit_prompt(hit: Any, tz: tzinfo) -> Text:
    when = local(hit.timestamp_ms, tz).strftime("%Y-%m-%d %H:%M")
    prompt = Text(no_wrap=True, overflow="ellipsis")
    prompt.append(hit.thread or "", style="bold")
    prompt.append(f"  {hit.sender}  {when}", style="dim")
    prompt.append("\n")
    prompt.append_text(snippet_text(hit.snippet or hit.text or ""))
    return prompt


class SearchScreen(ModalScreen[tuple[list[Any], int] | None]):
    """A search box over a list of hits."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss(None)", "Close"),
        Binding("down", "focus_results", "Results", show=False),
    ]

    def __init__(self, archive_dir: Path, tz: tzinfo, query: str = "") -> None:
        super().__init__()
        self.archive_dir = archive_dir
        self.tz = tz
        self.initial_query = query
        self.hits: list[Any] = []
        self._query_conn: sqlite3.Connection | None = None
        self._lock = threading.Lock()

    def compose(self) -> ComposeResult:
        with Vertical(id="search-box"):
            yield Input(
                value=self.initial_query, id="search-input",
                placeholder='Search: words, "a phrase", from:NAME, in:THREAD, after:2023-01…',
            )
            yield Static("Type to search every conversation.", id="search-status")
            yield OptionList(id="search-results")

    def on_mount(self) -> None:
        self.query_one("#search-input", Input).focus()

    def on_key(self, event: events.Key) -> None:
        # A letter no widget took (typed right after /, before the box had the
        # focus, or while the results have it) goes into the box, not nowhere.
        if event.is_printable and event.character:
            box = self.query_one("#search-input", Input)
            box.insert_text_at_cursor(event.character)
            self.set_focus(box)
            event.stop()
            event.prevent_default()
        if self.initial_query:
            self.run_search(self.initial_query)

    @on(Input.Changed, "#search-input")
    def _changed(self, event: Input.Changed) -> None:
        query = event.value.strip()
        if not query:
            self._interrupt()
            self.workers.cancel_group(self, "search")
            self.hits = []
            self.query_one("#search-results", OptionList).clear_options()
            self._status("Type to search every conversation.")
            return
        self._status("Searching…")
        self.run_search(query)

    @work(thread=True, exclusive=True, name="search", group="search")
    def run_search(self, query: str) -> None:
        """Run one query on its own connection; post the hits unless stale."""
        try:
            from archiver.read.search import query_notes, search
        except ImportError:
            self.post_message(SearchResults(query, [], "search is not available"))
            return
        worker = get_current_worker()
        self._interrupt()  # a stale query may still hold SQLite busy
        try:
            db = open_archive(self.archive_dir, readonly=True)
        except ArchiveError as exc:
            self.post_message(SearchResults(query, [], str(exc)))
            return
        with self._lock:
            self._query_conn = db.conn
        try:
            hits = search(db, query, limit=SEARCH_LIMIT, tz=self.tz)
            notes = query_notes(db, query, tz=self.tz)
        except sqlite3.OperationalError as exc:
            if not worker.is_cancelled:
                self.post_message(SearchResults(query, [], f"search failed: {exc}"))
            return
        finally:
            with self._lock:
                if self._query_conn is db.conn:
                    self._query_conn = None
            db.conn.close()
        if not worker.is_cancelled:
            self.post_message(SearchResults(query, hits, notes=notes))

    def _interrupt(self) -> None:
        with self._lock:
            if self._query_conn is not None:
                self._query_conn.interrupt()

    def on_search_results(self, message: SearchResults) -> None:
        current = self.query_one("#search-input", Input).value.strip()
        if message.query != current:
            return  # an answer to an older query
        if message.error:
            self._status(message.error)
            return
        self.hits = message.hits
        results = self.query_one("#search-results", OptionList)
        results.clear_options()
        results.add_options(
            [Option(hit_prompt(hit, self.tz), id=str(i)) for i, hit in enumerate(self.hits)]
        )
        if self.hits:
            results.highlighted = 0
        n = len(self.hits)
        more = "+" if n >= SEARCH_LIMIT else ""
        said = (
            f"{n:,}{more} result{'s' if n != 1 else ''}, newest first. "
            "Enter opens; n / N step through them later."
            if n else "No messages match."
        )
        # What was not understood comes first: it explains the results.
        self._status("\n".join([*(f"{note}." for note in message.notes), said]))

    def _status(self, text: str) -> None:
        # As plain text: a note quotes what the user typed, never markup.
        self.query_one("#search-status", Static).update(Text(text))

    @on(Input.Submitted, "#search-input")
    def _submitted(self) -> None:
        highlighted = self.query_one("#search-results", OptionList).highlighted
        if self.hits:
            self.dismiss((self.hits, highlighted or 0, self._query()))

    @on(OptionList.OptionSelected, "#search-results")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss((self.hits, event.option_index, self._query()))

    def _query(self) -> str:
        return self.query_one("#search-input", Input).value.strip()

    def action_focus_results(self) -> None:
        # Only to hits: in an empty list the next keys typed would be lost.
        results = self.query_one("#search-results", OptionList)
        if results.option_count:
            results.focus()
