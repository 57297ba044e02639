"""Instagram downloads from before December 2020.

One ``messages.json`` holds every conversation::

    [{"participants": ["alice", "bob"],
      "conversation": [{"sender": "bob", "created_at": "2020-07-12T14:30:19.783799+00:00",
                        "text": "hi", "likes": [{"username": "alice", "date": "…"}]}, …]},
     …]

The file can be hundreds of MB, so it is read as one stream of ijson events:
never whole, and never a whole conversation (messages are yielded as they are
parsed, newest first as the file has them).

Because one file holds many threads, :func:`find_threads` returns one source for
the file (``key=""``, ``index=None``) and the importer reads it with
:func:`iter_conversations`, which yields, in one pass, a source per conversation
(``index`` = its position in the file) with its ThreadInfo and a lazy iterator of
its messages. Each iterator must be used before asking for the next
conversation; whatever is left of it is then skipped.

Thread keys are ``"legacy:" + ",".join(sorted(participants))``. The key must be
known before the first message is yielded, so when a conversation's
``participants`` follow its ``conversation`` list in the stream (not seen in real
files, but JSON does not order keys), the file is scanned once more, up front,
collecting only the participants of every conversation (a few names each), and
the main pass goes on with them. A key built from the senders seen instead
would need the whole conversation held before its first message could be
yielded, and would differ from the key the same conversation gets when its
participants come first.

A file that breaks in the middle raises ReadError from whichever iterator meets
the break; the conversations yielded before it were complete.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import IO, Any

import ijson
from dateutil.parser import isoparse
from ijson.common import ObjectBuilder

from ...records import Attachment, Message, Reaction, ThreadInfo
from ..jsonstream import BOM, STREAM_BUFFER, skip_bom
from ..jsonstream.guard import DepthGuard
from ..jsonstream.surrogates import SurrogateStream
from ..sources import DownloadTree, Member, posix_parent
from ..text import repair, repair_any
from .base import (
    MAX_MS,
    MIN_MS,
    READ_ERRORS,
    Conversation,
    PlainMessage,
    ReadContext,
    ReadError,
    ThreadSource,
    Where,
    attachment_kind,
    first_line,
    list_field,
    lone_surrogates,
    sender_field,
    text_field,
    thread_key,
)
from .meta import MetaDialect, has_meta_layout, may_hold_messages

NAME = "instagram_legacy"
FILE_NAME = "messages.json"
HEART = "\u2764"  # what a "like" on a message is shown as

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_ONE_MS = timedelta(milliseconds=1)
_STARTS = ("start_map", "start_array")
_ENDS = ("end_map", "end_array")
_ABSENT = object()

# (key, kind when the key says it, or None to guess from the URL's extension)
MEDIA_KEYS: tuple[tuple[str, str | None], ...] = (
    ("media_url", None), ("media", None), ("animated_media_images", "gif"),
    ("voice_media", "audio"),
)
SHARE_LINK_KEYS = ("media_share_url", "link")
SHARE_TEXT_KEYS = (
    "media_share_caption", "story_share", "profile_share_name", "profile_share_username",
)
MAPPED_KEYS = frozenset(
    {"sender", "created_at", "text", "likes", "heart", "action", "video_call_action",
     *(k for k, _ in MEDIA_KEYS), *SHARE_LINK_KEYS, *SHARE_TEXT_KEYS}
)


_PEEK_BYTES = 64 * 1024
# The start of an old Instagram messages.json: a list of conversations.
_LOOKS_LEGACY = re.compile(rb'^\s*\[\s*\{.*"(?:participants|conversation)"\s*:', re.DOTALL)


def _looks_legacy(tree: DownloadTree, member: Member) -> bool:
    """Whether a file under another name starts as a ``messages.json`` does."""
    try:
        with tree.open(member) as f:
            head = f.read(_PEEK_BYTES)
    except READ_ERRORS:
        return False
    return _LOOKS_LEGACY.match(head.removeprefix(BOM)) is not None


def find_threads(tree: DownloadTree, ctx: ReadContext) -> Iterator[ThreadSource]:
    layout = None
    for member in tree:
        if member.path in ctx.claimed:
            continue
        if member.path.rsplit("/", 1)[-1].lower() != FILE_NAME:
            # The same file under another name: the user's name for it.
            if not member.path.lower().endswith(".json"):
                continue
            if not tree.single_file:
                layout = has_meta_layout(tree) if layout is None else layout
                if not may_hold_messages(member.path, layout):
                    continue
            if not _looks_legacy(tree, member):
                continue
        if member.size == 0:
            ctx.warn(member.label, "is empty (0 bytes); skipped")
            ctx.claimed.add(member.path)  # said once: no other reader takes it
            continue
        yield ThreadSource(
            dialect=NAME, platform="instagram", key="", files=[member],
            folder=posix_parent(member.path), index=None,
        )


def read_thread(
    tree: DownloadTree, source: ThreadSource, info: ThreadInfo, ctx: ReadContext
) -> Iterator[Message]:
    """The messages of the one conversation ``source.index`` names.

    The importer uses :func:`iter_conversations`; this scans the file up to that
    conversation, for callers that hold a per-conversation source.
    """
    if source.index is None:
        raise ReadError("holds many conversations; it is read with iter_conversations")
    for sub, sub_info, messages in iter_conversations(tree, source, ctx):
        if sub.index != source.index:
            continue
        info.participants = sub_info.participants
        yield from messages
        info.title = sub_info.title
        info.extra.update(sub_info.extra)
        return
    raise ReadError(f"has no conversation {source.index}")


def iter_conversations(
    tree: DownloadTree, source: ThreadSource, ctx: ReadContext
) -> Iterator[tuple[ThreadSource, ThreadInfo, Iterator[Message]]]:
    """Yield ``(source, info, messages)`` for each conversation of the file, in
    one streaming pass. ``info`` gets the conversation's other keys while its
    messages are read.

    Raises ReadError when the file is not an Instagram ``messages.json`` or its
    JSON is broken (from this iterator or from a ``messages`` iterator).
    """
    member = source.files[0]
    if member.size == 0:
        raise ReadError("the file is empty (0 bytes)")
    with tree.open(member) as f:
        stream = _Stream(f)
        try:
            yield from _conversations(tree, member, stream, ctx)
            if stream.text.replaced:
                ctx.warn(member.label, lone_surrogates(stream.text.replaced))
        except ijson.JSONError as exc:
            raise ReadError(f"is not valid JSON ({first_line(exc)})") from None
        except UnicodeDecodeError:
            raise ReadError("is not UTF-8 text") from None


def _conversations(
    tree: DownloadTree, member: Member, stream: _Stream, ctx: ReadContext
) -> Iterator[tuple[ThreadSource, ThreadInfo, Iterator[Message]]]:
    first = stream.next_or_none()
    if first is None:
        raise ReadError("the file is empty")
    if first[1] != "start_array":
        raise ReadError("is not an Instagram messages.json (its top level is not a list)")
    prescan: list[Any] | None = None
    index = -1
    while True:
        _prefix, event, value = stream.next()
        if event == "end_array":
            return
        index += 1
        where = f"{member.label} conversation {index}"
        if event != "start_map":
            raw = stream.build(event, value)
            if index == 0:
                raise ReadError(
                    "is not an Instagram messages.json (its first item is not an object)"
                )
            ctx.warn(where, "is not an object; skipped: " + _snippet(raw))
            continue
        conv = _Conversation(stream, ThreadInfo(), member, where, ctx)
        has_list = conv.read_keys()
        if not has_list:
            if index == 0 and not conv.participants_seen:
                raise ReadError(
                    "is not an Instagram messages.json (its first item has neither "
                    "'participants' nor 'conversation')"
                )
            ctx.warn(where, "has no 'conversation' list; skipped")
            continue
        if not conv.participants_seen:
            # The participants follow the messages: fetch them with one extra
            # scan of the file (see the module's docstring).
            if prescan is None:
                prescan = _participants_by_conversation(tree, member)
            conv.take_participants(prescan[index] if index < len(prescan) else _ABSENT)
        sub = ThreadSource(
            dialect=NAME, platform="instagram", key=thread_key(conv.key(index)), files=[member],
            folder=posix_parent(member.path), index=index,
        )
        yield sub, conv.info, conv.messages()
        if stream.failed:  # the error went out through the messages iterator
            return
        conv.finish()


@dataclass
class _Stream:
    """The file's ijson events, with what a reader of a part needs."""

    f: IO[bytes]
    failed: bool = False
    warned_naive: bool = False
    events: Iterator[tuple[str, str, Any]] = field(init=False)
    text: SurrogateStream = field(init=False)

    def __post_init__(self) -> None:
        # The guard stops absurd nesting before ijson spends memory on it; lone
        # surrogates become U+FFFD before ijson (which fails on them) sees them.
        self.text = SurrogateStream(DepthGuard(skip_bom(self.f)))
        self.events = ijson.parse(self.text, use_float=True, buf_size=STREAM_BUFFER)

    def next_or_none(self) -> tuple[str, str, Any] | None:
        return next(self.events, None)

    def next(self) -> tuple[str, str, Any]:
        item = next(self.events, None)
        if item is None:
            raise ReadError("is not valid JSON (it ends too early)")
        return item

    def build(self, event: str, value: Any) -> Any:
        """The whole JSON value that starts with this event."""
        if event not in _STARTS:
            return value
        builder = ObjectBuilder()
        feed = builder.event
        feed(event, value)
        depth = 1
        for _prefix, ev, val in self.events:
            feed(ev, val)
            if ev in _STARTS:
                depth += 1
            elif ev in _ENDS:
                depth -= 1
                if depth == 0:
                    return builder.value
        raise ReadError("is not valid JSON (it ends too early)")

    def skip(self, event: str) -> None:
        """Pass over the JSON value that starts with this event."""
        if event not in _STARTS:
            return
        depth = 1
        for _prefix, ev, _val in self.events:
            if ev in _STARTS:
                depth += 1
            elif ev in _ENDS:
                depth -= 1
                if depth == 0:
                    return
        raise ReadError("is not valid JSON (it ends too early)")


class _Conversation:
    """One ``{"participants": …, "conversation": […], …}`` object being read."""

    def __init__(
        self, stream: _Stream, info: ThreadInfo, member: Member, where: str, ctx: ReadContext
    ) -> None:
        self.stream = stream
        self.info = info
        self.member = member
        self.where = where
        self.ctx = ctx
        self.participants_seen = False
        self.list_seen = False
        self.state = "keys"  # "keys" → "messages" → "keys" → "done"
        self.position = 0

    def read_keys(self) -> bool:
        """Read keys up to the start of the ``conversation`` list (True) or the
        end of the object (False)."""
        stream = self.stream
        while True:
            _prefix, event, value = stream.next()
            if event == "end_map":
                self.state = "done"
                return False
            key = value  # a map_key
            _prefix, event, value = stream.next()
            if key == "conversation" and event == "start_array" and not self.list_seen:
                self.list_seen = True
                self.state = "messages"
                return True
            raw = stream.build(event, value)
            if key == "participants":
                if not self.participants_seen:
                    self.take_participants(raw)
            elif key == "conversation" and not self.list_seen:
                self.ctx.warn(self.where, "'conversation' is not a list; kept raw")
                self.info.extra["conversation"] = repair_any(raw)
            elif key not in self.info.extra:
                self.info.extra[key] = repair_any(raw)

    def take_participants(self, raw: Any) -> None:
        self.participants_seen = True
        if raw is _ABSENT:
            return
        if not isinstance(raw, list):
            self.ctx.warn(self.where, "'participants' is not a list; kept raw")
            self.info.extra["participants"] = repair_any(raw)
            return
        names = [repair(p) for p in raw if isinstance(p, str) and p]
        if len(names) != len(raw):
            self.ctx.warn(self.where, "'participants' holds entries that are not names; kept raw")
            self.info.extra["participants"] = repair_any(raw)
        self.info.participants = names

    def key(self, index: int) -> str:
        if self.info.participants:
            return "legacy:" + ",".join(sorted(set(self.info.participants)))
        # Nothing names the conversation; its place in the file is all there is.
        self.ctx.warn(self.where, "has no participants; keyed by its position in the file")
        return f"legacy:conversation-{index}"

    def messages(self) -> Iterator[Message]:
        stream = self.stream
        try:
            while self.state == "messages":
                _prefix, event, value = stream.next()
                if event == "end_array":
                    self.state = "keys"
                    self.read_keys()  # keys after the list, e.g. late participants
                    self.ctx.file_read(self.member.label, self.position)
                    return
                raw = stream.build(event, value)
                where = Where(self.where, self.position)  # formatted only if a warning needs it
                self.position += 1
                msg = parse_message(raw, where, self.ctx, stream)
                if msg is not None:
                    yield msg
        except ijson.JSONError as exc:
            stream.failed = True
            raise ReadError(f"is not valid JSON ({first_line(exc)})") from None
        except UnicodeDecodeError:
            stream.failed = True
            raise ReadError("is not UTF-8 text") from None
        except ReadError:
            stream.failed = True
            raise

    def finish(self) -> None:
        """Skip what the caller left of the messages, and read the keys after them."""
        if self.state == "messages":
            while True:
                _prefix, event, _value = self.stream.next()
                if event == "end_array":
                    break
                self.stream.skip(event)
            self.state = "keys"
        if self.state == "keys":
            self.read_keys()


def _participants_by_conversation(tree: DownloadTree, member: Member) -> list[Any]:
    """The raw ``participants`` of every conversation in the file (``_ABSENT``
    where there are none), read in a second pass that builds nothing else.

    A break in the JSON ends the scan quietly; the main pass reports it."""
    found: list[Any] = []
    with tree.open(member) as f:
        stream = _Stream(f)
        take_next = False
        try:
            for prefix, event, value in stream.events:
                if take_next:
                    found[-1] = stream.build(event, value)
                    take_next = False
                elif prefix == "item":
                    if event == "map_key":
                        take_next = value == "participants" and found[-1] is _ABSENT
                    elif event not in _ENDS:
                        found.append(_ABSENT)  # a new conversation starts
        except (ijson.JSONError, UnicodeDecodeError, ReadError):
            pass
    return found


def _snippet(raw: Any) -> str:
    return json.dumps(raw, ensure_ascii=False, default=str)[:80]


def _time_ms(value: Any, where: object, ctx: ReadContext, stream: _Stream | None) -> int | None:
    """UTC epoch ms of an ISO 8601 time, or None. A time without an offset is
    read as UTC, with one warning per file."""
    if not isinstance(value, str):
        return None
    value = value.strip()
    try:
        # The C parser reads Instagram's own form several times faster than
        # dateutil, which takes every other ISO 8601 spelling.
        dt = datetime.fromisoformat(value)
    except ValueError:
        try:
            dt = isoparse(value)
        except (ValueError, OverflowError):
            return None
    if dt.tzinfo is None:
        if stream is None or not stream.warned_naive:
            ctx.warn(where, f"time {value!r} has no time zone; read as UTC "
                     "(reported once per file)")
            if stream is not None:
                stream.warned_naive = True
        dt = dt.replace(tzinfo=UTC)
    ms = (dt - _EPOCH) // _ONE_MS
    return ms if MIN_MS <= ms <= MAX_MS else None


def parse_message(
    raw: Any, where: object, ctx: ReadContext, stream: _Stream | None = None
) -> Message | None:
    """Turn one conversation item into a record, or None (with a warning) when
    it has no usable ``created_at``. Odd values are kept raw and warned about."""
    if not isinstance(raw, dict):
        ctx.skip(where, "is not an object; skipped: " + _snippet(raw))
        return None
    ts = _time_ms(raw.get("created_at"), where, ctx, stream)
    if ts is None:
        ctx.skip(where, "has no usable 'created_at'; skipped: " + _snippet(raw))
        return None
    extra: dict[str, Any] = {k: repair_any(v) for k, v in raw.items() if k not in MAPPED_KEYS}

    sender = sender_field(raw, "sender", extra, where, ctx)
    text = text_field(raw, "text", extra, where, ctx)
    msg = Message(sender=sender, timestamp_ms=ts, text=text or None)

    heart = raw.get("heart")
    if isinstance(heart, str) and heart and msg.text is None:
        msg.text = repair(heart)  # a message that is just a heart
    elif heart is not None:
        extra["heart"] = repair_any(heart)

    _likes(raw.get("likes"), msg, extra, where, ctx, stream)

    for key, kind in MEDIA_KEYS:
        value = raw.get(key)
        if value is None:
            continue
        urls = _urls(value)
        for url in urls:
            msg.attachments.append(
                Attachment(kind or attachment_kind(url, "photo"), url, remote=True)
            )
        if not urls or not isinstance(value, str):
            extra[key] = repair_any(value)  # no URL, or more than a URL: keep it all

    is_share = False
    for keys, attr in ((SHARE_LINK_KEYS, "share_link"), (SHARE_TEXT_KEYS, "share_text")):
        for key in keys:
            value = raw.get(key)
            if value is None:
                continue
            is_share = True
            if isinstance(value, str) and value and getattr(msg, attr) is None:
                setattr(msg, attr, repair(value))
            else:
                extra[key] = repair_any(value)

    kind = "text"
    action = raw.get("action")
    call = raw.get("video_call_action")
    for key, value, event_kind in (("action", action, "system"),
                                   ("video_call_action", call, "call")):
        if value is None:
            continue
        if isinstance(value, str) and msg.text is None:
            msg.text = repair(value)
        else:
            extra[key] = repair_any(value)
        if kind == "text":
            kind = event_kind
    if kind == "text" and msg.attachments:
        kind = "media"
    elif kind == "text" and is_share:
        kind = "share"
    msg.kind = kind
    msg.extra = extra or None
    return msg


def _likes(
    value: Any, msg: Message, extra: dict[str, Any], where: object, ctx: ReadContext,
    stream: _Stream | None,
) -> None:
    items = list_field(value, "likes", extra, where, ctx)
    if items is None:
        return
    for like in items:
        username = like.get("username") if isinstance(like, dict) else None
        if not isinstance(username, str) or not username:
            extra.setdefault("likes", []).append(repair_any(like))
            ctx.warn(where, "a like without a username; kept raw")
            continue
        date = like.get("date")
        ts = _time_ms(date, where, ctx, stream)
        if ts is None and date is not None:
            extra.setdefault("likes", []).append(repair_any(like))
            ctx.warn(where, "a like with an unreadable date; kept raw")
        msg.reactions.append(Reaction(repair(username), HEART, ts))


def _urls(value: Any) -> list[str]:
    """The web addresses a media value holds: itself, each item of a list, or
    one address from an object (its renditions are the same picture)."""
    if isinstance(value, str):
        return [value] if value.startswith(("http://", "https://")) else []
    if isinstance(value, list):
        return [url for item in value for url in _urls(item)]
    if isinstance(value, dict):
        for key in ("url", "media_url", "uri"):
            found = _urls(value.get(key))
            if found:
                return found[:1]
        for item in value.values():
            found = _urls(item)
            if found:
                return found[:1]
    return []


class InstagramLegacy(MetaDialect):
    """Instagram before December 2020: every thread in one ``messages.json``."""

    name = NAME
    many_threads_per_file = True

    def find_threads(self, tree: DownloadTree, ctx: ReadContext) -> Iterator[ThreadSource]:
        return find_threads(tree, ctx)

    def read_thread(
        self, tree: DownloadTree, source: ThreadSource, info: ThreadInfo, ctx: ReadContext,
        *, plain: bool = False,
    ) -> Iterator[Message | PlainMessage]:
        return read_thread(tree, source, info, ctx)

    def conversations(
        self, tree: DownloadTree, source: ThreadSource, ctx: ReadContext
    ) -> Iterator[Conversation]:
        return iter_conversations(tree, source, ctx)


DIALECT = InstagramLegacy()
