"""The archive's tables and indexes, as a new archive gets them.

An archive is one folder with ``chatkeep.db`` and ``media/``; ``opening.py``
opens it (the one way to, read-write or read-only) and ``migrations.py``
brings an older one to :data:`SCHEMA_VERSION`, one step a version: a new
archive is made as the first version was, then goes through every step.

Tables (all plain SQLite, readable by ``sqlite3`` and Datasette):

``downloads``          one row per imported download (folder or zip parts);
                       ``time_offset`` (``+02:00``) and ``time_basis`` (why)
                       say how the wall-clock times of an HTML download were
                       read (NULL for JSON, whose times are UTC).
``conversations``      what the user sees as one conversation; several threads
                       (from different downloads or apps) can form one.
``threads``            a thread as Meta keys it: platform + folder name without
                       its section. ``conversation_id`` says where it belongs;
                       ``home_conversation_id`` is the id its conversation had
                       when it arrived, given back when it is split off again.
``thread_parts``       which downloads held a thread, in which section, under
                       which title, with how many messages.
``thread_files``       for ``chatkeep audit``: the message entries each file of
                       a thread held in a download, as the import read them.
``import_problems``    for ``chatkeep audit``: what an import left out of a
                       download: ``skipped`` messages (where and why) and
                       ``rejected`` files (path and problem).
``participants``       names in a thread at export time.
``messages``           every message once; ``fingerprint`` is its identity (see
                       ``fingerprint.py``), ``position`` its place in its
                       conversation (0, 1, 2… oldest first), ``duplicate_of`` set
                       when the same message came from another app's download.
                       ``time_precision`` is NULL for a time known to the
                       millisecond, else how much the download left out
                       (1000: it gave seconds, 60000: minutes, as HTML pages
                       do); ``format`` is NULL for a message read from JSON,
                       ``html`` for one read from an HTML page.
``message_downloads``  which downloads held each message.
``reactions``          who reacted with what.
``attachments``        files a message refers to, where they were found, and
                       their copy in ``media/`` (content addressed by SHA-256).
``imported_files``     the content keys of files already taken, so that a second
                       import of the same download skips them.
``thread_links``       the user's own join/split decisions, keyed by thread keys
                       ("platform:key") so they survive later imports; the
                       automatic reason for a join is JSON in ``threads.linked_by``.
``meta``               small facts: ``owner_names`` (downloads' owners' names
                       shown to be one person → the name shown; see
                       ``crossapp/owners.py``), ``owner_decisions`` (the user's
                       ``link/unlink --person``), ``crossapp_checked_message_id``
                       (how far cross-app linking has looked), ``last_import_ended``
                       (epoch seconds; media copies changed since are re-checked).
``messages_fts``       FTS5 over message text and share text / attachment names,
                       read through the view ``messages_fts_source`` (folded
                       letters, see ``folding.py``); it stores no text itself.
                       Its tokenizer takes every symbol for a separator
                       (:data:`FTS_TOKENIZE`).
"""

from __future__ import annotations

import sqlite3

from ..folding import index_separators
from .database import Database

SCHEMA_VERSION = 10

# Accents removed; letters and numbers make words, and every symbol (emoji
# included, those not yet assigned too) separates them (see folding.py).
FTS_TOKENIZE = (f"unicode61 remove_diacritics 2 categories 'L* N*' "
                f"separators '{index_separators()}'")
# The same, as an SQL string literal (``tokenize=...`` in CREATE VIRTUAL TABLE).
FTS_TOKENIZE_SQL = "'" + FTS_TOKENIZE.replace("'", "''") + "'"
# The index reads message text through this view, which spells out letters
# the tokenizer cannot fold (ł → l, æ → ae; see folding.py).
FTS_SOURCE = "messages_fts_source"
# The tables chatkeep makes: a database holding any other table is not ours,
# and is never changed.
OWN_TABLES = frozenset({
    "downloads", "conversations", "threads", "thread_parts", "participants", "messages",
    "message_downloads", "reactions", "attachments", "imported_files", "thread_links", "meta",
    "thread_files", "import_problems",
})


# Indexes on messages, by name. A first (bulk) import into an empty archive
# drops those in BULK_DEFERRED and builds them once at its end (or as soon as
# it needs to look a message up), which is much faster than keeping them up to
# date row by row; every read-write open restores any index an interrupted
# import left missing.
MESSAGE_INDEXES = {
    "idx_messages_fingerprint": "messages (fingerprint)",
    "idx_messages_conversation_id_position": "messages (conversation_id, position)",
    "idx_messages_thread_id_timestamp_ms": "messages (thread_id, timestamp_ms)",
    "idx_messages_timestamp_ms": "messages (timestamp_ms)",
    # search: from: and is:/kind filters walk these newest first
    "idx_messages_sender_timestamp_ms": "messages (sender, timestamp_ms)",
    "idx_messages_kind_timestamp_ms": "messages (kind, timestamp_ms)",
    # the few messages that are another app's copy of a kept one
    "idx_messages_duplicate_of": "messages (duplicate_of) WHERE duplicate_of IS NOT NULL",
    # insights: every per-conversation figure (and reply pairs, by position)
    # read from the index alone, kept messages only (schema 4)
    "idx_messages_conversation_id_position_timestamp_ms_sender":
        "messages (conversation_id, position, timestamp_ms, sender) WHERE duplicate_of IS NULL",
}
UNIQUE_INDEXES = {"idx_messages_fingerprint"}
# The indexes a first import builds at its end. It keeps the others up to
# date as it goes, which measured cheaper than building them again: their
# rows arrive in their own order (conversation by conversation, each
# numbered as written, thread by thread in time order), and the partial index
# of cross-app copies gets none. These four take rows all over the index.
BULK_DEFERRED = (
    "idx_messages_fingerprint", "idx_messages_timestamp_ms",
    "idx_messages_sender_timestamp_ms", "idx_messages_kind_timestamp_ms",
)


def ensure_indexes(conn: sqlite3.Connection) -> None:
    """Create every message index that is missing."""
    for name, target in MESSAGE_INDEXES.items():
        unique = "UNIQUE " if name in UNIQUE_INDEXES else ""
        conn.execute(f"CREATE {unique}INDEX IF NOT EXISTS {name} ON {target}")


def drop_deferred_indexes(conn: sqlite3.Connection) -> None:
    for name in BULK_DEFERRED:
        conn.execute(f"DROP INDEX IF EXISTS {name}")


def fts_source_sql() -> str:
    """The view the search index reads messages through (folded text)."""
    from ..folding import sql_fold

    return (f"CREATE VIEW {FTS_SOURCE} AS SELECT id, {sql_fold('text')} AS text, "
            f"{sql_fold('extra_text')} AS extra_text FROM messages")


def fts_table_sql() -> str:
    """The search index: an FTS5 table whose content is :data:`FTS_SOURCE`."""
    return (f"CREATE VIRTUAL TABLE messages_fts USING fts5(text, extra_text, "
            f"tokenize={FTS_TOKENIZE_SQL}, content='{FTS_SOURCE}', content_rowid='id')")


def foreign_objects(conn: sqlite3.Connection) -> list[str]:
    """The objects of an archive's schema that run code and that chatkeep did
    not create, named ("trigger wipe", "view messages_fts_source (not as
    chatkeep makes it)"): a view is run whenever it is read, a trigger
    whenever its table is written, a virtual table by its module. chatkeep
    makes one view and one virtual table, word for word as here, and no
    trigger. (Tables are judged when the archive is opened; indexes run
    nothing.)"""
    ours = {("view", FTS_SOURCE): fts_source_sql(), ("table", "messages_fts"): fts_table_sql()}
    found = []
    for kind, name, sql in conn.execute(
        "SELECT type, name, sql FROM sqlite_master WHERE type IN ('view', 'trigger') "
        "OR (type = 'table' AND sql LIKE 'CREATE VIRTUAL%') ORDER BY type, name"
    ):
        expected = ours.get((kind, name))
        if expected is None:
            found.append(f"{kind} {name}")
        elif " ".join((sql or "").split()) != " ".join(expected.split()):
            found.append(f"{kind} {name} (not as chatkeep makes it)")
    return found


def create_first_tables(archive: Database) -> None:
    """The tables of the first version (the migrations add the rest)."""
    # Declared through sqlite-utils, imported only here: a new archive's
    # tables are written the way every archive's first tables were.
    import sqlite_utils

    db = sqlite_utils.Database(archive.conn)
    db["downloads"].create(
        {
            "id": int, "name": str, "platform": str, "dialect": str, "source": str,
            "owner": str, "first_imported": str, "last_imported": str,
        },
        pk="id",
    )
    db["downloads"].create_index(["name"], unique=True)
    db["conversations"].create(
        {
            "id": int, "title": str, "platforms": str, "message_count": int,
            "first_ms": int, "last_ms": int, "cross_app": int, "frozen": int, "dirty": int,
        },
        pk="id",
        defaults={"message_count": 0, "cross_app": 0, "frozen": 0, "dirty": 1},
    )
    db["conversations"].create_index(["last_ms"])
    db["threads"].create(
        {
            "id": int, "platform": str, "key": str, "title": str, "conversation_id": int,
            "image_uri": str, "extra": str, "linked_by": str,
        },
        pk="id",
        foreign_keys=[("conversation_id", "conversations", "id")],
    )
    db["threads"].create_index(["platform", "key"], unique=True)
    db["threads"].create_index(["conversation_id"])
    db["thread_parts"].create(
        {"thread_id": int, "download_id": int, "section": str, "title": str, "messages": int},
        pk=("thread_id", "download_id"),
        foreign_keys=[("thread_id", "threads", "id"), ("download_id", "downloads", "id")],
    )
    db["participants"].create(
        {"thread_id": int, "name": str},
        pk=("thread_id", "name"),
        foreign_keys=[("thread_id", "threads", "id")],
    )
    db["messages"].create(
        {
            "id": int, "thread_id": int, "conversation_id": int, "position": int,
            "fingerprint": bytes, "sender": str, "timestamp_ms": int, "kind": str,
            "text": str, "extra_text": str, "unsent": int, "edited": int,
            "share_link": str, "share_text": str, "call_seconds": int, "call_missed": int,
            "raw": str, "duplicate_of": int,
        },
        pk="id",
        not_null={"thread_id", "fingerprint", "timestamp_ms", "kind"},
        defaults={"unsent": 0, "edited": 0},
        foreign_keys=[
            ("thread_id", "threads", "id"),
            ("conversation_id", "conversations", "id"),
        ],
    )
    ensure_indexes(db.conn)
    # One row per message and download: WITHOUT ROWID keeps it a single b-tree
    # (sqlite-utils cannot declare that, hence plain SQL).
    db.execute(
        "CREATE TABLE message_downloads ("
        "message_id INTEGER NOT NULL REFERENCES messages(id), "
        "download_id INTEGER NOT NULL REFERENCES downloads(id), "
        "PRIMARY KEY (message_id, download_id)) WITHOUT ROWID"
    )
    db["reactions"].create(
        {"message_id": int, "actor": str, "reaction": str, "timestamp_ms": int},
        foreign_keys=[("message_id", "messages", "id")],
    )
    db["reactions"].create_index(["message_id"])
    db["attachments"].create(
        {
            "id": int, "message_id": int, "kind": str, "name": str, "uri": str,
            "source_path": str, "present": int, "remote": int, "sha256": str,
            "media_path": str, "size": int,
        },
        pk="id",
        foreign_keys=[("message_id", "messages", "id")],
    )
    db["attachments"].create_index(["message_id"])
    db["attachments"].create_index(["sha256"])
    db["attachments"].create_index(["kind", "message_id"])
    db["imported_files"].create(
        {"file_key": str, "thread_id": int, "download_id": int},
        pk=("file_key", "download_id"),
    )
    db["imported_files"].create_index(["thread_id"])
    db["thread_links"].create(
        {"a": str, "b": str, "decision": str, "created": str},
        pk=("a", "b"),
    )
    db["meta"].create({"key": str, "value": str}, pk="key")
    # Searching text, share text and attachment names; accents and case ignored.
    # Kept in step by the importer in the same transaction as the messages.
    db["messages"].enable_fts(
        ["text", "extra_text"], fts_version="FTS5", tokenize=FTS_TOKENIZE,
        create_triggers=False, replace=True,
    )
