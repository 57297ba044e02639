"""The words that matched: snippets for a page of hits, marked in the scratch
table on folded text and given back in the message's own letters; a whole
message cut into matched and unmatched pieces for the reader."""

from __future__ import annotations

import sqlite3
from typing import Any

from ...folding import fold_letters, unfold_marks
from .query import parse_query
from .scratch import scratch_table

OPEN = "\x02"  # marks where a match starts in a snippet
CLOSE = "\x03"  # and where it ends
SNIPPET_TOKENS = 16
PREVIEW_CHARS = 120


def mark_snippets(
    match: str | None, rows: list[tuple[Any, ...]], open_mark: str, close_mark: str
) -> dict[int, str]:
    """Marked snippets for a page of hits, made in the scratch FTS table so the
    cost is the same whichever plan found them (probing the archive's index by
    id costs a prefix query its whole expansion, once per hit)."""
    if not match or not rows:
        return {}
    with scratch_table() as db:
        db.executemany(
            "INSERT INTO scratch (rowid, text, extra_text) VALUES (?, ?, ?)",
            [(r[0], r[5] and fold_letters(r[5]), r[6] and fold_letters(r[6])) for r in rows],
        )
        found = db.execute(
            "SELECT rowid, snippet(scratch, -1, ?, ?, '…', ?) FROM scratch "
            "WHERE scratch MATCH ?",
            (open_mark, close_mark, SNIPPET_TOKENS, match),
        ).fetchall()
    texts = {r[0]: (r[5], r[6]) for r in rows}
    return {rowid: " ".join(_unfolded(s, texts[rowid], open_mark, close_mark).split())
            for rowid, s in found if s and s.strip()}


def _unfolded(snippet: str, texts: tuple[str | None, str | None], open_mark: str,
              close_mark: str) -> str:
    """The snippet in the message's own letters (it was made on folded text)."""
    for text in texts:
        if text and fold_letters(text) != text:
            unfolded = unfold_marks(text, snippet, open_mark, close_mark)
            if unfolded != snippet:
                return unfolded
    return snippet


def preview(text: str | None, extra: str | None, kind: str) -> str:
    """The start of a message, as the snippet of a hit found by filters alone."""
    body = " ".join((text or extra or f"({kind})").split())
    if len(body) <= PREVIEW_CHARS:
        return body
    cut = body.rfind(" ", 0, PREVIEW_CHARS)
    return body[: cut if cut > PREVIEW_CHARS // 2 else PREVIEW_CHARS] + "…"


def mark_matches(
    query: str, text: str, open_mark: str = OPEN, close_mark: str = CLOSE
) -> list[tuple[str, bool]]:
    """``text`` cut into (piece, is_match) pieces by the words of ``query``,
    matched as search matches them (case, accents, prefixes, phrases), so a
    reader can show where a hit is inside its message."""
    terms = [t.fts() for group in parse_query(query).groups for t in group]
    if not terms or not text:
        return [(text, False)] if text else []
    with scratch_table() as db:
        db.execute("INSERT INTO scratch (rowid, text) VALUES (1, ?)", (fold_letters(text),))
        try:
            row = db.execute(
                "SELECT highlight(scratch, 0, ?, ?) FROM scratch WHERE scratch MATCH ?",
                (open_mark, close_mark, " OR ".join(terms)),
            ).fetchone()
        except sqlite3.Error:
            row = None
    if not row or row[0] is None:
        return [(text, False)]
    return snippet_parts(unfold_marks(text, row[0], open_mark, close_mark), open_mark, close_mark)


def snippet_parts(
    snippet: str, open_mark: str = OPEN, close_mark: str = CLOSE
) -> list[tuple[str, bool]]:
    """The snippet as (text, is_match) pieces."""
    parts: list[tuple[str, bool]] = []
    rest = snippet
    while rest:
        start = rest.find(open_mark)
        if start < 0:
            parts.append((rest, False))
            break
        if start:
            parts.append((rest[:start], False))
        rest = rest[start + len(open_mark):]
        end = rest.find(close_mark)
        if end < 0:
            parts.append((rest, True))
            break
        parts.append((rest[:end], True))
        rest = rest[end + len(close_mark):]
    return [p for p in parts if p[0]]


def render_brackets(snippet: str, open_mark: str = OPEN, close_mark: str = CLOSE) -> str:
    """The snippet with matches as ``[match]``."""
    return "".join(f"[{t}]" if hit else t for t, hit in snippet_parts(snippet, open_mark,
                                                                       close_mark))
