"""Reading the archive: conversations and their messages.

The CLI, the reader and the Markdown export all read through these functions,
so that a conversation looks the same everywhere.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..notices import names_actor, reaction_notice
from ..records import FAILED_MEDIA
from ..safefs import NotAFile
from ..store.database import Database
from ..store.media import OUTSIDE_ARCHIVE, OutsideArchive, locate_media
from ..timefmt import iso
from .names import ThreadNotFound


def _owner_aliases(db: Any) -> dict[str, str]:
    # Imported here: cross-app linking is a large module that reading commands
    # need only for this (start-up time, see benchmarks/bench_startup.py).
    from ..store.crossapp import owner_aliases

    return owner_aliases(db)


@contextlib.contextmanager
def snapshot(db: Any) -> Iterator[None]:
    """Read the archive as one snapshot: every query inside sees it as it was
    at the first, whatever an import commits meanwhile (SQLite's read
    transaction; WAL lets the import go on). Nested uses are one snapshot."""
    conn = getattr(db, "conn", db)
    if conn.in_transaction:
        yield
        return
    conn.execute("BEGIN")
    try:
        yield
    finally:
        if conn.in_transaction:
            conn.execute("ROLLBACK")  # nothing was written: ending the read is all


PRECISION_NAMES = {None: "millisecond", 1000: "second", 60_000: "minute"}


@dataclass
class Part:
    platform: str
    download: str
    section: str | None
    title: str | None
    messages: int

    def as_json(self) -> dict[str, Any]:
        return {
            "platform": self.platform, "download": self.download, "section": self.section,
            "title": self.title, "messages": self.messages,
        }


@dataclass
class Conversation:
    id: int
    title: str
    platforms: list[str]
    participants: list[str]
    messages: int
    first_ms: int | None
    last_ms: int | None
    cross_app: bool
    frozen: bool
    parts: list[Part] = field(default_factory=list)
    # The precision of the first and last messages' times (see iso()), where
    # the archive holds messages read from HTML pages.
    first_precision: int | None = None
    last_precision: int | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id, "title": self.title, "platforms": self.platforms,
            "participants": self.participants, "messages": self.messages,
            "first": iso(self.first_ms, self.first_precision),
            "last": iso(self.last_ms, self.last_precision),
            "cross_app": self.cross_app, "frozen": self.frozen,
            "parts": [p.as_json() for p in self.parts],
        }


# Why an attachment has no file in the archive, in words a user can act on.
REMOTE = "a remote link, never a file in the download"
FAILED_DOWNLOAD = 'the download says "Failed to download media"'
NOT_IN_DOWNLOAD = "not in the download"
NOT_COPIED = "not copied (imported with --no-media)"
GONE = "no longer in the archive folder (chatkeep check lists such files)"


@dataclass
class Attachment:
    kind: str
    name: str | None  # the original file name, as the download gave it
    path: str | None  # archived copy (relative to the archive folder) or source
    missing: bool  # the download did not hold the file
    uri: str | None = None
    remote: bool = False
    size: int | None = None
    file: str | None = None  # absolute path of the archived copy, when it is there
    reason: str | None = None  # why there is no file, when there is none

    def as_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind, "name": self.name, "path": self.path, "file": self.file,
            "missing": self.missing, "missing_reason": self.reason, "size": self.size,
        }

    @property
    def label(self) -> str:
        """The name to show: the original file name, else what the download said."""
        return self.name or (self.uri or "").rsplit("/", 1)[-1] or self.kind


@dataclass
class MessageView:
    id: int
    position: int
    sender: str
    timestamp_ms: int
    platform: str
    kind: str
    text: str | None
    unsent: bool
    edited: bool
    share_link: str | None
    share_text: str | None
    call_seconds: int | None
    call_missed: bool | None
    reactions: list[tuple[str, str]] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)
    # A reaction notice ("Ana reacted 😢 to your message") whose reaction an
    # earlier message already shows: readers and exports leave it out.
    folded: bool = False
    # How much of the time the download gave (None: to the millisecond; see
    # iso()), and the format it was read from (None: JSON).
    time_precision: int | None = None
    format: str | None = None
    # Sent by the owner of the download it came from (shown as "(you)").
    mine: bool = False

    @property
    def body_text(self) -> str | None:
        """The text to show: none when it only repeats the share's link (Meta
        writes a shared link as the text too), which the share shows once."""
        if self.text and self.share_link and self.text.strip() == self.share_link.strip():
            return None
        return self.text

    @property
    def share_caption(self) -> str | None:
        """The share's text to show beside its link, unless it is the link."""
        text = self.share_text
        if text and self.share_link and text.strip() == self.share_link.strip():
            return None
        return text

    @property
    def actor(self) -> str | None:
        """Who did an event (a system message): the person a reaction notice
        names (its sender when it names them by first name only), else its
        sender; None for any other message."""
        if self.kind != "system":
            return None
        notice = reaction_notice(self.text)
        return notice.actor(self.sender) if notice is not None else self.sender

    def as_json(self) -> dict[str, Any]:
        share = None
        if self.kind == "share" or self.share_link or self.share_text:
            share = {"link": self.share_link, "text": self.share_text}
        call = None
        if self.call_seconds is not None:
            call = {"seconds": self.call_seconds, "missed": bool(self.call_missed)}
        return {
            "id": self.id, "sender": self.sender,
            "time": iso(self.timestamp_ms, self.time_precision),
            "time_precision": PRECISION_NAMES.get(self.time_precision, "millisecond"),
            "format": self.format or "json",
            "platform": self.platform, "kind": self.kind, "text": self.text,
            "unsent": self.unsent, "edited": self.edited,
            "reactions": [{"actor": a, "reaction": r} for a, r in self.reactions],
            "attachments": [a.as_json() for a in self.attachments],
            "share": share, "call": call, "actor": self.actor, "you": self.mine,
        }


_CONVERSATION_COLUMNS = (
    "c.id, c.title, c.platforms, c.message_count, c.first_ms, c.last_ms, c.cross_app, c.frozen"
)


def list_conversations(
    db: Database, *, with_parts: bool = True, names: int | None = None
) -> list[Conversation]:
    """Every conversation, most recent first, with its participants by name.

    ``names`` bounds how many participants each conversation lists (the first
    by name, as the full list begins): the reader's list needs a few, and a
    download may list a million. ``None`` lists every one (``threads --json``);
    ``0`` reads none."""
    rows = db.execute(
        f"SELECT {_CONVERSATION_COLUMNS} FROM conversations c WHERE c.message_count > 0 "
        "ORDER BY c.last_ms DESC, c.title, c.platforms, c.id"
    ).fetchall()
    convs = [_conversation(row) for row in rows]
    if with_parts and convs:
        _edge_precisions(db, convs)
        by_id = {c.id: c for c in convs}
        if names != 0:
            _add_participants(db, by_id, names)
        for cid, part in _parts(db, None):
            if cid in by_id:
                by_id[cid].parts.append(part)
    return convs


def _add_participants(
    db: Database, by_id: dict[int, Conversation], limit: int | None,
    only: int | None = None,
) -> None:
    """Fill in the participants of the conversations in ``by_id`` (read for
    conversation ``only`` when given), by name, at most ``limit`` each (None: all)."""
    aliases = _owner_aliases(db)
    where = "WHERE t.conversation_id = ?" if only is not None else ""
    params = (only,) if only is not None else ()
    if limit is None:
        pairs: Iterable[tuple[int, str]] = db.execute(
            "SELECT DISTINCT t.conversation_id, p.name FROM participants p "
            f"JOIN threads t ON t.id = p.thread_id {where} ORDER BY t.conversation_id, p.name",
            params,
        )
    else:
        # The first ``limit`` names of each thread, read from the (thread_id,
        # name) index: a conversation's first ``limit`` are among its threads'.
        first: dict[int, set[str]] = {}
        for cid, listed in db.execute(
            "SELECT t.conversation_id, (SELECT json_group_array(name) FROM ("
            "SELECT p.name FROM participants p WHERE p.thread_id = t.id "
            f"ORDER BY p.name LIMIT ?)) FROM threads t {where}", (limit, *params)
        ):
            first.setdefault(cid, set()).update(json.loads(listed))
        pairs = ((cid, name) for cid, listed in first.items()
                 for name in sorted(listed)[:limit])
    # A set per conversation: a download may list a million participants.
    seen: dict[int, set[str]] = {cid: set() for cid in by_id}
    for cid, name in pairs:
        name = aliases.get(name, name)
        if cid in by_id and name not in seen[cid]:
            seen[cid].add(name)
            by_id[cid].participants.append(name)


def get_conversation(
    db: Database, cid: int, *, names: int | None = None
) -> Conversation:
    """Conversation ``cid``, with at most ``names`` participants (None: all;
    see :func:`list_conversations`)."""
    row = db.execute(
        f"SELECT {_CONVERSATION_COLUMNS} FROM conversations c WHERE c.id = ?", (cid,)
    ).fetchone()
    if row is None:
        raise ThreadNotFound(f"no conversation with id {cid}")
    conv = _conversation(row)
    _edge_precisions(db, [conv])
    _add_participants(db, {cid: conv}, names, only=cid)
    conv.parts = [part for _, part in _parts(db, cid)]
    return conv


def _edge_precisions(db: Database, convs: list[Conversation]) -> None:
    """The precision of each conversation's first and last times, so that
    they show no seconds a page did not give (two index look-ups each, and
    none at all in an archive without HTML downloads)."""
    if not db.execute(
        "SELECT EXISTS (SELECT 1 FROM downloads WHERE time_offset IS NOT NULL)"
    ).fetchone()[0]:
        return
    for conv in convs:
        conv.first_precision, conv.last_precision = db.execute(
            "SELECT (SELECT time_precision FROM messages WHERE conversation_id = ?1 "
            "AND position = 0), (SELECT time_precision FROM messages WHERE "
            "conversation_id = ?1 AND position = ?2)", (conv.id, conv.messages - 1),
        ).fetchone()


def _conversation(row: tuple[Any, ...]) -> Conversation:
    cid, title, platforms, count, first, last, cross_app, frozen = row
    return Conversation(
        id=cid, title=title or f"Conversation {cid}",
        platforms=[p for p in (platforms or "").split(",") if p], participants=[],
        messages=count or 0, first_ms=first, last_ms=last,
        cross_app=bool(cross_app), frozen=bool(frozen),
    )


def _parts(db: Database, cid: int | None) -> Iterator[tuple[int, Part]]:
    where = "WHERE t.conversation_id = ?" if cid is not None else ""
    params = (cid,) if cid is not None else ()
    for row in db.execute(
        "SELECT t.conversation_id, t.platform, d.name, tp.section, tp.title, tp.messages "
        "FROM thread_parts tp JOIN threads t ON t.id = tp.thread_id "
        f"JOIN downloads d ON d.id = tp.download_id {where} "
        "ORDER BY t.conversation_id, t.platform, d.name, t.id",
        params,
    ):
        yield row[0], Part(row[1], row[2], row[3], row[4], row[5])


_MESSAGE_COLUMNS = (
    "m.id, m.position, m.sender, m.timestamp_ms, t.platform, m.kind, m.text, m.unsent, "
    "m.edited, m.share_link, m.share_text, m.call_seconds, m.call_missed, m.time_precision, "
    "m.format, m.thread_id"
)


def messages_between(
    db: Database, cid: int, first: int, last: int
) -> list[MessageView]:
    """Messages whose position is in [first, last], oldest first, with their
    reactions and attachments."""
    rows = db.execute(
        f"SELECT {_MESSAGE_COLUMNS} FROM messages m JOIN threads t ON t.id = m.thread_id "
        "WHERE m.conversation_id = ? AND m.position BETWEEN ? AND ? ORDER BY m.position",
        (cid, first, last),
    ).fetchall()
    aliases = _owner_aliases(db)
    views = [
        MessageView(
            id=r[0], position=r[1], sender=aliases.get(r[2], r[2]), timestamp_ms=r[3],
            platform=r[4], kind=r[5], text=r[6], unsent=bool(r[7]), edited=bool(r[8]), share_link=r[9], share_text=r[10],
            call_seconds=r[11], call_missed=None if r[12] is None else bool(r[12]),
            time_precision=r[13], format=r[14],
        )
        for r in rows
    ]
    if not views:
        return views
    by_id = {v.id: v for v in views}
    ids = list(by_id)
    marks = ",".join("?" * len(ids))
    _mark_mine(db, cid, views, [r[15] for r in rows], ids, aliases)
    # Reactions of a message seen in two apps' downloads live on whichever copy
    # held them: its own first, then its duplicates' (each query by an index).
    own = db.execute(
        "SELECT message_id, actor, reaction FROM reactions "
        f"WHERE message_id IN ({marks}) ORDER BY rowid",
        ids,
    ).fetchall()
    copies = db.execute(
        "SELECT m.duplicate_of, r.actor, r.reaction FROM messages m "
        "JOIN reactions r ON r.message_id = m.id "
        "WHERE m.conversation_id = ? AND m.position IS NULL "
        f"AND m.duplicate_of IN ({marks}) ORDER BY r.rowid",
        [cid, *ids],
    ).fetchall()
    # A set per message: one message may carry a million reactions.
    seen: dict[int, set[tuple[str, str]]] = {}
    for target, actor, reaction in own + copies:
        pair = (aliases.get(actor, actor), reaction)
        pairs = seen.setdefault(target, set())
        if pair not in pairs:
            pairs.add(pair)
            by_id[target].reactions.append(pair)
    folder = archive_folder(db)
    for mid, kind, name, uri, present, remote, media_path, size in db.execute(
        "SELECT message_id, kind, name, uri, present, remote, media_path, size "
        f"FROM attachments WHERE message_id IN ({marks}) ORDER BY id",
        ids,
    ):
        by_id[mid].attachments.append(
            attachment(folder, kind, name, uri, bool(present), bool(remote), media_path, size)
        )
    _fold_notices(db, cid, views)
    return views


def _mark_mine(
    db: Database, cid: int, views: list[MessageView], threads: list[int],
    ids: list[int], aliases: dict[str, str],
) -> None:
    """Mark the messages sent by the owner of the download they came from:
    a thread's downloads' owner, or where a thread came from several people's
    downloads, the owners of those that held the message. A thread whose
    downloads name no owner (a thread file imported alone) takes the one
    owner of another download among its participants, if there is one."""
    owners: dict[int, set[str]] = {}
    for tid, owner in db.execute(
        "SELECT tp.thread_id, d.owner FROM thread_parts tp JOIN downloads d "
        "ON d.id = tp.download_id JOIN threads t ON t.id = tp.thread_id "
        "WHERE t.conversation_id = ? AND d.owner IS NOT NULL", (cid,),
    ):
        owners.setdefault(tid, set()).add(aliases.get(owner, owner))
    if any(t not in owners for t in threads):
        found: dict[int, set[str]] = {}
        # Owner by owner (a few), by the participants' index: a thread may
        # list a million people.
        for (name,) in db.execute(
            "SELECT DISTINCT owner FROM downloads WHERE owner IS NOT NULL"
        ).fetchall():
            for (tid,) in db.execute(
                "SELECT t.id FROM threads t WHERE t.conversation_id = ? AND EXISTS "
                "(SELECT 1 FROM participants p WHERE p.thread_id = t.id AND p.name = ?)",
                (cid, name),
            ):
                found.setdefault(tid, set()).add(aliases.get(name, name))
        for tid, names in found.items():
            if tid not in owners and len(names) == 1:
                owners[tid] = names
    shared = {tid for tid, names in owners.items() if len(names) > 1}
    held: dict[int, set[str]] = {}
    if shared and any(t in shared for t in threads):
        marks = ",".join("?" * len(ids))
        for mid, owner in db.execute(
            "SELECT md.message_id, d.owner FROM message_downloads md JOIN messages m "
            "ON m.id = md.message_id JOIN downloads d ON d.id = md.download_id "
            f"WHERE md.message_id IN ({marks}) AND d.owner IS NOT NULL AND md.download_id IN "
            "(SELECT tp.download_id FROM thread_parts tp WHERE tp.thread_id = m.thread_id)",
            ids,
        ):
            held.setdefault(mid, set()).add(aliases.get(owner, owner))
    for v, tid in zip(views, threads, strict=True):
        names = held.get(v.id, set()) if tid in shared else owners.get(tid, ())
        v.mine = v.sender in names


NOTICE_LOOKBACK = 500  # messages before a notice where its target may be


def event_actor(msg: MessageView) -> str | None:
    """Who did what an event says, when the event's text does not already
    name them ("Liked a message" by Sofia Rossi; not "Ana named the group…")."""
    if names_actor(msg.text or "", msg.sender):
        return None
    return msg.sender


def _fold_notices(db: Database, cid: int, views: list[MessageView]) -> None:
    """Mark the reaction notices whose reaction a message shortly before them
    already holds (the notice stays in the archive). The reaction's actor is
    the person the notice names, or its sender; a first name alone ("Sofia
    reacted 🤜 to your message") also finds the reactions of anyone whose
    name starts with it."""
    for v in views:
        if v.kind != "system":
            continue
        notice = reaction_notice(v.text)
        if notice is None:
            continue
        actor = notice.actor(v.sender)
        first = (notice.named + " ") if notice.named and " " not in notice.named else None
        emoji = ",".join("?" * len(notice.reactions))
        found = db.execute(
            "SELECT 1 FROM messages m JOIN reactions r ON r.message_id = m.id "
            "WHERE m.conversation_id = ? AND m.position BETWEEN ? AND ? AND m.kind != 'system' "
            "AND (r.actor = ? OR substr(r.actor, 1, length(?)) = ?) "
            f"AND replace(r.reaction, char(65039), '') IN ({emoji}) LIMIT 1",
            (cid, max(v.position - NOTICE_LOOKBACK, 0), v.position - 1, actor, first, first,
             *notice.reactions),
        ).fetchone()
        v.folded = found is not None


def attachment(
    folder: Path | None, kind: str, name: str | None, uri: str | None, present: bool,
    remote: bool, media_path: str | None, size: int | None,
) -> Attachment:
    """An attachment row as the user sees it: where its file is, or why it has none."""
    file = reason = None
    if remote:
        reason = REMOTE
    elif uri == FAILED_MEDIA:
        name, reason = None, FAILED_DOWNLOAD
    elif not present:
        reason = NOT_IN_DOWNLOAD
    elif not media_path:
        reason = NOT_COPIED
    elif folder is None:
        reason = GONE
    else:
        try:
            file = str(locate_media(folder, media_path))
        except OutsideArchive:
            reason = OUTSIDE_ARCHIVE  # never followed: the archive may be someone else's
        except NotAFile as exc:
            reason = f"{exc.what} in the archive folder, not a file"
        except OSError:
            reason = GONE
    return Attachment(
        kind=kind, name=name, path=media_path or (uri if remote else None),
        missing=not present and not remote, uri=uri, remote=remote, size=size,
        file=file, reason=reason,
    )


def conversation_media(
    db: Database, cid: int, kinds: tuple[str, ...] | None = None
) -> list[tuple[int, Attachment]]:
    """Every attachment of a conversation with its message's position, oldest
    first (``kinds`` keeps only those kinds)."""
    folder = archive_folder(db)
    where = ""
    params: list[Any] = [cid]
    if kinds:
        where = f" AND a.kind IN ({','.join('?' * len(kinds))})"
        params.extend(kinds)
    return [
        (row[0], attachment(folder, row[1], row[2], row[3], bool(row[4]), bool(row[5]),
                            row[6], row[7]))
        for row in db.execute(
            "SELECT m.position, a.kind, a.name, a.uri, a.present, a.remote, a.media_path, a.size "
            "FROM messages m JOIN attachments a ON a.message_id = m.id "
            f"WHERE m.conversation_id = ? AND m.position IS NOT NULL{where} "
            "ORDER BY m.position, a.id",
            params,
        )
    ]


def archive_folder(db: Database) -> Path | None:
    """The archive folder of an open archive (where ``media/`` paths start)."""
    for _seq, name, filename in db.execute("PRAGMA database_list"):
        if name == "main" and filename:
            return Path(filename).resolve().parent
    return None


def iter_messages(
    db: Database, cid: int, *, page: int = 2000, first: int = 0,
    last: int | None = None,
) -> Iterator[MessageView]:
    """Every message of a conversation (or those whose position is in
    [first, last]), oldest first, a page at a time."""
    start = first
    while last is None or start <= last:
        end = start + page - 1 if last is None else min(start + page - 1, last)
        batch = messages_between(db, cid, start, end)
        yield from batch
        if len(batch) < end - start + 1:
            return
        start += page


def first_on_or_after(db: Database, conversation_id: int, ms: int) -> int | None:
    """Position of the first message at or after ``ms`` (UTC milliseconds).

    Positions are numbered in time order, so this is a binary search over the
    (conversation_id, position) index: about 20 lookups for a million messages,
    where ``MIN(position) … WHERE timestamp_ms >= ?`` reads every row after the
    date (a fifth of a second for 400,000).
    """
    last = db.execute(
        "SELECT MAX(position) FROM messages WHERE conversation_id = ?", (conversation_id,)
    ).fetchone()[0]
    if last is None:
        return None
    lo, hi = 0, int(last) + 1  # the answer is in [lo, hi]; hi means "none"
    while lo < hi:
        mid = (lo + hi) // 2
        found = db.execute(
            "SELECT timestamp_ms FROM messages WHERE conversation_id = ? AND position = ?",
            (conversation_id, mid),
        ).fetchone()
        if found is None:  # positions being renumbered by an import: ask SQLite directly
            return first_on_or_after_by_scan(db, conversation_id, ms)
        if found[0] >= ms:
            hi = mid
        else:
            lo = mid + 1
    return None if lo > last else lo


def first_on_or_after_by_scan(
    db: Database, conversation_id: int, ms: int
) -> int | None:
    """The same answer as :func:`first_on_or_after`, asked of SQLite directly:
    slower, but right while positions are being renumbered."""
    row = db.execute(
        "SELECT MIN(position) FROM messages WHERE conversation_id = ? AND timestamp_ms >= ?",
        (conversation_id, ms),
    ).fetchone()
    return None if row is None or row[0] is None else int(row[0])


def message_time(db: Database, cid: int, position: int) -> int | None:
    """The time (UTC milliseconds) of the message at ``position``."""
    row = db.execute(
        "SELECT timestamp_ms FROM messages WHERE conversation_id = ? AND position = ?",
        (cid, position),
    ).fetchone()
    return None if row is None else int(row[0])


def last_position(db: Database, cid: int) -> int | None:
    row = db.execute(
        "SELECT MAX(position) FROM messages WHERE conversation_id = ?", (cid,)
    ).fetchone()
    return None if row is None or row[0] is None else int(row[0])


def message_downloads(
    db: Database, cid: int, ids: list[int]
) -> dict[int, list[str]]:
    """Which downloads held each message (by name, sorted), its copies seen in
    another app's download included."""
    if not ids:
        return {}
    found: dict[int, list[str]] = {}
    marks = ",".join("?" * len(ids))
    for mid, name in db.execute(
        "SELECT md.message_id, d.name FROM message_downloads md "
        f"JOIN downloads d ON d.id = md.download_id WHERE md.message_id IN ({marks}) "
        "UNION ALL "
        "SELECT m.duplicate_of, d.name FROM messages m "
        "JOIN message_downloads md ON md.message_id = m.id "
        "JOIN downloads d ON d.id = md.download_id "
        "WHERE m.conversation_id = ? AND m.position IS NULL "
        f"AND m.duplicate_of IN ({marks})",
        [*ids, cid, *ids],
    ):
        names = found.get(mid)
        if names is None:
            found[mid] = [name]
        elif name not in names:
            names.append(name)
            names.sort()
    return found


def conversation_downloads(db: Database, cid: int) -> list[dict[str, Any]]:
    """The downloads that held a conversation, in the order they were first imported."""
    rows = db.execute(
        "SELECT d.name, d.platform, d.dialect, d.owner, d.first_imported, d.last_imported "
        "FROM downloads d WHERE d.id IN (SELECT tp.download_id FROM thread_parts tp "
        "JOIN threads t ON t.id = tp.thread_id WHERE t.conversation_id = ?) ORDER BY d.id",
        (cid,),
    ).fetchall()
    keys = ("name", "platform", "dialect", "owner", "first_imported", "last_imported")
    return [dict(zip(keys, row, strict=True)) for row in rows]


