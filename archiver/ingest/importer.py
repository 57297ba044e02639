"""Importing downloads into the archive.

:func:`import_downloads` reads every thread of every download (via the dialect
readers), gives each message its fingerprint, and writes what is new. Threads
are written in batches, one transaction a batch and a savepoint a thread, so a
file that fails part-way leaves nothing of its thread, and a kill leaves the
archive as it was after the last batch. The full-text index is filled in the
same transaction as the messages, so it is always in step.
"""

from __future__ import annotations

import contextlib
import errno
import gc
import json
import os
import sqlite3
import time
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlite_utils

from ..folding import nfc
from ..paths import safe_relative
from ..records import ThreadInfo
from ..store import conversations, matching, schema
from ..store.lock import release_lock, take_lock
from ..store.media import MediaStore, file_sha256
from ..store.schema import ArchiveError, open_archive
from . import dialects, pipeline
from .dialects import Dialect, ReadContext, ThreadSource
from .pipeline import Begin, End, Failed, Rows
from .sources import DownloadTree, SourceError, group_paths, open_download
from .text import clean_text

BATCH_MESSAGES = 50_000
# Messages whose full-text rows are held before they are written (see _Writer.fts_from).
FTS_ROWS_HELD = 20_000
# meta key: when the last import ended, as epoch seconds (see _restore_media).
MEDIA_WRITTEN_KEY = "last_import_ended"
ROW_CHUNK = 5_000


TITLE_NAMES = 50  # a thread without a title is named after at most this many people


def title_from_names(names: list[str]) -> str:
    """The title of a thread that has none: its participants, the first
    :data:`TITLE_NAMES` of them (a download may list a million)."""
    shown = ", ".join(names[:TITLE_NAMES])
    if len(names) > TITLE_NAMES:
        shown += f" and {len(names) - TITLE_NAMES:,} others"
    return shown


class ArchiveFull(ArchiveError):
    """The disk (or SQLite's size limit) ran out of room during an import."""

    def __init__(self, archive_dir: Path) -> None:
        super().__init__(
            f"{archive_dir}: the disk is full (or the archive reached its size limit); "
            "everything imported before this point is kept. Free some space and run the "
            "same command again to finish the import."
        )


@dataclass
class ImportReport:
    downloads: list[str] = field(default_factory=list)
    threads: int = 0
    threads_unchanged: int = 0
    messages_added: int = 0
    messages_already_present: int = 0
    media_copied: int = 0
    media_missing: int = 0
    media_restored: int = 0  # copies in media/ that were missing or damaged, put back
    # HTML downloads: "NAME: read in UTC+01:00 (why)", one line each.
    time_offsets: list[str] = field(default_factory=list)
    errors: list[dict[str, str]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    fatal: bool = False  # nothing importable at all

    def as_json(self) -> dict[str, Any]:
        return {
            "downloads": self.downloads,
            "threads": self.threads,
            "messages_added": self.messages_added,
            "messages_already_present": self.messages_already_present,
            "media_copied": self.media_copied,
            "media_missing": self.media_missing,
            "media_restored": self.media_restored,
            "html_times": self.time_offsets,
            "errors": self.errors,
            "warnings": self.warnings,
        }

    def error(self, path: str, problem: str) -> None:
        self.errors.append({"path": clean_text(path), "error": clean_text(problem)})


ProgressFn = Callable[[str, int, int], None]  # (event, files or messages, total)


def import_downloads(
    archive_dir: Path,
    paths: list[Path],
    *,
    copy_media: bool = True,
    platform: str | None = None,
    progress: ProgressFn | None = None,
    html_offset: str | None = None,
) -> ImportReport:
    """Import every download named by ``paths`` into the archive.
    ``html_offset`` is the offset (``+02:00``) or zone (``Europe/Paris``) the
    user says HTML pages' times are in, overriding what chatkeep finds."""
    report = ImportReport()
    archive_dir = Path(archive_dir)
    # The lock comes first: opening read-write may build an index that a
    # running import has deferred, and would then wait on its transactions.
    schema.inspect_archive(archive_dir, for_writing=True)  # a foreign file is never touched
    try:
        archive_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        lock = take_lock(archive_dir)
    except OSError as exc:
        if exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
            raise schema.read_only_error(archive_dir) from None
        raise
    try:
        db = open_archive(archive_dir)
    except BaseException:
        release_lock(lock)
        raise
    writer: _Writer | None = None
    collecting = gc.get_threshold()
    # An import makes millions of short-lived rows that reference counting
    # frees at once; the cyclic collector, run every 700 allocations, would
    # only walk them (about 6 % of a large import's time).
    gc.set_threshold(100_000, 50, 1000)
    try:
        conversations.refresh_conversations(db)  # finish an interrupted import
        writer = _Writer(db, archive_dir, report, copy_media, progress, lock)
        writer.html_offset = html_offset
        importable = 0
        for group in group_paths(paths):
            try:
                tree = open_download(group)
            except SourceError as exc:
                path, _, problem = str(exc).partition(": ")
                report.error(path, problem)
                continue
            try:
                importable += writer.import_tree(tree, platform)
            finally:
                tree.close()
        writer.finish()
        if importable == 0 and not report.messages_added and not report.threads_unchanged:
            report.fatal = True
    except KeyboardInterrupt:
        if writer is not None:
            with contextlib.suppress(sqlite3.Error):
                writer.abandon()
        raise
    except sqlite3.Error as exc:
        if _disk_full(exc):
            raise ArchiveFull(archive_dir) from None
        raise
    finally:
        gc.set_threshold(*collecting)
        release_lock(lock)
        db.conn.close()
    return report


def _disk_full(exc: BaseException | None) -> bool:
    """Whether SQLite ran out of room, here or in the error this one interrupted
    (a ROLLBACK after SQLite already rolled back on its own fails too)."""
    while exc is not None:
        if isinstance(exc, sqlite3.Error) and (
            getattr(exc, "sqlite_errorcode", None) == sqlite3.SQLITE_FULL
            or "database or disk is full" in str(exc)
        ):
            return True
        exc = exc.__context__
    return False


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class _ThreadWrite:
    """The state of one thread being written."""

    source: ThreadSource
    thread_id: int
    cid: int
    fresh: bool  # no message of it in the archive yet: nothing to look up
    numbering: bool  # positions given as written (see _begin_thread)
    saved_next_id: int  # also the id of its first message, when fresh
    saved_fts: int  # the writer's fts_from before this thread
    signature: str | None
    first_ts: int | None = None
    last_ts: int | None = None
    added: int = 0
    present: int = 0
    statements: _Statements | None = None
    # Messages whose fingerprint is not in the archive are also looked for
    # by sender, text and time within the precision of an HTML download
    # (see matching.py): when this thread comes from HTML or holds some.
    loose: bool = False
    claimed: set[int] = field(default_factory=set)  # archive ids matched so far
    upgraded: int = 0  # HTML messages given a JSON download's exact time


class _Statements:
    """The statements that write one thread's rows (see ``pipeline.PLAIN_ROW``
    and the rows beside it). The thread, its conversation and the id of its
    first message are written into their text, so that each row binds only
    its own values, as the reading process made them: message ``n`` of the
    thread is id ``base + n``.
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


class _Writer:
    """Writes threads in batched transactions, with one savepoint per thread."""

    def __init__(
        self,
        db: sqlite_utils.Database,
        archive_dir: Path,
        report: ImportReport,
        copy_media: bool,
        progress: ProgressFn | None,
        lock_fd: int | None = None,
    ) -> None:
        self.db = db
        self.lock_fd = lock_fd  # the reading process closes its copy
        self.conn: sqlite3.Connection = db.conn
        self.report = report
        self.media = MediaStore(archive_dir) if copy_media else None
        self.progress = progress
        self.in_batch = False
        self.batch_messages = 0
        self.next_id = 0
        self.tree: DownloadTree | None = None  # the download being imported
        self.html_offset: str | None = None
        # Whether the archive holds messages read from HTML (see _begin_thread).
        self.html_held = self.conn.execute(
            "SELECT EXISTS (SELECT 1 FROM downloads WHERE time_offset IS NOT NULL)"
        ).fetchone()[0] == 1
        self.touched_threads: set[int] = set()
        # When the last import ended (epoch seconds): media copies changed
        # since then are checked by their SHA-256 (before any was recorded,
        # by their size alone).
        row = self.conn.execute(
            "SELECT value FROM meta WHERE key = ?", (MEDIA_WRITTEN_KEY,)
        ).fetchone()
        self.imported_before = float(row[0]) if row else float("inf")
        # The messages from this id to next_id have no full-text rows yet:
        # they are written a few thousand at a time, straight from the
        # messages table (see _write_fts). Texts that folding changes wait in
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

    def _begin(self) -> None:
        if not self.in_batch:
            self.conn.execute("BEGIN IMMEDIATE")
            self.in_batch = True
            self.batch_messages = 0
            self.next_id = (self.conn.execute("SELECT MAX(id) FROM messages").fetchone()[0] or 0) + 1
            self.fts_from = self.next_id  # every committed message is in the index

    def _commit(self) -> None:
        if not self.in_batch:
            return
        # The index moves in the same transaction as the messages it covers,
        # all at once: FTS5 writes a segment at every savepoint, and each
        # thread has one.
        self._write_fts()
        self.conn.execute("COMMIT")
        self.in_batch = False

    def _write_fts(self) -> None:
        """Write the full-text rows of the messages that have none yet: in one
        statement, in id order (FTS5 writes a segment at every savepoint, and
        whenever a rowid goes backwards), with the folded text where folding
        changed it (otherwise the index's source view gives the column as it
        is)."""
        if self.next_id > self.fts_from:
            self.conn.execute(_INSERT_FTS, (self.fts_from, self.next_id))
            self.conn.execute("DELETE FROM temp.fts_folded")
            self.fts_from = self.next_id

    def finish(self) -> None:
        self._begin()
        self.conn.execute(
            "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
            (MEDIA_WRITTEN_KEY, str(time.time())),
        )
        self._commit()
        self._leave_bulk()
        from ..store import crossapp

        crossapp.link_threads(self.db, self.touched_threads)
        conversations.refresh_conversations(self.db)

    def abandon(self) -> None:
        """Stop after an interruption: drop the batch in progress (its threads
        are read again next time) and rebuild any index the import deferred,
        so that the reader stays fast on what was kept."""
        if self.in_batch:
            self.conn.execute("ROLLBACK")
            self.in_batch = False
        self._leave_bulk()

    def _leave_bulk(self) -> None:
        """Build the deferred indexes: before the first look-up, or at the end."""
        if self.bulk:
            schema.ensure_indexes(self.conn)
            self.bulk = False

    # -- downloads ----------------------------------------------------------

    def import_tree(self, tree: DownloadTree, platform: str | None) -> int:
        """Import one download; returns how many threads it held."""
        ctx = ReadContext(platform_hint=platform, html_offset=self.html_offset)
        report = self.report
        errors_before = len(report.errors)
        sources = dialects.find_threads(tree, ctx)
        report.warnings.extend(tree.warnings)
        for path, problem in tree.errors:
            report.error(path, problem)
        if not sources:
            report.warnings.extend(ctx.warnings)
            for path, problem in ctx.rejected:
                report.error(path, problem)
            if not ctx.rejected:
                report.error(str(tree.origins[0]),
                             "holds no Facebook, Messenger or Instagram conversations")
            return 0
        for path, problem in ctx.rejected:
            report.error(path, problem)
        # A folder may hold several downloads: each is recorded as itself.
        for n, (root, group) in enumerate(_by_download(sources)):
            self._import_download(tree, ctx, root, group,
                                  errors_before if n == 0 else len(report.errors))
        report.warnings.extend(ctx.warnings)
        return len(sources)

    def _import_download(
        self, tree: DownloadTree, ctx: ReadContext, root: str, sources: list[ThreadSource],
        errors_from: int,
    ) -> None:
        """Import the threads of one download (``root`` inside the tree)."""
        report = self.report
        name = nfc(root.rsplit("/", 1)[-1]) if root else tree.name
        download_platform = _majority(s.platform for s in sources)
        kinds = _dialects_of(sources)
        named = kinds[0].names_download(name)
        warned = len(ctx.warnings)
        stated_owner = next((o for d in kinds if (o := d.owner(tree, root, sources, ctx))), None)
        report.warnings.extend(ctx.warnings[warned:])  # said now: reading drains the rest
        del ctx.warnings[warned:]
        download_id, created = self._download_row(
            tree, root, name, download_platform, kinds[0].name, stated_owner, named
        )
        report.downloads.append(name)

        # Threads whose files an earlier import already took are not read again.
        to_read: list[ThreadSource] = []
        # Keyed by what a source is, not by the object: sources come back from
        # the reading process as copies.
        signatures: dict[tuple[str, str, str], str] = {}
        unchanged: list[int] = []
        self.tree = tree
        for source in sources:
            if dialects.named(source.dialect).many_threads_per_file:
                to_read.append(source)
                continue
            known = self._thread_id(source)
            if known is None:
                # Nothing of it in the archive to compare with: its files' key
                # is taken once they are read (see _end_thread).
                signatures[(source.platform, source.key, source.folder)] = _AFTER_READING
                to_read.append(source)
                continue
            try:
                signature = _signature(tree, source)
            except pipeline.READ_ERRORS as exc:  # a file that cannot be read at all
                report.error(source.where, pipeline.describe(exc))
                continue
            thread_id = self._unchanged(known, source, signature, download_id)
            if thread_id is None:
                signatures[(source.platform, source.key, source.folder)] = signature
                to_read.append(source)
            else:
                unchanged.append(thread_id)
        if unchanged and self.media is not None:
            self._restore_media(tree, unchanged)

        owner_candidates: set[str] | None = None
        for thread_id in unchanged:
            names = {r[0] for r in self.conn.execute(
                "SELECT name FROM participants WHERE thread_id = ?", (thread_id,))}
            owner_candidates = names if owner_candidates is None else owner_candidates & names
        read = len(unchanged)  # threads read whole, or already in the archive
        total = len(sources)
        done = total - len(to_read)
        parallel = (
            (os.cpu_count() or 1) > 1
            and sum(m.size for s in to_read for m in s.files) >= pipeline.PARALLEL_MIN_BYTES
        )
        preparer = pipeline.Preparer(tree, ctx, self.media)
        thread: _ThreadWrite | None = None
        inherited = () if self.lock_fd is None else (self.lock_fd,)
        for event in pipeline.prepared_events(
            preparer, to_read, parallel=parallel, readers=pipeline.reading_processes(),
            close_in_child=inherited,
        ):
            kind = type(event)
            if kind is Rows:
                assert thread is not None
                self._write_rows(thread, event, download_id)
                continue
            if kind is Begin:
                thread = self._begin_thread(event.source, download_id, signatures)
                continue
            assert thread is not None
            if kind is End:
                self._end_thread(thread, event.info, event.stats, download_id)
                read += 1
                names = set(event.info.participants)
                owner_candidates = names if owner_candidates is None else owner_candidates & names
            elif kind is Failed:
                self._abort_thread(thread, event.problem, event.stats, event.file)
            thread = None
            done += 1
            if self.progress:
                self.progress("file", done, total)
        owner = stated_owner
        if owner is None and owner_candidates and len(owner_candidates) == 1:
            owner = next(iter(owner_candidates))
        basis = next((b for d in kinds if (b := d.time_basis(ctx, sources))), None)
        self._begin()
        if owner is None and not created:
            # Its threads read in earlier imports (other parts of it) may tell.
            owner = self._shared_participant(download_id)
        if read == 0 and created:
            # Nothing of it could be read: no empty download is recorded.
            self.conn.execute("DELETE FROM downloads WHERE id = ?", (download_id,))
            report.downloads.remove(name)
        else:
            download_id = self._settle_download(
                download_id, name, download_platform, owner, named)
            self._record_rejected(download_id, report.errors[errors_from:])
            if basis is not None:
                self.html_held = True
                offset, why = basis
                self.conn.execute(
                    "UPDATE downloads SET time_offset = ?, time_basis = ? WHERE id = ?",
                    (offset, why, download_id))
                report.time_offsets.append(f"{name}: HTML times read in {offset} ({why})")
        self._commit()

    def _record_rejected(self, download_id: int, errors: list[dict[str, str]]) -> None:
        """What this import of the download could not read, for the audit
        (replacing what an earlier import of it could not read)."""
        self._begin()
        self.conn.execute(
            "DELETE FROM import_problems WHERE download_id = ? AND kind = 'rejected'",
            (download_id,),
        )
        self.conn.executemany(
            "INSERT INTO import_problems (download_id, kind, path, problem) "
            "VALUES (?, 'rejected', ?, ?)",
            [(download_id, e["path"], e["error"]) for e in errors],
        )

    def _restore_media(self, tree: DownloadTree, thread_ids: list[int]) -> None:
        """Put back copies in ``media/`` that the unchanged threads use but that
        are missing or damaged, from this download's files (wherever the
        download is now). A copy is damaged when its size is wrong, or when it
        changed after the last import and its SHA-256 is wrong: hashing only
        those keeps a re-import quick."""
        assert self.media is not None
        members: _Members | None = None
        seen: set[str] = set()
        for start in range(0, len(thread_ids), 500):
            chunk = thread_ids[start:start + 500]
            rows = self.conn.execute(
                "SELECT DISTINCT a.media_path, a.sha256, a.size, a.source_path FROM attachments a "
                "JOIN messages m ON m.id = a.message_id "
                f"WHERE m.thread_id IN ({','.join('?' * len(chunk))}) "
                "AND a.media_path IS NOT NULL AND a.source_path IS NOT NULL",
                chunk,
            ).fetchall()
            for media_path, sha, size, source_path in rows:
                if media_path in seen or safe_relative(media_path) != media_path:
                    continue
                seen.add(media_path)
                dest = self.media.root / media_path
                try:
                    st = dest.stat()
                    if st.st_size == size and (
                        st.st_mtime <= self.imported_before or file_sha256(dest) == sha
                    ):
                        continue
                except OSError:
                    pass
                if members is None:
                    members = _Members(tree)
                member = members.find(source_path)
                if member is None:
                    continue
                try:
                    if self.media.restore(tree, member, media_path, sha):
                        self.report.media_restored += 1
                except pipeline.READ_ERRORS as exc:
                    self.report.warnings.append(
                        f"{member.label}: could not be copied ({pipeline.describe(exc)})"
                    )

    def _download_row(
        self, tree: DownloadTree, root: str, name: str, platform: str, dialect: str,
        owner: str | None, named: bool,
    ) -> tuple[int, bool]:
        """The download's row, and whether it is new. A download is its
        platform and Meta's download name ("facebook-jane-2024-…"); without
        such a name, its platform, folder name and owner (when the owner is
        only known once its threads are read, see :meth:`_settle_download`)."""
        self._begin()
        now = _now()
        # Where it was last read from, in full: check's fixes re-import from there.
        origins = [Path(p).resolve() for p in tree.origins]
        if root and len(origins) == 1 and origins[0].is_dir():
            origins = [origins[0] / root]
        source = clean_text(", ".join(str(p) for p in origins))
        if named:
            row = self.conn.execute(
                "SELECT id FROM downloads WHERE name = ? AND platform = ? ORDER BY id",
                (name, platform),
            ).fetchone()
        else:
            row = self.conn.execute(
                "SELECT id FROM downloads WHERE name = ? AND platform = ? AND owner IS ? "
                "ORDER BY id", (name, platform, owner),
            ).fetchone()
        if row:
            self.conn.execute(
                "UPDATE downloads SET last_imported = ?, source = ? WHERE id = ?",
                (now, source, row[0]),
            )
            return int(row[0]), False
        cur = self.conn.execute(
            "INSERT INTO downloads (name, platform, dialect, source, owner, first_imported, "
            "last_imported) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (name, platform, dialect, source, owner, now, now),
        )
        return int(cur.lastrowid or 0), True

    def _shared_participant(self, download_id: int) -> str | None:
        """The one name every thread the archive holds from the download
        shares (its owner), or None."""
        names = self.conn.execute(
            "SELECT p.name FROM thread_parts tp JOIN participants p ON p.thread_id = tp.thread_id "
            "WHERE tp.download_id = ? GROUP BY p.name "
            "HAVING COUNT(*) = (SELECT COUNT(*) FROM thread_parts WHERE download_id = ?) LIMIT 2",
            (download_id, download_id),
        ).fetchall()
        return names[0][0] if len(names) == 1 else None

    def _settle_download(
        self, download_id: int, name: str, platform: str, owner: str | None, named: bool
    ) -> int:
        """Give the download its owner once its threads told who it is; when
        that makes it a download the archive already holds, join the two."""
        current = self.conn.execute(
            "SELECT owner FROM downloads WHERE id = ?", (download_id,)
        ).fetchone()[0]
        if not owner or current is not None:
            return download_id
        if not named:
            other = self.conn.execute(
                "SELECT id FROM downloads WHERE name = ? AND platform = ? AND owner = ? "
                "AND id != ? ORDER BY id", (name, platform, owner, download_id),
            ).fetchone()
            if other:
                _merge_download(self.conn, download_id, other[0])
                return int(other[0])
        self.conn.execute("UPDATE downloads SET owner = ? WHERE id = ?", (owner, download_id))
        return download_id

    # -- threads ------------------------------------------------------------

    def _thread_id(self, source: ThreadSource) -> int | None:
        """The id of the thread in the archive, if it holds it."""
        self._begin()
        row = self.conn.execute(
            "SELECT id FROM threads WHERE platform = ? AND key = ?", (source.platform, source.key)
        ).fetchone()
        return None if row is None else int(row[0])

    def _unchanged(
        self, thread_id: int, source: ThreadSource, signature: str, download_id: int
    ) -> int | None:
        """``thread_id`` (and the download noted as holding it) when an
        earlier import took exactly these files for this thread, else None."""
        done = self.conn.execute(
            "SELECT download_id FROM imported_files WHERE file_key = ? AND thread_id = ?",
            (signature, thread_id),
        ).fetchall()
        if not done:
            return None
        self._record_unchanged(thread_id, download_id, [d[0] for d in done], source)
        return thread_id

    def _begin_thread(
        self, source: ThreadSource, download_id: int,
        signatures: dict[tuple[str, str, str], str],
    ) -> _ThreadWrite:
        self._begin()
        conn = self.conn
        if self.next_id - self.fts_from >= FTS_ROWS_HELD:
            self._write_fts()  # outside any thread's savepoint
        conn.execute("SAVEPOINT thread")
        row = conn.execute(
            "SELECT id, conversation_id FROM threads WHERE platform = ? AND key = ?",
            (source.platform, source.key),
        ).fetchone()
        if row is None:
            cid = conversations.new_conversation(conn, None)
            cur = conn.execute(
                "INSERT INTO threads (platform, key, conversation_id, home_conversation_id) "
                "VALUES (?, ?, ?, ?)",
                (source.platform, source.key, cid, cid),
            )
            thread_id, fresh = int(cur.lastrowid or 0), True
        else:
            thread_id, cid = row
            self._leave_bulk()
            fresh = conn.execute(
                "SELECT 1 FROM messages WHERE thread_id = ? LIMIT 1", (thread_id,)
            ).fetchone() is None
        self.touched_threads.add(thread_id)
        exact = dialects.named(source.dialect).exact_times
        loose = not fresh and (not exact or self.html_held and conn.execute(
            "SELECT EXISTS (SELECT 1 FROM messages WHERE thread_id = ? "
            "AND time_precision IS NOT NULL)", (thread_id,)).fetchone()[0] == 1)
        # A new thread in its own new conversation whose messages arrive oldest
        # first is numbered as it is written; anything else is renumbered later.
        return _ThreadWrite(
            source=source, thread_id=thread_id, cid=cid, fresh=fresh, numbering=row is None,
            saved_next_id=self.next_id, saved_fts=self.fts_from,
            signature=signatures.get((source.platform, source.key, source.folder)),
            loose=loose,
        )

    def _write_rows(self, t: _ThreadWrite, event: Rows, download_id: int) -> None:
        """Write a chunk of the thread's messages."""
        plain, full, folded, reactions, attachments, ordered, first_ts, last_ts, count = event
        conn = self.conn
        first_id = self.next_id
        if t.fresh:
            # Nothing of the thread to look up: every message is new, and
            # message n is id saved_next_id + n.
            if t.numbering and not ordered:
                t.numbering = False  # renumbered by the conversation's refresh
                t.statements = None
            if t.first_ts is None:
                t.first_ts = first_ts
            t.last_ts = last_ts
            statements = t.statements
            if statements is None:
                statements = t.statements = _Statements(
                    t.saved_next_id, t.thread_id, t.cid, t.numbering)
            self.next_id += count
        else:
            plain, full, folded, reactions, attachments = self._new_rows(
                t, (plain, full, folded, reactions, attachments), download_id)
            count = len(plain) + len(full)
            if not count:
                return
            statements = t.statements
            if statements is None:  # the rows carry their ids
                statements = t.statements = _Statements(0, t.thread_id, t.cid, False)
        if plain:
            conn.executemany(statements.plain, plain)
        if full:
            conn.executemany(statements.full, full)
        # The new messages have the ids first_id … next_id - 1, all of them.
        conn.execute(_INSERT_LINKS, (download_id, first_id, self.next_id))
        if reactions:
            conn.executemany(statements.reaction, reactions)
        if attachments:
            conn.executemany(statements.attachment, attachments)
        if folded:
            conn.executemany(statements.folded, folded)
        t.added += count
        if self.next_id - self.fts_from >= FTS_ROWS_HELD:
            # A long thread writes them as it goes (the folded texts stay
            # few), inside its savepoint: its rollback undoes them, and
            # _abort_thread makes the earlier threads' rows pending again.
            self._write_fts()

    def _new_rows(
        self, t: _ThreadWrite, chunk: tuple[list[tuple[Any, ...]], ...], download_id: int,
    ) -> list[list[tuple[Any, ...]]]:
        """The rows of the chunk (plain, full, folded, reactions, attachments) for
        the messages that are new to a thread the archive already holds
        messages of, numbered with their ids; the others are noted as also
        held by this download."""
        conn = self.conn
        plain, full = chunk[0], chunk[1]
        numbers = sorted((row[0], row[1]) for row in (*plain, *full))
        ids: dict[int, int] = {}
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
            matching.upgrade(conn, mid, number, rows, self.fts_from)
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
                    matching.upgrade(conn, mid, number, rows, self.fts_from)
                    t.upgraded += 1
                t.present += 1
            unmatched = [n for n in unmatched if n not in found]
        for number in unmatched:
            ids[number] = self.next_id
            self.next_id += 1
        return [[(ids[row[0]], *row[1:]) for row in rows if row[0] in ids] for rows in chunk]

    def _end_thread(
        self, t: _ThreadWrite, info: ThreadInfo, stats: pipeline.ThreadStats, download_id: int
    ) -> None:
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
            held = conn.execute(
                "SELECT COUNT(*) FROM messages m JOIN message_downloads md "
                "ON md.message_id = m.id AND md.download_id = ? WHERE m.thread_id = ?",
                (download_id, t.thread_id),
            ).fetchone()[0]
        conn.execute(
            "INSERT OR REPLACE INTO thread_parts (thread_id, download_id, section, title, messages)"
            " VALUES (?, ?, ?, ?, ?)",
            (t.thread_id, download_id, source.section, title, held),
        )
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
        self._record_read(t.thread_id, download_id, stats)
        signature = t.signature
        if signature == _AFTER_READING:
            assert self.tree is not None
            try:  # the files were just read: they come from the disk's cache
                signature = _signature(self.tree, source)
            except pipeline.READ_ERRORS:
                signature = None  # they are read again next time
        if signature is not None:
            conn.execute(
                "INSERT OR IGNORE INTO imported_files (file_key, thread_id, download_id) "
                "VALUES (?, ?, ?)",
                (signature, t.thread_id, download_id),
            )
        conn.execute("RELEASE thread")
        report = self.report
        report.threads += 1
        report.messages_added += t.added
        report.messages_already_present += t.present
        report.media_copied += stats.media_copied
        report.media_missing += stats.media_missing
        report.warnings.extend(stats.warnings)
        self.batch_messages += t.added + t.present
        if self.progress:
            self.progress("messages", t.added + t.present, 0)
        if self.batch_messages >= BATCH_MESSAGES:
            self._commit()

    def _record_read(
        self, thread_id: int, download_id: int, stats: pipeline.ThreadStats
    ) -> None:
        """What the thread's files held and what was skipped, for the audit.
        What an earlier import recorded of the files read again is replaced;
        the rest stays (an import of some of a download's parts adds to what
        its other parts brought)."""
        conn = self.conn
        read = {_part_name(label) for label in stats.files}
        earlier = [label for (label,) in conn.execute(
            "SELECT path FROM thread_files WHERE thread_id = ? AND download_id = ?",
            (thread_id, download_id),
        )]
        replaced = [label for label in earlier if _part_name(label) in read]
        conn.executemany(
            "DELETE FROM thread_files WHERE thread_id = ? AND download_id = ? AND path = ?",
            [(thread_id, download_id, label) for label in replaced],
        )
        conn.executemany(
            "INSERT OR REPLACE INTO thread_files (thread_id, download_id, path, messages) "
            "VALUES (?, ?, ?, ?)",
            [(thread_id, download_id, path, n) for path, n in stats.files.items()],
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
            [(download_id, thread_id, where, why) for where, why in stats.skipped],
        )

    def _abort_thread(
        self, t: _ThreadWrite, problem: str, stats: pipeline.ThreadStats, failed: str | None
    ) -> None:
        """Leave out everything of a thread whose files could not be read whole."""
        self.conn.execute("ROLLBACK TO thread")
        self.conn.execute("RELEASE thread")
        self.next_id = t.saved_next_id
        self.fts_from = t.saved_fts
        source = t.source
        where = failed or source.where
        if len(source.files) > 1:
            problem = f"{problem}; the whole thread was left out"
        self.report.error(where, problem)
        self.report.warnings.extend(stats.warnings)

    def _record_unchanged(
        self, thread_id: int, download_id: int, earlier: list[int], source: ThreadSource
    ) -> None:
        """A thread whose files an earlier import already took: only note that
        this download holds it too."""
        conn = self.conn
        self._leave_bulk()
        self.report.threads += 1
        self.report.threads_unchanged += 1
        present = conn.execute(
            "SELECT COUNT(*) FROM messages WHERE thread_id = ?", (thread_id,)
        ).fetchone()[0]
        self.report.messages_already_present += present
        if download_id not in earlier:
            conn.execute(
                "INSERT OR IGNORE INTO message_downloads (message_id, download_id) "
                "SELECT DISTINCT md.message_id, ? FROM message_downloads md "
                "JOIN messages m ON m.id = md.message_id "
                "WHERE m.thread_id = ? AND md.download_id = ?",
                (download_id, thread_id, earlier[0]),
            )
            conn.execute(
                "INSERT OR IGNORE INTO imported_files (file_key, thread_id, download_id) "
                "SELECT file_key, thread_id, ? FROM imported_files "
                "WHERE thread_id = ? AND download_id = ?",
                (download_id, thread_id, earlier[0]),
            )
            # The same files: they held what they held for the earlier download.
            conn.execute(
                "INSERT OR REPLACE INTO thread_files (thread_id, download_id, path, messages) "
                "SELECT thread_id, ?, path, messages FROM thread_files "
                "WHERE thread_id = ? AND download_id = ?",
                (download_id, thread_id, earlier[0]),
            )
            conn.execute(
                "DELETE FROM import_problems WHERE thread_id = ? AND download_id = ? "
                "AND kind = 'skipped'", (thread_id, download_id),
            )
            conn.execute(
                "INSERT INTO import_problems (download_id, thread_id, kind, path, problem) "
                "SELECT ?, thread_id, kind, path, problem FROM import_problems "
                "WHERE thread_id = ? AND download_id = ? AND kind = 'skipped'",
                (download_id, thread_id, earlier[0]),
            )
            title = conn.execute(
                "SELECT title FROM thread_parts WHERE thread_id = ? AND download_id = ?",
                (thread_id, earlier[0]),
            ).fetchone()
            conn.execute(
                "INSERT OR REPLACE INTO thread_parts (thread_id, download_id, section, title, "
                "messages) VALUES (?, ?, ?, ?, ?)",
                (thread_id, download_id, source.section, title[0] if title else None, present),
            )

_INSERT_FTS = (
    "INSERT INTO messages_fts (rowid, text, extra_text) "
    "SELECT m.id, coalesce(f.text, m.text), coalesce(f.extra_text, m.extra_text) "
    "FROM messages m LEFT JOIN temp.fts_folded f ON f.id = m.id WHERE m.id >= ? AND m.id < ?"
)
_INSERT_LINKS = (
    "INSERT INTO message_downloads (message_id, download_id) "
    "SELECT id, ? FROM messages WHERE id >= ? AND id < ?"
)

class _Members:
    """A download's files by the label an earlier import recorded for them
    (``attachments.source_path``), even when the download has moved since:
    then by the member's name inside its zip, or by the longest tail of the
    recorded path that is a path inside the download."""

    def __init__(self, tree: DownloadTree) -> None:
        self.by_label = {m.label: m for m in tree}
        self.by_path = {m.path: m for m in tree}
        self.by_zip_name = {m.zip_name: m for m in tree if m.zip_name is not None}

    def find(self, label: str) -> Any:
        if label in self.by_label:
            return self.by_label[label]
        marker = " (member "
        if label.endswith(")") and marker in label:
            return self.by_zip_name.get(label[label.rindex(marker) + len(marker):-1])
        parts = label.replace("\\", "/").split("/")
        for i in range(1, len(parts)):
            found = self.by_path.get("/".join(parts[i:]))
            if found is not None:
                return found
        return None


def _part_name(label: str) -> str:
    """A thread file's name, from the label it was read under (a path, or a
    zip and its member): the same part read from a folder or a zip, or from
    a download that has moved since, has one name."""
    marker = " (member "
    if label.endswith(")") and marker in label:
        label = label[label.rindex(marker) + len(marker):-1]
    return label.replace("\\", "/").rsplit("/", 1)[-1]


# The signature of a thread new to the archive: taken after its files are read.
_AFTER_READING = ""


def _signature(tree: DownloadTree, source: ThreadSource) -> str:
    """The content key of a thread's files: same files, same key, wherever they are."""
    parts = []
    for member in source.files:
        crc = member.crc
        if crc is None:
            crc = 0
            with tree.open(member) as f:
                while chunk := f.read(1 << 20):
                    crc = zlib.crc32(chunk, crc)
        parts.append(f"{member.path.rsplit('/', 1)[-1]}:{member.size}:{crc:08x}")
    return f"{source.platform}:{source.key}:" + ",".join(parts)


def _by_download(sources: list[ThreadSource]) -> list[tuple[str, list[ThreadSource]]]:
    """The threads of a tree, grouped by the download each lies in (its root
    folder inside the tree; "" when the tree is one download)."""
    groups: dict[str, list[ThreadSource]] = {}
    for source in sources:
        root = dialects.named(source.dialect).download_of(source)
        groups.setdefault(root, []).append(source)
    if len(groups) == 1:
        return [("", sources)]
    return sorted(groups.items())


def _merge_download(conn: sqlite3.Connection, source: int, target: int) -> None:
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


def _majority(values: Iterator[str]) -> str:
    counts: dict[str, int] = {}
    for v in values:
        counts[v] = counts.get(v, 0) + 1
    return max(counts, key=lambda k: counts[k])


def _dialects_of(sources: list[ThreadSource]) -> list[Dialect]:
    """The dialects of ``sources``, in the order they claim files."""
    present = {s.dialect for s in sources}
    return [d for d in dialects.DIALECTS if d.name in present]
