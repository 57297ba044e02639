"""A conversation's positions against time: the first message on or after
a moment, the time of a position, the last position.

Positions are numbered in time order, so these are look-ups in the
(conversation_id, position) index, never a scan: the reader's date jump,
the exports' --after/--before, and the HTML export's pages and its jumps to a
month use them.
"""

from __future__ import annotations

from ..store.database import Database


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
    """The position of a conversation's last message (None: it has none)."""
    row = db.execute(
        "SELECT MAX(position) FROM messages WHERE conversation_id = ?", (cid,)
    ).fetchone()
    return None if row is None or row[0] is None else int(row[0])
