"""The reader's search keys: ``/`` opens the search screen, and the hit
chosen there is shown in its conversation, marked; ``n`` and ``N`` step
through the other hits without going back to the screen.

A hit names a message by id, so it is found again where an import since has
moved it (``positions.place_of_message``); the header says which hit of how
many is showing (``hit_label``).
"""

from __future__ import annotations

from datetime import tzinfo
from pathlib import Path
from typing import Any

from archiver.store.database import Database

from .components.reading_pane import ReadingPane
from .components.search_screen import SearchScreen
from .positions import place_of_message


class SearchKeys:
    """``/``, ``n`` and ``N`` of :class:`~tui.app.ChatkeepReader` (mixed into
    it, which binds the keys and holds the state below)."""

    db: Database | None
    archive_dir: Path
    tz: tzinfo
    pane: ReadingPane
    hits: list[Any]  # the search screen's hits (search.SearchHit), in its order
    hit_index: int  # the one showing (-1: none yet)
    hit_label: str  # "Result 3 of 40", beside the position in the header

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
