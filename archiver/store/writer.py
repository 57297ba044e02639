"""Writing messages into the archive: batches, savepoints, the index in step.

Threads are written in batches, one transaction a batch and a savepoint a
thread, so a thread that fails part-way leaves nothing of itself, and a kill
leaves the archive as it was after the last batch. A batch ends between two
threads, after :data:`BATCH_MESSAGES` messages or :data:`BATCH_SECONDS`
seconds. The full-text index is filled in the same
transaction as the messages, so it is always in step.

Rows arrive as tuples in the layouts below (:data:`PLAIN_ROW` and the rows
beside it), whose first value is the message's number in its thread; the
:class:`Statements` of a thread turn that number into the message's id, so
no message is touched in Python on its way to SQLite.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from typing import Any, NamedTuple

from .. import interrupts
from . import schema
from .database import Database

# A batch (one transaction) ends after this many messages, or after this many
# seconds, whichever comes first (between two threads): an interruption loses
# at most the batch in progress.
BATCH_MESSAGES = 50_000
BATCH_SECONDS = 2.0
# Messages whose full-text rows are held before they are written (see ArchiveWriter.fts_from).
FTS_ROWS_HELD = 20_000

# The rows of a message, as the writer binds them.
PLAIN_ROW = ("number", "fingerprint", "sender", "timestamp_ms", "kind", "edited", "text")
FULL_ROW = (
    "number", "fingerprint", "sender", "timestamp_ms", "kind", "extra_text", "unsent",
    "edited", "share_link", "share_text", "call_seconds", "call_missed", "raw", "text",
    "time_precision", "format",
)
# Text and extra text as the search index holds them (ł as l, see folding.py)
# where that differs from the columns; None where it does not.
FOLDED_ROW = ("number", "text", "extra_text")
REACTION_ROW = ("number", "actor", "reaction", "timestamp_ms")
ATTACHMENT_ROW = ("number", "kind", "name", "uri", "source_path", "present", "remote",
                  "sha256", "media_path", "size")

_INSERT_FTS = (
    "INSERT INTO messages_fts (rowid, text, extra_text) "
    "SELECT m.id, coalesce(f.text, m.text), coalesce(f.extra_text, m.extra_text) "
    "FROM messages m LEFT JOIN temp.fts_folded f ON f.id = m.id WHERE m.id >= ? AND m.id < ?"
)
_INSERT_LINKS = (
    "INSERT INTO message_downloads (message_id, download_id) "
    "SELECT id, ? FROM messages WHERE id >= ? AND id < ?"
)


class Statements:
    """The statements that write one thread's rows. The thread, its
    conversation and the id of its first message are written into their
    text, so that each row binds only its own values, as the reading process
    made them: message ``n`` of the thread is id ``base + n``. With
    ``numbering``, a message's position in its conversation is its number.
    """

    __slots__ = ("attachment", "folded", "full", "plain", "reaction")

    def __init__(self, base: int, thread_id: int, cid: int, numbering: bool) -> None:
        ids = f"?1 + {int(base)}"
        fixed = f"{ids}, {int(thread_id)}, {int(cid)}, {'?1' if numbering else 'NULL'}"
        self.plain = (
            "INSERT INTO messages (id, thread_id, conversation_id, position, fingerprint, "
            f"sender, timestamp_ms, kind, edited, text) VALUES ({fixed}, ?2, ?3, ?4, ?5, ?6, ?7)"
        )
        self.full = (
            "INSERT INTO messages (id, thread_id, conversation_id, position, fingerprint, "
            "sender, timestamp_ms, kind, extra_text, unsent, edited, share_link, share_text, "
            "call_seconds, call_missed, raw, text, time_precision, format) "
            f"VALUES ({fixed}, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)"
        )
        self.folded = f"INSERT INTO temp.fts_folded (id, text, extra_text) VALUES ({ids}, ?2, ?3)"
        self.reaction = ("INSERT INTO reactions (message_id, actor, reaction, timestamp_ms) "
                         f"VALUES ({ids}, ?2, ?3, ?4)")
        self.attachment = (
            "INSERT INTO attachments (message_id, kind, name, uri, source_path, present, "
            f"remote, sha256, media_path, size) VALUES ({ids}, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, "
            "?10)"
        )


class Savepoint(NamedTuple):
    """What a thread's rollback puts back."""

    next_id: int
    fts_from: int


Row = tuple[Any, ...]


class ArchiveWriter:
    """One connection's batches of messages (see the module docstring)."""

    def __init__(self, db: Database, on_commit: Callable[[], None] | None = None) -> None:
        self.db = db
        self.on_commit = on_commit  # told after each batch is kept
        self.batch_started = 0.0
        self.conn: sqlite3.Connection = db.conn
        self.in_batch = False
        self.batch_messages = 0
        # The id the next new message takes (known once a batch began).
        self.next_id = 0
        # The messages from this id to next_id have no full-text rows yet:
        # they are written a few thousand at a time, straight from the
        # messages table (see write_fts). Texts that folding changes wait in
        # a table of this connection's own.
        self.fts_from = 0
        self.conn.execute(
            "CREATE TEMP TABLE IF NOT EXISTS fts_folded "
            "(id INTEGER PRIMARY KEY, text TEXT, extra_text TEXT)"
        )
        # A first import into an empty archive builds some indexes at the end.
        self.bulk = self.conn.execute("SELECT NOT EXISTS (SELECT 1 FROM messages)").fetchone()[0]
        if self.bulk:
            schema.drop_deferred_indexes(self.conn)

    # -- transactions -------------------------------------------------------

    def begin(self) -> None:
        """Be inside a batch (a new one unless one is open)."""
        if not self.in_batch:
            self.conn.execute("BEGIN IMMEDIATE")
            self.in_batch = True
            self.batch_messages = 0
            self.batch_started = time.monotonic()
            self.next_id = (self.conn.execute("SELECT MAX(id) FROM messages").fetchone()[0] or 0) + 1
            self.fts_from = self.next_id  # every committed message is in the index

    def commit(self) -> None:
        """End the batch: what it wrote is kept, whatever happens next."""
        if not self.in_batch:
            return
        # The index moves in the same transaction as the messages it covers,
        # all at once: FTS5 writes a segment at every savepoint, and each
        # thread has one.
        self.write_fts()
        # Once COMMIT returns, what the batch wrote is kept: a signal waits
        # until it is counted as kept too.
        with interrupts.held():
            self.conn.execute("COMMIT")
            self.in_batch = False
            if self.on_commit is not None:
                self.on_commit()

    def abandon(self) -> None:
        """Stop after an interruption: drop the batch in progress and rebuild
        any index the import deferred, so that the reader stays fast on what
        was kept."""
        if self.in_batch:
            self.conn.execute("ROLLBACK")
            self.in_batch = False
        self.leave_bulk()

    def leave_bulk(self) -> None:
        """Build the deferred indexes: before the first look-up, or at the end."""
        if self.bulk:
            schema.ensure_indexes(self.conn)
            self.bulk = False

    def write_fts(self) -> None:
        """Write the full-text rows of the messages that have none yet: in one
        statement, in id order (FTS5 writes a segment at every savepoint, and
        whenever a rowid goes backwards), with the folded text where folding
        changed it (otherwise the index's source view gives the column as it
        is)."""
        if self.next_id > self.fts_from:
            self.conn.execute(_INSERT_FTS, (self.fts_from, self.next_id))
            self.conn.execute("DELETE FROM temp.fts_folded")
            self.fts_from = self.next_id

    def written(self, messages: int) -> None:
        """Count messages written (or found already held) toward the batch."""
        self.batch_messages += messages

    def commit_if_due(self) -> None:
        """End the batch when it is full or old enough (call between threads)."""
        if self.in_batch and (self.batch_messages >= BATCH_MESSAGES
                              or time.monotonic() - self.batch_started >= BATCH_SECONDS):
            self.commit()

    # -- one thread -------------------------------------------------------------

    def begin_thread(self) -> Savepoint:
        """Open a thread's savepoint (inside a batch)."""
        self.begin()
        if self.next_id - self.fts_from >= FTS_ROWS_HELD:
            self.write_fts()  # outside any thread's savepoint
        self.conn.execute("SAVEPOINT thread")
        return Savepoint(self.next_id, self.fts_from)

    def end_thread(self) -> None:
        self.conn.execute("RELEASE thread")

    def roll_back_thread(self, saved: Savepoint) -> None:
        """Leave out everything the thread wrote since :meth:`begin_thread`."""
        self.conn.execute("ROLLBACK TO thread")
        self.conn.execute("RELEASE thread")
        self.next_id, self.fts_from = saved

    def new_ids(self, count: int) -> int:
        """Take ``count`` ids for new messages; returns the first."""
        first = self.next_id
        self.next_id += count
        return first

    def write_rows(
        self, statements: Statements, plain: list[Row], full: list[Row], folded: list[Row],
        reactions: list[Row], attachments: list[Row], first_id: int, download_id: int,
    ) -> None:
        """Write new messages, the ids ``first_id`` … ``next_id - 1``, all of
        them, held by download ``download_id``."""
        conn = self.conn
        if plain:
            conn.executemany(statements.plain, plain)
        if full:
            conn.executemany(statements.full, full)
        conn.execute(_INSERT_LINKS, (download_id, first_id, self.next_id))
        if reactions:
            conn.executemany(statements.reaction, reactions)
        if attachments:
            conn.executemany(statements.attachment, attachments)
        if folded:
            conn.executemany(statements.folded, folded)
        if self.next_id - self.fts_from >= FTS_ROWS_HELD:
            # A long thread writes them as it goes (the folded texts stay
            # few), inside its savepoint: its rollback undoes them, and
            # roll_back_thread makes the earlier threads' rows pending again.
            self.write_fts()
