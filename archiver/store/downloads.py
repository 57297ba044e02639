"""What the archive records of each download, for ``audit``, ``check`` and
the next import: the download itself (its name, app, owner, where it was
read from), what each of its files held, what was skipped or rejected, which
threads it holds, and which files an import already took.

A download is its app and its maker's name ("facebook-jane-2024-…"); a
download without such a name is its app, its folder's name and its owner.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable

from ..timefmt import now_iso


def find_or_add(
    conn: sqlite3.Connection, name: str, platform: str, dialect: str, source: str,
    owner: str | None, named: bool, *, inferred: str | None = None,
) -> tuple[int, bool]:
    """The download's id, and whether it is new (``named``: the name alone
    tells which download it is; otherwise the owner tells it too, once known,
    see :func:`settle_owner`). Its last import is now, from ``source``.

    ``inferred``: the owner the download's threads name, when all of them are
    already in the archive. A download without a maker's name or a stated
    owner is then the one of that name and owner, as :func:`settle_owner`
    would find once its threads were recorded; one that an interrupted import
    recorded without an owner comes first (that import's threads are on it)."""
    now = now_iso()
    if named:
        row = conn.execute(
            "SELECT id FROM downloads WHERE name = ? AND platform = ? ORDER BY id",
            (name, platform),
        ).fetchone()
    else:
        row = conn.execute(
            "SELECT id FROM downloads WHERE name = ? AND platform = ? AND owner IS ? "
            "ORDER BY id", (name, platform, owner),
        ).fetchone()
        if row is None and owner is None and inferred:
            row = conn.execute(
                "SELECT id FROM downloads WHERE name = ? AND platform = ? AND owner = ? "
                "ORDER BY id", (name, platform, inferred),
            ).fetchone()
    if row:
        conn.execute(
            "UPDATE downloads SET last_imported = ?, source = ? WHERE id = ?",
            (now, source, row[0]),
        )
        return int(row[0]), False
    cur = conn.execute(
        "INSERT INTO downloads (name, platform, dialect, source, owner, first_imported, "
        "last_imported) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (name, platform, dialect, source, owner, now, now),
    )
    return int(cur.lastrowid or 0), True


def settle_owner(
    conn: sqlite3.Connection, download_id: int, name: str, platform: str, owner: str | None,
    named: bool,
) -> int:
    """Give the download its owner once its threads told who it is; when
    that makes it a download the archive already holds, join the two.
    Returns the download's id (the other's, when joined)."""
    current = conn.execute(
        "SELECT owner FROM downloads WHERE id = ?", (download_id,)
    ).fetchone()[0]
    if not owner or current is not None:
        return download_id
    if not named:
        other = conn.execute(
            "SELECT id FROM downloads WHERE name = ? AND platform = ? AND owner = ? "
            "AND id != ? ORDER BY id", (name, platform, owner, download_id),
        ).fetchone()
        if other:
            merge(conn, download_id, other[0])
            return int(other[0])
    conn.execute("UPDATE downloads SET owner = ? WHERE id = ?", (owner, download_id))
    return download_id


def merge(conn: sqlite3.Connection, source: int, target: int) -> None:
    """Move everything recorded of download ``source`` onto ``target``."""
    tables = [
        name for (name,) in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name != 'downloads' "
            "AND name NOT LIKE 'sqlite_%' AND name NOT LIKE 'messages_fts%'")
        if any(col[1] == "download_id" for col in conn.execute(f'PRAGMA table_info("{name}")'))
    ]
    for table in tables:
        conn.execute(f'UPDATE OR IGNORE "{table}" SET download_id = ? WHERE download_id = ?',
                     (target, source))
        conn.execute(f'DELETE FROM "{table}" WHERE download_id = ?', (source,))
    conn.execute(
        "UPDATE downloads SET last_imported = (SELECT last_imported FROM downloads WHERE id = ?), "
        "source = (SELECT source FROM downloads WHERE id = ?) WHERE id = ?",
        (source, source, target),
    )
    conn.execute("DELETE FROM downloads WHERE id = ?", (source,))


def forget(conn: sqlite3.Connection, download_id: int) -> None:
    """Remove a download nothing was read from (no empty download is kept)."""
    conn.execute("DELETE FROM downloads WHERE id = ?", (download_id,))


def record_time_basis(conn: sqlite3.Connection, download_id: int, offset: str, why: str) -> None:
    """The offset a download's local times were read in, and why."""
    conn.execute("UPDATE downloads SET time_offset = ?, time_basis = ? WHERE id = ?",
                 (offset, why, download_id))


def holds_local_times(conn: sqlite3.Connection) -> bool:
    """Whether any download's times were read in an offset (HTML pages)."""
    return conn.execute(
        "SELECT EXISTS (SELECT 1 FROM downloads WHERE time_offset IS NOT NULL)"
    ).fetchone()[0] == 1


def record_rejected(
    conn: sqlite3.Connection, download_id: int, errors: Iterable[tuple[str, str]]
) -> None:
    """The files (path, problem) this import of the download could not read,
    replacing what an earlier import of it could not read."""
    conn.execute(
        "DELETE FROM import_problems WHERE download_id = ? AND kind = 'rejected'",
        (download_id,),
    )
    conn.executemany(
        "INSERT INTO import_problems (download_id, kind, path, problem) "
        "VALUES (?, 'rejected', ?, ?)",
        [(download_id, path, problem) for path, problem in errors],
    )


def record_unread(conn: sqlite3.Connection, download_id: int, wheres: list[str]) -> None:
    """What this import of the download is about to read (each thread's
    file or folder), replacing what an earlier, interrupted one left unread:
    each is taken off as it is read, in the batch that keeps it."""
    conn.execute("DELETE FROM import_problems WHERE download_id = ? AND kind = 'unread'",
                 (download_id,))
    conn.executemany(
        "INSERT INTO import_problems (download_id, kind, path, problem) "
        "VALUES (?, 'unread', ?, 'not read yet')",
        [(download_id, where) for where in wheres],
    )


def mark_read(conn: sqlite3.Connection, download_id: int, where: str) -> None:
    """A thread's file or folder was read (see :func:`record_unread`)."""
    conn.execute("DELETE FROM import_problems WHERE download_id = ? AND kind = 'unread' "
                 "AND path = ?", (download_id, where))


def unread(conn: sqlite3.Connection, download_ids: Iterable[int]) -> int:
    """How many threads' files the imports of these downloads have not read yet."""
    ids = list(download_ids)
    if not ids:
        return 0
    return int(conn.execute(
        "SELECT COUNT(*) FROM import_problems WHERE kind = 'unread' "
        f"AND download_id IN ({','.join('?' * len(ids))})", ids).fetchone()[0])


def record_thread(
    conn: sqlite3.Connection, thread_id: int, download_id: int, section: str | None,
    title: str | None, messages: int,
) -> None:
    """The download holds the thread (in ``section``, titled ``title``, with
    ``messages`` of the archive's messages)."""
    conn.execute(
        "INSERT OR REPLACE INTO thread_parts (thread_id, download_id, section, title, messages)"
        " VALUES (?, ?, ?, ?, ?)",
        (thread_id, download_id, section, title, messages),
    )


def record_read(
    conn: sqlite3.Connection, thread_id: int, download_id: int, files: dict[str, int],
    skipped: list[tuple[str, str]],
) -> None:
    """What the thread's files held (messages per file) and what was skipped
    (where, why), for the audit. What an earlier import recorded of the files
    read again is replaced; the rest stays (an import of some of a download's
    parts adds to what its other parts brought)."""
    read = {part_name(label) for label in files}
    earlier = [label for (label,) in conn.execute(
        "SELECT path FROM thread_files WHERE thread_id = ? AND download_id = ?",
        (thread_id, download_id),
    )]
    replaced = [label for label in earlier if part_name(label) in read]
    conn.executemany(
        "DELETE FROM thread_files WHERE thread_id = ? AND download_id = ? AND path = ?",
        [(thread_id, download_id, label) for label in replaced],
    )
    conn.executemany(
        "INSERT OR REPLACE INTO thread_files (thread_id, download_id, path, messages) "
        "VALUES (?, ?, ?, ?)",
        [(thread_id, download_id, path, n) for path, n in files.items()],
    )
    kept = [label for label in earlier if label not in replaced]
    stale = [
        (pid,) for pid, where in conn.execute(
            "SELECT id, path FROM import_problems WHERE thread_id = ? AND download_id = ? "
            "AND kind = 'skipped'", (thread_id, download_id),
        ) if not any(where.startswith(f"{label} ") for label in kept)
    ]
    conn.executemany("DELETE FROM import_problems WHERE id = ?", stale)
    conn.executemany(
        "INSERT INTO import_problems (download_id, thread_id, kind, path, problem) "
        "VALUES (?, ?, 'skipped', ?, ?)",
        [(download_id, thread_id, where, why) for where, why in skipped],
    )


def part_name(label: str) -> str:
    """A thread file's name, from the label it was read under (a path, or a
    zip and its member): the same part read from a folder or a zip, or from
    a download that has moved since, has one name."""
    marker = " (member "
    if label.endswith(")") and marker in label:
        label = label[label.rindex(marker) + len(marker):-1]
    return label.replace("\\", "/").rsplit("/", 1)[-1]


def messages_held(conn: sqlite3.Connection, thread_id: int, download_id: int) -> int:
    """How many of the thread's messages the archive holds from the download
    (every import of any of its parts)."""
    return int(conn.execute(
        "SELECT COUNT(*) FROM messages m JOIN message_downloads md "
        "ON md.message_id = m.id AND md.download_id = ? WHERE m.thread_id = ?",
        (download_id, thread_id),
    ).fetchone()[0])


def shared_participant(conn: sqlite3.Connection, download_id: int) -> str | None:
    """The one name every thread the archive holds from the download
    shares (its owner), or None. One thread is no evidence: its only listed
    name may be the other person's (an owner who never wrote, in a page that
    lists only who wrote)."""
    threads = conn.execute(
        "SELECT COUNT(DISTINCT thread_id) FROM thread_parts WHERE download_id = ?", (download_id,)
    ).fetchone()[0]
    if threads < 2:
        return None
    names = conn.execute(
        "SELECT p.name FROM thread_parts tp JOIN participants p ON p.thread_id = tp.thread_id "
        "WHERE tp.download_id = ? GROUP BY p.name "
        "HAVING COUNT(*) = (SELECT COUNT(*) FROM thread_parts WHERE download_id = ?) LIMIT 2",
        (download_id, download_id),
    ).fetchall()
    return names[0][0] if len(names) == 1 else None


def record_files_taken(
    conn: sqlite3.Connection, signature: str, thread_id: int, download_id: int
) -> None:
    """The thread's files, as ``signature`` names them, are in the archive."""
    conn.execute(
        "INSERT OR IGNORE INTO imported_files (file_key, thread_id, download_id) "
        "VALUES (?, ?, ?)",
        (signature, thread_id, download_id),
    )


def downloads_that_took(conn: sqlite3.Connection, signature: str, thread_id: int) -> list[int]:
    """The downloads whose import took exactly these files for this thread."""
    return [d for (d,) in conn.execute(
        "SELECT download_id FROM imported_files WHERE file_key = ? AND thread_id = ?",
        (signature, thread_id),
    )]


def record_same_files(
    conn: sqlite3.Connection, thread_id: int, download_id: int, earlier: int,
    section: str | None,
) -> int:
    """The download holds the very files an earlier one held for this thread:
    note that it holds what the earlier one held (its messages, files, skipped
    entries and title). Returns how many messages the archive holds of it."""
    present = int(conn.execute(
        "SELECT COUNT(*) FROM messages WHERE thread_id = ?", (thread_id,)
    ).fetchone()[0])
    if download_id == earlier:
        return present
    conn.execute(
        "INSERT OR IGNORE INTO message_downloads (message_id, download_id) "
        "SELECT DISTINCT md.message_id, ? FROM message_downloads md "
        "JOIN messages m ON m.id = md.message_id "
        "WHERE m.thread_id = ? AND md.download_id = ?",
        (download_id, thread_id, earlier),
    )
    conn.execute(
        "INSERT OR IGNORE INTO imported_files (file_key, thread_id, download_id) "
        "SELECT file_key, thread_id, ? FROM imported_files "
        "WHERE thread_id = ? AND download_id = ?",
        (download_id, thread_id, earlier),
    )
    # The same files: they held what they held for the earlier download.
    conn.execute(
        "INSERT OR REPLACE INTO thread_files (thread_id, download_id, path, messages) "
        "SELECT thread_id, ?, path, messages FROM thread_files "
        "WHERE thread_id = ? AND download_id = ?",
        (download_id, thread_id, earlier),
    )
    conn.execute(
        "DELETE FROM import_problems WHERE thread_id = ? AND download_id = ? "
        "AND kind = 'skipped'", (thread_id, download_id),
    )
    conn.execute(
        "INSERT INTO import_problems (download_id, thread_id, kind, path, problem) "
        "SELECT ?, thread_id, kind, path, problem FROM import_problems "
        "WHERE thread_id = ? AND download_id = ? AND kind = 'skipped'",
        (download_id, thread_id, earlier),
    )
    title = conn.execute(
        "SELECT title FROM thread_parts WHERE thread_id = ? AND download_id = ?",
        (thread_id, earlier),
    ).fetchone()
    record_thread(conn, thread_id, download_id, section, title[0] if title else None, present)
    return present
