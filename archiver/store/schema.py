"""The archive: one folder with ``chatkeep.db`` and ``media/``.

This module alone owns the schema and its migrations, and :func:`open_archive`
is the one way to open an archive, read-write or read-only.

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

import contextlib
import errno
import functools
import json
import os
import re
import shutil
import sqlite3
from collections.abc import Callable
from pathlib import Path

from ..folding import index_separators
from .database import Database

SCHEMA_VERSION = 9
DB_NAME = "chatkeep.db"
MEDIA_DIR = "media"
# Accents removed; letters and numbers make words, and every symbol (emoji
# included, those not yet assigned too) separates them (see folding.py).
FTS_TOKENIZE = (f"unicode61 remove_diacritics 2 categories 'L* N*' "
                f"separators '{index_separators()}'")
# The same, as an SQL string literal (``tokenize=...`` in CREATE VIRTUAL TABLE).
FTS_TOKENIZE_SQL = "'" + FTS_TOKENIZE.replace("'", "''") + "'"
# The index reads message text through this view, which spells out letters
# the tokenizer cannot fold (ł → l, æ → ae; see folding.py).
FTS_SOURCE = "messages_fts_source"
REBUILD_CHUNK = 20_000
# Pages of a new archive, in bytes. Larger pages than SQLite's 4,096 make a
# large import cheaper (fewer pages to fill, write and checkpoint, shallower
# indexes to build) and cost little when reading; an archive made with
# another size keeps its own.
PAGE_SIZE = 32768


class ArchiveError(Exception):
    """The archive cannot be opened as asked; the message says why and what to do."""


class NoArchive(ArchiveError):
    """There is no archive in the folder yet."""


class ArchiveUnavailable(ArchiveError):
    """A whole archive that cannot be used now or here: made by a newer
    chatkeep, locked by another program, or read-only for a write. Nothing
    in it is damaged."""


SQLITE_HEADER = b"SQLite format 3\x00"
# The tables chatkeep makes: a database holding any other table is not ours,
# and is never changed.
OWN_TABLES = frozenset({
    "downloads", "conversations", "threads", "thread_parts", "participants", "messages",
    "message_downloads", "reactions", "attachments", "imported_files", "thread_links", "meta",
    "thread_files", "import_problems",
})


def default_archive_dir() -> Path:
    env = os.environ.get("CHATKEEP_ARCHIVE")
    if env:
        return Path(env).expanduser()
    import platformdirs

    return Path(platformdirs.user_data_dir("chatkeep", appauthor=False))


def open_archive(directory: Path, *, readonly: bool = False) -> Database:
    """Open (or, read-write, create) the archive in ``directory``.

    Read-write creates the folder 0700 and the database 0600 and migrates the
    schema. Read-only uses SQLite's ``mode=ro`` so no write can ever happen;
    when SQLite cannot make its ``-wal``/``-shm`` files beside the database (a
    read-only folder or mount, a full disk) it reads the file as ``immutable``.
    Every problem (no archive, a damaged, foreign, newer or locked database, a
    read-only folder for writing) is an ArchiveError whose message says what is
    wrong and what to do; the database is never changed when there is one.
    """
    directory = Path(directory)
    db_path = directory / DB_NAME
    if readonly:
        try:
            return _open_readonly(directory, db_path)
        except ArchiveOutdated:
            # An archive of an older chatkeep is upgraded where it can be written.
            if not _writable(directory, db_path):
                raise ArchiveError(
                    f"{db_path} was made by an older chatkeep and cannot be upgraded where "
                    "it is, because the folder is read-only. Copy the folder somewhere "
                    "writable and open the copy (--archive DIR)."
                ) from None
            open_archive(directory).conn.close()
            return _open_readonly(directory, db_path)
    inspect_archive(directory, for_writing=True)
    if directory.exists() and not _writable(directory, db_path):
        raise read_only_error(directory)
    old_umask = os.umask(0o077)
    try:
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        (directory / MEDIA_DIR).mkdir(exist_ok=True, mode=0o700)
        if not db_path.exists():
            # Create the file ourselves so it is 0600 from its first byte.
            os.close(os.open(db_path, os.O_CREAT | os.O_WRONLY, 0o600))
        conn = sqlite3.connect(db_path, check_same_thread=False, isolation_level=None)
        conn.text_factory = READ_TEXT
    except OSError as exc:
        if exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
            raise read_only_error(directory) from None
        raise ArchiveError(f"cannot write the archive at {directory} ({exc.strerror or exc})") from None
    finally:
        os.umask(old_umask)
    try:
        conn.execute("PRAGMA busy_timeout = 5000")
        if os.path.getsize(db_path) == 0:
            # Only a new file takes a page size (see PAGE_SIZE).
            conn.execute(f"PRAGMA page_size = {PAGE_SIZE}")
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
        # A larger page cache for big imports; index builds sort in temporary files,
        # not in memory, so an import's memory stays flat.
        conn.execute("PRAGMA cache_size = -16000")
        conn.execute("PRAGMA foreign_keys = OFF")
        if max_pages := os.environ.get("CHATKEEP_MAX_PAGE_COUNT"):
            # Tests simulate a full disk by capping the database's size.
            conn.execute(f"PRAGMA max_page_count = {int(max_pages)}")
        db = Database(conn)
        migrate(db, db_path)
        ensure_indexes(conn)
    except sqlite3.Error as exc:
        conn.close()
        raise error_for(exc, directory) from None
    for suffix in ("-wal", "-shm"):
        side = Path(str(db_path) + suffix)
        if side.exists():
            side.chmod(0o600)
    return db


class ArchiveOutdated(ArchiveError):
    """Made by an older chatkeep: upgraded on the next read-write open."""


def read_only_error(directory: Path) -> ArchiveError:
    return ArchiveUnavailable(
        f"{directory} is read-only, so nothing can be written to the archive there. "
        "Copy it somewhere writable and use the copy (--archive DIR)."
    )


def _writable(directory: Path, db_path: Path) -> bool:
    return os.access(directory, os.W_OK) and (
        not db_path.exists() or os.access(db_path, os.W_OK)
    )


def inspect_archive(directory: Path, *, for_writing: bool = False) -> None:
    """Raise ArchiveError when the folder's ``chatkeep.db`` is not an archive
    chatkeep may use: missing (for reading), empty (for reading), not SQLite,
    cut short, another program's database, or made by a newer chatkeep. Reads
    the file's header only; writes nothing."""
    db_path = Path(directory) / DB_NAME
    try:
        with open(db_path, "rb") as f:
            header = f.read(100)
            size = os.fstat(f.fileno()).st_size
    except FileNotFoundError:
        if for_writing:
            return
        raise NoArchive(
            f"No archive at {directory}. Import a download first: chatkeep import PATH"
        ) from None
    except IsADirectoryError:
        raise ArchiveError(f"{db_path} is a folder, not an archive. Move it away, or choose "
                           "another folder with --archive DIR.") from None
    except OSError as exc:
        raise ArchiveError(f"{db_path} cannot be read ({exc.strerror or exc}).") from None
    if size == 0:
        if for_writing:
            return  # nothing in it to lose: an import starts the archive there
        raise ArchiveError(
            f"{db_path} is empty (0 bytes), so it holds no archive. Import a download to "
            "start one (chatkeep import PATH), or restore the file from a backup."
        )
    if not header.startswith(SQLITE_HEADER):
        raise ArchiveError(
            f"{db_path} is not a chatkeep archive (it is not an SQLite database). "
            "Move it away, or choose another folder with --archive DIR."
        )
    page_size = int.from_bytes(header[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    pages = int.from_bytes(header[28:32], "big")
    # The page count in the header is valid when the two change counters agree.
    valid = header[24:28] == header[92:96] and pages > 0 and page_size >= 512
    wal = Path(str(db_path) + "-wal")
    wal_size = wal.stat().st_size if wal.exists() else 0
    if valid and size < pages * page_size and not wal_size:
        raise ArchiveError(
            f"{db_path} is damaged: the file is cut short ({size:,} of {pages * page_size:,} "
            "bytes). Restore it from a backup; chatkeep leaves it as it is."
        )
    # Peek without changing anything, not even SQLite's -wal and -shm files: a
    # newer or foreign database is never touched. (With changes still in the
    # -wal file, SQLite must read it, through its usual files.)
    facts = None
    if not wal_size:
        try:
            conn = sqlite3.connect(f"{db_path.resolve().as_uri()}?immutable=1", uri=True)
            try:
                facts = _facts(conn)
            finally:
                conn.close()
        except sqlite3.Error:
            facts = None  # asked again below, the usual way, which explains the error
    if facts is None:
        conn = _connect_readonly(Path(directory), db_path)
        try:
            facts = _facts(conn)
        except sqlite3.Error as exc:
            raise error_for(exc, Path(directory)) from None
        finally:
            conn.close()
    _judge(*facts, db_path, allow_older=True)


def _open_readonly(directory: Path, db_path: Path) -> Database:
    inspect_archive(directory)
    conn = _connect_readonly(directory, db_path)
    try:
        _check_version(conn, db_path, directory)
    except BaseException:
        conn.close()
        raise
    return Database(conn)


def reading_connection(db_path: Path | str) -> sqlite3.Connection:
    """One more read-only connection to an archive already opened (for work in
    another thread), made the way :func:`open_archive` makes its own: an
    archive that cannot be written is read there too."""
    db_path = Path(db_path)
    return _connect_readonly(db_path.parent, db_path)


def _connect_readonly(directory: Path, db_path: Path) -> sqlite3.Connection:
    """A read-only connection that has read the database's first page."""
    uri = db_path.resolve().as_uri()
    try:
        return _probe(sqlite3.connect(f"{uri}?mode=ro", uri=True, check_same_thread=False))
    except sqlite3.Error as exc:
        if _busy(exc) or isinstance(exc, sqlite3.DatabaseError) and not isinstance(
            exc, sqlite3.OperationalError
        ):
            raise error_for(exc, directory) from None
        first = exc
    # SQLite could not make its -wal/-shm files (a read-only folder or mount, a
    # full disk). Read the file as it is, unless changes are still in the -wal
    # file: without SQLite's index of them they cannot be read safely.
    wal = Path(str(db_path) + "-wal")
    if wal.exists() and wal.stat().st_size:
        if "IOERR" in (getattr(first, "sqlite_errorname", "") or "") or _disk_nearly_full(directory):
            raise ArchiveError(_full_disk_sentence(directory)) from None
        raise ArchiveError(
            f"{directory} is read-only and the archive's last changes are still in "
            f"{wal.name}, which SQLite cannot read without writing beside it. Copy the "
            "folder somewhere writable and open the copy (--archive DIR)."
        ) from None
    try:
        return _probe(sqlite3.connect(f"{uri}?immutable=1", uri=True, check_same_thread=False))
    except sqlite3.Error as exc:
        raise error_for(exc, directory) from None


# Text is read as UTF-8 with any byte that is not (a hand edit, a damaged
# page) read as U+FFFD, so one bad title never fails a whole command; check
# reports such text and check --repair rewrites it. A C callable: no Python
# frame per value.
READ_TEXT = functools.partial(str, encoding="utf-8", errors="replace")


def _probe(conn: sqlite3.Connection) -> sqlite3.Connection:
    conn.text_factory = READ_TEXT
    try:
        # A reader waits a moment for a writer, then says who holds the archive.
        conn.execute("PRAGMA busy_timeout = 2000")
        conn.execute("PRAGMA query_only = 1")
        conn.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()
    except BaseException:
        conn.close()
        raise
    return conn


def _facts(conn: sqlite3.Connection) -> tuple[int, set[str]]:
    """The schema version and the tables of a database."""
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    tables = {r[0] for r in conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
        "AND name NOT LIKE 'messages_fts%'"
    )}
    return version, tables


def _check_version(
    conn: sqlite3.Connection, db_path: Path, directory: Path, *, allow_older: bool = False
) -> None:
    try:
        facts = _facts(conn)
    except sqlite3.Error as exc:
        raise error_for(exc, directory) from None
    _judge(*facts, db_path, allow_older=allow_older)


def _judge(version: int, tables: set[str], db_path: Path, *, allow_older: bool) -> None:
    """Raise the ArchiveError that a database of this version and these
    tables deserves, if any."""
    if version > SCHEMA_VERSION:
        raise ArchiveUnavailable(
            f"{db_path} was made by a newer chatkeep (schema {version}; this one reads up "
            f"to {SCHEMA_VERSION}). Upgrade chatkeep to open it; the archive is left as it is."
        )
    if not tables <= OWN_TABLES or (version >= 1 and "messages" not in tables):
        raise ArchiveError(
            f"{db_path} is an SQLite database of another program, not a chatkeep archive. "
            "Move it away, or choose another folder with --archive DIR."
        )
    if version < SCHEMA_VERSION and not allow_older:
        if version < 1:  # a first import that was cut off before it made anything
            raise ArchiveError(
                f"{db_path} holds no archive yet (its first import was interrupted). "
                "Run the import again: chatkeep import PATH"
            )
        raise ArchiveOutdated(f"{db_path}: made by an older chatkeep (schema {version})")


def _busy(exc: BaseException) -> bool:
    code = getattr(exc, "sqlite_errorcode", None)
    return code in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED) or "locked" in str(exc)


def out_of_room(exc: BaseException | None) -> bool:
    """Whether SQLite ran out of room (the disk, or its size limit), in this
    error or in the error it interrupted (a ROLLBACK after SQLite already
    rolled back on its own fails too)."""
    while exc is not None:
        if isinstance(exc, sqlite3.Error) and (
            getattr(exc, "sqlite_errorcode", None) == sqlite3.SQLITE_FULL
            or "database or disk is full" in str(exc)
        ):
            return True
        exc = exc.__context__
    return False


def _disk_nearly_full(directory: Path) -> bool:
    """Whether the disk holding ``directory`` has less than a megabyte free."""
    try:
        return shutil.disk_usage(directory).free < 1 << 20
    except OSError:
        return False


def _full_disk_sentence(directory: Path) -> str:
    return (f"The disk holding {directory} is full, so SQLite cannot open the archive. "
            "Free some space and try again.")


def error_for(exc: BaseException, directory: Path) -> ArchiveError:
    """The ArchiveError for an SQLite error met on the archive."""
    cls = ArchiveUnavailable if _busy(exc) else ArchiveError
    return cls(describe_error(exc, directory))


def describe_error(exc: BaseException, directory: Path) -> str:
    """One or two plain sentences for an SQLite error met on the archive."""
    db_path = Path(directory) / DB_NAME
    name = getattr(exc, "sqlite_errorname", "") or ""
    if _busy(exc):
        return (f"{db_path} is locked by another program (an open sqlite3 shell or "
                "database browser?). Close it and try again.")
    if "FULL" in name or "disk is full" in str(exc) or (
        "IOERR" in name and _disk_nearly_full(Path(directory))
    ):
        return _full_disk_sentence(Path(directory))
    if "READONLY" in name or "readonly" in str(exc):
        return str(read_only_error(Path(directory)))
    if "NOTADB" in name or "not a database" in str(exc):
        return (f"{db_path} is not a chatkeep archive (it is not an SQLite database). "
                "Move it away, or choose another folder with --archive DIR.")
    if "CANTOPEN" in name or "unable to open" in str(exc):
        return f"{db_path} cannot be opened (SQLite: {exc}). Check the folder's permissions."
    return (f"{db_path} is damaged (SQLite: {exc}). Run chatkeep check to see what is "
            "wrong, and restore the file from a backup if it cannot be read.")


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
        _create_v1(db)
        db.execute("PRAGMA user_version = 1")
        version = 1
    # Each step runs in one transaction with the version it brings, so an
    # interrupted upgrade is simply done again.
    for target, step in _STEPS:
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


def _create_v1(archive: Database) -> None:
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


# --------------------------------------------------------------------------- migrations


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


def _no_progress(label: str, total: int) -> contextlib.AbstractContextManager[Callable[[], None]]:
    return contextlib.nullcontext(lambda: None)


# How a long upgrade step reports its progress: a context manager taking a
# label and a number of steps, giving a callable to call once a step. The
# engine draws nothing; the command line puts a bar here.
upgrade_progress: Callable[[str, int], contextlib.AbstractContextManager[Callable[[], None]]] = (
    _no_progress
)


def _v5_folded_index(conn: sqlite3.Connection) -> None:
    """The search index holds folded text (jadłem as jadlem): rebuilt once."""
    _rebuild_search_index(conn)


def _rebuild_search_index(conn: sqlite3.Connection) -> None:
    """Make the index's source view and the index afresh, with today's folding
    and tokenizer, and fill it (with a progress bar on a terminal)."""
    from ..folding import sql_fold

    conn.execute(f"DROP VIEW IF EXISTS {FTS_SOURCE}")
    conn.execute(
        f"CREATE VIEW {FTS_SOURCE} AS SELECT id, {sql_fold('text')} AS text, "
        f"{sql_fold('extra_text')} AS extra_text FROM messages"
    )
    conn.execute("DROP TABLE IF EXISTS messages_fts")
    conn.execute(
        f"CREATE VIRTUAL TABLE messages_fts USING fts5(text, extra_text, "
        f"tokenize={FTS_TOKENIZE_SQL}, content='{FTS_SOURCE}', content_rowid='id')"
    )
    low, high = conn.execute("SELECT MIN(id), MAX(id) FROM messages").fetchone()
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
        _rebuild_search_index(conn)


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


_STEPS = (
    (2, _v2_identity), (3, _v3_audit), (4, _v4_insights_index), (5, _v5_folded_index),
    (6, _v6_html_times), (7, _v7_symbols_split_words), (8, _v8_reactions_once),
    (9, _v9_owners_on_evidence),
)
