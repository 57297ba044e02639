"""Conversations as the connected groups of threads: the rules' findings and
the user's joins connect two threads, splits keep them apart; a group keeps
the smallest of its threads' own ids; inside a group each message is kept
once (the preferred platform's copy), its copies marked ``duplicate_of``."""

from __future__ import annotations

from collections import defaultdict

from .. import conversations
from .facts import Facts, load_links, sorted_pair, thread_decisions
from .rules import match_keys


def _edges(arc: Facts, tid: int, joins: dict[tuple[str, str], str],
           splits: set[tuple[str, str]]) -> set[int]:
    me = arc.thread(tid)
    partners = set()
    for link in load_links(arc.conn, tid):
        other = arc.id_of(link["with"])
        if other is not None and sorted_pair(me.ref, link["with"]) not in splits:
            partners.add(other)
    for a, b in joins:
        if me.ref in (a, b):
            other = arc.id_of(b if a == me.ref else a)
            if other is not None and other != tid:
                partners.add(other)
    return partners


def regroup(arc: Facts, seeds: set[int]) -> None:
    """Make conversations the connected groups of threads around ``seeds``,
    and mark the duplicates inside each."""
    conn = arc.conn
    joins = thread_decisions(conn, "join")
    splits = set(thread_decisions(conn, "split"))
    universe: set[int] = set()
    frontier = {t for t in seeds if arc.exists(t)}
    graph: dict[int, set[int]] = {}
    while frontier:
        tid = frontier.pop()
        if tid in universe:
            continue
        universe.add(tid)
        graph[tid] = _edges(arc, tid, joins, splits)
        mates = {r[0] for r in conn.execute(
            "SELECT id FROM threads WHERE conversation_id = ?", (arc.thread(tid).conversation_id,)
        )}
        frontier |= (graph[tid] | mates) - universe
    # Connected components (edges are symmetric, but be safe about stale ones).
    adjacency: dict[int, set[int]] = defaultdict(set)
    for tid, partners in graph.items():
        for other in partners & universe:
            adjacency[tid].add(other)
            adjacency[other].add(tid)
    components: list[list[int]] = []
    seen: set[int] = set()
    for tid in sorted(universe):
        if tid in seen:
            continue
        stack, comp = [tid], []
        seen.add(tid)
        while stack:
            t = stack.pop()
            comp.append(t)
            for o in adjacency[t] - seen:
                seen.add(o)
                stack.append(o)
        components.append(sorted(comp))
    old_members: dict[int, set[int]] = defaultdict(set)
    for tid in universe:
        old_members[arc.thread(tid).conversation_id].add(tid)
    targets = _stable_ids(arc, components, universe)
    dirty: set[int] = set()
    for comp, target in zip(components, targets, strict=True):
        changed = set(comp) != old_members.get(target, set())
        for t in comp:
            old_cid = arc.thread(t).conversation_id
            if old_cid != target:
                conn.execute("UPDATE threads SET conversation_id = ? WHERE id = ?", (target, t))
                conn.execute(
                    "UPDATE messages SET conversation_id = ? WHERE thread_id = ?", (target, t)
                )
                dirty |= {old_cid, target}
                arc.forget(t)
        # New messages may pair up even when the threads stay together.
        if (changed or len(comp) > 1) and _mark_duplicates(arc, comp):
            dirty.add(target)
    conversations.mark_dirty(conn, dirty)


def _stable_ids(arc: Facts, components: list[list[int]], universe: set[int]) -> list[int]:
    """The conversation id each group of threads keeps: a joined conversation
    takes the smallest id among its threads' own ids (``home_conversation_id``,
    the id each had when it arrived) and their current ones, and a thread split
    off gets its own id back, so ids never move while a conversation exists."""
    conn = arc.conn
    homes = {
        tid: home for tid, home in conn.execute(
            f"SELECT id, home_conversation_id FROM threads WHERE id IN "
            f"({','.join('?' * len(universe))})", sorted(universe),
        )
    }

    def candidates(comp: list[int]) -> list[int]:
        own = sorted({homes[t] for t in comp if homes.get(t) is not None})
        current = sorted({arc.thread(t).conversation_id for t in comp} - set(own))
        return own + current

    def used_elsewhere(cid: int) -> bool:
        """Whether a thread outside this regrouping belongs to ``cid``."""
        rows = conn.execute("SELECT id FROM threads WHERE conversation_id = ?", (cid,))
        return any(r[0] not in universe for r in rows)

    order = sorted(range(len(components)), key=lambda i: candidates(components[i])[:1] or [0])
    taken: set[int] = set()
    targets = [0] * len(components)
    for i in order:
        target = next(
            (c for c in candidates(components[i]) if c not in taken and not used_elsewhere(c)),
            None,
        )
        if target is None:
            target = conversations.new_conversation(conn, None)
        else:
            conn.execute(
                "INSERT OR IGNORE INTO conversations (id, dirty) VALUES (?, 1)", (target,)
            )
        taken.add(target)
        targets[i] = target
    # A thread whose own id went to another group (two threads that arrived in
    # one conversation) takes the id it has now as its own.
    owner_of = {target: i for i, target in enumerate(targets)}
    for i, comp in enumerate(components):
        for t in comp:
            if owner_of.get(homes.get(t), i) != i or homes.get(t) is None:
                conn.execute(
                    "UPDATE threads SET home_conversation_id = ? WHERE id = ?", (targets[i], t)
                )
    return targets


def _mark_duplicates(arc: Facts, comp: list[int]) -> bool:
    """Keep each message of a conversation once (see the module docstring);
    returns whether any message changed."""
    conn = arc.conn
    marks = ",".join("?" * len(comp))
    # Undo what an earlier pass did: borrowed download rows, then the marks.
    for tid in comp:
        conn.execute(
            "DELETE FROM message_downloads WHERE message_id IN "
            "(SELECT id FROM messages WHERE thread_id = ?) AND download_id NOT IN "
            "(SELECT download_id FROM thread_parts WHERE thread_id = ?)",
            (tid, tid),
        )
    old = dict(conn.execute(
        f"SELECT id, duplicate_of FROM messages WHERE thread_id IN ({marks}) "
        "AND duplicate_of IS NOT NULL", comp,
    ).fetchall())
    new: dict[int, int] = {}
    thread_of: dict[int, int] = {}
    if len(comp) > 1:
        rows = conn.execute(
            f"SELECT m.id, m.thread_id, m.timestamp_ms, m.text, m.kind FROM messages m "
            f"WHERE m.thread_id IN ({marks}) AND EXISTS (SELECT 1 FROM messages o "
            f"WHERE o.timestamp_ms = m.timestamp_ms AND o.thread_id != m.thread_id "
            f"AND o.thread_id IN ({marks}))",
            comp + comp,
        ).fetchall()
        keys = match_keys(conn, [(r[0], r[3], r[4]) for r in rows])
        groups: dict[tuple[int, str], dict[int, list[int]]] = defaultdict(lambda: defaultdict(list))
        for mid, tid, ts, _text, _kind in rows:
            groups[(ts, keys[mid])][tid].append(mid)
            thread_of[mid] = tid
        order = sorted(comp, key=lambda t: arc.thread(t).preference)
        for per_thread in groups.values():
            if len(per_thread) < 2:
                continue
            kept: list[int] = []
            for tid in order:
                for i, mid in enumerate(sorted(per_thread.get(tid, ()))):
                    if i < len(kept):
                        new[mid] = kept[i]
                    else:
                        kept.append(mid)
        if arc.imprecise():
            _pair_imprecise(arc, comp, new, thread_of)
    conn.executemany(
        "UPDATE messages SET duplicate_of = ? WHERE id = ?",
        [(new.get(mid), mid) for mid in old.keys() | new.keys() if old.get(mid) != new.get(mid)],
    )
    _reorder_reactions(arc, old, new, thread_of)
    # The kept copy knows every download that held the message.
    conn.execute(
        "INSERT OR IGNORE INTO message_downloads (message_id, download_id) "
        "SELECT m.duplicate_of, md.download_id FROM messages m "
        f"JOIN message_downloads md ON md.message_id = m.id WHERE m.thread_id IN ({marks}) "
        "AND m.duplicate_of IS NOT NULL",
        comp,
    )
    return any(old.get(m) != new.get(m) for m in old.keys() | new.keys())


def _pair_imprecise(
    arc: Facts, comp: list[int], new: dict[int, int], thread_of: dict[int, int]
) -> None:
    """The copies :func:`_mark_duplicates` cannot pair by their exact time:
    a time read from an HTML page stands for every time in its precision, so
    a message so read pairs, once, with a message of another thread of the
    same content inside it; the preferred platform's copy is kept."""
    conn = arc.conn
    marks = ",".join("?" * len(comp))
    rows = conn.execute(
        "SELECT m.id, m.thread_id, m.timestamp_ms, m.text, m.kind, o.id, o.thread_id, "
        "o.text, o.kind FROM messages m JOIN messages o ON o.timestamp_ms >= m.timestamp_ms "
        "AND o.timestamp_ms < m.timestamp_ms + m.time_precision "
        f"WHERE m.thread_id IN ({marks}) AND m.time_precision IS NOT NULL "
        f"AND o.thread_id IN ({marks}) AND o.thread_id != m.thread_id "
        "AND o.timestamp_ms != m.timestamp_ms ORDER BY m.timestamp_ms, m.id, o.timestamp_ms, o.id",
        comp + comp,
    ).fetchall()
    if not rows:
        return
    keys = match_keys(conn, [(r[0], r[3], r[4]) for r in rows])
    keys.update(match_keys(conn, [(r[5], r[7], r[8]) for r in rows]))
    taken = set(new) | set(new.values())
    for mid, tid, _ts, _t, _k, oid, otid, _ot, _ok in rows:
        if mid in taken or oid in taken or keys[mid] != keys[oid]:
            continue
        keep, drop = ((mid, oid) if arc.thread(tid).preference <= arc.thread(otid).preference
                      else (oid, mid))
        new[drop] = keep
        taken |= {mid, oid}
        thread_of[mid], thread_of[oid] = tid, otid


def _reorder_reactions(
    arc: Facts, old: dict[int, int], new: dict[int, int], thread_of: dict[int, int]
) -> None:
    """Store a kept message's reactions before its duplicates' ones, and the
    duplicates' in platform order. Views list reactions in row order, and
    without this the row order would follow the import order."""
    conn = arc.conn
    changed = {m for m in old.keys() | new.keys() if old.get(m) != new.get(m)}
    heads = {new[m] for m in changed if m in new}
    if not heads:
        return
    order = sorted(
        (m for m, head in new.items() if head in heads),
        key=lambda m: (new[m], arc.thread(thread_of[m]).preference, m),
    )
    rank = {m: i for i, m in enumerate(order)}
    for start in range(0, len(order), 500):
        chunk = order[start:start + 500]
        marks = ",".join("?" * len(chunk))
        rows = conn.execute(
            "SELECT message_id, actor, reaction, timestamp_ms FROM reactions "
            f"WHERE message_id IN ({marks}) ORDER BY rowid", chunk,
        ).fetchall()
        if not rows:
            continue
        rows.sort(key=lambda r: rank[r[0]])  # stable: each message keeps its own order
        conn.execute(f"DELETE FROM reactions WHERE message_id IN ({marks})", chunk)
        conn.executemany(
            "INSERT INTO reactions (message_id, actor, reaction, timestamp_ms) VALUES (?, ?, ?, ?)",
            rows,
        )
