"""What the archive holds: conversations, messages and their span, per app
and per download, media files (the head of ``chatkeep stats``)."""

from __future__ import annotations

from typing import Any

from ..store.database import Database
from ..timefmt import iso


def stats(db: Database) -> dict[str, Any]:
    """What the archive holds, per platform and per download."""
    # Counted from indexes without sorting (a million messages in tens of
    # milliseconds): every row, then the few other-app copies taken away.
    copies = _index_hint(db, "idx_messages_duplicate_of")
    count = db.execute("SELECT COUNT(*) FROM messages").fetchone()[0] - db.execute(
        f"SELECT COUNT(*) FROM messages{copies} WHERE duplicate_of IS NOT NULL"
    ).fetchone()[0]
    by_time = _index_hint(db, "idx_messages_timestamp_ms")
    first, last = (
        db.execute(
            f"SELECT timestamp_ms FROM messages{by_time} WHERE duplicate_of IS NULL "
            f"ORDER BY timestamp_ms {direction} LIMIT 1"
        ).fetchone()
        for direction in ("ASC", "DESC")
    )
    total = (count, first[0] if first else None, last[0] if last else None)
    per_thread = dict(db.execute("SELECT thread_id, COUNT(*) FROM messages GROUP BY thread_id"))
    for tid, n in db.execute(
        f"SELECT thread_id, COUNT(*) FROM messages{copies} WHERE duplicate_of IS NOT NULL "
        "GROUP BY thread_id"
    ):
        per_thread[tid] -= n
    per_platform: dict[str, dict[str, int]] = {}
    for tid, platform in db.execute("SELECT id, platform FROM threads ORDER BY platform, id"):
        figures = per_platform.setdefault(platform, {"messages": 0, "threads": 0})
        figures["messages"] += per_thread.get(tid, 0)
        figures["threads"] += 1
    downloads = [
        {
            "name": name, "platform": platform, "owner": owner, "imported": imported,
            "messages": n, "threads": nt,
        }
        for name, platform, owner, imported, n, nt in db.execute(
            "SELECT d.name, d.platform, d.owner, d.last_imported, "
            "(SELECT COUNT(*) FROM message_downloads md JOIN messages m ON m.id = md.message_id "
            "WHERE md.download_id = d.id AND m.duplicate_of IS NULL), "
            "(SELECT COUNT(*) FROM thread_parts tp WHERE tp.download_id = d.id) "
            "FROM downloads d ORDER BY d.id"
        )
    ]
    media = db.execute(
        "SELECT COUNT(DISTINCT sha256), COALESCE(SUM(present = 0 AND remote = 0), 0) "
        "FROM attachments"
    ).fetchone()
    return {
        "conversations": db.execute(
            "SELECT COUNT(*) FROM conversations WHERE message_count > 0"
        ).fetchone()[0],
        "messages": total[0],
        "first": iso(total[1]),
        "last": iso(total[2]),
        "platforms": per_platform,
        "downloads": downloads,
        "media_files": media[0],
        "media_missing": media[1],
        "cross_app": db.execute(
            "SELECT COUNT(*) FROM conversations WHERE cross_app = 1"
        ).fetchone()[0],
    }


def _index_hint(db: Database, name: str) -> str:
    """``INDEXED BY name`` where that index exists (a first import builds the
    indexes only at its end, and a reader may look meanwhile)."""
    found = db.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = ?", (name,)
    ).fetchone()
    return f" INDEXED BY {name}" if found else ""
