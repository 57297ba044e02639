"""The reader's own messages, posted by its components and workers."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from textual.message import Message


@dataclass
class ConversationChosen(Message):
    """The user picked a conversation in the list."""

    conversation_id: int


@dataclass
class CursorMoved(Message):
    """The reading pane's selected message changed."""

    position: int


@dataclass
class SearchResults(Message):
    """A search worker finished: the hits for ``query`` (newest first)."""

    query: str
    hits: list[Any] = field(default_factory=list)  # archiver.read.search.SearchHit
    error: str | None = None
    notes: list[str] = field(default_factory=list)  # filters not understood, or naming nothing


class ListFilled(Message):
    """The conversation list shows its conversations (the first time): keys
    typed while the reader started can now go where they were meant to."""


class PicturesReady(Message):
    """The thumbnail thread decoded more pictures: repaint what shows them."""
