"""Filters resolved against one archive: ``from:`` to the exact sender
names, ``in:`` to conversation ids, dates to UTC bounds in the reader's zone.
Sender names and titles are kept while the archive is unchanged (searching as
the user types asks for them again and again). Also what this archive's
indexes allow."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import tzinfo
from typing import Any

from ...folding import fold
from ...records import PLATFORMS
from ...store.database import Database
from ..names import conversations_named, title_index
from .query import HAS_ATTACHMENT, Filter, Query

# Indexes a plan may name (INDEXED BY). The last three are optional: a plan that
# needs one that is missing is simply not considered.
TIME_INDEX = "idx_messages_timestamp_ms"
CONVERSATION_INDEX = "idx_messages_conversation_id_position"
THREAD_INDEX = "idx_messages_thread_id_timestamp_ms"
SENDER_INDEX = "idx_messages_sender_timestamp_ms"
KIND_INDEX = "idx_messages_kind_timestamp_ms"
DRIVER_INDEX = {"sender": SENDER_INDEX, "kind": KIND_INDEX, "platform": THREAD_INDEX,
                "conversation": CONVERSATION_INDEX, "thread-probe": THREAD_INDEX}


@dataclass(frozen=True)
class Condition:
    """A filter resolved against one archive.

    ``field`` is sender | conversation | platform | kind | attachment | reaction
    | link | time, and thread (added by the planner for the plan that reads
    one thread newest first); ``values`` are exact sender names, conversation ids,
    platforms, the message kind, attachment kinds (empty: any) or a UTC
    [start, end) in milliseconds (None: open).
    """

    field: str
    values: tuple[Any, ...] = ()
    negated: bool = False


def resolve(
    db: Any, query: Query, tz: tzinfo, conversation_id: int | None = None
) -> list[Condition] | None:
    """The query's filters as conditions on this archive; None when a filter
    names nothing at all (from:nobody), so nothing can match. A filter that
    names nothing is said in ``query.notes``."""
    conn = connection(db)
    conditions: list[Condition] = []
    if conversation_id is not None:
        conditions.append(Condition("conversation", (int(conversation_id),)))
    window: tuple[int | None, int | None] = (None, None)
    for f in query.filters:
        if f.name in _NAMES:
            condition = _named(conn, f)
            if condition is None:
                query.notes.append(f"{'-' * f.negated}{f.name}:{f.value} matches no "
                                   f"{_NAMES[f.name]}")
                if f.negated:
                    continue
                return None
        elif f.period is not None:
            bounds = _bounds(f, tz)
            if not f.negated:
                # Positive periods narrow one window, which the time index serves.
                window = _narrowed(window, bounds)
                continue
            condition = Condition("time", bounds, True)
        else:
            condition = _plain(f)
        conditions.append(condition)
    return _with_window(conditions, window)


# The filters that name something in the archive, and what they name.
_NAMES = {"from": "sender", "in": "conversation"}


def _named(conn: sqlite3.Connection, f: Filter) -> Condition | None:
    """``from:`` as the senders whose name has a word starting with it, ``in:``
    as the conversations it names; None when it names nothing."""
    if f.name == "from":
        wanted = fold(f.value)
        names = tuple(n for n, folded in _remembered(conn, _senders)
                      if wanted and f" {wanted}" in folded)
        return Condition("sender", names, f.negated) if names else None
    ids = conversations_named(f.value, _remembered(conn, _titles))
    return Condition("conversation", ids, f.negated) if ids else None


def _with_window(conditions: list[Condition],
                 window: tuple[int | None, int | None]) -> list[Condition] | None:
    """``conditions`` and the time window; None when nothing can match them (an
    empty window, a filter and its negation)."""
    start, end = window
    if start is not None and end is not None and start >= end:
        return None
    if start is not None or end is not None:
        conditions.append(Condition("time", window))
    if any(Condition(c.field, c.values, True) in conditions for c in conditions
           if not c.negated):
        return None
    return conditions


def _plain(f: Filter) -> Condition:
    """``platform:``, ``is:`` and ``has:``, which need nothing from the archive."""
    if f.name == "platform":
        # Said positively, so that the thread index can serve "-platform:x" too.
        return Condition("platform", tuple(p for p in PLATFORMS if (p == f.value) != f.negated))
    if f.name == "is":
        return Condition("kind", (f.value,), f.negated)
    if f.value in HAS_ATTACHMENT:
        return Condition("attachment", HAS_ATTACHMENT[f.value] or (), f.negated)
    return Condition(f.value, (), f.negated)  # has:link, has:reaction


def _bounds(f: Filter, tz: tzinfo) -> tuple[int | None, int | None]:
    """UTC [start, end) of ``after:``, ``before:`` or ``on:``, the period taken in
    zone ``tz`` (None: open)."""
    assert f.period is not None
    lo, hi = f.period.bounds_ms(tz)
    if f.name == "after":
        return hi, None
    if f.name == "before":
        return None, lo
    return lo, hi


def _narrowed(window: tuple[int | None, int | None],
              bounds: tuple[int | None, int | None]) -> tuple[int | None, int | None]:
    """The part of ``window`` within ``bounds``."""
    (start, end), (lo, hi) = window, bounds
    if lo is not None:
        start = lo if start is None else max(start, lo)
    if hi is not None:
        end = hi if end is None else min(end, hi)
    return start, end


def connection(db: Any) -> sqlite3.Connection:
    """The SQLite connection of a ``Database`` (or the connection itself)."""
    return getattr(db, "conn", db)


_MEMO: dict[tuple[int, str], tuple[sqlite3.Connection, tuple[int, int], Any]] = {}
_MEMO_LOCK = threading.Lock()


def _remembered(conn: sqlite3.Connection, compute: Callable[[sqlite3.Connection], Any]) -> Any:
    """``compute(conn)``, kept while the archive is unchanged: searching as the
    user types asks for the same names again and again."""
    stamp = (conn.execute("PRAGMA data_version").fetchone()[0], conn.total_changes)
    key = (id(conn), compute.__name__)
    with _MEMO_LOCK:
        held = _MEMO.get(key)
    # The entry holds the connection itself, so its id cannot be reused meanwhile.
    if held is not None and held[0] is conn and held[1] == stamp:
        return held[2]
    value = compute(conn)
    with _MEMO_LOCK:
        if len(_MEMO) >= 16:
            _MEMO.clear()
        _MEMO[key] = (conn, stamp, value)
    return value


def owner_aliases(conn: sqlite3.Connection) -> dict[str, str]:
    """The owners' names shown as another (see ``crossapp.owner_aliases``)."""
    from ...store.crossapp import owner_aliases as aliases

    return aliases(Database(conn))


def _senders(conn: sqlite3.Connection) -> list[tuple[str, str]]:
    """Every sender name with its folded form and that of the name views
    show for it (an owner's other name is found by the name shown), each led
    by a space, so that a match at the start of any word is ``" " + query in
    folded``."""
    aliases = owner_aliases(conn)
    if has_index(conn, SENDER_INDEX):
        # Skip through the index: one seek per distinct name, not a table scan.
        rows = conn.execute(
            "WITH RECURSIVE s(name) AS (SELECT MIN(sender) FROM messages UNION ALL "
            "SELECT (SELECT MIN(sender) FROM messages WHERE sender > s.name) FROM s "
            "WHERE s.name IS NOT NULL) SELECT name FROM s WHERE name IS NOT NULL"
        ).fetchall()
    else:
        rows = conn.execute("SELECT DISTINCT sender FROM messages").fetchall()
    return [(r[0], " " + fold(r[0]) + (" \n " + fold(aliases[r[0]]) if r[0] in aliases else ""))
            for r in rows if r[0]]


def _titles(conn: sqlite3.Connection) -> list[tuple[int, str, str | None]]:
    return title_index(conn)


def index_hint(conn: sqlite3.Connection, index: str) -> str:
    """``INDEXED BY index`` where it exists: a first import builds some indexes
    only at its end, and a reader may look meanwhile."""
    return f" INDEXED BY {index}" if has_index(conn, index) else ""


def has_index(conn: sqlite3.Connection, name: str) -> bool:
    """Whether the archive has index ``name`` (the optional ones may be missing)."""
    return conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = ?", (name,)
    ).fetchone() is not None
