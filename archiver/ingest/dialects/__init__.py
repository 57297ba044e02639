"""Dialect readers: one module per shape of download.

Each module defines one :class:`~.base.Dialect` object, ``DIALECT``, that
finds the threads it recognises in a download (claiming their files), reads
them into :class:`~archiver.records.Message` records, and says what it knows
of the download it is in (which download, whose, named how). What dialects
share is in :mod:`.base` (any format) and :mod:`.meta` (Meta's downloads).
Adding a download shape means adding a module here and its ``DIALECT`` to
:data:`DIALECTS`; nothing else names a format.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from ...records import Message, ThreadInfo
from ..sources import DownloadTree, posix_parent
from .base import (
    MAX_MS,
    MIN_MS,
    ODD_NUMBER,
    READ_ERRORS,
    UNKNOWN_SENDER,
    Dialect,
    PlainMessage,
    ReadContext,
    ReadError,
    ThreadSource,
    Where,
    first_line,
    list_field,
    lone_surrogates,
    sender_field,
    text_field,
    thread_key,
)
from .instagram_legacy import DIALECT as _INSTAGRAM_LEGACY
from .messenger_e2ee import DIALECT as _MESSENGER_E2EE
from .meta_dyi import DIALECT as _META_DYI
from .meta_html import DIALECT as _META_HTML

__all__ = [
    "DIALECTS", "MAX_MS", "MIN_MS", "ODD_NUMBER", "READ_ERRORS", "UNKNOWN_SENDER", "Dialect",
    "PlainMessage", "ReadContext", "ReadError", "ThreadSource", "Where", "find_threads",
    "first_line", "list_field", "lone_surrogates", "named", "read_thread", "sender_field", "text_field",
    "thread_key",
]

# Order matters: earlier dialects claim files first.
DIALECTS: tuple[Dialect, ...] = (_META_DYI, _META_HTML, _MESSENGER_E2EE, _INSTAGRAM_LEGACY)
_BY_NAME = {d.name: d for d in DIALECTS}


def named(name: str) -> Dialect:
    """The dialect a :class:`ThreadSource` names (sources cross processes by name)."""
    return _BY_NAME[name]


def find_threads(tree: DownloadTree, ctx: ReadContext) -> list[ThreadSource]:
    """Every thread of the download, from every dialect that recognises files."""
    sources: list[ThreadSource] = []
    for dialect in DIALECTS:
        for source in dialect.find_threads(tree, ctx):
            ctx.claimed.update(m.path for m in source.files)
            source.key = thread_key(source.key)
            sources.append(source)
    _say_unread(tree, sources, ctx)
    return sources


def _say_unread(tree: DownloadTree, sources: list[ThreadSource], ctx: ReadContext) -> None:
    """Warn about each file beside a conversation's files that looks as if it
    held messages but that no dialect reads: nothing that may be a
    conversation is left out in silence."""
    folders = {posix_parent(m.path) for s in sources
               if not named(s.dialect).many_threads_per_file for m in s.files}
    for member in tree:
        if member.path in ctx.claimed or not member.path.lower().endswith(".json"):
            continue
        if posix_parent(member.path) not in folders:
            continue
        try:
            with tree.open(member) as f:
                head = f.read(_PEEK_BYTES)
        except READ_ERRORS:
            continue
        if _MESSAGE_KEYS.search(head):
            ctx.warn(member.label, "names messages but is not a conversation in any form "
                     "chatkeep reads; not imported")


_PEEK_BYTES = 8192
_MESSAGE_KEYS = re.compile(rb'"(?:messages|participants|sender_name|senderName|conversation)"\s*:')


def read_thread(
    tree: DownloadTree, source: ThreadSource, info: ThreadInfo, ctx: ReadContext
) -> Iterator[Message | PlainMessage]:
    """The messages of one thread, as records."""
    return named(source.dialect).read_thread(tree, source, info, ctx)
