"""Migrations: an archive of any earlier version brought to
:data:`~archiver.store.schema.SCHEMA_VERSION`, one step a version.

Each step runs in one transaction with the version it brings, so an
interrupted upgrade is simply done again; two commands opening an old archive
at once run each step once (the upgrade holds the archive's writer lock). A
step freezes what it knows of Meta's downloads inside itself, so a later
change to the readers never changes what an old step does. A new step is one
function and one line in :data:`STEPS`, and ``SCHEMA_VERSION`` goes up by one.
"""

from __future__ import annotations

import contextlib
import json
import re
import sqlite3
from collections.abc import Callable
from pathlib import Path

from .database import Database
from .opening import ArchiveError
from .schema import (
    FTS_SOURCE,
    FTS_TOKENIZE_SQL,
    SCHEMA_VERSION,
    create_first_tables,
    ensure_indexes,
    fts_source_sql,
    fts_table_sql,
)

REBUILD_CHUNK = 20_000


def _user_version(db: Database) -> int:
    return int(db.execute("PRAGMA user_version").fetchone()[0])


def migrate(db: Database, db_path: Path | str) -> None:
    """Bring the archive at ``db_path`` to SCHEMA_VERSION. Two commands may
    open an old archive at once: the upgrade runs under the archive's writer
    lock and reads the version again once it holds it, so no step runs twice
    (the other command waits until the upgrade is done)."""
    from .lock import upgrade_lock

    version = _user_version(db)
    if version > SCHEMA_VERSION:
        raise ArchiveError(f"{db_path}: made by a newer chatkeep (schema {version})")
    if version == SCHEMA_VERSION:
        return
    with upgrade_lock(Path(db_path).parent, lambda: _user_version(db) >= SCHEMA_VERSION) as held:
        if held:
            _upgrade(db, db_path)


def _upgrade(db: Database, db_path: Path | str) -> None:
    version = _user_version(db)
    if version > SCHEMA_VERSION:
        raise ArchiveError(f"{db_path}: made by a newer chatkeep (schema {version})")
    if version < 1:
        # user_version is set last, so a database without it holds no data:
        # only tables an interrupted first run created. Start them afresh.
        _drop_partial_schema(db.conn)
        create_first_tables(db)
        db.execute("PRAGMA user_version = 1")
        version = 1
    # Each step runs in one transaction with the version it brings, so an
    # interrupted upgrade is simply done again.
    for target, step in STEPS:
        if version < target:
            conn = db.conn
            conn.execute("BEGIN IMMEDIATE")
            try:
                step(conn)
                conn.execute(f"PRAGMA user_version = {target}")
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            version = target


def _drop_partial_schema(conn: sqlite3.Connection) -> None:
    rows = conn.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
    ).fetchall()
    # Virtual tables first: dropping one drops its shadow tables with it.
    for name, sql in sorted(rows, key=lambda r: not (r[1] or "").upper().startswith("CREATE VIRTUAL")):
        conn.execute(f'DROP TABLE IF EXISTS "{name}"')


def _no_progress(label: str, total: int) -> contextlib.AbstractContextManager[Callable[[], None]]:
    return contextlib.nullcontext(lambda: None)


# How a long upgrade step reports its progress: a context manager taking a
# label and a number of steps, giving a callable to call once a step. The
# engine draws nothing; the command line puts a bar here.
upgrade_progress: Callable[[str, int], contextlib.AbstractContextManager[Callable[[], None]]] = (
    _no_progress
)


def rebuild_search_index(conn: sqlite3.Connection) -> None:
    """Make the index's source view and the index afresh, with today's folding
    and tokenizer, and fill it (with a progress bar on a terminal)."""
    conn.execute(f"DROP VIEW IF EXISTS {FTS_SOURCE}")
    conn.execute(fts_source_sql())
    conn.execute("DROP TABLE IF EXISTS messages_fts")
    conn.execute(fts_table_sql())
    low, high = conn.execute(
        "SELECT (SELECT MIN(id) FROM messages), (SELECT MAX(id) FROM messages)").fetchone()
    if low is None:
        return
    starts = range(low, high + 1, REBUILD_CHUNK)
    with upgrade_progress("Rebuilding the search index", len(starts)) as advance:
        for start in starts:
            conn.execute(
                "INSERT INTO messages_fts (rowid, text, extra_text) "
                f"SELECT id, text, extra_text FROM {FTS_SOURCE} WHERE id BETWEEN ? AND ?",
                (start, start + REBUILD_CHUNK - 1),
            )
            advance()


# What the second version knew of Meta's downloads, frozen here so that a
# later change to the readers never changes what this step does.
_V2_SECTIONS = ("inbox", "archived_threads", "filtered_threads", "message_requests", "e2ee_cutover")
_V2_REACTION_NOTICE = re.compile(
    r"(?:^Reacted .{1,16} to your message\s*$"
    r"|^.{1,200} reacted [^\sA-Za-z0-9][^A-Za-z0-9]{0,15} to your message\s*$)",
    re.DOTALL,
)


def _v2_identity(conn: sqlite3.Connection) -> None:
    """Threads keyed by what their files say, in NFC; Meta's newer reaction
    notices as events; downloads no longer told apart by their name alone."""
    from ..folding import nfc as thread_key
    from . import conversations

    dirty: set[int] = set()
    rows = conn.execute("SELECT id, platform, key, extra FROM threads ORDER BY id").fetchall()
    sectioned = {r[0] for r in conn.execute(
        "SELECT DISTINCT thread_id FROM thread_parts WHERE section IS NOT NULL"
    )}
    for tid, platform, key, extra in rows:
        new_key = thread_key(key)
        # A thread imported from outside Meta's folder layout was keyed by its
        # folder's name; the file's own thread_path says which thread it is.
        if tid not in sectioned and platform in ("facebook", "instagram") and extra:
            try:
                declared = json.loads(extra).get("thread_path")
            except (ValueError, AttributeError):
                declared = None
            if isinstance(declared, str) and declared.strip("/ "):
                head, _, last = declared.strip().strip("/").rpartition("/")
                new_key = thread_key(last)
                if head.rsplit("/", 1)[-1] in _V2_SECTIONS:
                    conn.execute(
                        "UPDATE thread_parts SET section = ? WHERE thread_id = ? "
                        "AND section IS NULL", (head.rsplit("/", 1)[-1], tid),
                    )
        if new_key != key:
            dirty |= _rekey_thread(conn, tid, platform, key, new_key)
    # "NAME reacted 😢 to your message" lines were taken for text.
    notices = [
        (mid,) for mid, text in conn.execute(
            "SELECT m.id, m.text FROM messages m JOIN threads t ON t.id = m.thread_id "
            "WHERE m.kind = 'text' AND t.platform IN ('facebook', 'instagram') "
            "AND m.text LIKE '% reacted % to your message%'"
        ) if text and _V2_REACTION_NOTICE.match(text)
    ]
    conn.executemany("UPDATE messages SET kind = 'system' WHERE id = ?", notices)
    conn.execute("DROP INDEX IF EXISTS idx_downloads_name")
    conn.execute("CREATE INDEX IF NOT EXISTS idx_downloads_platform_name "
                 "ON downloads (platform, name)")
    for cid in sorted(dirty):
        conversations.refresh_one(conn, cid)


def _rekey_thread(
    conn: sqlite3.Connection, tid: int, platform: str, old_key: str, new_key: str
) -> set[int]:
    """Give a thread its right key, joining it to the thread that already has
    that key (each message once). Returns the conversations to refresh."""
    from ..fingerprint import thread_prefix

    prefix = thread_prefix(platform, new_key)
    cid = conn.execute("SELECT conversation_id FROM threads WHERE id = ?", (tid,)).fetchone()[0]
    target = conn.execute(
        "SELECT id, conversation_id FROM threads WHERE platform = ? AND key = ?",
        (platform, new_key),
    ).fetchone()
    # The fingerprint starts with 4 bytes of the thread key; the rest holds.
    messages = conn.execute(
        "SELECT id, fingerprint FROM messages WHERE thread_id = ?", (tid,)
    ).fetchall()
    old_ref, new_ref = f"{platform}:{old_key}", f"{platform}:{new_key}"
    for column in ("a", "b"):
        conn.execute(
            f"UPDATE OR IGNORE thread_links SET {column} = ? WHERE {column} = ?", (new_ref, old_ref)
        )
    conn.execute(
        "UPDATE OR IGNORE imported_files SET file_key = ? || substr(file_key, ?) "
        "WHERE thread_id = ? AND substr(file_key, 1, ?) = ?",
        (new_ref, len(old_ref) + 1, tid, len(old_ref), old_ref),
    )
    if target is None:
        conn.execute("UPDATE threads SET key = ? WHERE id = ?", (new_key, tid))
        conn.executemany(
            "UPDATE messages SET fingerprint = ? WHERE id = ?",
            [(prefix + fp[4:], mid) for mid, fp in messages],
        )
        return {cid}
    target_id, target_cid = target
    for mid, fp in messages:
        new_fp = prefix + fp[4:]
        same = conn.execute("SELECT id FROM messages WHERE fingerprint = ?", (new_fp,)).fetchone()
        if same is None:
            conn.execute(
                "UPDATE messages SET thread_id = ?, conversation_id = ?, position = NULL, "
                "fingerprint = ? WHERE id = ?", (target_id, target_cid, new_fp, mid),
            )
            continue
        keep = same[0]
        conn.execute(
            "INSERT OR IGNORE INTO message_downloads (message_id, download_id) "
            "SELECT ?, download_id FROM message_downloads WHERE message_id = ?", (keep, mid),
        )
        conn.execute("UPDATE messages SET duplicate_of = ? WHERE duplicate_of = ?", (keep, mid))
        conn.execute(
            "INSERT INTO messages_fts (messages_fts, rowid, text, extra_text) "
            f"SELECT 'delete', id, text, extra_text FROM {FTS_SOURCE} WHERE id = ?", (mid,),
        )
        for table in ("message_downloads", "reactions", "attachments"):
            conn.execute(f"DELETE FROM {table} WHERE message_id = ?", (mid,))
        conn.execute("DELETE FROM messages WHERE id = ?", (mid,))
    conn.execute(
        "INSERT OR IGNORE INTO thread_parts (thread_id, download_id, section, title, messages) "
        "SELECT ?, download_id, section, title, messages FROM thread_parts WHERE thread_id = ?",
        (target_id, tid),
    )
    conn.execute(
        "INSERT OR IGNORE INTO participants (thread_id, name) "
        "SELECT ?, name FROM participants WHERE thread_id = ?", (target_id, tid),
    )
    conn.execute("UPDATE OR IGNORE imported_files SET thread_id = ? WHERE thread_id = ?",
                 (target_id, tid))
    for table in ("thread_parts", "participants", "imported_files"):
        conn.execute(f"DELETE FROM {table} WHERE thread_id = ?", (tid,))
    conn.execute("DELETE FROM threads WHERE id = ?", (tid,))
    return {cid, target_cid}


def _v3_audit(conn: sqlite3.Connection) -> None:
    """Ids that survive unlinking, and what each import read, for the audit."""
    columns = {r[1] for r in conn.execute("PRAGMA table_info(threads)")}
    if "home_conversation_id" not in columns:
        conn.execute("ALTER TABLE threads ADD COLUMN home_conversation_id INTEGER")
    conn.execute(
        "UPDATE threads SET home_conversation_id = conversation_id "
        "WHERE home_conversation_id IS NULL"
    )
    conn.execute("CREATE INDEX IF NOT EXISTS idx_threads_home_conversation_id "
                 "ON threads (home_conversation_id)")
    conn.execute(
        "CREATE TABLE IF NOT EXISTS thread_files ("
        "thread_id INTEGER NOT NULL REFERENCES threads(id), "
        "download_id INTEGER NOT NULL REFERENCES downloads(id), "
        "path TEXT NOT NULL, messages INTEGER NOT NULL, "
        "PRIMARY KEY (thread_id, download_id, path))"
    )
    conn.execute(
        "CREATE TABLE IF NOT EXISTS import_problems ("
        "id INTEGER PRIMARY KEY, download_id INTEGER REFERENCES downloads(id), "
        "thread_id INTEGER REFERENCES threads(id), kind TEXT NOT NULL, "
        "path TEXT NOT NULL, problem TEXT NOT NULL)"
    )
    conn.execute("CREATE INDEX IF NOT EXISTS idx_import_problems_download_id "
                 "ON import_problems (download_id)")
    # Rows of threads an earlier step joined into others.
    conn.execute("DELETE FROM thread_files WHERE thread_id NOT IN (SELECT id FROM threads)")
    conn.execute("DELETE FROM import_problems WHERE thread_id NOT IN (SELECT id FROM threads)")


def _v4_insights_index(conn: sqlite3.Connection) -> None:
    """The covering index insights read conversations from."""
    ensure_indexes(conn)


def _v5_folded_index(conn: sqlite3.Connection) -> None:
    """The search index holds folded text (jadłem as jadlem): rebuilt once."""
    rebuild_search_index(conn)


def _v6_html_times(conn: sqlite3.Connection) -> None:
    """What HTML downloads bring: each message's time precision and format,
    and the offset each download's wall-clock times were read in. Columns
    only (an instant change); NULL means what every earlier message is: JSON,
    exact to the millisecond."""
    for table, column in (("messages", "time_precision"), ("messages", "format"),
                          ("downloads", "time_offset"), ("downloads", "time_basis")):
        columns = {r[1] for r in conn.execute(f"PRAGMA table_info({table})")}
        if column not in columns:
            kind = "INTEGER" if column == "time_precision" else "TEXT"
            conn.execute(f"ALTER TABLE {table} ADD COLUMN {column} {kind}")


def _v7_symbols_split_words(conn: sqlite3.Connection) -> None:
    """Emoji and symbols separate words in the search index ("được🤗" is
    found by "duoc"): the index is rebuilt once, unless an earlier step of
    this upgrade has just built it with today's tokenizer."""
    row = conn.execute(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'messages_fts'"
    ).fetchone()
    if row is None or FTS_TOKENIZE_SQL not in (row[0] or ""):
        rebuild_search_index(conn)


# What the eighth version knows of Meta's like notices, frozen (see _v2_identity).
_V8_LIKE_NOTICE = re.compile(r"^[^\n]{1,200} liked a message\s*$")


def _v8_reactions_once(conn: sqlite3.Connection) -> None:
    """Each person's emoji on a message once (some files list every reaction
    twice), and an Instagram group's "NAME liked a message" as the event it is."""
    conn.execute(
        "DELETE FROM reactions WHERE rowid NOT IN "
        "(SELECT MIN(rowid) FROM reactions GROUP BY message_id, actor, reaction)"
    )
    likes = [
        (mid,) for mid, text in conn.execute(
            "SELECT m.id, m.text FROM messages m JOIN threads t ON t.id = m.thread_id "
            "WHERE m.kind = 'text' AND t.platform IN ('facebook', 'instagram') "
            "AND m.text LIKE '% liked a message%'"
        ) if text and _V8_LIKE_NOTICE.match(text)
    ]
    conn.executemany("UPDATE messages SET kind = 'system' WHERE id = ?", likes)


def _v9_owners_on_evidence(conn: sqlite3.Connection) -> None:
    """Downloads' owners are one person only when the archive shows it: the
    record that made every owner the first one's alias goes, and the names
    shown are worked out again."""
    from .crossapp import record_owner_aliases

    conn.execute("DELETE FROM meta WHERE key = 'owner_aliases'")
    record_owner_aliases(conn)


def _v10_platform_guessed(conn: sqlite3.Connection) -> None:
    """Threads whose app nothing told (imported as Facebook, never joined to
    another app's conversation): a column only; NULL is what every earlier
    thread is, its app known."""
    columns = {r[1] for r in conn.execute("PRAGMA table_info(threads)")}
    if "platform_guessed" not in columns:
        conn.execute("ALTER TABLE threads ADD COLUMN platform_guessed INTEGER")


STEPS = (
    (2, _v2_identity), (3, _v3_audit), (4, _v4_insights_index), (5, _v5_folded_index),
    (6, _v6_html_times), (7, _v7_symbols_split_words), (8, _v8_reactions_once),
    (9, _v9_owners_on_evidence), (10, _v10_platform_guessed),
)
