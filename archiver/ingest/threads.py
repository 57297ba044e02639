"""Writing one thread's events into the archive: what is new is added, what
the archive already holds is noted as held by this download too.

A thread's events (:mod:`.pipeline`) arrive as :class:`~.pipeline.Begin`, any
number of :class:`~.pipeline.Rows`, then :class:`~.pipeline.End` or
:class:`~.pipeline.Failed`. A thread new to the archive takes every message
without looking anything up; a thread the archive holds messages of looks up
each message's fingerprint (and, where times are not exact on one side, its
content: :mod:`archiver.store.matching`). Everything a thread writes is inside
its savepoint, so a thread that fails leaves nothing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from ..records import ThreadInfo
from ..store import conversations, downloads, matching
from ..store.writer import ArchiveWriter, Savepoint, Statements
from . import dialects
from .changes import AFTER_READING, signature_of
from .dialects import READ_ERRORS, ThreadSource
from .pipeline import Rows, ThreadStats
from .sources import DownloadTree

TITLE_NAMES = 50  # a thread without a title is named after at most this many people


def title_from_names(names: list[str]) -> str:
    """The title of a thread that has none: its participants, the first
    :data:`TITLE_NAMES` of them (a download may list a million)."""
    shown = ", ".join(names[:TITLE_NAMES])
    if len(names) > TITLE_NAMES:
        shown += f" and {len(names) - TITLE_NAMES:,} others"
    return shown


@dataclass
class ThreadWrite:
    """The state of one thread being written."""

    source: ThreadSource
    thread_id: int
    cid: int
    fresh: bool  # no message of it in the archive yet: nothing to look up
    numbering: bool  # positions given as written (see ThreadWriter.begin)
    saved: Savepoint  # next_id is also the id of its first message, when fresh
    signature: str | None
    first_ts: int | None = None
    last_ts: int | None = None
    added: int = 0
    present: int = 0
    statements: Statements | None = None
    # Messages whose fingerprint is not in the archive are also looked for
    # by sender, text and time within the precision of an HTML download
    # (see matching.py): when this thread comes from HTML or holds some.
    loose: bool = False
    claimed: set[int] = field(default_factory=set)  # archive ids matched so far
    upgraded: int = 0  # HTML messages given a JSON download's exact time
    info: ThreadInfo | None = None  # what the thread's files said of it, once read


class ThreadWriter:
    """Writes threads, one at a time, through ``writer``'s batches."""

    def __init__(self, writer: ArchiveWriter) -> None:
        self.writer = writer
        self.conn = writer.conn
        # Whether the archive holds messages whose times are not exact (see begin).
        self.inexact_held = downloads.holds_local_times(self.conn)
        self.touched: set[int] = set()  # threads written to, for cross-app linking

    def begin(self, source: ThreadSource, signature: str | None) -> ThreadWrite:
        """Start writing ``source`` (its row made if the archive lacks it)."""
        saved = self.writer.begin_thread()
        conn = self.conn
        row = conn.execute(
            "SELECT id, conversation_id FROM threads WHERE platform = ? AND key = ?",
            (source.platform, source.key),
        ).fetchone()
        guessed = 1 if source.platform_guessed else None
        if row is None:
            cid = conversations.new_conversation(conn, None)
            cur = conn.execute(
                "INSERT INTO threads (platform, key, conversation_id, home_conversation_id, "
                "platform_guessed) VALUES (?, ?, ?, ?, ?)",
                (source.platform, source.key, cid, cid, guessed),
            )
            thread_id, fresh = int(cur.lastrowid or 0), True
        else:
            thread_id, cid = row
            if guessed is None:  # a download that tells its app settles a guess
                conn.execute("UPDATE threads SET platform_guessed = NULL WHERE id = ? "
                             "AND platform_guessed IS NOT NULL", (thread_id,))
            self.writer.leave_bulk()
            fresh = conn.execute(
                "SELECT 1 FROM messages WHERE thread_id = ? LIMIT 1", (thread_id,)
            ).fetchone() is None
        self.touched.add(thread_id)
        exact = dialects.named(source.dialect).exact_times
        loose = not fresh and (not exact or self.inexact_held and conn.execute(
            "SELECT EXISTS (SELECT 1 FROM messages WHERE thread_id = ? "
            "AND time_precision IS NOT NULL)", (thread_id,)).fetchone()[0] == 1)
        # A new thread in its own new conversation whose messages arrive oldest
        # first is numbered as it is written; anything else is renumbered later.
        return ThreadWrite(
            source=source, thread_id=thread_id, cid=cid, fresh=fresh, numbering=row is None,
            saved=saved, signature=signature, loose=loose,
        )

    def rows(self, t: ThreadWrite, event: Rows, download_id: int) -> None:
        """Write a chunk of the thread's messages."""
        plain, full, folded, reactions, attachments, ordered, first_ts, last_ts, count = event
        writer = self.writer
        first_id = writer.next_id
        if t.fresh:
            # Nothing of the thread to look up: every message is new, and
            # message n is id saved.next_id + n.
            if t.numbering and not ordered:
                t.numbering = False  # renumbered by the conversation's refresh
                t.statements = None
            if t.first_ts is None:
                t.first_ts = first_ts
            t.last_ts = last_ts
            statements = t.statements
            if statements is None:
                statements = t.statements = Statements(
                    t.saved.next_id, t.thread_id, t.cid, t.numbering)
            writer.new_ids(count)
        else:
            plain, full, folded, reactions, attachments = self._new_rows(
                t, (plain, full, folded, reactions, attachments), download_id)
            count = len(plain) + len(full)
            if not count:
                return
            statements = t.statements
            if statements is None:  # the rows carry their ids
                statements = t.statements = Statements(0, t.thread_id, t.cid, False)
        writer.write_rows(statements, plain, full, folded, reactions, attachments, first_id,
                          download_id)
        t.added += count

    def _new_rows(
        self, t: ThreadWrite, chunk: tuple[list[tuple[Any, ...]], ...], download_id: int,
    ) -> list[list[tuple[Any, ...]]]:
        """The rows of the chunk (plain, full, folded, reactions, attachments) for
        the messages that are new to a thread the archive already holds
        messages of, numbered with their ids; the others are noted as also
        held by this download."""
        conn = self.conn
        fts_from = self.writer.fts_from
        plain, full = chunk[0], chunk[1]
        numbers = sorted((row[0], row[1]) for row in (*plain, *full))
        unmatched: list[int] = []
        # With loose matching, the stored precision too: the same fingerprint
        # from a more exact copy (JSON's whole second after a page's) still
        # gives its values.
        lookup = ("SELECT id, time_precision FROM messages WHERE fingerprint = ?" if t.loose
                  else "SELECT id FROM messages WHERE fingerprint = ?")
        upgrades: list[tuple[int, int]] = []
        rows: matching.ChunkRows | None = None
        for number, fingerprint in numbers:
            existing = conn.execute(lookup, (fingerprint,)).fetchone()
            if existing:
                conn.execute(
                    "INSERT OR IGNORE INTO message_downloads (message_id, download_id) "
                    "VALUES (?, ?)", (existing[0], download_id),
                )
                t.present += 1
                if t.loose:
                    t.claimed.add(existing[0])
                    if existing[1] is not None:
                        rows = rows or matching.ChunkRows(chunk)
                        if rows.more_exact(number, existing[1]):
                            upgrades.append((existing[0], number))
            else:
                unmatched.append(number)
        for mid, number in upgrades:
            assert rows is not None
            matching.upgrade(conn, mid, number, rows, fts_from)
            t.upgraded += 1
        if unmatched and t.loose:
            found = matching.match_chunk(conn, t.thread_id, chunk, unmatched, t.claimed)
            for number, (mid, upgrade) in found.items():
                conn.execute(
                    "INSERT OR IGNORE INTO message_downloads (message_id, download_id) "
                    "VALUES (?, ?)", (mid, download_id),
                )
                if upgrade:
                    rows = rows or matching.ChunkRows(chunk)
                    matching.upgrade(conn, mid, number, rows, fts_from)
                    t.upgraded += 1
                t.present += 1
            unmatched = [n for n in unmatched if n not in found]
        first = self.writer.new_ids(len(unmatched))
        ids = {number: first + i for i, number in enumerate(unmatched)}
        return [[(ids[row[0]], *row[1:]) for row in rows if row[0] in ids] for rows in chunk]

    def end(
        self, t: ThreadWrite, info: ThreadInfo, stats: ThreadStats, download_id: int,
        tree: DownloadTree,
    ) -> None:
        """The thread was read whole: record it, and keep what it wrote."""
        conn = self.conn
        source = t.source
        title = info.title or title_from_names(info.participants) or source.key
        conn.execute(
            "UPDATE threads SET title = ?, image_uri = COALESCE(?, image_uri), "
            "extra = COALESCE(?, extra) WHERE id = ?",
            (title, info.image_uri, json.dumps(info.extra, ensure_ascii=False)
             if info.extra else None, t.thread_id),
        )
        conn.executemany(
            "INSERT OR IGNORE INTO participants (thread_id, name) VALUES (?, ?)",
            [(t.thread_id, name) for name in info.participants],
        )
        held = t.added + t.present
        if not t.fresh:
            # Other parts of the thread may have come from this download in an
            # earlier import: it holds every message any of them brought.
            held = downloads.messages_held(conn, t.thread_id, download_id)
        downloads.record_thread(conn, t.thread_id, download_id, source.section, title, held)
        if t.numbering:
            # Its own new conversation, numbered as written: its summary is
            # known here, so no refresh has to read the messages back.
            conn.execute(
                "UPDATE conversations SET title = ?, platforms = ?, message_count = ?, "
                "first_ms = ?, last_ms = ?, cross_app = 0, frozen = 0, dirty = 0 WHERE id = ?",
                (title, source.platform, t.added, t.first_ts, t.last_ts if t.added else None,
                 t.cid),
            )
        elif t.added or t.upgraded:
            conversations.mark_dirty(conn, {t.cid})
        downloads.record_read(conn, t.thread_id, download_id, stats.files, stats.skipped)
        signature = t.signature
        if signature == AFTER_READING:
            try:  # the files were just read: they come from the disk's cache
                signature = signature_of(tree, source)
            except READ_ERRORS:
                signature = None  # they are read again next time
        if signature is not None:
            downloads.record_files_taken(conn, signature, t.thread_id, download_id)
        self.writer.end_thread()

    def abort(self, t: ThreadWrite) -> None:
        """Leave out everything of a thread whose files could not be read whole."""
        self.writer.roll_back_thread(t.saved)
