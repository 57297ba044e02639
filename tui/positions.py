"""Where a message sits in its conversation (the reader's jump targets)."""

from __future__ import annotations

from archiver.read.timeline import first_on_or_after
from archiver.store.database import Database

__all__ = ["first_on_or_after", "place_of_message"]


def place_of_message(db: Database, message_id: int) -> tuple[int, int] | None:
    """(conversation id, position) of a message; a copy of a message seen in
    two apps' downloads has no position of its own and points at the original."""
    row = db.execute(
        "SELECT COALESCE(o.conversation_id, m.conversation_id), COALESCE(o.position, m.position) "
        "FROM messages m LEFT JOIN messages o ON o.id = m.duplicate_of WHERE m.id = ?",
        (message_id,),
    ).fetchone()
    if row is None or row[0] is None or row[1] is None:
        return None
    return int(row[0]), int(row[1])
