"""The two rules that join threads: ``content`` (the threads share enough
messages) and ``cutover`` (a Facebook chat continued encrypted), and the
findings they store on both threads."""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from ...folding import match_form
from ...timefmt import iso
from .facts import Facts, load_links, save_links, sorted_pair

MIN_MATCHED = 3
MIN_MATCHED_SHARE = 0.5
CUTOVER_MAX_GAP_MS = 180 * 86_400_000
# The coarsest precision a stored time has (an HTML page's minute).
_WIDEST_MS = 60_000

# Names Meta gives deleted accounts: never evidence that two threads are one.
_PLACEHOLDER_NAMES = {"facebook user", "instagram user", "messenger user", "deleted user"}


def _attachment_kinds(conn: sqlite3.Connection, ids: Iterable[int]) -> dict[int, str]:
    out: dict[int, list[str]] = defaultdict(list)
    ids = list(ids)
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        marks = ",".join("?" * len(chunk))
        for mid, kind in conn.execute(
            f"SELECT message_id, kind FROM attachments WHERE message_id IN ({marks})", chunk
        ):
            out[mid].append(kind or "")
    return {mid: ",".join(sorted(kinds)) for mid, kinds in out.items()}


def match_keys(conn: sqlite3.Connection,
               rows: Iterable[tuple[int, str | None, str]]) -> dict[int, str]:
    """Match keys for (id, text, kind) rows, each message once: its normalised
    text, or for a message without text its kind and attachment kinds."""
    keys: dict[int, str] = {}
    textless: dict[int, str] = {}
    for mid, text, kind in rows:
        if mid in keys or mid in textless:
            continue
        norm = match_form(text)
        if norm:
            keys[mid] = "t:" + norm
        else:
            textless[mid] = kind
    if textless:
        kinds = _attachment_kinds(conn, textless)
        for mid, kind in textless.items():
            keys[mid] = f"k:{kind}:{kinds.get(mid, '')}"
    return keys


def _count_matches(pairs: dict[tuple[int, str], tuple[set[int], set[int]]]) -> int:
    """One-to-one matches: two equal "ok"s at one time match two, not four."""
    return sum(min(len(a), len(b)) for a, b in pairs.values())


def _content_links(arc: Facts, tid: int) -> dict[int, dict[str, Any]]:
    """Threads of other platforms sharing enough messages with ``tid``."""
    conn = arc.conn
    me = arc.thread(tid)
    if arc.platforms() <= {me.platform}:
        return {}  # no other app's thread to share messages with
    rows = conn.execute(
        "SELECT o.thread_id, m.id, m.timestamp_ms, m.text, m.kind, o.id, o.text, o.kind "
        "FROM messages m JOIN messages o ON o.timestamp_ms = m.timestamp_ms "
        "JOIN threads ot ON ot.id = o.thread_id "
        "WHERE m.thread_id = ? AND o.thread_id != m.thread_id AND ot.platform != ?",
        (tid, me.platform),
    ).fetchall()
    if arc.imprecise():
        # A time read from an HTML page (to the minute or second) stands for
        # every time inside its precision.
        rows += conn.execute(
            "SELECT o.thread_id, m.id, m.timestamp_ms, m.text, m.kind, o.id, o.text, o.kind "
            "FROM messages m JOIN messages o ON o.timestamp_ms BETWEEN "
            f"m.timestamp_ms - {_WIDEST_MS} AND m.timestamp_ms + {_WIDEST_MS} "
            "JOIN threads ot ON ot.id = o.thread_id "
            "WHERE m.thread_id = ? AND o.thread_id != m.thread_id AND ot.platform != ? "
            "AND (m.time_precision IS NOT NULL OR o.time_precision IS NOT NULL) "
            "AND o.timestamp_ms != m.timestamp_ms "
            "AND o.timestamp_ms < m.timestamp_ms + coalesce(m.time_precision, 1) "
            "AND m.timestamp_ms < o.timestamp_ms + coalesce(o.time_precision, 1)",
            (tid, me.platform),
        ).fetchall()
    if not rows:
        return {}
    keys = match_keys(conn, [(r[1], r[3], r[4]) for r in rows])
    keys.update(match_keys(conn, [(r[5], r[6], r[7]) for r in rows]))
    per_thread: dict[int, dict[tuple[int, str], tuple[set[int], set[int]]]] = defaultdict(dict)
    for other, mid, ts, _t, _k, oid, _ot, _ok in rows:
        if keys[mid] != keys[oid]:
            continue
        mine, theirs = per_thread[other].setdefault((ts, keys[mid]), (set(), set()))
        mine.add(mid)
        theirs.add(oid)
    links: dict[int, dict[str, Any]] = {}
    for other, pairs in per_thread.items():
        matched = _count_matches(pairs)
        if matched < MIN_MATCHED:
            continue
        them = arc.thread(other)
        assert me.first_ms is not None and them.first_ms is not None
        assert me.last_ms is not None and them.last_ms is not None
        start, end = max(me.first_ms, them.first_ms), min(me.last_ms, them.last_ms)
        compared = min(arc.count_between(tid, start, end), arc.count_between(other, start, end))
        if matched < MIN_MATCHED_SHARE * compared:
            continue
        links[other] = {
            "rule": "content", "matched": matched, "compared": compared,
            "window": [iso(start, 1000), iso(end, 1000)],
        }
    return links


def cutover_candidates(arc: Facts, tid: int) -> list[tuple[int, int]]:
    """(gap in ms, thread id) of every thread ``tid`` could continue or be
    continued by, nearest first."""
    me = arc.thread(tid)
    if me.count == 0:
        return []
    if me.platform == "facebook" and tid in arc.cutover_ids():
        side = "messenger"
    elif me.platform == "messenger":
        side = "cutover"
    else:
        return []
    people, title = arc.signature(tid)
    if not people or people <= _PLACEHOLDER_NAMES:
        return []
    found = []
    for other in arc.pool(side).get(people, ()):
        them = arc.thread(other)
        if them.count == 0:
            continue
        if len(people) > 1 and arc.signature(other)[1] != title:
            continue  # a group: the same people are not enough, the name must agree
        before, after = (me, them) if me.platform == "facebook" else (them, me)
        assert before.last_ms is not None and after.first_ms is not None
        gap = after.first_ms - before.last_ms
        if 0 < gap <= CUTOVER_MAX_GAP_MS:
            found.append((gap, other))
    return sorted(found, key=lambda g: (g[0], arc.thread(g[1]).key))


def _cutover_links(arc: Facts, tid: int) -> dict[int, dict[str, Any]]:
    candidates = cutover_candidates(arc, tid)
    if not candidates:
        return {}
    gap, other = candidates[0]
    back = cutover_candidates(arc, other)
    if not back or back[0][1] != tid:
        return {}  # not mutual nearest: another thread fits better
    return {other: {"rule": "cutover", "gap_days": round(gap / 86_400_000, 1),
                    "people": arc.people(tid)}}


def _auto_links(arc: Facts, tid: int, splits: set[tuple[str, str]]) -> dict[int, dict]:
    me = arc.thread(tid)
    guessed = arc.guessed()
    if tid in guessed:
        return {}  # its app is a guess: no rule may join it to another app
    found = _content_links(arc, tid)
    for other, info in _cutover_links(arc, tid).items():
        found.setdefault(other, info)
    result = {}
    for other, info in found.items():
        them = arc.thread(other)
        if sorted_pair(me.ref, them.ref) in splits or other in guessed:
            continue
        info["ranges"] = {
            t.ref: [iso(t.first_ms, 1000), iso(t.last_ms, 1000)] for t in (me, them)
        }
        result[other] = info
    return result


def relink(arc: Facts, tid: int, splits: set[tuple[str, str]]) -> set[int]:
    """Recompute the rules' findings for ``tid``, on it and on its partners.
    Returns every thread whose findings changed (old and new partners)."""
    conn = arc.conn
    me = arc.thread(tid)
    old = {x["with"]: x for x in load_links(conn, tid)}
    new = _auto_links(arc, tid, splits)
    new_refs = {arc.thread(o).ref: (o, info) for o, info in new.items()}
    affected = {tid}
    for ref in old.keys() - new_refs.keys():
        other = arc.id_of(ref)
        if other is not None:
            save_links(conn, other, [x for x in load_links(conn, other) if x["with"] != me.ref])
            affected.add(other)
    for ref, (other, info) in new_refs.items():
        theirs = [x for x in load_links(conn, other) if x["with"] != me.ref]
        save_links(conn, other, [*theirs, {**info, "with": me.ref}])
        affected.add(other)
    save_links(conn, tid, [{**info, "with": ref} for ref, (_o, info) in new_refs.items()])
    return affected
