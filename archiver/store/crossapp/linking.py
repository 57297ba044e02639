"""The entry points: the linking pass after an import, and the user's own
join, split and the explanation of a conversation's threads."""

from __future__ import annotations

import sqlite3
from typing import Any

from ...timefmt import iso, now_iso
from .. import conversations
from ..database import Database
from .facts import (
    Facts,
    load_links,
    platform_rank,
    save_links,
    sorted_pair,
    thread_decisions,
    thread_ref,
    transaction,
)
from .owners import explain_people, record_owner_aliases
from .regroup import regroup
from .rules import cutover_candidates, relink

_CHECKED_KEY = "crossapp_checked_message_id"


class LinkError(Exception):
    """A join or split the user asked for cannot be done as asked."""


def link_threads(db: Database, thread_ids: set[int]) -> None:
    """Join the given threads to the conversations they continue or repeat.

    Also covers threads that got messages since the last pass (an import that
    was interrupted before it could link). Leaves the conversations it changed
    dirty for :func:`conversations.refresh_conversations`.
    """
    conn = db.conn
    with transaction(conn):
        row = conn.execute("SELECT value FROM meta WHERE key = ?", (_CHECKED_KEY,)).fetchone()
        checked = int(row[0]) if row and row[0] else 0
        newest = conn.execute("SELECT MAX(id) FROM messages").fetchone()[0] or 0
        touched = set(thread_ids)
        if newest > checked:
            touched |= {r[0] for r in conn.execute(
                "SELECT DISTINCT thread_id FROM messages WHERE id > ?", (checked,)
            )}
        arc = Facts(conn)
        touched = {t for t in touched if arc.exists(t)}
        splits = set(thread_decisions(conn, "split"))
        # A new continuation can be nearer than the one a cutover thread had:
        # recompute the cutover candidates' findings too.
        todo = set(touched)
        for tid in touched:
            todo |= {o for _g, o in cutover_candidates(arc, tid)}
        seeds: set[int] = set()
        for tid in sorted(todo):
            seeds |= relink(arc, tid, splits)
        if seeds:
            regroup(arc, seeds)
        # After the regrouping: owners are one person by the copies it marks.
        record_owner_aliases(conn)
        conn.execute(
            "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (_CHECKED_KEY, str(newest))
        )


def _conversation_threads(conn: sqlite3.Connection, cid: int) -> list[tuple[int, str]]:
    rows = conn.execute(
        "SELECT id, platform, key FROM threads WHERE conversation_id = ?", (cid,)
    ).fetchall()
    rows.sort(key=lambda r: (platform_rank(r[1]), r[2]))
    return [(r[0], thread_ref(r[1], r[2])) for r in rows]


def join_by_hand(db: Database, a: int | str, b: int | str) -> int:
    """Join two conversations (by id) or two threads (by ``platform:key``) for
    good; returns the joined conversation's id. The choice is kept in
    ``thread_links`` and outlives later imports."""
    conn = db.conn
    with transaction(conn):
        arc = Facts(conn)
        ends = []
        for ref in (a, b):
            if isinstance(ref, int):
                threads = _conversation_threads(conn, ref)
                if not threads:
                    raise LinkError(f"no conversation with id {ref}")
                ends.append((threads[0], threads))
            else:
                tid = arc.id_of(ref)
                if tid is None:
                    raise LinkError(f"no thread '{ref}'")
                threads = _conversation_threads(conn, arc.thread(tid).conversation_id)
                ends.append(((tid, ref), threads))
        (ta, ra), side_a = ends[0]
        (tb, rb), side_b = ends[1]
        if arc.thread(ta).conversation_id == arc.thread(tb).conversation_id:
            return arc.thread(ta).conversation_id
        conn.executemany(
            "DELETE FROM thread_links WHERE a = ? AND b = ? AND decision = 'split'",
            [sorted_pair(x, y) for _i, x in side_a for _j, y in side_b],
        )
        conn.execute(
            "INSERT OR REPLACE INTO thread_links (a, b, decision, created) VALUES (?, ?, 'join', ?)",
            (*sorted_pair(ra, rb), now_iso()),
        )
        regroup(arc, {ta, tb})
        record_owner_aliases(conn)
    conversations.refresh_conversations(db)
    return int(conn.execute("SELECT conversation_id FROM threads WHERE id = ?", (ta,)).fetchone()[0])


def split_by_hand(db: Database, cid: int, only: str | None = None) -> list[int]:
    """Split a conversation back into one conversation per thread, for good
    (kept in ``thread_links``); returns the conversations' ids. With ``only``
    (a ``platform:key``), take just that thread out and leave the rest joined."""
    conn = db.conn
    with transaction(conn):
        threads = _conversation_threads(conn, cid)
        if not threads:
            raise LinkError(f"no conversation with id {cid}")
        refs = [r for _t, r in threads]
        if only is not None and only not in refs:
            raise LinkError(f"thread '{only}' is not in conversation {cid}")
        if len(threads) == 1:
            return [cid]
        if only is None:
            pairs = [sorted_pair(x, y) for i, x in enumerate(refs) for y in refs[i + 1:]]
        else:
            pairs = [sorted_pair(only, y) for y in refs if y != only]
        now = now_iso()
        conn.executemany("DELETE FROM thread_links WHERE a = ? AND b = ?", pairs)
        conn.executemany(
            "INSERT INTO thread_links (a, b, decision, created) VALUES (?, ?, 'split', ?)",
            [(x, y, now) for x, y in pairs],
        )
        if only is not None:
            # The others stay one conversation even where they were joined
            # only through the thread taken out: joined to one another, for
            # good, unless the user kept a pair apart.
            rest = [r for r in refs if r != only]
            decided = thread_decisions(conn, "split")
            conn.executemany(
                "INSERT OR IGNORE INTO thread_links (a, b, decision, created) "
                "VALUES (?, ?, 'join', ?)",
                [(*sorted_pair(rest[0], y), now) for y in rest[1:]
                 if sorted_pair(rest[0], y) not in decided],
            )
        apart = set(pairs)
        for tid, ref in threads:
            save_links(conn, tid, [
                x for x in load_links(conn, tid) if sorted_pair(ref, x["with"]) not in apart
            ])
        regroup(Facts(conn), {t for t, _r in threads})
        record_owner_aliases(conn)
    conversations.refresh_conversations(db)
    return sorted({
        conn.execute("SELECT conversation_id FROM threads WHERE id = ?", (t,)).fetchone()[0]
        for t, _r in threads
    })


def explain(db: Database, cid: int) -> dict[str, Any]:
    """Why a conversation holds the threads it holds: each thread with its
    time range and downloads, each join with its rule and evidence, and the
    splits the user asked for."""
    conn = db.conn
    threads = []
    refs: dict[str, int] = {}
    for tid, ref in _conversation_threads(conn, cid):
        title, count, first, last = conn.execute(
            "SELECT t.title, COUNT(m.id), MIN(m.timestamp_ms), MAX(m.timestamp_ms) FROM threads t "
            "LEFT JOIN messages m ON m.thread_id = t.id WHERE t.id = ?", (tid,)
        ).fetchone()
        kept = conn.execute(
            "SELECT COUNT(*) FROM messages WHERE thread_id = ? AND duplicate_of IS NULL", (tid,)
        ).fetchone()[0]
        parts = [
            {"download": d, "section": s} for d, s in conn.execute(
                "SELECT d.name, tp.section FROM thread_parts tp JOIN downloads d "
                "ON d.id = tp.download_id WHERE tp.thread_id = ? ORDER BY d.name", (tid,)
            )
        ]
        refs[ref] = tid
        threads.append({
            "thread": ref, "title": title, "messages": count, "duplicates": count - kept,
            "first": iso(first, 1000), "last": iso(last, 1000), "parts": parts,
        })
    links: list[dict[str, Any]] = []
    seen: set[tuple[str, str]] = set()
    for ref, tid in refs.items():
        for link in load_links(conn, tid):
            pair = sorted_pair(ref, link["with"])
            if link["with"] in refs and pair not in seen:
                seen.add(pair)
                info = {k: v for k, v in link.items() if k != "with"}
                links.append({"threads": list(pair), **info})
    for (a, b), created in thread_decisions(conn, "join").items():
        if a in refs or b in refs:
            links.append({"threads": [a, b], "rule": "manual", "created": created})
    kept_apart = [
        {"threads": [a, b], "created": created}
        for (a, b), created in thread_decisions(conn, "split").items() if a in refs or b in refs
    ]
    links.sort(key=lambda x: (x["threads"], x["rule"]))
    kept_apart.sort(key=lambda x: x["threads"])
    downloads = [r[0] for r in conn.execute(
        "SELECT DISTINCT tp.download_id FROM thread_parts tp JOIN threads t "
        "ON t.id = tp.thread_id WHERE t.conversation_id = ?", (cid,))]
    return {"conversation": cid, "threads": threads, "links": links, "kept_apart": kept_apart,
            "owners": explain_people(conn, downloads)}
