"""One message once, whatever format it came in: matching by content and time.

A message's fingerprint (``fingerprint.py``) holds its exact time, so the same
message read from an HTML page (its time cut to the minute or second, as
the page shows it) and from JSON (to the millisecond) has two fingerprints. When
a thread comes from HTML, or holds messages that did, the messages of a chunk
whose fingerprint is not in the archive are looked for once more, among the
thread's messages of the same time span, and taken as the same message when

1. the sender is the same, the times agree within the coarser precision of
   the two (an HTML minute holds every JSON time in it), and
2. the texts are the same once case and spacing are set aside; or both have
   no text and the same attachment file names (or, without attachments, the
   same kind); or, failing those, both are notices of the same sort (an event
   line, a call, an unsent message) or one is an event line and the other
   plain text: event lines change wording with the account's language, so
   they are never compared by wording.

Each message of the archive is matched once per thread import, the earliest
first. A matched message is noted as held by the new download too; when the
new copy's time is more exact (JSON after HTML, or seconds after minutes),
the stored message takes the new copy's values, exact time and all, and keeps
its id. A message found in one format only is kept as it is.
"""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from typing import Any

from ..folding import match_form
from .schema import FTS_SOURCE

# Loose matches look this far around a chunk's times (the coarsest precision).
_SPAN_MS = 60_000
_NOTICE_KINDS = frozenset({"system", "call", "unsent"})


class _Item:
    """One message as matching sees it."""

    __slots__ = ("id", "kind", "names", "precision", "sender", "text", "ts")

    def __init__(self, id_: int, sender: str, ts: int, precision: int | None, kind: str,
                 text: str | None, names: frozenset[str]) -> None:
        self.id = id_
        self.sender = " ".join(sender.split()).casefold()
        self.ts = ts
        self.precision = precision or 1
        self.kind = kind
        self.text = match_form(text)
        self.names = names

    def overlaps(self, other: _Item) -> bool:
        """Whether the two times can be the same instant: each time stands
        for the span [time, time + precision)."""
        return self.ts < other.ts + other.precision and other.ts < self.ts + self.precision


def _incoming(chunk: tuple[list[tuple[Any, ...]], ...], numbers: list[int]) -> list[_Item]:
    plain, full, _folded, _reactions, attachments = chunk
    wanted = set(numbers)
    names: dict[int, set[str]] = defaultdict(set)
    for row in attachments:
        if row[0] in wanted and row[2]:
            names[row[0]].add(row[2])
    items = []
    for row in plain:
        if row[0] in wanted:
            items.append(_Item(row[0], row[2], row[3], None, row[4], row[6], frozenset()))
    for row in full:
        if row[0] in wanted:
            items.append(_Item(row[0], row[2], row[3], row[14], row[4], row[13],
                               frozenset(names.get(row[0], ()))))
    items.sort(key=lambda i: (i.ts, i.id))
    return items


def _stored(conn: sqlite3.Connection, thread_id: int, low: int, high: int,
            claimed: set[int]) -> list[_Item]:
    rows = conn.execute(
        "SELECT id, sender, timestamp_ms, time_precision, kind, text FROM messages "
        "WHERE thread_id = ? AND timestamp_ms BETWEEN ? AND ? ORDER BY timestamp_ms, id",
        (thread_id, low - _SPAN_MS, high + _SPAN_MS),
    ).fetchall()
    rows = [r for r in rows if r[0] not in claimed]
    textless = [r[0] for r in rows if not r[5]]
    names: dict[int, set[str]] = defaultdict(set)
    for start in range(0, len(textless), 500):
        part = textless[start:start + 500]
        for mid, name in conn.execute(
            f"SELECT message_id, name FROM attachments WHERE message_id IN "
            f"({','.join('?' * len(part))})", part,
        ):
            if name:
                names[mid].add(name)
    return [_Item(r[0], r[1], r[2], r[3], r[4], r[5], frozenset(names.get(r[0], ())))
            for r in rows]


def _same_content(a: _Item, b: _Item) -> bool:
    if a.text or b.text:
        return a.text == b.text
    if a.names or b.names:
        return a.names == b.names
    return a.kind == b.kind


def _same_notice(a: _Item, b: _Item) -> bool:
    if a.kind == b.kind:
        return a.kind in _NOTICE_KINDS
    return {a.kind, b.kind} == {"system", "text"}


def match_chunk(
    conn: sqlite3.Connection, thread_id: int, chunk: tuple[list[tuple[Any, ...]], ...],
    numbers: list[int], claimed: set[int],
) -> dict[int, tuple[int, bool]]:
    """For the chunk's messages ``numbers`` (not found by fingerprint), the
    archive's message each one is (see the module docstring), and whether the
    stored copy should take the new one's values: {number: (id, upgrade)}.
    Matched ids are added to ``claimed``."""
    items = _incoming(chunk, numbers)
    if not items:
        return {}
    stored = _stored(conn, thread_id, items[0].ts, max(i.ts for i in items), claimed)
    if not stored:
        return {}
    by_sender: dict[str, list[_Item]] = defaultdict(list)
    for item in stored:
        by_sender[item.sender].append(item)
    found: dict[int, tuple[int, bool]] = {}
    for rule in (_same_content, _same_notice):
        for item in items:
            if item.id in found:
                continue
            for candidate in by_sender.get(item.sender, ()):
                if (candidate.id not in claimed and item.overlaps(candidate)
                        and rule(item, candidate)):
                    claimed.add(candidate.id)
                    found[item.id] = (candidate.id, item.precision < candidate.precision)
                    break
    return found


class ChunkRows:
    """A chunk's rows by message number (built once a chunk, when needed)."""

    def __init__(self, chunk: tuple[list[tuple[Any, ...]], ...]) -> None:
        plain, full, folded, reactions, attachments = chunk
        self.full = {r[0]: r for r in full}
        self.plain = {r[0]: r for r in plain}
        self.folded = {r[0]: r for r in folded}
        self.reactions: dict[int, list[tuple[Any, ...]]] = defaultdict(list)
        for r in reactions:
            self.reactions[r[0]].append(r)
        self.attachments: dict[int, list[tuple[Any, ...]]] = defaultdict(list)
        for a in attachments:
            self.attachments[a[0]].append(a)

    def more_exact(self, number: int, stored: int) -> bool:
        """Whether message ``number`` has a finer time precision than
        ``stored`` (a stored message's ``time_precision``, not None)."""
        row = self.full.get(number)
        return row is None or (row[14] or 1) < stored  # a plain row: JSON, to the ms

    def full_row(self, number: int) -> tuple[Any, ...]:
        row = self.full.get(number)
        if row is not None:
            return row
        p = self.plain[number]
        # A plain row: (number, fingerprint, sender, ts, kind, edited, text).
        return (p[0], p[1], p[2], p[3], p[4], None, 0, p[5], None, None, None, None, None,
                p[6], None, None)


def upgrade(conn: sqlite3.Connection, mid: int, number: int, rows: ChunkRows,
            fts_from: int) -> None:
    """Give stored message ``mid`` the values of the chunk's message
    ``number`` (a more exact copy of it): time, fingerprint, text and the
    rest, its reactions and attachments; the search index follows. Messages
    from ``fts_from`` on have no index rows yet (the import writes them
    later, from the table and ``temp.fts_folded``)."""
    row = rows.full_row(number)
    indexed = mid < fts_from
    if indexed:
        conn.execute(
            "INSERT INTO messages_fts (messages_fts, rowid, text, extra_text) "
            f"SELECT 'delete', id, text, extra_text FROM {FTS_SOURCE} WHERE id = ?", (mid,))
    else:
        conn.execute("DELETE FROM temp.fts_folded WHERE id = ?", (mid,))
    conn.execute(
        "UPDATE messages SET fingerprint = ?, sender = ?, timestamp_ms = ?, kind = ?, "
        "extra_text = ?, unsent = ?, edited = ?, share_link = ?, share_text = ?, "
        "call_seconds = ?, call_missed = ?, raw = ?, text = ?, time_precision = ?, "
        "format = ? WHERE id = ?", (*row[1:], mid),
    )
    conn.execute("DELETE FROM reactions WHERE message_id = ?", (mid,))
    conn.executemany(
        "INSERT INTO reactions (message_id, actor, reaction, timestamp_ms) VALUES (?, ?, ?, ?)",
        [(mid, *r[1:]) for r in rows.reactions.get(number, ())])
    conn.execute("DELETE FROM attachments WHERE message_id = ?", (mid,))
    conn.executemany(
        "INSERT INTO attachments (message_id, kind, name, uri, source_path, present, remote, "
        "sha256, media_path, size) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [(mid, *a[1:]) for a in rows.attachments.get(number, ())])
    fold = rows.folded.get(number)
    if indexed:  # as the import writes index rows (importer._INSERT_FTS)
        conn.execute(
            "INSERT INTO messages_fts (rowid, text, extra_text) SELECT id, "
            "coalesce(?, text), coalesce(?, extra_text) FROM messages WHERE id = ?",
            (fold and fold[1], fold and fold[2], mid))
    elif fold is not None:
        conn.execute("INSERT INTO temp.fts_folded (id, text, extra_text) VALUES (?, ?, ?)",
                     (mid, fold[1], fold[2]))
