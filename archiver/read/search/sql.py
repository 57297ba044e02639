"""The one place search SQL is written: a page of hits in a CTE led by the
chosen plan's source, every condition a test on ``m`` (messages), then the
hits' rows, titles and scores in order."""

from __future__ import annotations

import json
from typing import Any

from .query import Query
from .resolve import DRIVER_INDEX, TIME_INDEX, Condition

# Plans that ask the full-text index about one message at a time.
PROBES = ("time-probe", "thread-probe")


def _condition_sql(c: Condition) -> tuple[str, list[Any]]:
    """One condition as SQL over ``m`` (messages)."""
    values = json.dumps(list(c.values))
    if c.field == "sender":
        sql, params = ("m.sender = ?", [c.values[0]]) if len(c.values) == 1 else (
            "m.sender IN (SELECT value FROM json_each(?))", [values])
    elif c.field == "thread":
        sql, params = "m.thread_id = ?", [c.values[0]]
    elif c.field == "conversation":
        sql, params = ("m.conversation_id = ?", [c.values[0]]) if len(c.values) == 1 else (
            "m.conversation_id IN (SELECT value FROM json_each(?))", [values])
    elif c.field == "platform":
        sql = ("m.thread_id IN (SELECT id FROM threads "
               "WHERE platform IN (SELECT value FROM json_each(?)))")
        params = [values]
    elif c.field == "kind":
        sql, params = "m.kind = ?", [c.values[0]]
    elif c.field == "attachment":
        kinds = " AND a.kind IN (SELECT value FROM json_each(?))" if c.values else ""
        sql = f"EXISTS (SELECT 1 FROM attachments a WHERE a.message_id = m.id{kinds})"
        params = [values] if c.values else []
    elif c.field == "reaction":
        sql, params = "EXISTS (SELECT 1 FROM reactions r WHERE r.message_id = m.id)", []
    elif c.field == "link":
        sql, params = "COALESCE(m.share_link, '') <> ''", []
    else:  # time
        lo, hi = c.values
        parts = [p for p, v in (("m.timestamp_ms >= ?", lo), ("m.timestamp_ms < ?", hi))
                 if v is not None]
        sql = " AND ".join(parts) or "1"
        params = [v for v in (lo, hi) if v is not None]
    if c.negated:
        return f"NOT IFNULL(({sql}), 0)", params
    return sql, params


def build_sql(
    query: Query, conditions: list[Condition], driver: str, *, limit: int, offset: int,
    rank: bool, rank_window: int | None, time_index: bool = True,
) -> tuple[str, list[Any]]:
    """The search as one SQL statement: the page of hits in a CTE, then their
    rows, titles and scores in order. The one place search SQL is written."""
    match = query.match_expression()
    exclude = query.exclude_expression()
    where = ["m.duplicate_of IS NULL", "m.position IS NOT NULL"]
    params: list[Any] = []
    lead = next((c for c in conditions if c.field == driver and not c.negated), None)

    if driver == "fts" and match:
        if rank_window:
            source = (
                "(SELECT rowid AS id, bm25(messages_fts) AS score FROM messages_fts "
                "WHERE messages_fts MATCH ? ORDER BY bm25(messages_fts) LIMIT ?) AS f "
                "CROSS JOIN messages m ON m.id = f.id"
            )
            params += [match, rank_window]
            score = "f.score"
        else:
            # CROSS JOIN keeps the FTS table outermost: read every hit once.
            source = "messages_fts CROSS JOIN messages m ON m.id = messages_fts.rowid"
            where.append("messages_fts MATCH ?")
            params.append(match)
            score = "bm25(messages_fts)" if rank else "0"
    else:
        score = "0"
        if lead is not None and lead.field in ("attachment", "reaction"):
            table = "attachments" if lead.field == "attachment" else "reactions"
            kinds = (" WHERE kind IN (SELECT value FROM json_each(?))"
                     if lead.field == "attachment" and lead.values else "")
            source = (f"(SELECT DISTINCT message_id AS id FROM {table}{kinds}) AS d "
                      "CROSS JOIN messages m ON m.id = d.id")
            if kinds:
                params.append(json.dumps(list(lead.values)))
        else:
            index = DRIVER_INDEX.get(driver, TIME_INDEX if time_index else None)
            # INDEXED BY: the planner cannot see FTS selectivity, so it is told.
            source = f"messages m INDEXED BY {index}" if index else "messages m"
        if match:
            where.append(_fts_test(negated=False, probe=driver in PROBES))
            params.append(match)
    if exclude:
        where.append(_fts_test(negated=True, probe=driver in PROBES))
        params.append(exclude)
    for c in conditions:
        if c is lead and c.field in ("attachment", "reaction"):
            continue
        sql, p = _condition_sql(c)
        where.append(sql)
        params += p
    order = ("score, " if rank else "") + "m.timestamp_ms DESC, m.id DESC"
    sql = (
        f"WITH hits AS (SELECT m.id AS id, {score} AS score FROM {source} "
        f"WHERE {' AND '.join(where)} ORDER BY {order} LIMIT ? OFFSET ?) "
        "SELECT m.id, m.conversation_id, COALESCE(c.title, 'Conversation ' || m.conversation_id), "
        "m.sender, m.timestamp_ms, m.text, m.extra_text, m.kind, m.time_precision "
        "FROM hits h JOIN messages m ON m.id = h.id "
        "LEFT JOIN conversations c ON c.id = m.conversation_id "
        f"ORDER BY {'h.score, ' if rank else ''}m.timestamp_ms DESC, m.id DESC"
    )
    return sql, params + [limit, offset]


def _fts_test(*, negated: bool, probe: bool) -> str:
    """The condition that message ``m`` does (or does not) match an FTS
    expression: asked of FTS one message at a time when the time index drives
    (``probe``), else as a set of ids."""
    if probe:
        return (f"{'NOT ' if negated else ''}EXISTS (SELECT 1 FROM messages_fts "
                "WHERE messages_fts MATCH ? AND messages_fts.rowid = m.id)")
    # "+" keeps the id test a filter, never a way to look rows up.
    test = "m.id NOT IN" if negated else "+m.id IN"
    return f"{test} (SELECT rowid FROM messages_fts WHERE messages_fts MATCH ?)"
