"""What the joining rules know of the archive's threads, cached for one
linking pass; how a thread and a person's name are compared across downloads;
the rules' stored findings and the user's decisions about threads."""

from __future__ import annotations

import json
import sqlite3
import unicodedata
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

CUTOVER_SECTION = "e2ee_cutover"
PLATFORM_PREFERENCE: tuple[str, ...] = ("facebook", "messenger", "instagram")
# Letters that Unicode does not decompose into a base letter and an accent.
_UNACCENT = str.maketrans({"ł": "l", "ø": "o", "đ": "d", "ħ": "h", "ı": "i", "æ": "ae",
                           "œ": "oe", "þ": "th", "ð": "d"})


def thread_ref(platform: str, key: str) -> str:
    """The stable name of a thread across imports: ``platform:key``."""
    return f"{platform}:{key}"


def platform_rank(platform: str) -> int:
    """Where ``platform`` stands in :data:`PLATFORM_PREFERENCE` (the kept copy's app first)."""
    try:
        return PLATFORM_PREFERENCE.index(platform)
    except ValueError:
        return len(PLATFORM_PREFERENCE)


def normalise_name(name: str) -> str:
    """A person's name as compared across downloads: no case, no accents."""
    decomposed = unicodedata.normalize("NFKD", name.casefold().translate(_UNACCENT))
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(bare.split())


@dataclass
class ThreadFacts:
    """One thread as the rules see it: its app, key, title, conversation and time span."""

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
        return (platform_rank(self.platform), self.key)


class Facts:
    """Cached facts about threads for one linking pass (one transaction)."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self._threads: dict[int, ThreadFacts] = {}
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
        self._guessed: set[int] | None = None

    def guessed(self) -> set[int]:
        """The threads whose app was a guess (nothing in their download told)."""
        if self._guessed is None:
            self._guessed = {r[0] for r in self.conn.execute(
                "SELECT id FROM threads WHERE platform_guessed IS NOT NULL")}
        return self._guessed

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

    def thread(self, tid: int) -> ThreadFacts:
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
            self._threads[tid] = ThreadFacts(*row[:3], row[3] or "", *row[4:])
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


def sorted_pair(a: str, b: str) -> tuple[str, str]:
    """Two names in order: a pair is stored and looked up the same way round."""
    return (a, b) if a <= b else (b, a)


def thread_decisions(conn: sqlite3.Connection, decision: str) -> dict[tuple[str, str], str]:
    """The user's joins (``decision="join"``) or splits of threads: pair → when."""
    return {
        (a, b): created for a, b, created in conn.execute(
            "SELECT a, b, created FROM thread_links WHERE decision = ?", (decision,)
        )
    }


def load_links(conn: sqlite3.Connection, tid: int) -> list[dict[str, Any]]:
    """The rules' findings stored on a thread (``threads.linked_by``); a damaged value is none."""
    row = conn.execute("SELECT linked_by FROM threads WHERE id = ?", (tid,)).fetchone()
    if not row or not row[0]:
        return []
    try:
        links = json.loads(row[0])
    except ValueError:
        return []
    return [x for x in links if isinstance(x, dict) and isinstance(x.get("with"), str)] \
        if isinstance(links, list) else []


def save_links(conn: sqlite3.Connection, tid: int, links: list[dict[str, Any]]) -> None:
    """Store a thread's findings, in a stable order (None when there are none)."""
    links = sorted(links, key=lambda x: x["with"])
    value = json.dumps(links, ensure_ascii=False, sort_keys=True) if links else None
    conn.execute("UPDATE threads SET linked_by = ? WHERE id = ?", (value, tid))


@contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[None]:
    """One write transaction, taken at once (``BEGIN IMMEDIATE``), rolled back on any error."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
