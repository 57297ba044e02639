"""Keeping conversations in step with their threads and messages.

A conversation is one or more threads (several when the same chat came from
Facebook and Instagram). After messages are written its row is marked dirty;
:func:`refresh_conversations` then renumbers its messages (``position``, the
reader's paging key), and recomputes its title, platforms, counts and marks.
Work left dirty by an interrupted import is finished by the next one.
"""

from __future__ import annotations

import sqlite3

from .database import Database

# Meta made Facebook↔Instagram chats read-only in mid-December 2023.
CROSS_APP_CUTOFF_MS = 1702598400000  # 2023-12-15T00:00:00Z
_PLATFORM_ORDER = {"facebook": 0, "messenger": 1, "instagram": 2}


def new_conversation(conn: sqlite3.Connection, title: str | None) -> int:
    """A new conversation, with an id never used before: not even one that a
    thread split off later would take back (see crossapp's stable ids)."""
    (cid,) = conn.execute(
        "SELECT MAX(COALESCE((SELECT MAX(id) FROM conversations), 0), "
        "COALESCE((SELECT MAX(home_conversation_id) FROM threads), 0)) + 1"
    ).fetchone()
    conn.execute("INSERT INTO conversations (id, title, dirty) VALUES (?, ?, 1)", (cid, title))
    return int(cid)


def mark_dirty(
    conn: sqlite3.Connection, conversation_ids: list[int] | set[int], *, renumber: bool = True
) -> None:
    """Ask the next refresh to recompute these conversations: their summary
    (dirty = 2), and unless ``renumber`` is false their positions too (1)."""
    if renumber:
        conn.executemany(
            "UPDATE conversations SET dirty = 1 WHERE id = ?", [(c,) for c in conversation_ids]
        )
    else:
        conn.executemany(
            "UPDATE conversations SET dirty = 2 WHERE id = ? AND dirty = 0",
            [(c,) for c in conversation_ids],
        )


def refresh_conversations(db: Database) -> int:
    """Recompute every dirty conversation; returns how many were refreshed."""
    conn = db.conn
    dirty = conn.execute("SELECT id, dirty FROM conversations WHERE dirty > 0").fetchall()
    for cid, level in dirty:
        conn.execute("BEGIN IMMEDIATE")
        try:
            refresh_one(conn, cid, renumber=level != 2)
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
    return len(dirty)


def refresh_one(conn: sqlite3.Connection, cid: int, *, renumber: bool = True) -> None:
    threads = conn.execute(
        "SELECT id, platform, title, key FROM threads WHERE conversation_id = ?", (cid,)
    ).fetchall()
    if not threads:
        conn.execute("DELETE FROM conversations WHERE id = ?", (cid,))
        return
    if renumber:
        conn.execute(
            "UPDATE messages SET position = NULL WHERE conversation_id = ? AND duplicate_of IS NOT NULL",
            (cid,),
        )
        # Oldest first; equal times keep the order they were written in (oldest first).
        # Across threads, ties go by platform and thread key, never by row ids, so
        # the order does not depend on which download was imported first.
        conn.execute(
            """
            UPDATE messages SET position = numbered.pos
            FROM (
                SELECT m.id, ROW_NUMBER() OVER (
                    ORDER BY m.timestamp_ms,
                             CASE t.platform WHEN 'facebook' THEN 0 WHEN 'messenger' THEN 1
                                             WHEN 'instagram' THEN 2 ELSE 9 END,
                             t.key, m.id) - 1 AS pos
                FROM messages m JOIN threads t ON t.id = m.thread_id
                WHERE m.conversation_id = ? AND m.duplicate_of IS NULL
            ) AS numbered
            WHERE messages.id = numbered.id AND messages.position IS NOT numbered.pos
            """,
            (cid,),
        )
    count, first, last = conn.execute(
        "SELECT COUNT(*), MIN(timestamp_ms), MAX(timestamp_ms) FROM messages "
        "WHERE conversation_id = ? AND duplicate_of IS NULL",
        (cid,),
    ).fetchone()
    platforms = sorted({t[1] for t in threads}, key=lambda p: _PLATFORM_ORDER.get(p, 9))
    ordered = sorted(threads, key=lambda t: (_PLATFORM_ORDER.get(t[1], 9), t[3]))
    title = next((t[2] for t in ordered if t[2]), None)
    cross_app = "instagram" in platforms and ("facebook" in platforms or "messenger" in platforms)
    frozen = cross_app and last is not None and last < CROSS_APP_CUTOFF_MS
    conn.execute(
        "UPDATE conversations SET title = ?, platforms = ?, message_count = ?, first_ms = ?, "
        "last_ms = ?, cross_app = ?, frozen = ?, dirty = 0 WHERE id = ?",
        (title, ",".join(platforms), count, first, last, int(cross_app), int(frozen), cid),
    )
