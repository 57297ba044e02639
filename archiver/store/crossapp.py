"""Joining the same conversation found in several downloads.

Meta's downloads carry no user ids, so a chat that lived in two apps (Facebook
and Instagram, 2020–2023) or that moved to end-to-end encryption (a Facebook
``e2ee_cutover`` thread continued in the encrypted-chat download) arrives as
separate threads. Two rules join them:

``content``  the threads share messages: same ``timestamp_ms`` and the same
             normalised text (or, for messages without text, the same kind and
             attachment kinds); a time read from an HTML page (to the minute
             or second, ``time_precision``) stands for every time inside it. At least :data:`MIN_MATCHED` messages must match
             AND they must be at least :data:`MIN_MATCHED_SHARE` of the messages
             the smaller thread has inside the time window both threads cover.
             The count alone keeps a coincidental "ok" at the same second from
             joining strangers; the share keeps a few coincidences scattered over
             years of two busy chats from doing it.
``cutover``  a Facebook thread in ``e2ee_cutover`` and an encrypted-chat thread
             with the same other people (owners left out, names compared without
             case or accents; groups must also share their title), the second
             starting after the first ends and within :data:`CUTOVER_MAX_GAP_MS`.
             When several could pair up, only mutual nearest ones do.

The rules are a function of the archive's content, never of import order, so
Instagram-then-Facebook gives the same archive as Facebook-then-Instagram. A
rule's finding is stored on both threads in ``threads.linked_by`` (JSON list of
``{"with", "rule", "matched", …}``); the user's own decisions live in
``thread_links`` (keyed by ``"platform:key"``, so they outlive re-imports) and
win over the rules: ``split`` forbids a join, ``join`` forces one.

Conversations are the connected groups of threads. Inside one, a message found
in two threads is kept once: the copy from the preferred platform (Facebook >
Messenger > Instagram) stays, the others get ``duplicate_of`` pointing at it,
and the kept copy also lists their downloads in ``message_downloads``.
"""

from __future__ import annotations

import json
import sqlite3
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlite_utils

from ..folding import match_form
from ..timefmt import now_iso
from . import conversations

MIN_MATCHED = 3
# The coarsest precision a stored time has (an HTML page's minute).
_WIDEST_MS = 60_000
MIN_MATCHED_SHARE = 0.5
CUTOVER_SECTION = "e2ee_cutover"
CUTOVER_MAX_GAP_MS = 180 * 86_400_000
PLATFORM_PREFERENCE: tuple[str, ...] = ("facebook", "messenger", "instagram")
# Names Meta gives deleted accounts: never evidence that two threads are one.
_PLACEHOLDER_NAMES = {"facebook user", "instagram user", "messenger user", "deleted user"}
_CHECKED_KEY = "crossapp_checked_message_id"
_ALIASES_KEY = "owner_names"  # schema 9: evidence only ("owner_aliases" joined every owner)
_DECISIONS_KEY = "owner_decisions"
# Letters that Unicode does not decompose into a base letter and an accent.
_UNACCENT = str.maketrans({"ł": "l", "ø": "o", "đ": "d", "ħ": "h", "ı": "i", "æ": "ae",
                           "œ": "oe", "þ": "th", "ð": "d"})


class LinkError(Exception):
    """A join or split the user asked for cannot be done as asked."""


def thread_ref(platform: str, key: str) -> str:
    """The stable name of a thread across imports: ``platform:key``."""
    return f"{platform}:{key}"


def _rank(platform: str) -> int:
    try:
        return PLATFORM_PREFERENCE.index(platform)
    except ValueError:
        return len(PLATFORM_PREFERENCE)


def _iso(ms: int | None) -> str | None:
    if ms is None:
        return None
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def normalise_name(name: str) -> str:
    """A person's name as compared across downloads: no case, no accents."""
    decomposed = unicodedata.normalize("NFKD", name.casefold().translate(_UNACCENT))
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(bare.split())


# -- the archive's threads, as the rules see them ----------------------------


@dataclass
class _Thread:
    id: int
    platform: str
    key: str
    title: str
    conversation_id: int
    count: int
    first_ms: int | None
    last_ms: int | None

    @property
    def ref(self) -> str:
        return thread_ref(self.platform, self.key)

    @property
    def preference(self) -> tuple[int, str]:
        return (_rank(self.platform), self.key)


class _Archive:
    """Cached facts about threads for one linking pass (one transaction)."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self._threads: dict[int, _Thread] = {}
        self._by_ref: dict[str, int] | None = None
        self._signatures: dict[int, tuple[frozenset[str], str]] = {}
        self._all_owners = {
            normalise_name(r[0])
            for r in conn.execute("SELECT DISTINCT owner FROM downloads WHERE owner IS NOT NULL")
        }
        self._cutover_ids: set[int] | None = None
        self._pools: dict[str, dict[frozenset[str], list[int]]] = {}
        self._platforms: set[str] | None = None
        self._imprecise: bool | None = None

    def imprecise(self) -> bool:
        """Whether the archive holds messages read from HTML pages (times to
        the minute or second)."""
        if self._imprecise is None:
            self._imprecise = self.conn.execute(
                "SELECT EXISTS (SELECT 1 FROM downloads WHERE time_offset IS NOT NULL)"
            ).fetchone()[0] == 1
        return self._imprecise

    def platforms(self) -> set[str]:
        """The platforms the archive holds threads of."""
        if self._platforms is None:
            self._platforms = {r[0] for r in self.conn.execute(
                "SELECT DISTINCT platform FROM threads")}
        return self._platforms

    def thread(self, tid: int) -> _Thread:
        if tid not in self._threads:
            row = self.conn.execute(
                "SELECT t.id, t.platform, t.key, t.title, t.conversation_id, "
                "(SELECT COUNT(*) FROM messages m WHERE m.thread_id = t.id), "
                "(SELECT MIN(timestamp_ms) FROM messages m WHERE m.thread_id = t.id), "
                "(SELECT MAX(timestamp_ms) FROM messages m WHERE m.thread_id = t.id) "
                "FROM threads t WHERE t.id = ?",
                (tid,),
            ).fetchone()
            if row is None:
                raise KeyError(tid)
            self._threads[tid] = _Thread(*row[:3], row[3] or "", *row[4:])
        return self._threads[tid]

    def forget(self, tid: int) -> None:
        """Drop what is cached about a thread (its conversation changed)."""
        self._threads.pop(tid, None)

    def id_of(self, ref: str) -> int | None:
        if self._by_ref is None:
            self._by_ref = {
                thread_ref(p, k): i for i, p, k in self.conn.execute(
                    "SELECT id, platform, key FROM threads"
                )
            }
        return self._by_ref.get(ref)

    def exists(self, tid: int) -> bool:
        try:
            self.thread(tid)
        except KeyError:
            return False
        return True

    def count_between(self, tid: int, first: int, last: int) -> int:
        return int(self.conn.execute(
            "SELECT COUNT(*) FROM messages WHERE thread_id = ? AND timestamp_ms BETWEEN ? AND ?",
            (tid, first, last),
        ).fetchone()[0])

    def owners(self, tid: int) -> set[str]:
        """The owners of the downloads that held a thread (compared without
        case or accents); every download's owner when none of its own is
        known. Another person's download in the archive leaves that person
        among the people of this one's threads."""
        own = {
            normalise_name(r[0]) for r in self.conn.execute(
                "SELECT DISTINCT d.owner FROM thread_parts tp JOIN downloads d "
                "ON d.id = tp.download_id WHERE tp.thread_id = ? AND d.owner IS NOT NULL",
                (tid,),
            )
        }
        return own or self._all_owners

    # The people a thread is with, without its owner.
    def signature(self, tid: int) -> tuple[frozenset[str], str]:
        if tid not in self._signatures:
            names = {
                normalise_name(r[0]) for r in self.conn.execute(
                    "SELECT name FROM participants WHERE thread_id = ?", (tid,)
                )
            }
            others = frozenset(n for n in names - self.owners(tid) if n)
            self._signatures[tid] = (others, normalise_name(self.thread(tid).title))
        return self._signatures[tid]

    def people(self, tid: int) -> list[str]:
        """The names a thread's other people go by in it (for explanations)."""
        owners = self.owners(tid)
        return sorted(
            r[0] for r in self.conn.execute(
                "SELECT name FROM participants WHERE thread_id = ?", (tid,)
            ) if normalise_name(r[0]) not in owners
        )

    def cutover_ids(self) -> set[int]:
        if self._cutover_ids is None:
            self._cutover_ids = {
                r[0] for r in self.conn.execute(
                    "SELECT DISTINCT tp.thread_id FROM thread_parts tp "
                    "JOIN threads t ON t.id = tp.thread_id "
                    "WHERE tp.section = ? AND t.platform = 'facebook'",
                    (CUTOVER_SECTION,),
                )
            }
        return self._cutover_ids

    def pool(self, side: str) -> dict[frozenset[str], list[int]]:
        """Threads of one side of the cutover rule ("cutover": Facebook threads
        in e2ee_cutover, "messenger": encrypted chats) by their other people."""
        if side not in self._pools:
            if side == "cutover":
                ids = sorted(self.cutover_ids())
            else:
                ids = [r[0] for r in self.conn.execute(
                    "SELECT id FROM threads WHERE platform = 'messenger' ORDER BY id"
                )]
            pool: dict[frozenset[str], list[int]] = defaultdict(list)
            for tid in ids:
                pool[self.signature(tid)[0]].append(tid)
            self._pools[side] = pool
        return self._pools[side]


# -- decisions and stored findings -------------------------------------------


def _pair(a: str, b: str) -> tuple[str, str]:
    return (a, b) if a <= b else (b, a)


def _decisions(conn: sqlite3.Connection, decision: str) -> dict[tuple[str, str], str]:
    return {
        (a, b): created for a, b, created in conn.execute(
            "SELECT a, b, created FROM thread_links WHERE decision = ?", (decision,)
        )
    }


def _load_links(conn: sqlite3.Connection, tid: int) -> list[dict[str, Any]]:
    row = conn.execute("SELECT linked_by FROM threads WHERE id = ?", (tid,)).fetchone()
    if not row or not row[0]:
        return []
    try:
        links = json.loads(row[0])
    except ValueError:
        return []
    return [x for x in links if isinstance(x, dict) and isinstance(x.get("with"), str)] \
        if isinstance(links, list) else []


def _save_links(conn: sqlite3.Connection, tid: int, links: list[dict[str, Any]]) -> None:
    links = sorted(links, key=lambda x: x["with"])
    value = json.dumps(links, ensure_ascii=False, sort_keys=True) if links else None
    conn.execute("UPDATE threads SET linked_by = ? WHERE id = ?", (value, tid))


# -- the rules ---------------------------------------------------------------


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


def _keys(conn: sqlite3.Connection, rows: Iterable[tuple[int, str | None, str]]) -> dict[int, str]:
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


def _content_links(arc: _Archive, tid: int) -> dict[int, dict[str, Any]]:
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
    keys = _keys(conn, [(r[1], r[3], r[4]) for r in rows])
    keys.update(_keys(conn, [(r[5], r[6], r[7]) for r in rows]))
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
            "window": [_iso(start), _iso(end)],
        }
    return links


def _cutover_candidates(arc: _Archive, tid: int) -> list[tuple[int, int]]:
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


def _cutover_links(arc: _Archive, tid: int) -> dict[int, dict[str, Any]]:
    candidates = _cutover_candidates(arc, tid)
    if not candidates:
        return {}
    gap, other = candidates[0]
    back = _cutover_candidates(arc, other)
    if not back or back[0][1] != tid:
        return {}  # not mutual nearest: another thread fits better
    return {other: {"rule": "cutover", "gap_days": round(gap / 86_400_000, 1),
                    "people": arc.people(tid)}}


def _auto_links(arc: _Archive, tid: int, splits: set[tuple[str, str]]) -> dict[int, dict]:
    me = arc.thread(tid)
    found = _content_links(arc, tid)
    for other, info in _cutover_links(arc, tid).items():
        found.setdefault(other, info)
    result = {}
    for other, info in found.items():
        them = arc.thread(other)
        if _pair(me.ref, them.ref) in splits:
            continue
        info["ranges"] = {
            t.ref: [_iso(t.first_ms), _iso(t.last_ms)] for t in (me, them)
        }
        result[other] = info
    return result


def _relink(arc: _Archive, tid: int, splits: set[tuple[str, str]]) -> set[int]:
    """Recompute the rules' findings for ``tid``, on it and on its partners.
    Returns every thread whose findings changed (old and new partners)."""
    conn = arc.conn
    me = arc.thread(tid)
    old = {x["with"]: x for x in _load_links(conn, tid)}
    new = _auto_links(arc, tid, splits)
    new_refs = {arc.thread(o).ref: (o, info) for o, info in new.items()}
    affected = {tid}
    for ref in old.keys() - new_refs.keys():
        other = arc.id_of(ref)
        if other is not None:
            _save_links(conn, other, [x for x in _load_links(conn, other) if x["with"] != me.ref])
            affected.add(other)
    for ref, (other, info) in new_refs.items():
        theirs = [x for x in _load_links(conn, other) if x["with"] != me.ref]
        _save_links(conn, other, [*theirs, {**info, "with": me.ref}])
        affected.add(other)
    _save_links(conn, tid, [{**info, "with": ref} for ref, (_o, info) in new_refs.items()])
    return affected


# -- grouping threads into conversations -------------------------------------


def _edges(arc: _Archive, tid: int, joins: dict[tuple[str, str], str],
           splits: set[tuple[str, str]]) -> set[int]:
    me = arc.thread(tid)
    partners = set()
    for link in _load_links(arc.conn, tid):
        other = arc.id_of(link["with"])
        if other is not None and _pair(me.ref, link["with"]) not in splits:
            partners.add(other)
    for a, b in joins:
        if me.ref in (a, b):
            other = arc.id_of(b if a == me.ref else a)
            if other is not None and other != tid:
                partners.add(other)
    return partners


def _regroup(arc: _Archive, seeds: set[int]) -> None:
    """Make conversations the connected groups of threads around ``seeds``,
    and mark the duplicates inside each."""
    conn = arc.conn
    joins = _decisions(conn, "join")
    splits = set(_decisions(conn, "split"))
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


def _stable_ids(arc: _Archive, components: list[list[int]], universe: set[int]) -> list[int]:
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


def _mark_duplicates(arc: _Archive, comp: list[int]) -> bool:
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
        keys = _keys(conn, [(r[0], r[3], r[4]) for r in rows])
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
    arc: _Archive, comp: list[int], new: dict[int, int], thread_of: dict[int, int]
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
    keys = _keys(conn, [(r[0], r[3], r[4]) for r in rows])
    keys.update(_keys(conn, [(r[5], r[7], r[8]) for r in rows]))
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
    arc: _Archive, old: dict[int, int], new: dict[int, int], thread_of: dict[int, int]
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


# -- owner names -------------------------------------------------------------
#
# Each download has an owner (``downloads.owner``). Two owners' names are one
# person only on evidence: the archive holds a message of one owner's download
# and its copy from the other's (a cross-app conversation, ``duplicate_of``),
# each sent by its download's owner ("Jordan Lee" on Facebook is "Jordan L."
# on Instagram), or the user joined them (``chatkeep link --person``). The
# user's decisions live in ``meta`` (:data:`_DECISIONS_KEY`) and win: a split
# undoes the evidence. Two people's downloads in one archive keep two names.


def _owner_rows(conn: sqlite3.Connection) -> list[tuple[str, str, str]]:
    """(platform, download name, owner) of every download with an owner."""
    return conn.execute(
        "SELECT platform, name, owner FROM downloads WHERE owner IS NOT NULL AND owner != ''"
    ).fetchall()


def person_decisions(conn: sqlite3.Connection) -> dict[tuple[str, str], dict[str, str]]:
    """The user's joins and splits of owners: (name, name) sorted → decision
    ("join" or "split") and when."""
    row = conn.execute("SELECT value FROM meta WHERE key = ?", (_DECISIONS_KEY,)).fetchone()
    found: dict[tuple[str, str], dict[str, str]] = {}
    try:
        listed = json.loads(row[0]) if row and row[0] else []
    except ValueError:
        listed = []
    for item in listed if isinstance(listed, list) else []:
        if isinstance(item, dict) and isinstance(item.get("a"), str) \
                and isinstance(item.get("b"), str) and item.get("decision") in ("join", "split"):
            found[_pair(item["a"], item["b"])] = {
                "decision": item["decision"], "created": str(item.get("created", ""))}
    return found


def _save_person_decisions(
    conn: sqlite3.Connection, decisions: dict[tuple[str, str], dict[str, str]]
) -> None:
    listed = [{"a": a, "b": b, **d} for (a, b), d in sorted(decisions.items())]
    conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
                 (_DECISIONS_KEY, json.dumps(listed, ensure_ascii=False, sort_keys=True)))


def owner_evidence(conn: sqlite3.Connection) -> dict[tuple[str, str], dict[str, Any]]:
    """Pairs of owners' names that the archive shows to be one person: per
    pair (sorted), how many messages one sent in their download are the
    other's in theirs, and in which conversations."""
    owners: dict[int, set[str]] = defaultdict(set)  # thread → its downloads' owners
    for tid, owner in conn.execute(
        "SELECT tp.thread_id, d.owner FROM thread_parts tp JOIN downloads d "
        "ON d.id = tp.download_id WHERE d.owner IS NOT NULL AND d.owner != ''"
    ):
        owners[tid].add(owner)
    found: dict[tuple[str, str], dict[str, Any]] = {}
    for cid, kept_thread, kept_sender, copy_thread, copy_sender, n in conn.execute(
        "SELECT k.conversation_id, k.thread_id, k.sender, c.thread_id, c.sender, COUNT(*) "
        "FROM messages c JOIN messages k ON k.id = c.duplicate_of "
        "WHERE c.duplicate_of IS NOT NULL AND c.sender != k.sender "
        "GROUP BY 1, 2, 3, 4, 5"
    ):
        if kept_sender in owners.get(kept_thread, ()) and copy_sender in owners.get(
                copy_thread, ()):
            pair = _pair(kept_sender, copy_sender)
            seen = found.setdefault(pair, {"matched": 0, "conversations": []})
            seen["matched"] += n
            if cid not in seen["conversations"]:
                seen["conversations"].append(cid)
    return found


def _people_groups(conn: sqlite3.Connection) -> list[list[str]]:
    """The owners' names grouped into people: evidence and the user's joins
    connect two names, the user's splits keep them apart."""
    names = {owner for _p, _n, owner in _owner_rows(conn)}
    decisions = person_decisions(conn)
    edges = {pair for pair in owner_evidence(conn) if pair[0] in names and pair[1] in names}
    edges |= {pair for pair, d in decisions.items() if d["decision"] == "join"
              and pair[0] in names and pair[1] in names}
    edges -= {pair for pair, d in decisions.items() if d["decision"] == "split"}
    parent = {n: n for n in names}

    def root(n: str) -> str:
        while parent[n] != n:
            parent[n] = parent[parent[n]]
            n = parent[n]
        return n

    for a, b in sorted(edges):
        ra, rb = root(a), root(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    groups: dict[str, list[str]] = defaultdict(list)
    for n in sorted(names):
        groups[root(n)].append(n)
    return list(groups.values())


def _compute_owner_aliases(conn: sqlite3.Connection) -> dict[str, str]:
    rows = _owner_rows(conn)
    aliases: dict[str, str] = {}
    for group in _people_groups(conn):
        if len(group) < 2:
            continue
        # The preferred platform's name; among its downloads the one named
        # last (download names carry their date), so import order never matters.
        mine = sorted((r for r in rows if r[2] in group), key=lambda r: r[1], reverse=True)
        mine.sort(key=lambda r: _rank(r[0]))
        shown = mine[0][2]
        aliases.update({name: shown for name in group if name != shown})
    return aliases


def owner_aliases(db: sqlite_utils.Database) -> dict[str, str]:
    """The names of owners shown to be one person → the name to show.

    "Jordan L." (Instagram) and "Jordan Lee" (Facebook) are one person when
    the archive shows it (see above): views show ``aliases.get(name, name)``
    for senders, reaction actors and participants. Two people's downloads
    keep their own names. Recorded in ``meta`` by each linking pass; computed
    from the archive when there is no record yet.
    """
    row = db.execute("SELECT value FROM meta WHERE key = ?", (_ALIASES_KEY,)).fetchone()
    if row and row[0]:
        try:
            value = json.loads(row[0])
            if isinstance(value, dict):
                return {str(k): str(v) for k, v in value.items()}
        except ValueError:
            pass
    return _compute_owner_aliases(db.conn)


def record_owner_aliases(conn: sqlite3.Connection) -> None:
    """Store the owners' aliases as the archive now shows them."""
    conn.execute(
        "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
        (_ALIASES_KEY, json.dumps(_compute_owner_aliases(conn), ensure_ascii=False,
                                  sort_keys=True)),
    )


def owner_names(conn: sqlite3.Connection, name: str) -> list[str]:
    """The owners' names ``name`` stands for: exactly one, else those equal
    to it without case or accents."""
    names = sorted({owner for _p, _n, owner in _owner_rows(conn)})
    if name in names:
        return [name]
    wanted = normalise_name(name)
    return [n for n in names if normalise_name(n) == wanted]


def join_people(db: sqlite_utils.Database, a: str, b: str) -> dict[str, str]:
    """Make two downloads' owners one person, for good (``chatkeep link
    --person``); returns the new aliases. Names must be owners' names."""
    conn = db.conn
    with _transaction(conn):
        decisions = person_decisions(conn)
        decisions[_pair(a, b)] = {"decision": "join", "created": now_iso()}
        _save_person_decisions(conn, decisions)
        record_owner_aliases(conn)
    return owner_aliases(db)


def split_person(db: sqlite_utils.Database, name: str) -> dict[str, str]:
    """Keep an owner's name apart from every other owner's, for good, the
    archive's evidence notwithstanding (``chatkeep unlink --person``)."""
    conn = db.conn
    with _transaction(conn):
        decisions = person_decisions(conn)
        for group in _people_groups(conn):
            if name in group:
                for other in group:
                    if other != name:
                        decisions[_pair(name, other)] = {"decision": "split", "created": now_iso()}
        _save_person_decisions(conn, decisions)
        record_owner_aliases(conn)
    return owner_aliases(db)


def explain_people(conn: sqlite3.Connection, download_ids: Iterable[int]) -> list[dict[str, Any]]:
    """Why the owners of the given downloads are shown as they are: each name
    with the name it is shown as and the reason (the messages that show it, or
    the user's decision); names kept apart by the user too."""
    rows = _owner_rows(conn)
    ids = list(download_ids)
    if not ids:
        return []
    marks = ",".join("?" * len(ids))
    here = {r[0] for r in conn.execute(
        f"SELECT owner FROM downloads WHERE id IN ({marks}) AND owner IS NOT NULL", ids)}
    aliases = _compute_owner_aliases(conn)
    evidence = owner_evidence(conn)
    decisions = person_decisions(conn)
    downloads: dict[str, list[str]] = defaultdict(list)
    for _p, name, owner in rows:
        downloads[owner].append(name)
    out: list[dict[str, Any]] = []
    for group in _people_groups(conn):
        if not set(group) & here:
            continue
        shown = aliases.get(group[0], group[0])
        reasons = []
        for i, a in enumerate(group):
            for b in group[i + 1:]:
                pair = _pair(a, b)
                decision = decisions.get(pair, {})
                if decision.get("decision") == "join":
                    reasons.append({"names": list(pair), "rule": "manual",
                                    "created": decision["created"]})
                elif pair in evidence:
                    reasons.append({"names": list(pair), "rule": "same messages",
                                    **evidence[pair]})
        apart = [{"names": list(pair), "created": d["created"]} for pair, d in
                 sorted(decisions.items()) if d["decision"] == "split" and set(pair) & set(group)]
        out.append({"shown": shown, "names": group,
                    "downloads": {n: sorted(downloads[n]) for n in group},
                    "joined": reasons, "kept_apart": apart})
    return out


# -- public entry points -----------------------------------------------------


@contextmanager
def _transaction(conn: sqlite3.Connection) -> Iterator[None]:
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def link_threads(db: sqlite_utils.Database, thread_ids: set[int]) -> None:
    """Join the given threads to the conversations they continue or repeat.

    Also covers threads that got messages since the last pass (an import that
    was interrupted before it could link). Leaves the conversations it changed
    dirty for :func:`conversations.refresh_conversations`.
    """
    conn = db.conn
    with _transaction(conn):
        row = conn.execute("SELECT value FROM meta WHERE key = ?", (_CHECKED_KEY,)).fetchone()
        checked = int(row[0]) if row and row[0] else 0
        newest = conn.execute("SELECT MAX(id) FROM messages").fetchone()[0] or 0
        touched = set(thread_ids)
        if newest > checked:
            touched |= {r[0] for r in conn.execute(
                "SELECT DISTINCT thread_id FROM messages WHERE id > ?", (checked,)
            )}
        arc = _Archive(conn)
        touched = {t for t in touched if arc.exists(t)}
        splits = set(_decisions(conn, "split"))
        # A new continuation can be nearer than the one a cutover thread had:
        # recompute the cutover candidates' findings too.
        todo = set(touched)
        for tid in touched:
            todo |= {o for _g, o in _cutover_candidates(arc, tid)}
        seeds: set[int] = set()
        for tid in sorted(todo):
            seeds |= _relink(arc, tid, splits)
        if seeds:
            _regroup(arc, seeds)
        # After the regrouping: owners are one person by the copies it marks.
        record_owner_aliases(conn)
        conn.execute(
            "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (_CHECKED_KEY, str(newest))
        )


def _conversation_threads(conn: sqlite3.Connection, cid: int) -> list[tuple[int, str]]:
    rows = conn.execute(
        "SELECT id, platform, key FROM threads WHERE conversation_id = ?", (cid,)
    ).fetchall()
    rows.sort(key=lambda r: (_rank(r[1]), r[2]))
    return [(r[0], thread_ref(r[1], r[2])) for r in rows]


def join_by_hand(db: sqlite_utils.Database, a: int | str, b: int | str) -> int:
    """Join two conversations (by id) or two threads (by ``platform:key``) for
    good; returns the joined conversation's id. The choice is kept in
    ``thread_links`` and outlives later imports."""
    conn = db.conn
    with _transaction(conn):
        arc = _Archive(conn)
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
            [_pair(x, y) for _i, x in side_a for _j, y in side_b],
        )
        conn.execute(
            "INSERT OR REPLACE INTO thread_links (a, b, decision, created) VALUES (?, ?, 'join', ?)",
            (*_pair(ra, rb), now_iso()),
        )
        _regroup(arc, {ta, tb})
        record_owner_aliases(conn)
    conversations.refresh_conversations(db)
    return int(conn.execute("SELECT conversation_id FROM threads WHERE id = ?", (ta,)).fetchone()[0])


def split_by_hand(db: sqlite_utils.Database, cid: int, only: str | None = None) -> list[int]:
    """Split a conversation back into one conversation per thread, for good
    (kept in ``thread_links``); returns the conversations' ids. With ``only``
    (a ``platform:key``), take just that thread out and leave the rest joined."""
    conn = db.conn
    with _transaction(conn):
        threads = _conversation_threads(conn, cid)
        if not threads:
            raise LinkError(f"no conversation with id {cid}")
        refs = [r for _t, r in threads]
        if only is not None and only not in refs:
            raise LinkError(f"thread '{only}' is not in conversation {cid}")
        if len(threads) == 1:
            return [cid]
        if only is None:
            pairs = [_pair(x, y) for i, x in enumerate(refs) for y in refs[i + 1:]]
        else:
            pairs = [_pair(only, y) for y in refs if y != only]
        now = now_iso()
        conn.executemany("DELETE FROM thread_links WHERE a = ? AND b = ?", pairs)
        conn.executemany(
            "INSERT INTO thread_links (a, b, decision, created) VALUES (?, ?, 'split', ?)",
            [(x, y, now) for x, y in pairs],
        )
        apart = set(pairs)
        for tid, ref in threads:
            _save_links(conn, tid, [
                x for x in _load_links(conn, tid) if _pair(ref, x["with"]) not in apart
            ])
        _regroup(_Archive(conn), {t for t, _r in threads})
        record_owner_aliases(conn)
    conversations.refresh_conversations(db)
    return sorted({
        conn.execute("SELECT conversation_id FROM threads WHERE id = ?", (t,)).fetchone()[0]
        for t, _r in threads
    })


def explain(db: sqlite_utils.Database, cid: int) -> dict[str, Any]:
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
            "first": _iso(first), "last": _iso(last), "parts": parts,
        })
    links: list[dict[str, Any]] = []
    seen: set[tuple[str, str]] = set()
    for ref, tid in refs.items():
        for link in _load_links(conn, tid):
            pair = _pair(ref, link["with"])
            if link["with"] in refs and pair not in seen:
                seen.add(pair)
                info = {k: v for k, v in link.items() if k != "with"}
                links.append({"threads": list(pair), **info})
    for (a, b), created in _decisions(conn, "join").items():
        if a in refs or b in refs:
            links.append({"threads": [a, b], "rule": "manual", "created": created})
    kept_apart = [
        {"threads": [a, b], "created": created}
        for (a, b), created in _decisions(conn, "split").items() if a in refs or b in refs
    ]
    links.sort(key=lambda x: (x["threads"], x["rule"]))
    kept_apart.sort(key=lambda x: x["threads"])
    downloads = [r[0] for r in conn.execute(
        "SELECT DISTINCT tp.download_id FROM thread_parts tp JOIN threads t "
        "ON t.id = tp.thread_id WHERE t.conversation_id = ?", (cid,))]
    return {"conversation": cid, "threads": threads, "links": links, "kept_apart": kept_apart,
            "owners": explain_people(conn, downloads)}
