"""A conversation's messages as every face shows them, a range of positions
at a time.

Positions number a conversation's messages in time order (see ``timeline``),
so a page is one range of the (conversation_id, position) index. Each message
comes with what the archive keeps beside it: its reactions (a message seen in
two apps' downloads shows those of every copy, each once), its attachments
(``attachments``: where the file is, or why there is none), whether the owner
of the download it came from sent it (shown as "(you)"), and whether it is a
reaction notice ("Ana reacted 😢 to your message") whose reaction a message
shortly before already shows (``folded``: readers and exports leave it out).
Senders and reaction actors carry the name every view shows.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from ..notices import names_actor, reaction_notice
from ..store.database import Database
from ..timefmt import iso
from .attachments import Attachment, archive_folder, attachment

PRECISION_NAMES = {None: "millisecond", 1000: "second", 60_000: "minute"}


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
    # Imported here: cross-app linking is a large module that reading commands
    # need only for this (start-up time, see benchmarks/bench_startup.py).
    from ..store.crossapp import owner_aliases

    aliases = owner_aliases(db)
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
