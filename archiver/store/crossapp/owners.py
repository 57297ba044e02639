"""The owners' names: which downloads' owners are one person.

Each download has an owner (``downloads.owner``). Two owners' names are one
person only on evidence: the archive holds a message of one owner's download
and its copy from the other's (a cross-app conversation, ``duplicate_of``),
each sent by its download's owner ("Jordan Lee" on Facebook is "Jordan L."
on Instagram), or the user joined them (``chatkeep link --person``). The
user's decisions live in ``meta`` (:data:`_DECISIONS_KEY`) and win: a split
undoes the evidence. Two people's downloads in one archive keep two names.
"""

from __future__ import annotations

import json
import sqlite3
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from ...timefmt import now_iso
from ..database import Database
from .facts import normalise_name, platform_rank, sorted_pair, transaction

_ALIASES_KEY = "owner_names"  # schema 9: evidence only ("owner_aliases" joined every owner)
_DECISIONS_KEY = "owner_decisions"


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
            found[sorted_pair(item["a"], item["b"])] = {
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
            pair = sorted_pair(kept_sender, copy_sender)
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
        mine.sort(key=lambda r: platform_rank(r[0]))
        shown = mine[0][2]
        aliases.update({name: shown for name in group if name != shown})
    return aliases


def owner_aliases(db: Database) -> dict[str, str]:
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


def join_people(db: Database, a: str, b: str) -> dict[str, str]:
    """Make two downloads' owners one person, for good (``chatkeep link
    --person``); returns the new aliases. Names must be owners' names."""
    conn = db.conn
    with transaction(conn):
        decisions = person_decisions(conn)
        decisions[sorted_pair(a, b)] = {"decision": "join", "created": now_iso()}
        _save_person_decisions(conn, decisions)
        record_owner_aliases(conn)
    return owner_aliases(db)


def split_person(db: Database, name: str) -> dict[str, str]:
    """Keep an owner's name apart from every other owner's, for good, the
    archive's evidence notwithstanding (``chatkeep unlink --person``)."""
    conn = db.conn
    with transaction(conn):
        decisions = person_decisions(conn)
        for group in _people_groups(conn):
            if name in group:
                for other in group:
                    if other != name:
                        decisions[sorted_pair(name, other)] = {"decision": "split",
                                                               "created": now_iso()}
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
                pair = sorted_pair(a, b)
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
