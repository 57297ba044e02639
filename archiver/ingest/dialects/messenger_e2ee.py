"""Messenger encrypted chats: the "Download secure storage data" export.

The download is flat: one ``<Thread name>_<N>.json`` per thread beside a shared
``media/`` folder. A thread file looks like::

    {"participants": ["Alice", "Bob"], "threadName": "Alice",
     "messages": [{"senderName": "Alice", "timestamp": 1705000000000, "type": "text",
                   "text": "hi", "isUnsent": false, "media": [], "reactions": []}]}

Strings are clean UTF-8; they still go through :func:`~archiver.ingest.text.repair`,
which leaves clean text alone. Real downloads hold many empty (zero-byte) files:
they are skipped with a warning, not rejected. The files do not promise any
order, so each thread's messages are sorted by time before they are yielded.
"""

from __future__ import annotations

import json
import re
import zipfile
import zlib
from collections.abc import Iterator
from typing import IO, Any

from ...records import FAILED_MEDIA, Attachment, Message, Reaction, ThreadInfo
from ..jsonstream import BOM, iter_object
from ..sources import DownloadTree, Member, posix_parent
from ..text import OddNumbers, repair, repair_any
from .base import (
    MAX_MS,
    MIN_MS,
    ODD_NUMBER,
    PlainMessage,
    ReadContext,
    ReadError,
    ThreadSource,
    Where,
    attachment_kind,
    json_read_errors,
    list_field,
    lone_surrogates,
    sender_field,
    text_field,
)
from .meta import PART, MetaDialect

NAME = "messenger_e2ee"

# "<Thread name>_<N>.json"; the thread name itself may end in "_<N>".
_THREAD_FILE = re.compile(r"^.+_\d+\.json$", re.IGNORECASE)
PEEK_BYTES = 16 * 1024
# Keys only this dialect uses, or Meta DYI's participants written as plain strings.
_LOOKS_E2EE = re.compile(
    rb'"(?:threadName|senderName)"\s*:|"participants"\s*:\s*\[\s*(?:"|\])'
)
KNOWN_TYPES = frozenset({"text", "media", "link", "placeholder"})
MAPPED_KEYS = frozenset(
    {"senderName", "timestamp", "text", "type", "isUnsent", "media", "reactions"}
)

def find_threads(tree: DownloadTree, ctx: ReadContext) -> Iterator[ThreadSource]:
    for member in tree:
        if member.path in ctx.claimed:
            continue
        filename = member.path.rsplit("/", 1)[-1]
        if not _THREAD_FILE.match(filename) or PART.match(filename):
            continue
        if member.size == 0:
            ctx.warn(member.label, "is empty (0 bytes); skipped")
            ctx.claimed.add(member.path)  # said once: no other reader takes it
            continue
        try:
            if not _looks_like_thread(tree, member):
                continue
        except (OSError, EOFError, zipfile.BadZipFile, zlib.error) as exc:
            # Not known to be a thread, but it may be one: say so rather than drop it.
            ctx.warn(member.label, f"cannot be read ({exc}); skipped")
            ctx.claimed.add(member.path)
            continue
        yield ThreadSource(
            dialect=NAME,
            platform="messenger",
            key=filename[: -len(".json")],
            files=[member],
            folder=posix_parent(member.path),  # media uris ("./media/x.jpeg") are relative to it
        )


def _looks_like_thread(tree: DownloadTree, member: Member) -> bool:
    with tree.open(member) as f:
        head = f.read(PEEK_BYTES)
    head = head.removeprefix(BOM).lstrip()
    return head.startswith(b"{") and _LOOKS_E2EE.search(head) is not None


def read_thread(
    tree: DownloadTree, source: ThreadSource, info: ThreadInfo, ctx: ReadContext
) -> Iterator[Message]:
    for member in source.files:
        if member.size == 0:
            raise ReadError("the file is empty (0 bytes)")
        with tree.open(member) as f:
            messages = _read_file(f, member, info, ctx)
        # The whole file was read without error before anything is yielded, so a
        # broken file never gives half a thread.
        yield from messages


def _read_file(f: IO[bytes], member: Member, info: ThreadInfo, ctx: ReadContext) -> list[Message]:
    # Order is not guaranteed, so one thread's messages are buffered and sorted.
    # Encrypted-chat files hold one thread each and stay modest (unlike old
    # Instagram's messages.json, which is streamed), so this is acceptable here.
    keyed: list[tuple[int, int, Message]] = []
    seen_types: set[str] = set()
    label = member.label
    has_messages = has_participants = False
    position = 0
    with json_read_errors():
        for key, value in iter_object(
                f, "messages", member.size,
                replaced=lambda n: ctx.warn(label, lone_surrogates(n))):
            if key == "item":
                has_messages = True
                msg = parse_message(value, Where(label, position), ctx, seen_types)
                if msg is not None:
                    keyed.append((msg.timestamp_ms, position, msg))
                position += 1
            elif key == "messages":
                raise ReadError("'messages' is not a list")
            else:
                has_participants = has_participants or key == "participants"
                _thread_key(info, key, value, label, ctx)
    if not has_messages and not has_participants:
        raise ReadError("is not an encrypted-chat thread (no 'participants' or 'messages')")
    ctx.file_read(label, position)
    keyed.sort(key=lambda k: (k[0], k[1]))  # by time; the file's order breaks ties
    return [msg for _, _, msg in keyed]


def _thread_key(info: ThreadInfo, key: str, value: Any, where: object, ctx: ReadContext) -> None:
    if key == "participants":
        if not isinstance(value, list):
            ctx.warn(where, "'participants' is not a list; kept raw")
            info.extra["participants"] = repair_any(value)
            return
        names: list[str] = []
        odd: list[Any] = []
        for p in value:
            name = p.get("name") if isinstance(p, dict) else p
            if isinstance(name, str):
                names.append(repair(name))
            else:
                odd.append(repair_any(p))
        if odd:
            ctx.warn(where, "'participants' holds entries that are not names; kept raw")
            info.extra["participants"] = odd
        if not info.participants:
            info.participants = names
    elif key == "threadName":
        # Written as it is, even when it ends in "_N" like the file name.
        if isinstance(value, str):
            info.title = repair(value)
        else:
            ctx.warn(where, "'threadName' is not text; kept raw")
            info.extra["threadName"] = repair_any(value)
    elif key not in info.extra:
        info.extra[key] = repair_any(value)


def parse_message(
    raw: Any, where: object, ctx: ReadContext, seen_types: set[str] | None = None
) -> Message | None:
    """Turn one encrypted-chat message into a record, or None (with a warning)
    when it has no usable timestamp. Odd values are kept raw and warned about.

    ``seen_types`` collects the unknown ``type`` values already warned about, so
    that a file warns once for each rather than once per message.
    """
    if not isinstance(raw, dict):
        ctx.skip(where, "is not an object; skipped")
        return None
    ts = _timestamp_ms(raw, where, ctx)
    if ts is None:
        return None
    odd_before = OddNumbers.seen
    extra: dict[str, Any] = {k: repair_any(v) for k, v in raw.items() if k not in MAPPED_KEYS}

    sender = sender_field(raw, "senderName", extra, where, ctx)
    text = text_field(raw, "text", extra, where, ctx)
    text = text or None  # media messages carry text ""

    mtype = raw.get("type")
    if mtype is not None and not (isinstance(mtype, str) and mtype in KNOWN_TYPES):
        extra["type"] = repair_any(mtype)
        label = json.dumps(mtype, ensure_ascii=False)[:40]
        if seen_types is None or label not in seen_types:
            if seen_types is not None:
                seen_types.add(label)
            ctx.warn(where, f"has an unknown message type {label}; kept raw "
                     "(reported once per file)")

    msg = Message(sender=sender, timestamp_ms=ts, text=text)

    unsent = raw.get("isUnsent")
    if unsent is not None and not isinstance(unsent, bool):
        extra["isUnsent"] = repair_any(unsent)
        ctx.warn(where, "'isUnsent' is not true or false; kept raw")
    if unsent is True or mtype == "placeholder":
        msg.unsent = True
        if msg.text is not None:  # "User unsent a message": a marker, not content
            extra["text"] = msg.text
            msg.text = None
    elif mtype == "link" and msg.text:
        # The text is the URL; it stays the text too, so that search finds it.
        msg.share_link = msg.text

    _media(raw.get("media"), msg, extra, where, ctx)
    _reactions(raw.get("reactions"), msg, extra, where, ctx)

    if msg.unsent:
        msg.kind = "unsent"
    elif msg.attachments:
        msg.kind = "media"
    elif msg.share_link is not None:
        msg.kind = "share"
    else:
        msg.kind = "text"
    msg.extra = extra or None
    if OddNumbers.seen != odd_before:
        ctx.warn(where, ODD_NUMBER)
    return msg


def _timestamp_ms(raw: dict[str, Any], where: object, ctx: ReadContext) -> int | None:
    ts = raw.get("timestamp")
    if isinstance(ts, str) and ts.strip().isdecimal():
        ctx.warn(where, "'timestamp' is text; read as a number")
        ts = int(ts.strip())
    # Within what a date can be (1e999 parses as infinity; SQLite holds 64 bits).
    if (isinstance(ts, (int, float)) and not isinstance(ts, bool)
            and MIN_MS <= ts <= MAX_MS):
        return int(ts)
    ctx.skip(where, "has no usable timestamp; skipped: " + json.dumps(raw, ensure_ascii=False)[:80])
    return None


def _media(value: Any, msg: Message, extra: dict[str, Any], where: object, ctx: ReadContext) -> None:
    items = list_field(value, "media", extra, where, ctx)
    if items is None:
        return
    keep_raw = False
    for item in items:
        uri = item.get("uri") if isinstance(item, dict) else None
        if not isinstance(uri, str) or not uri:
            extra.setdefault("media", []).append(repair_any(item))
            ctx.warn(where, "a media entry without a uri; kept raw")
            continue
        if len(item) > 1:
            keep_raw = True  # more than the uri: keep the whole entry too
        uri = repair(uri)
        if uri == FAILED_MEDIA:
            msg.attachments.append(Attachment("file", uri, missing=True))
        else:
            remote = uri.startswith(("http://", "https://"))
            msg.attachments.append(Attachment(attachment_kind(uri), uri, remote=remote))
    if keep_raw:
        extra["media"] = repair_any(value)


def _reactions(
    value: Any, msg: Message, extra: dict[str, Any], where: object, ctx: ReadContext
) -> None:
    items = list_field(value, "reactions", extra, where, ctx)
    if items is None:
        return
    keep_raw = False
    for r in items:
        if not isinstance(r, dict) or not isinstance(r.get("reaction"), str):
            extra.setdefault("reactions", []).append(repair_any(r))
            ctx.warn(where, "a reaction without an emoji; kept raw")
            continue
        actor = r.get("actor")
        if not isinstance(actor, str) or not actor:
            ctx.warn(where, "a reaction without an actor; shown as 'Unknown'")
            actor = "Unknown"
        # The format gives no reaction time; anything more than actor and emoji
        # (of unknown meaning) is kept with the raw list.
        keep_raw = keep_raw or bool(set(r) - {"actor", "reaction"})
        msg.reactions.append(Reaction(repair(actor), repair(r["reaction"])))
    if keep_raw:
        extra["reactions"] = repair_any(value)


class MessengerE2ee(MetaDialect):
    """Messenger's encrypted chats: one flat file per thread."""

    name = NAME

    def find_threads(self, tree: DownloadTree, ctx: ReadContext) -> Iterator[ThreadSource]:
        return find_threads(tree, ctx)

    def read_thread(
        self, tree: DownloadTree, source: ThreadSource, info: ThreadInfo, ctx: ReadContext,
        *, plain: bool = False,
    ) -> Iterator[Message | PlainMessage]:
        return read_thread(tree, source, info, ctx)


DIALECT = MessengerE2ee()
