"""Meta "Download your information" JSON: Facebook and Instagram since 2020,
and the 2018 Facebook ``message.json``.

A thread is a folder ``<title>_<id>`` holding ``message_1.json`` (newest) …
``message_N.json`` (oldest), each with messages newest first. Every string is
mojibake and is repaired here.
"""

from __future__ import annotations

import json
import re
import zipfile
import zlib
from collections.abc import Iterator
from typing import Any

from ...notices import is_event
from ...records import Attachment, Message, Reaction, ThreadInfo
from ..jsonstream import WHOLE_LIST, iter_object
from ..jsonstream.surrogates import replace_lone_surrogates
from ..sources import DownloadTree, Member
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
    json_read_errors,
    list_field,
    lone_surrogates,
    sender_field,
    text_field,
)
from .meta import (
    PART,
    SECTIONS,
    MetaDialect,
    choose_platforms,
    download_root,
    has_meta_layout,
    may_hold_messages,
    section_of,
)

NAME = "meta_dyi"

HTML_PART = (
    "is a part of its thread in HTML format beside the thread's JSON parts; the JSON "
    "parts were imported without it (import the HTML download by itself to add it)"
)
# "…/messages/inbox/alice_123/…": the thread folder of a file.
_THREAD_FOLDER = re.compile(rf"^((?:.*/)?messages/(?:{'|'.join(SECTIONS)})/[^/]+)/")
MEDIA_KEYS = {
    "photos": "photo", "videos": "video", "audio_files": "audio", "files": "file", "gifs": "gif",
}
# Keys turned into columns; everything else on a message is kept raw.
MAPPED_KEYS = frozenset(
    {"sender_name", "timestamp_ms", "timestamp", "content", "reactions", "share",
     "call_duration", "missed", "is_unsent", "sticker", "type", *MEDIA_KEYS}
)


def find_threads(tree: DownloadTree, ctx: ReadContext) -> Iterator[ThreadSource]:
    folders: dict[str, list[tuple[int, Member]]] = {}
    html: dict[str, list[tuple[int, Member]]] = {}
    thread_folders: dict[str, list[Member]] = {}  # every folder under a section
    renamed: list[Member] = []  # thread files not named like a part
    layout = has_meta_layout(tree)
    for member in tree:
        folder, _, filename = member.path.rpartition("/")
        if "messages/" in folder and (t := _THREAD_FOLDER.match(member.path)):
            thread_folders.setdefault(t.group(1), []).append(member)
        if filename.lower() == "messages.json":
            # Instagram's pre-2021 file (a list, read by instagram_legacy), or a
            # Facebook-shaped thread file that happens to bear that name.
            if _looks_like_thread(tree, member):
                folders.setdefault(folder, []).append((0, member))
            continue
        m = PART.match(filename)
        if m is None:
            # A thread file under another name (the user's own, or one the
            # user named directly): read if its first bytes are a thread's.
            if ((tree.single_file or may_hold_messages(member.path, layout))
                    and _looks_like_thread(tree, member)):
                renamed.append(member)
            continue
        if m.group(2).lower() == "html":
            html.setdefault(folder, []).append((int(m.group(1) or 0), member))
            continue
        folders.setdefault(folder, []).append((int(m.group(1) or 0), member))
    for folder, html_files in html.items():
        if folder not in folders:
            continue  # an HTML thread: meta_html reads it
        json_parts = {n for n, _ in folders[folder]}
        for n, member in html_files:
            ctx.claimed.add(member.path)
            if n in json_parts:
                ctx.warn(member.label, "an HTML copy beside the JSON thread; the JSON is used")
            else:  # a part only in HTML beside JSON parts: one thread is one format
                ctx.rejected.append((member.label, HTML_PART))
    for folder in sorted(thread_folders.keys() - folders.keys() - html.keys()):
        files = thread_folders[folder]
        if any(m in renamed for m in files):
            continue
        where = (f"{files[0].origin} (folder {folder})" if files[0].zip_name
                 else files[0].origin / folder)
        ctx.warn(where, f"a thread folder with no message file (is a part of the download "
                 f"missing?); its {len(files):,} file(s) were not imported")
    found: list[tuple[str, list[Member], str | None, str]] = []  # folder, files, section, key
    for folder in sorted(folders):
        parts = sorted(folders[folder], key=lambda p: p[0])
        files = [member for _, member in parts]
        section = section_of(folder)
        if section is not None:
            found.append((folder, files, section, folder.rsplit("/", 1)[-1]))
        else:
            # Not where Meta puts threads (loose part files, a renamed or bare
            # thread folder): each file says which thread it belongs to.
            found.extend(_loose_threads(tree, folder, files, ctx))
    for member in renamed:
        folder, _, filename = member.path.rpartition("/")
        declared = _declared_path(tree, [member])
        section, key = declared if declared else (None, filename.rsplit(".", 1)[0])
        found.append((folder, [member], section, key))
    platforms = choose_platforms(tree, [(folder, files) for folder, files, _s, _k in found], ctx)
    for (folder, files, section, key), (platform, guessed) in zip(found, platforms, strict=True):
        yield ThreadSource(
            dialect=NAME, platform=platform, key=key or tree.name, section=section,
            files=files, folder=folder, platform_guessed=guessed,
        )


def _loose_threads(
    tree: DownloadTree, folder: str, files: list[Member], ctx: ReadContext
) -> list[tuple[str, list[Member], str | None, str]]:
    """The threads of a folder outside Meta's layout: each file goes to the
    thread its ``thread_path`` names; a file that names none goes with the
    others (or, when they name several, to a thread named after the folder)."""
    groups: dict[tuple[str | None, str], list[Member]] = {}
    undeclared: list[Member] = []
    for member in files:
        declared = _declared_path(tree, [member])
        if declared is None:
            undeclared.append(member)
        else:
            groups.setdefault(declared, []).append(member)
    own = (None, folder.rsplit("/", 1)[-1])
    if len(groups) <= 1:
        section, key = next(iter(groups), own)
        return [(folder, files, section, key)]
    if undeclared:
        groups.setdefault(own, []).extend(undeclared)
    where = (f"{files[0].origin} (folder {folder})" if files[0].zip_name
             else files[0].origin / folder if folder else files[0].origin)
    named = "; ".join(
        f"{'/'.join(p for p in key if p)} in {', '.join(m.path.rsplit('/', 1)[-1] for m in ms)}"
        for key, ms in groups.items())
    ctx.warn(where, f"its files belong to {len(groups)} different conversations ({named}); "
             "each file was imported into its own conversation")
    return [(folder, members, section, key) for (section, key), members in groups.items()]


# "thread_path": "inbox/name_123" (2020+) or "inbox/Name_abc" (2018).
_THREAD_PATH = re.compile(rb'"thread_path"\s*:\s*"((?:[^"\\]|\\.){1,1000})"')
_TAIL_BYTES = 64 * 1024


def _declared_path(tree: DownloadTree, files: list[Member]) -> tuple[str | None, str] | None:
    """(section, key) from the ``thread_path`` a thread's file declares, or None.

    Meta writes it after the messages, so the end of the file is read (a zip
    member is read through; this happens only for threads found outside
    Meta's folder layout).
    """
    for member in files:
        try:
            with tree.open(member) as f:
                head = f.read(8192)
                found = _THREAD_PATH.search(head)
                if found is None and member.size > len(head):
                    if member.zip_name is None:
                        f.seek(max(len(head), member.size - _TAIL_BYTES))
                        tail = f.read()
                    else:
                        tail = head
                        while chunk := f.read(1 << 20):
                            tail = (tail + chunk)[-_TAIL_BYTES:]
                    found = _THREAD_PATH.search(tail)
        except (OSError, EOFError, ValueError, zipfile.BadZipFile, zlib.error):
            continue  # reading the thread will report it
        if found is None:
            continue
        try:
            path = repair(json.loads(b'"' + replace_lone_surrogates(found.group(1))[0] + b'"'))
        except ValueError:
            continue
        if not isinstance(path, str):
            continue
        head_part, _, key = path.strip().strip("/").rpartition("/")
        if key:
            section = head_part.rsplit("/", 1)[-1]
            return (section if section in SECTIONS else None), key
    return None


def _looks_like_thread(tree: DownloadTree, member: Member) -> bool:
    if not member.path.lower().endswith(".json"):
        return False
    try:
        with tree.open(member) as f:
            head = f.read(8192)
    except OSError:
        return False
    if not head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{"):
        return False
    return b'"sender_name"' in head or (b'"participants"' in head and b'"threadName"' not in head)


def read_thread(
    tree: DownloadTree, source: ThreadSource, info: ThreadInfo, ctx: ReadContext,
    *, plain: bool = False,
) -> Iterator[Message | PlainMessage]:
    """The thread's messages, oldest first. With ``plain``, a plain text
    message comes as a :data:`PlainMessage` tuple instead of a record (the
    import's fast path: most messages are plain)."""
    # Oldest first: the last part holds the oldest messages, and each file runs
    # newest first, so parts are read backwards and each file's list reversed
    # (a part is at most 10,000 messages, buffered anyway). Messages then arrive
    # in time order and can be numbered as they are written.
    for member in reversed(source.files):
        label = ctx.current = member.label
        if member.size == 0:
            raise ReadError("the file is empty (0 bytes)")
        has_messages = False
        has_participants = False
        position = entries = 0
        with tree.open(member) as f, json_read_errors():
            for key, value in iter_object(
                    f, "messages", member.size, whole_list=True,
                    replaced=lambda n, label=label: ctx.warn(label, lone_surrogates(n))):
                if key == WHOLE_LIST:  # a buffered part: read it backwards, in place
                    has_messages = has_messages or bool(value)
                    entries = len(value)
                    for position in range(len(value) - 1, -1, -1):
                        raw = value[position]
                        if plain and (row := plain_message(raw)) is not None:
                            yield row
                            continue
                        msg = (_general_message if plain else parse_message)(
                            raw, Where(label, position), ctx)
                        if msg is not None:
                            yield msg
                elif key == "item":
                    has_messages = True
                    msg = parse_message(value, Where(label, position), ctx)
                    position += 1
                    entries = position
                    if msg is not None:
                        yield msg
                elif key == "messages":
                    raise ReadError("'messages' is not a list")
                else:
                    if key == "participants":
                        has_participants = True
                    _thread_key(info, key, value, label, ctx)
        if not has_messages and not has_participants:
            raise ReadError("is not a message thread (no 'participants' or 'messages')")
        ctx.file_read(label, entries)


def _thread_key(info: ThreadInfo, key: str, value: Any, where: str, ctx: ReadContext) -> None:
    if key == "participants":
        if not isinstance(value, list):
            ctx.warn(where, "'participants' is not a list; ignored")
            return
        names = []
        for p in value:
            name = p.get("name") if isinstance(p, dict) else p
            if isinstance(name, str):
                names.append(repair(name))
        if not info.participants:
            info.participants = names
    elif key == "title":
        if isinstance(value, str) and info.title is None:
            info.title = repair(value)
    elif key == "image":
        if isinstance(value, dict) and isinstance(value.get("uri"), str):
            info.image_uri = repair(value["uri"])
    elif key not in info.extra:
        info.extra[key] = repair_any(value)


# Flags of 2024+ downloads whose usual value (false) says nothing.
_QUIET_WHEN_FALSE = frozenset(
    {"is_geoblocked_for_viewer", "is_unsent_image_by_messenger_kid_parent", "is_taken_down"}
)


# Keys of a plain text message; such messages take the short path below.
_PLAIN_KEYS = frozenset(
    {"sender_name", "timestamp_ms", "content", "type", "is_geoblocked_for_viewer",
     "is_unsent_image_by_messenger_kid_parent"}
)


# Names and reactions as repaired: a thread repeats a few of each on every
# message.
_REPAIRED: dict[str, str] = {}


def _repeated(text: str) -> str:
    """:func:`repair` of a text that recurs (a name, an emoji)."""
    repaired = _REPAIRED.get(text)
    if repaired is None:
        if len(_REPAIRED) >= 4096:  # bounded, however many names a download holds
            _REPAIRED.clear()
        repaired = _REPAIRED[text] = repair(text)
    return repaired


def plain_message(raw: Any) -> PlainMessage | None:
    """``(sender, timestamp_ms, kind, text, edited)`` of a plain text message,
    the commonest kind by far, mapped without the general checks and without
    building a record; None for any other message."""
    if type(raw) is not dict or not raw.keys() <= _PLAIN_KEYS:
        return None
    get = raw.get
    sender = get("sender_name")
    ts = get("timestamp_ms")
    text = get("content")
    if (type(sender) is str and sender and type(ts) is int and MIN_MS <= ts <= MAX_MS
            and (text is None or type(text) is str)
            and get("type") in (None, "Generic")
            and get("is_geoblocked_for_viewer", False) is False
            and get("is_unsent_image_by_messenger_kid_parent", False) is False):
        if text is not None and not text.isascii():
            text = repair(text)
        if not sender.isascii():
            sender = _repeated(sender)
        if text and text.endswith("(edited)") and len(text) > 8:
            return sender, ts, "text", text[:-8].rstrip(), True
        return sender, ts, "system" if text and is_event(text) else "text", text, False
    return None


# A plain text message with reactions: the next commonest, also mapped
# without the general checks.
_REACTED_KEYS = _PLAIN_KEYS | {"reactions"}
_REACTION_KEYS = frozenset({"reaction", "actor", "timestamp"})


def _reacted_message(raw: dict[str, Any]) -> Message | None:
    """What :func:`_general_message` makes of a plain text message with
    well-formed reactions; None for anything else."""
    reactions = raw["reactions"]
    if type(reactions) is not list or not reactions:
        return None
    mapped = []
    for r in reactions:
        if type(r) is not dict or not r.keys() <= _REACTION_KEYS:
            return None
        actor = r.get("actor")
        reaction = r.get("reaction")
        rts = r.get("timestamp")
        if type(actor) is not str or type(reaction) is not str or not (
                rts is None or (type(rts) is int and MIN_MS <= rts * 1000 <= MAX_MS)):
            return None
        mapped.append(Reaction(_repeated(actor), _repeated(reaction),
                               None if rts is None else rts * 1000))
    plain = plain_message({k: v for k, v in raw.items() if k != "reactions"})
    if plain is None:
        return None
    sender, ts, kind, text, edited = plain
    return Message(sender, ts, kind, text, edited=edited, reactions=mapped)


def parse_message(raw: Any, where: Where | str, ctx: ReadContext) -> Message | None:
    """Turn one message object into a record, or None (with a warning) when it
    has no usable timestamp. Odd values are kept raw and warned about."""
    plain = plain_message(raw)
    if plain is not None:
        sender, ts, kind, text, edited = plain
        return Message(sender, ts, kind, text, edited=edited)
    return _general_message(raw, where, ctx)


def _general_message(raw: Any, where: Where | str, ctx: ReadContext) -> Message | None:
    """:func:`parse_message` of a message that is not plain text."""
    if type(raw) is dict and "reactions" in raw and raw.keys() <= _REACTED_KEYS:
        msg = _reacted_message(raw)
        if msg is not None:
            return msg
    if not isinstance(raw, dict):
        ctx.skip(where, "is not an object; skipped")
        return None
    ts = _timestamp_ms(raw, where, ctx)
    if ts is None:
        return None
    odd_before = OddNumbers.seen
    extra: dict[str, Any] = {
        k: repair_any(v) for k, v in raw.items()
        if k not in MAPPED_KEYS and not (v is False and k in _QUIET_WHEN_FALSE)
    }

    sender = raw.get("sender_name")
    if type(sender) is str and sender.strip():
        sender = _repeated(sender)
    else:
        sender = sender_field(raw, "sender_name", extra, where, ctx)
    text = text_field(raw, "content", extra, where, ctx)
    msg = Message(sender=sender, timestamp_ms=ts, text=text)

    for key, kind in MEDIA_KEYS.items():
        if key not in raw:
            continue
        items = list_field(raw[key], key, extra, where, ctx)
        if items is None:
            continue
        for item in items:
            uri = item.get("uri") if isinstance(item, dict) else None
            if isinstance(uri, str) and uri:
                msg.attachments.append(_attachment(kind, uri))
            else:
                extra.setdefault(key, []).append(repair_any(item))
                ctx.warn(where, f"an entry of '{key}' without a uri; kept raw")
    sticker = raw.get("sticker")
    if isinstance(sticker, dict) and isinstance(sticker.get("uri"), str):
        msg.attachments.append(_attachment("sticker", sticker["uri"]))
        rest = {k: v for k, v in sticker.items() if k != "uri"}
        if rest:
            extra["sticker"] = repair_any(rest)
    elif sticker is not None:
        extra["sticker"] = repair_any(sticker)
        ctx.warn(where, "'sticker' has no uri; kept raw")

    share = raw.get("share")
    if isinstance(share, dict):
        link = share.get("link")
        stext = share.get("share_text")
        msg.share_link = repair(link) if isinstance(link, str) else None
        msg.share_text = repair(stext) if isinstance(stext, str) else None
        rest = {k: v for k, v in share.items() if k not in ("link", "share_text")}
        if rest:
            extra["share"] = repair_any(rest)
    elif share is not None:
        extra["share"] = repair_any(share)
        ctx.warn(where, "'share' is not an object; kept raw")

    for r in list_field(raw.get("reactions"), "reactions", extra, where, ctx) or ():
        if not isinstance(r, dict) or not isinstance(r.get("reaction"), str):
            extra.setdefault("reactions", []).append(repair_any(r))
            ctx.warn(where, "a reaction without an emoji; kept raw")
            continue
        actor = r.get("actor")
        if not isinstance(actor, str):
            ctx.warn(where, "a reaction without an actor; shown as 'Unknown'")
            actor = "Unknown"
        rts = r.get("timestamp")
        msg.reactions.append(
            Reaction(_repeated(actor), _repeated(r["reaction"]),
                     int(rts * 1000) if _usable_ms(rts, 1000) else None)
        )

    call = raw.get("call_duration")
    mtype = raw.get("type")
    seconds = _usable_ms(call, 1000) and call >= 0  # a number of seconds a time can hold
    if seconds or mtype == "Call":
        msg.call_seconds = int(call) if seconds else 0
        missed = raw.get("missed")
        msg.call_missed = bool(missed) if missed is not None else msg.call_seconds == 0
    if call is not None and not seconds:
        extra["call_duration"] = repair_any(call)
        ctx.warn(where, "'call_duration' is not a number of seconds; kept raw")
    if raw.get("missed") is not None and msg.call_seconds is None:
        extra["missed"] = repair_any(raw["missed"])
    if isinstance(mtype, str) and mtype not in ("Generic", "Share", "Call"):
        extra["type"] = mtype

    unsent = raw.get("is_unsent")
    if unsent is not None and not isinstance(unsent, bool):
        extra["is_unsent"] = repair_any(unsent)
        ctx.warn(where, "'is_unsent' is not true or false; kept raw")
    msg.unsent = unsent is True

    if msg.text and msg.text.endswith("(edited)") and len(msg.text) > len("(edited)"):
        msg.text = msg.text[: -len("(edited)")].rstrip()
        msg.edited = True

    msg.kind = _kind(msg, mtype, "users" in raw, isinstance(share, dict))
    msg.extra = extra or None
    if OddNumbers.seen != odd_before:
        ctx.warn(where, ODD_NUMBER)
    return msg


def _attachment(kind: str, uri: str) -> Attachment:
    uri = repair(uri)
    return Attachment(kind, uri, remote=uri.startswith(("http://", "https://")))


def _timestamp_ms(raw: dict[str, Any], where: Where | str, ctx: ReadContext) -> int | None:
    ts = raw.get("timestamp_ms")
    if isinstance(ts, str) and ts.strip().isdecimal():
        ctx.warn(where, "'timestamp_ms' is text; read as a number")
        ts = int(ts.strip())
    if _usable_ms(ts):
        return int(ts)
    legacy = raw.get("timestamp")  # spring 2018: seconds
    if _usable_ms(legacy, 1000):
        return int(legacy * 1000)
    ctx.skip(where, "has no usable timestamp; skipped: " + json.dumps(raw, ensure_ascii=False)[:80])
    return None


def _usable_ms(value: Any, scale: int = 1) -> bool:
    """A number that is a time the archive can show (NaN and infinities are not)."""
    return (isinstance(value, (int, float)) and not isinstance(value, bool)
            and MIN_MS <= value * scale <= MAX_MS)


def _kind(msg: Message, mtype: Any, has_users: bool, has_share: bool) -> str:
    if msg.unsent:
        return "unsent"
    if msg.call_seconds is not None:
        return "call"
    if any(a.kind == "sticker" for a in msg.attachments):
        return "sticker"
    if msg.attachments:
        return "media"
    if has_share:
        return "share"
    if mtype in ("Subscribe", "Unsubscribe") or has_users:
        return "system"
    if msg.text and is_event(msg.text):
        return "system"
    return "text"


class MetaDyi(MetaDialect):
    """Meta's JSON download: a folder per thread, its fast path for plain
    text; loose thread files outside Meta's layout are one download."""

    name = NAME

    def find_threads(self, tree: DownloadTree, ctx: ReadContext) -> Iterator[ThreadSource]:
        return find_threads(tree, ctx)

    def read_thread(
        self, tree: DownloadTree, source: ThreadSource, info: ThreadInfo, ctx: ReadContext,
        *, plain: bool = False,
    ) -> Iterator[Message | PlainMessage]:
        return read_thread(tree, source, info, ctx, plain=plain)

    def download_of(self, source: ThreadSource) -> str:
        root = download_root(source.folder)
        return "" if root is None else root


DIALECT = MetaDyi()
