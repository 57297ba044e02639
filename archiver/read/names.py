"""Finding a conversation by what the user typed: its id, a piece of a title
from the start of a word (case, accents and punctuation ignored), or a
thread's key; several matches are listed, none is answered with the nearest
titles. Search's ``in:`` matches the same way."""

from __future__ import annotations

from typing import Any

from ..folding import at_word_start, fold, nfc
from ..store.database import Database
from ..timefmt import iso


class ThreadNotFound(Exception):
    """No conversation has that id or name."""


class AmbiguousThread(Exception):
    """A name that fits several conversations: each is listed with what tells
    them apart (id, platforms, last message date, message count)."""

    def __init__(self, ref: str, matches: list[tuple[int, str, str, int | None, int]]) -> None:
        self.ref = ref
        self.matches = matches
        lines = [
            f"  {cid}  {title}  ({platforms.replace(',', '+') or '?'}, last "
            f"{(iso(last) or '?')[:10]}, {count:,} message{'s' if count != 1 else ''})"
            for cid, title, platforms, last, count in matches[:10]
        ]
        if len(matches) > 10:
            lines.append(f"  and {len(matches) - 10} more")
        super().__init__(
            f"'{ref}' names {len(matches)} conversations; give one's id:\n" + "\n".join(lines)
        )


def resolve_conversation(db: Database, ref: str) -> int:
    """A conversation id from what the user typed: an id, or a name matched as
    search's ``in:`` matches it (case, accents and punctuation ignored, from
    the start of a word of a title, or a thread key exactly). A name that is
    exactly one conversation's whole title wins over longer titles that hold
    it; a name that matches none is answered with the nearest titles."""
    ref = ref.strip()
    titles = title_index(db)
    ids = conversations_named(ref, titles)
    if len(ids) == 1:
        return ids[0]
    if not ids:
        raise ThreadNotFound(f"no conversation matches '{ref}'{_did_you_mean(db, ref, titles)}"
                             " (see: chatkeep threads)")
    wanted = fold(ref)
    exact = sorted({cid for cid, title, _ in titles if cid in ids and title == wanted})
    if len(exact) == 1:
        return exact[0]
    marks = ",".join("?" * len(ids))
    rows = db.execute(
        "SELECT id, COALESCE(title, 'Conversation ' || id), COALESCE(platforms, ''), last_ms, "
        f"message_count FROM conversations WHERE id IN ({marks}) "
        "ORDER BY last_ms DESC, id", list(ids),
    ).fetchall()
    raise AmbiguousThread(ref, [tuple(r) for r in rows])


def _did_you_mean(db: Any, ref: str, titles: list[tuple[int, str, str | None]]) -> str:
    """``; did you mean "Maya Chen" (4)?`` for the titles nearest to a name
    that matched none, or nothing when none is near."""
    nearest = nearest_conversations(ref, titles)
    if not nearest:
        return ""
    conn = getattr(db, "conn", db)
    names = []
    for cid in nearest:
        row = conn.execute("SELECT COALESCE(title, 'Conversation ' || id) FROM conversations "
                           "WHERE id = ?", (cid,)).fetchone()
        names.append(f'"{row[0]}" ({cid})')
    return "; did you mean " + " or ".join(names) + "?"


def nearest_conversations(
    value: str, titles: list[tuple[int, str, str | None]], limit: int = 3
) -> list[int]:
    """Conversations whose title is nearest to ``value`` (a mistyped name:
    "Maya Chn", "Anna"), best first; compared with each run of as many words
    of the title as ``value`` has, so "Anna" meets "Ana" in "Ana María"."""
    from difflib import SequenceMatcher

    wanted = fold(value)
    if not wanted:
        return []
    size = len(wanted.split())
    best: dict[int, float] = {}
    for cid, title, _key in titles:
        words = title.split()
        runs = {" ".join(words[i:i + size]) for i in range(max(1, len(words) - size + 1))}
        score = max(SequenceMatcher(None, wanted, run).ratio() for run in runs)
        if score >= 0.75 and score > best.get(cid, 0.0):
            best[cid] = score
    return sorted(best, key=lambda cid: (-best[cid], cid))[:limit]


def title_index(db: Any) -> list[tuple[int, str, str | None]]:
    """Conversation ids with the folded titles they go by (their own and their
    threads'), and their threads' keys as they are."""
    conn = getattr(db, "conn", db)
    rows = conn.execute(
        "SELECT c.id, c.title, NULL FROM conversations c WHERE c.message_count > 0 UNION ALL "
        "SELECT t.conversation_id, t.title, t.key FROM threads t "
        "JOIN conversations c ON c.id = t.conversation_id WHERE c.message_count > 0"
    ).fetchall()
    return [(cid, fold(title or ""), key) for cid, title, key in rows if cid is not None]


def conversations_named(
    value: str, titles: list[tuple[int, str, str | None]]
) -> tuple[int, ...]:
    """Conversations whose id is ``value``, else whose title holds it from the
    start of a word (accents and case ignored: "ana" finds "Ana María", not
    "Mariana") or whose thread key is exactly it (in NFC)."""
    value = value.strip()
    if value.isdigit() and any(cid == int(value) for cid, _, _ in titles):
        return (int(value),)
    wanted = fold(value)
    key = nfc(value)
    return tuple(sorted({cid for cid, title, k in titles
                         if (wanted and at_word_start(wanted, title)) or k == key}))
