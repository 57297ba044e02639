"""Running a search: the plan's statement, the ranked window widened when the
rules on duplicates dropped too many, snippets; counting hits; the notes on
what was not understood. SQLite's refusal of a statement too large becomes
:class:`QueryTooComplex`."""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import tzinfo
from typing import Any

from ...store.database import Database
from ...timefmt import iso, resolve_tz
from .planner import FTS_PROBE_CAP, SearchPlan, bounded_count, plan_search
from .query import Query, parse_query
from .resolve import connection, owner_aliases, resolve
from .snippets import CLOSE, OPEN, mark_snippets, preview, render_brackets

COUNT_CAP = 10_000  # "showing 50 of N" counts hits up to here ("of more than …" past it)


@dataclass
class SearchHit:
    id: int
    conversation_id: int
    thread: str
    sender: str
    timestamp_ms: int
    text: str | None
    snippet: str  # matches between OPEN and CLOSE (or the marks asked for)
    time_precision: int | None = None  # see timefmt.iso

    def as_json(self, open_mark: str = OPEN, close_mark: str = CLOSE) -> dict[str, Any]:
        """The ``search --json`` shape; matches in the snippet as ``[...]``."""
        return {
            "id": self.id, "thread_id": self.conversation_id, "thread": self.thread,
            "sender": self.sender, "time": iso(self.timestamp_ms, self.time_precision),
            "text": self.text,
            "snippet": render_brackets(self.snippet, open_mark, close_mark),
        }


class QueryTooComplex(sqlite3.OperationalError):
    """A query SQLite refuses for its size (hundreds of negated filters, say).
    A subclass of SQLite's own error, so that callers that show "search
    failed" for a damaged archive show this sentence too."""


# SQLite's words for a statement past its limits (depth of the expression
# tree, bound variables, FTS5's own expression depth).
_TOO_COMPLEX = ("expression tree is too large", "too many sql variables",
                "parser stack overflow", "fts expression tree is too large")


@contextlib.contextmanager
def _size_limits() -> Iterator[None]:
    """Turn SQLite's refusal of a statement too large into a sentence."""
    try:
        yield
    except sqlite3.OperationalError as exc:
        if any(words in str(exc).lower() for words in _TOO_COMPLEX):
            raise QueryTooComplex(
                "the search has too many words and filters to run (SQLite's limit); "
                "use fewer, a few hundred at most"
            ) from None
        raise


def search(
    db: Database | sqlite3.Connection, text: str, *, limit: int = 50,
    rank: bool = False, conversation_id: int | None = None, tz: tzinfo | str | None = None,
    offset: int = 0, open_mark: str = OPEN, close_mark: str = CLOSE, driver: str | None = None,
) -> list[SearchHit]:
    """Messages matching ``text``, newest first (``rank``: most relevant first).

    Never raises on the query text, except :class:`QueryTooComplex` for one
    too large for SQLite. ``tz`` (a zone or an IANA name; default the
    machine's) is where dates such as ``on:2023-12-01`` begin and end;
    ``conversation_id`` keeps one conversation; ``offset`` pages; snippets mark
    matches with ``open_mark`` and ``close_mark``; ``driver`` as in
    :func:`plan_search`.
    """
    with _size_limits():
        return _search(db, text, limit=limit, rank=rank, conversation_id=conversation_id,
                       tz=tz, offset=offset, open_mark=open_mark, close_mark=close_mark,
                       driver=driver)


def _search(
    db: Database | sqlite3.Connection, text: str, *, limit: int,
    rank: bool, conversation_id: int | None, tz: tzinfo | str | None,
    offset: int, open_mark: str, close_mark: str, driver: str | None,
) -> list[SearchHit]:
    conn = connection(db)
    plan = plan_search(conn, text, limit=limit, rank=rank, conversation_id=conversation_id,
                       tz=tz, offset=offset, driver=driver)
    if plan is None:
        return []
    rows = conn.execute(plan.sql, plan.params).fetchall()
    if plan.unwindowed and plan.rank_window and len(rows) < limit \
            and _fts_count(conn, plan) >= plan.rank_window:
        rows = conn.execute(*plan.unwindowed).fetchall()
    snippets = mark_snippets(plan.match, rows, open_mark, close_mark)
    aliases = owner_aliases(conn) if rows else {}  # senders named as views name them
    return [
        SearchHit(id=r[0], conversation_id=r[1], thread=r[2], sender=aliases.get(r[3], r[3]),
                  timestamp_ms=r[4],
                  text=r[5], snippet=snippets.get(r[0]) or preview(r[5], r[6], r[7]),
                  time_precision=r[8])
        for r in rows
    ]


def query_notes(
    db: Database | sqlite3.Connection, text: str, *,
    conversation_id: int | None = None, tz: tzinfo | str | None = None,
) -> list[str]:
    """What in ``text`` was not understood or names nothing, one phrase each
    (said on standard error by the CLI and under the reader's search box)."""
    query = parse_query(text)
    zone = tz if isinstance(tz, tzinfo) else resolve_tz(tz)
    if query.filters:
        # Every filter is looked at, even after one that names nothing.
        for f in query.filters:
            resolve(db, Query(filters=[f], notes=query.notes), zone, conversation_id)
    return list(dict.fromkeys(query.notes))


def count_hits(
    db: Database | sqlite3.Connection, text: str, *, cap: int = 10_000,
    conversation_id: int | None = None, tz: tzinfo | str | None = None,
) -> int:
    """How many messages match ``text``, counting at most ``cap`` (so that
    saying "showing 50 of 108" never costs more than a search of ``cap``)."""
    conn = connection(db)
    with _size_limits():
        plan = plan_search(conn, text, limit=cap, conversation_id=conversation_id, tz=tz)
        if plan is None:
            return 0
        return int(conn.execute(f"SELECT COUNT(*) FROM ({plan.sql})", plan.params).fetchone()[0])


def _fts_count(conn: sqlite3.Connection, plan: SearchPlan) -> int:
    return bounded_count(conn, "SELECT 1 FROM messages_fts WHERE messages_fts MATCH ?",
                         [plan.match], FTS_PROBE_CAP)
