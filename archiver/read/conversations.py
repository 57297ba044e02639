"""A conversation as every face shows it: its title, apps, participants and
the parts of downloads it was read from.

The CLI, the reader and the exports all read conversations here, so that a
conversation looks the same everywhere. Participants are listed by the name
every view shows (owners shown to be one person under one name, see
``store.crossapp.owner_aliases``), and bounded where asked: a download may list
a million, and the reader's list needs a few. The first and last times carry
their precision, so that a conversation read from HTML pages shows no seconds
a page did not give.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from ..store.database import Database
from ..timefmt import iso
from .names import ThreadNotFound


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
    # Imported here: cross-app linking is a large module that reading commands
    # need only for this (start-up time, see benchmarks/bench_startup.py).
    from ..store.crossapp import owner_aliases

    aliases = owner_aliases(db)
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
