"""The cost-based planner: a few bounded count probes estimate how many
messages each part of a query keeps, and a small cost model (microseconds per
row, measured on a 1,000,000-message archive) picks what leads."""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import tzinfo
from typing import Any

from ...timefmt import resolve_tz
from .query import Query, parse_query
from .resolve import (
    DRIVER_INDEX,
    KIND_INDEX,
    SENDER_INDEX,
    THREAD_INDEX,
    TIME_INDEX,
    Condition,
    connection,
    has_index,
    index_hint,
    resolve,
)
from .sql import build_sql

# Count probes stop here, so that each costs a few milliseconds at most.
FTS_PROBE_CAP = 20_000  # hits of a phrase cost more to count than index entries
PROBE_CAP = 10_000
RECENT_SAMPLE = 5_000  # newest messages on which the time plan's cost is measured

# Cost model, in microseconds per row, measured on a 1M-message archive.
_LOOKUP = 1.0  # fetch a message row by id
_SCAN = 0.08  # step through an index entry and test it against an in-memory set
_SET = 0.1  # put one FTS hit into the set the other plans test against
_SORT = 0.1  # sort one candidate
# Ask the FTS index whether one message matches: a seek per term and segment,
# each further term or phrase word costing more; a prefix expands on every ask.
_PROBE_FIRST = 25.0
_PROBE_MORE = 60.0
_GUESS = 0.1  # selectivity of a filter we cannot count cheaply


@dataclass
class SearchPlan:
    """Everything needed to run a search, and why it runs that way."""

    sql: str
    params: list[Any]
    # What leads: "fts" (every hit, sorted), "time" (newest first against the
    # FTS hit set), "time-probe" (newest first, asking FTS per message),
    # "thread-probe" (the same within a one-thread conversation), or the
    # field of the filter whose index leads ("sender", "conversation", ...).
    driver: str
    match: str | None  # the FTS5 expression snippets are marked with
    costs: dict[str, float] = field(default_factory=dict)  # estimated, microseconds
    # Ranking that read only the best hits: how many, and the SQL that reads them
    # all, for when the rules on duplicates dropped too many of them.
    rank_window: int | None = None
    unwindowed: tuple[str, list[Any]] | None = None


@dataclass
class _Estimate:
    count: float | None  # messages it keeps (a guess past the probe's cap); None: unknown
    recent: float | None = None  # its share of the newest messages, where the time plan reads
    ordered: bool = False  # its index lists a single sender or kind newest first

    def selectivity(self, total: int) -> float:
        if self.count is None:
            return _GUESS
        return min(1.0, max(self.count, 0.5) / max(total, 1))

    def recent_selectivity(self, total: int) -> float:
        return self.selectivity(total) if self.recent is None else self.recent


def plan_search(
    db: Any, text: str | Query, *, limit: int = 50, rank: bool = False,
    conversation_id: int | None = None, tz: tzinfo | str | None = None, offset: int = 0,
    driver: str | None = None,
) -> SearchPlan | None:
    """Turn query text into the SQL that answers it (None: nothing can match).

    ``driver`` forces a plan (see :class:`SearchPlan`) where the query allows
    it, for tests and benchmarks; every plan returns the same rows.
    """
    conn = connection(db)
    query = parse_query(text) if isinstance(text, str) else text
    if query.empty or limit <= 0:
        return None
    zone = tz if isinstance(tz, tzinfo) else resolve_tz(tz)
    conditions = resolve(conn, query, zone, conversation_id)
    if conditions is None:
        return None
    match = query.match_expression()
    fetch = limit + max(offset, 0)
    thread = None
    if rank and match:
        chosen, costs = "fts", {}
    else:
        thread = _one_thread(conn, conditions)
        chosen, costs = _choose(conn, match, query.exclude_expression(), conditions, fetch,
                                thread)
        # A forced driver must be one this query can use.
        if driver in costs or driver in ("time", "time-probe"):
            chosen = driver
    if chosen == "thread-probe":
        assert thread is not None  # costed only for one thread
        conditions = [*conditions, Condition("thread", (thread[0],))]
    def build(window: int | None) -> tuple[str, list[Any]]:
        return build_sql(query, conditions, chosen, limit=limit, offset=max(offset, 0),
                          rank=rank and match is not None, rank_window=window,
                          time_index=has_index(conn, TIME_INDEX))

    if rank and match and not conditions:
        # Ranking scores every hit; without filters the best few are enough,
        # and only the implicit rules (no duplicates) can drop one of them.
        window = fetch * 2 + 20
        return SearchPlan(*build(window), chosen, match, costs, window, build(None))
    return SearchPlan(*build(None), chosen, match, costs)


def _choose(
    conn: sqlite3.Connection, match: str | None, exclude: str | None,
    conditions: list[Condition], fetch: int, thread: tuple[int, int] | None = None,
) -> tuple[str, dict[str, float]]:
    """Pick what leads the query, by estimated cost in microseconds.

    Filters are taken as independent of each other, but not of time: a sender
    or a conversation may have gone quiet years ago. The time plan reads the
    newest messages first, so it is costed with each filter's share of the
    newest :data:`RECENT_SAMPLE` messages, the other plans with overall counts.
    Reorders ``conditions`` smallest first: of two on one field, that one leads.
    ``thread``: the (thread, conversation) the query keeps alone, if any
    (:func:`_one_thread`).
    """
    total = conn.execute("SELECT MAX(id) FROM messages").fetchone()[0] or 1
    window = next((c for c in conditions if c.field == "time" and not c.negated), None)
    lo, hi = window.values if window else (None, None)
    since = _recent_start(conn, lo, hi)
    estimates = [(c, _estimate(conn, c, since, hi, total)) for c in conditions]
    estimates.sort(key=lambda ce: float("inf") if ce[1].count is None else ce[1].count)
    conditions[:] = [c for c, _ in estimates]
    hits = _Estimate(_fts_hits(conn, match, total)) if match else None
    excluded = _fts_hits(conn, exclude, total) if exclude else 0.0
    # The share of messages the words keep, then the filters (overall, and
    # among the newest messages, where the time plan reads).
    text_keep = hits.selectivity(total) if hits else 1.0 - min(excluded / total, 0.9)
    filters_keep = recent_filters_keep = 1.0
    for c, est in estimates:
        if c.negated:
            filters_keep *= 1.0 - min(est.selectivity(total), 0.9)
            recent_filters_keep *= 1.0 - min(est.recent_selectivity(total), 0.9999)
        else:
            filters_keep *= est.selectivity(total)
            if c is not window:  # the time plan reads only the window
                recent_filters_keep *= est.recent_selectivity(total)
    keep = max(text_keep * filters_keep, 1e-9)
    recent_keep = max(text_keep * recent_filters_keep, 1e-9)
    # Building the FTS hit set that the other plans test each message against.
    hit_set = ((hits.count or 0) if hits else excluded) * _SET
    # The FTS test needs only the index entry; a message is read once it passes.
    per_row = _SCAN + _LOOKUP * (text_keep if hits else 1.0)

    in_window = total
    if window is not None:
        in_window = next(e.count for c, e in estimates if c is window) or 0.0
    scanned = min(in_window, fetch / recent_keep)
    costs = {"time": hit_set + scanned * per_row}
    probe = _probe_cost(match or exclude)
    if probe is not None:
        # Without the hit set: read each message, then ask the index about those
        # the filters keep (SQLite tests correlated subqueries last).
        costs["time-probe"] = scanned * (_SCAN + _LOOKUP + recent_filters_keep * probe)
    if hits:
        costs["fts"] = (hits.count or 0) * (_LOOKUP + _SORT)
    if probe is not None and thread is not None:
        # Within one thread, newest first through its (thread, time) index,
        # asking the index about each message: reads only as far back as the
        # page needs, however common the words are elsewhere.
        conv = next(e for c, e in estimates if c.field == "conversation" and not c.negated)
        others = 1.0
        for c, est in estimates:
            if c.field in ("conversation", "time") and not c.negated:
                continue
            sel = min(est.selectivity(total), 0.9)
            others *= 1.0 - sel if c.negated else sel
        span = _window_size(conn, _lowest(lo), _highest(hi), thread[1])
        within = min(conv.count or 0.0, span)
        rows = min(within, fetch / max(text_keep * others, 1e-9))
        costs["thread-probe"] = rows * (_SCAN + _LOOKUP + others * probe)
    for c, est in estimates:
        if c.negated or c.field in costs or est.count is None or not _can_drive(conn, c):
            continue
        if est.ordered:
            read = min(est.count, fetch * est.selectivity(total) / keep)
            costs[c.field] = hit_set + read * per_row
        else:
            survivors = est.count * text_keep
            costs[c.field] = hit_set + est.count * _SCAN + survivors * (_LOOKUP + _SORT)
    best = min(costs, key=lambda k: costs[k])
    return best, costs


def _fts_hits(conn: sqlite3.Connection, expression: str, total: int) -> float:
    """How many messages match an FTS5 expression, counting at most a few."""
    n, last = conn.execute(
        "SELECT count(*), MAX(rowid) FROM (SELECT rowid FROM messages_fts "
        f"WHERE messages_fts MATCH ? LIMIT {FTS_PROBE_CAP})", (expression,)
    ).fetchone()
    # Hits come in id order and ids are spread evenly over the words used,
    # so where the cap was reached tells how many hits there are in all.
    return float(n) if n < FTS_PROBE_CAP else n * total / max(last, 1)


def _recent_start(conn: sqlite3.Connection, lo: int | None, hi: int | None) -> int | None:
    """The time from which the window's newest RECENT_SAMPLE messages run (None:
    it holds fewer, and reading all of it is cheap anyway)."""
    row = conn.execute(
        f"SELECT timestamp_ms FROM messages{index_hint(conn, TIME_INDEX)} WHERE timestamp_ms >= ? "
        "AND timestamp_ms < ? ORDER BY timestamp_ms DESC LIMIT 1 OFFSET ?",
        (_lowest(lo), _highest(hi), RECENT_SAMPLE - 1),
    ).fetchone()
    return row[0] if row else None


def _lowest(lo: int | None) -> int:
    return lo if lo is not None else -(2**62)


def _highest(hi: int | None) -> int:
    return hi if hi is not None else 2**62


def _probe_cost(match: str | None) -> float | None:
    """Microseconds to ask whether one message matches; None for prefixes."""
    if match is None or '" *' in match:
        return None
    words = len(_FTS_WORDS.findall(match))
    return _PROBE_FIRST + _PROBE_MORE * max(words - 1, 0)


_FTS_WORDS = re.compile(r'"(?:[^"]|"")*"')


def _counted(n: int, cap: int) -> float:
    """A probe's count; past its cap, a guess at "many"."""
    return float(n) if n < cap else cap * 5.0


def _estimate(
    conn: sqlite3.Connection, c: Condition, since: int | None, until: int | None, total: int
) -> _Estimate:
    """How many messages a condition keeps overall and among the newest (from
    ``since`` to ``until``), from bounded probes on its index (``total``: the
    highest message id, what a capped count is scaled to)."""
    values = json.dumps(list(c.values))
    count: float | None = None
    recent_sql: str | None = None  # counts the condition's messages in [since, until)
    ordered = False
    if c.field == "conversation":
        count = float(conn.execute(
            "SELECT COALESCE(SUM(message_count), 0) FROM conversations "
            "WHERE id IN (SELECT value FROM json_each(?))", (values,)
        ).fetchone()[0])
        recent_sql = (f"SELECT count(*) FROM messages{index_hint(conn, THREAD_INDEX)} "
                      "WHERE thread_id IN (SELECT id FROM threads WHERE conversation_id IN "
                      "(SELECT value FROM json_each(?)))")
    elif c.field == "platform":
        recent_sql = (f"SELECT count(*) FROM messages{index_hint(conn, THREAD_INDEX)} "
                      "WHERE thread_id IN (SELECT id FROM threads "
                      "WHERE platform IN (SELECT value FROM json_each(?)))")
    elif c.field == "sender" and has_index(conn, SENDER_INDEX):
        recent_sql = (f"SELECT count(*) FROM messages INDEXED BY {SENDER_INDEX} "
                      "WHERE sender IN (SELECT value FROM json_each(?))")
        ordered = len(c.values) == 1
    elif c.field == "kind" and has_index(conn, KIND_INDEX):
        values = c.values[0]
        recent_sql = f"SELECT count(*) FROM messages INDEXED BY {KIND_INDEX} WHERE kind = ?"
        ordered = True
    elif c.field in ("attachment", "reaction"):
        # Each kind's index lists message ids in order, and ids are spread
        # evenly over the archive: where the cap was reached tells how many
        # there are in all, as for the words' hits. (A message with two of
        # the kinds counts twice: rare, and an estimate.)
        count = sum(_kind_count(conn, c.field, kind, total) for kind in (c.values or (None,)))
    elif c.field == "time":
        lo, hi = _lowest(c.values[0]), _highest(c.values[1])
        sql = (f"SELECT 1 FROM messages{index_hint(conn, TIME_INDEX)} "
               "WHERE timestamp_ms >= ? AND timestamp_ms < ?")
        n = bounded_count(conn, sql, [lo, hi])
        count = float(n) if n < PROBE_CAP else max(float(PROBE_CAP), _window_size(conn, lo, hi))
    if recent_sql is None:
        return _Estimate(count)
    if count is None:
        listing = recent_sql.replace("count(*)", "1", 1)
        count = _counted(bounded_count(conn, listing, [values]), PROBE_CAP)
    recent = None
    if since is not None:
        n = conn.execute(f"{recent_sql} AND timestamp_ms >= ? AND timestamp_ms < ?",
                         (values, since, _highest(until))).fetchone()[0]
        recent = max(n, 0.5) / RECENT_SAMPLE
    return _Estimate(count, recent, ordered)


def _one_thread(conn: sqlite3.Connection,
                conditions: list[Condition]) -> tuple[int, int] | None:
    """(thread id, conversation id) when the query keeps one conversation
    made of one thread (most are), whose (thread, time) index then lists its
    messages newest first; else None."""
    wanted = [c for c in conditions if c.field == "conversation" and not c.negated]
    if len(wanted) != 1 or len(wanted[0].values) != 1 or not has_index(conn, THREAD_INDEX):
        return None
    cid = wanted[0].values[0]
    rows = conn.execute("SELECT id FROM threads WHERE conversation_id = ? LIMIT 2",
                        (cid,)).fetchall()
    return (rows[0][0], cid) if len(rows) == 1 else None


def _kind_count(conn: sqlite3.Connection, field: str, kind: str | None, total: int) -> float:
    """How many messages have an attachment (or reaction) of ``kind`` (None:
    any), from the first few of its index's entries."""
    where, params = (" WHERE kind = ?", [kind]) if kind is not None else ("", [])
    n, last = conn.execute(
        f"SELECT count(*), MAX(message_id) FROM (SELECT DISTINCT message_id "
        f"FROM {field}s{where} ORDER BY message_id LIMIT {PROBE_CAP})", params,
    ).fetchone()
    if n < PROBE_CAP:
        return float(n)
    return n * total / max(last or 1, 1)


def _window_size(conn: sqlite3.Connection, lo: int, hi: int,
                 conversation_id: int | None = None) -> float:
    """Roughly how many messages fall in [lo, hi): each conversation's
    messages taken as spread evenly between its first and last. A time
    window is the one filter whose count matters far past the probe's cap:
    "after:2020" may keep millions, and a plan that reads it newest first
    costs what it holds."""
    row = conn.execute(
        "SELECT SUM(message_count * (MIN(last_ms, ?) - MAX(first_ms, ?) + 1.0) "
        "/ (last_ms - first_ms + 1.0)) FROM conversations "
        "WHERE last_ms >= ? AND first_ms < ? AND last_ms >= first_ms"
        + (" AND id = ?" if conversation_id is not None else ""),
        (hi - 1, lo, lo, hi, *([conversation_id] if conversation_id is not None else [])),
    ).fetchone()
    return float(row[0] or 0.0)


def bounded_count(conn: sqlite3.Connection, sql: str, params: Sequence[Any],
           cap: int = PROBE_CAP) -> int:
    """How many rows ``sql`` lists, counting no further than ``cap``."""
    return conn.execute(f"SELECT count(*) FROM ({sql} LIMIT {cap})", params).fetchone()[0]


def _can_drive(conn: sqlite3.Connection, c: Condition) -> bool:
    if c.field in ("attachment", "reaction"):
        return True
    index = DRIVER_INDEX.get(c.field)
    return index is not None and has_index(conn, index)
