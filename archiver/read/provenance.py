"""Which downloads held a conversation, and each of its messages (the copies
seen in another app's download included): what the JSON export records of
where a message came from.
"""

from __future__ import annotations

from typing import Any

from ..store.database import Database


def message_downloads(
    db: Database, cid: int, ids: list[int]
) -> dict[int, list[str]]:
    """Which downloads held each message (by name, sorted), its copies seen in
    another app's download included."""
    if not ids:
        return {}
    found: dict[int, list[str]] = {}
    marks = ",".join("?" * len(ids))
    for mid, name in db.execute(
        "SELECT md.message_id, d.name FROM message_downloads md "
        f"JOIN downloads d ON d.id = md.download_id WHERE md.message_id IN ({marks}) "
        "UNION ALL "
        "SELECT m.duplicate_of, d.name FROM messages m "
        "JOIN message_downloads md ON md.message_id = m.id "
        "JOIN downloads d ON d.id = md.download_id "
        "WHERE m.conversation_id = ? AND m.position IS NULL "
        f"AND m.duplicate_of IN ({marks})",
        [*ids, cid, *ids],
    ):
        names = found.get(mid)
        if names is None:
            found[mid] = [name]
        elif name not in names:
            names.append(name)
            names.sort()
    return found


def conversation_downloads(db: Database, cid: int) -> list[dict[str, Any]]:
    """The downloads that held a conversation, in the order they were first imported."""
    rows = db.execute(
        "SELECT d.name, d.platform, d.dialect, d.owner, d.first_imported, d.last_imported "
        "FROM downloads d WHERE d.id IN (SELECT tp.download_id FROM thread_parts tp "
        "JOIN threads t ON t.id = tp.thread_id WHERE t.conversation_id = ?) ORDER BY d.id",
        (cid,),
    ).fetchall()
    keys = ("name", "platform", "dialect", "owner", "first_imported", "last_imported")
    return [dict(zip(keys, row, strict=True)) for row in rows]
