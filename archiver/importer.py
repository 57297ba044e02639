"""Importing downloads into the archive.

:func:`import_downloads` reads every thread of every download (via the dialect
readers), gives each message its fingerprint, and writes what is new. Threads
are written in batches, one transaction a batch and a savepoint a thread, so a
file that fails part-way leaves nothing of its thread, and a kill leaves the
archive as it was after the last batch. The full-text index is filled in the
same transaction as the messages, so it is always in step.
"""

from __future__ import annotations

import fcntl
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

from . import conversations, dialects, schema
from .dialects import ReadContext, ReadError, ThreadSource
from .fingerprint import OccurrenceCounter, base_fingerprint, with_occurrence
from .media import OUTSIDE, MediaIndex, MediaStore
from .records import Message, ThreadInfo
from .schema import open_archive
from .sources import DownloadTree, SourceError, group_paths, open_download
from .text import repair

HTML_SENTENCE = (
    "this download is in HTML format, which chatkeep cannot read; request a new "
    "download from Meta's \"Download your information\" page with the format set to JSON"
)
BATCH_MESSAGES = 50_000
ROW_CHUNK = 5_000


class ImportBusy(Exception):
    """Another import is writing to the same archive."""


@dataclass
class ImportReport:
    downloads: list[str] = field(default_factory=list)
    threads: int = 0
    threads_unchanged: int = 0
    messages_added: int = 0
    messages_already_present: int = 0
    media_copied: int = 0
    media_missing: int = 0
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
            "errors": self.errors,
            "warnings": self.warnings,
        }

    def error(self, path: str, problem: str) -> None:
        self.errors.append({"path": path, "error": problem})


ProgressFn = Callable[[str, int, int], None]  # (event, files or messages, total)


def import_downloads(
    archive_dir: Path,
    paths: list[Path],
    *,
    copy_media: bool = True,
    platform: str | None = None,
    progress: ProgressFn | None = None,
) -> ImportReport:
    """Import every download named by ``paths`` into the archive."""
    report = ImportReport()
    archive_dir = Path(archive_dir)
    db = open_archive(archive_dir)
    lock = _take_lock(archive_dir)
    try:
        conversations.refresh_conversations(db)  # finish an interrupted import
        writer = _Writer(db, archive_dir, report, copy_media, progress)
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
    finally:
        _release_lock(lock)
        db.conn.close()
    return report


def _take_lock(archive_dir: Path) -> int:
    fd = os.open(archive_dir / ".import.lock", os.O_CREAT | os.O_RDWR, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise ImportBusy(
            f"another chatkeep import is writing to {archive_dir}; wait for it to finish"
        ) from None
    return fd


def _release_lock(fd: int) -> None:
    fcntl.flock(fd, fcntl.LOCK_UN)
    os.close(fd)


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class _Writer:
    """Writes threads in batched transactions, with one savepoint per thread."""

    def __init__(
        self,
        db: sqlite_utils.Database,
        archive_dir: Path,
        report: ImportReport,
        copy_media: bool,
        progress: ProgressFn | None,
    ) -> None:
        self.db = db
        self.conn: sqlite3.Connection = db.conn
        self.report = report
        self.media = MediaStore(archive_dir) if copy_media else None
        self.progress = progress
        self.in_batch = False
        self.batch_messages = 0
        self.batch_first_id = 0
        self.next_id = 0
        self.touched_threads: set[int] = set()
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
            self.batch_first_id = self.next_id

    def _commit(self) -> None:
        if not self.in_batch:
            return
        # The index moves in the same transaction as the messages it covers.
        self.conn.execute(
            "INSERT INTO messages_fts (rowid, text, extra_text) "
            "SELECT id, text, extra_text FROM messages WHERE id >= ?",
            (self.batch_first_id,),
        )
        self.conn.execute("COMMIT")
        self.in_batch = False

    def finish(self) -> None:
        self._commit()
        if self.bulk:
            schema.ensure_indexes(self.conn)
        from . import crossapp

        crossapp.link_threads(self.db, self.touched_threads)
        conversations.refresh_conversations(self.db)

    # -- downloads ----------------------------------------------------------

    def import_tree(self, tree: DownloadTree, platform: str | None) -> int:
        """Import one download; returns how many threads it held."""
        ctx = ReadContext(platform_hint=platform)
        report = self.report
        sources = dialects.find_threads(tree, ctx)
        report.warnings.extend(tree.warnings)
        if not sources:
            report.warnings.extend(ctx.warnings)
            origin = str(tree.origins[0])
            if ctx.html_threads:
                report.error(origin, HTML_SENTENCE)
            else:
                report.error(origin, "holds no Facebook, Messenger or Instagram conversations")
            return 0
        if ctx.html_threads:
            report.warnings.append(
                f"{ctx.html_threads[0]}: {len(ctx.html_threads)} thread(s) only in HTML; "
                + HTML_SENTENCE
            )
        download_platform = _majority(s.platform for s in sources)
        download_id = self._download_row(tree, download_platform, sources[0].dialect)
        report.downloads.append(tree.name)
        index = MediaIndex(tree)
        owner_candidates: set[str] | None = None
        total = len(sources)
        for n, source in enumerate(sources, 1):
            if self.progress:
                self.progress("file", n, total)
            for participants in self._import_source(tree, source, download_id, index, ctx):
                names = set(participants)
                owner_candidates = names if owner_candidates is None else owner_candidates & names
        for oldid, problem in ctx.rejected:
            report.error(oldid, problem)
        report.warnings.extend(ctx.warnings)
        owner = _profile_owner(tree)
        if owner is None and owner_candidates and len(owner_candidates) == 1:
            owner = next(iter(owner_candidates))
        if owner:
            self._begin()
            self.conn.execute("UPDATE downloads SET owner = ? WHERE id = ?", (owner, download_id))
        self._commit()
        return total

    def _download_row(self, tree: DownloadTree, platform: str, dialect: str) -> int:
        self._begin()
        now = _now()
        row = self.conn.execute("SELECT id FROM downloads WHERE name = ?", (tree.name,)).fetchone()
        if row:
            self.conn.execute("UPDATE downloads SET last_imported = ? WHERE id = ?", (now, row[0]))
            return int(row[0])
        cur = self.conn.execute(
            "INSERT INTO downloads (name, platform, dialect, source, first_imported, last_imported)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (tree.name, platform, dialect, ", ".join(str(p) for p in tree.origins), now, now),
        )
        return int(cur.lastrowid or 0)

    def _import_source(
        self, tree: DownloadTree, source: ThreadSource, download_id: int,
        index: MediaIndex, ctx: ReadContext,
    ) -> Iterator[list[str]]:
        """Import one source; yields the participants of each thread it held."""
        if source.dialect == "instagram_legacy":
            from .dialects import instagram_legacy

            try:
                for sub, info, messages in instagram_legacy.iter_conversations(tree, source, ctx):
                    if self._write_thread(tree, sub, download_id, index, ctx, info, messages):
                        yield info.participants
            except ReadError as exc:
                self.report.error(source.files[0].label, str(exc))
            return
        info = ThreadInfo()
        if self._write_thread(tree, source, download_id, index, ctx, info, None):
            yield info.participants

    # -- threads ------------------------------------------------------------

    def _write_thread(
        self, tree: DownloadTree, source: ThreadSource, download_id: int, index: MediaIndex,
        ctx: ReadContext, info: ThreadInfo, messages: Iterator[Message] | None,
    ) -> bool:
        signature = _signature(tree, source) if messages is None else None
        self._begin()
        conn = self.conn
        row = conn.execute(
            "SELECT id, conversation_id FROM threads WHERE platform = ? AND key = ?",
            (source.platform, source.key),
        ).fetchone()
        if row and signature is not None:
            done = conn.execute(
                "SELECT download_id FROM imported_files WHERE file_key = ? AND thread_id = ?",
                (signature, row[0]),
            ).fetchall()
            if done:
                self._record_unchanged(row[0], download_id, [d[0] for d in done], source)
                return False
        conn.execute("SAVEPOINT thread")
        saved_next_id = self.next_id
        try:
            added, present = self._write_messages(
                tree, source, download_id, index, ctx, info, messages, row
            )
        except (ReadError, OSError, EOFError, ValueError, RuntimeError) as exc:
            conn.execute("ROLLBACK TO thread")
            conn.execute("RELEASE thread")
            self.next_id = saved_next_id
            where = source.files[0].label if len(source.files) == 1 else source.folder
            problem = str(exc) if isinstance(exc, ReadError) else _describe(exc)
            if messages is None and len(source.files) > 1:
                problem = f"{problem}; the whole thread was left out"
            self.report.error(where, problem)
            return False
        except BaseException:
            conn.execute("ROLLBACK TO thread")
            conn.execute("RELEASE thread")
            self.next_id = saved_next_id
            raise
        conn.execute("RELEASE thread")
        if signature is not None:
            tid = conn.execute(
                "SELECT id FROM threads WHERE platform = ? AND key = ?",
                (source.platform, source.key),
            ).fetchone()[0]
            conn.execute(
                "INSERT OR IGNORE INTO imported_files (file_key, thread_id, download_id) "
                "VALUES (?, ?, ?)",
                (signature, tid, download_id),
            )
        self.report.threads += 1
        self.report.messages_added += added
        self.report.messages_already_present += present
        self.batch_messages += added + present
        if self.progress:
            self.progress("messages", added + present, 0)
        if self.batch_messages >= BATCH_MESSAGES:
            self._commit()
        return True

    def _record_unchanged(
        self, thread_id: int, download_id: int, earlier: list[int], source: ThreadSource
    ) -> None:
        """A thread whose files an earlier import already took: only note that
        this download holds it too."""
        conn = self.conn
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
            title = conn.execute(
                "SELECT title FROM thread_parts WHERE thread_id = ? AND download_id = ?",
                (thread_id, earlier[0]),
            ).fetchone()
            conn.execute(
                "INSERT OR REPLACE INTO thread_parts (thread_id, download_id, section, title, "
                "messages) VALUES (?, ?, ?, ?, ?)",
                (thread_id, download_id, source.section, title[0] if title else None, present),
            )

    def _write_messages(
        self, tree: DownloadTree, source: ThreadSource, download_id: int, index: MediaIndex,
        ctx: ReadContext, info: ThreadInfo, messages: Iterator[Message] | None,
        row: tuple[int, int] | None,
    ) -> tuple[int, int]:
        conn = self.conn
        if row is None:
            cid = conversations.new_conversation(conn, None)
            cur = conn.execute(
                "INSERT INTO threads (platform, key, conversation_id) VALUES (?, ?, ?)",
                (source.platform, source.key, cid),
            )
            thread_id, fresh = int(cur.lastrowid or 0), True
        else:
            thread_id, cid = row
            fresh = conn.execute(
                "SELECT 1 FROM messages WHERE thread_id = ? LIMIT 1", (thread_id,)
            ).fetchone() is None
        self.touched_threads.add(thread_id)
        if messages is None:
            messages = dialects.read_thread(tree, source, info, ctx)
        # A new thread in its own new conversation whose messages arrive oldest
        # first is numbered as it is written; anything else is renumbered later.
        numbering = row is None
        last_ts = -(1 << 62)
        counter = OccurrenceCounter()
        msg_rows: list[tuple[Any, ...]] = []
        link_rows: list[tuple[int, int]] = []
        reaction_rows: list[tuple[Any, ...]] = []
        attachment_rows: list[tuple[Any, ...]] = []
        added = present = 0

        def flush() -> None:
            conn.executemany(_INSERT_MESSAGE, msg_rows)
            conn.executemany(_INSERT_LINK, link_rows)
            conn.executemany(_INSERT_REACTION, reaction_rows)
            conn.executemany(_INSERT_ATTACHMENT, attachment_rows)
            msg_rows.clear()
            link_rows.clear()
            reaction_rows.clear()
            attachment_rows.clear()

        for msg in messages:
            base = base_fingerprint(source.platform, source.key, msg)
            fp = with_occurrence(base, counter.next(base, msg.timestamp_ms))
            if not fresh:
                existing = conn.execute(
                    "SELECT id FROM messages WHERE fingerprint = ?", (fp,)
                ).fetchone()
                if existing:
                    conn.execute(_INSERT_LINK.replace("INSERT", "INSERT OR IGNORE"),
                                 (existing[0], download_id))
                    present += 1
                    continue
            mid = self.next_id
            self.next_id += 1
            if numbering and msg.timestamp_ms < last_ts:
                numbering = False
            last_ts = msg.timestamp_ms
            msg_rows.append(
                self._message_row(mid, thread_id, cid, added if numbering else None, fp, msg)
            )
            added += 1
            link_rows.append((mid, download_id))
            for r in msg.reactions:
                reaction_rows.append((mid, r.actor, r.reaction, r.timestamp_ms))
            for a in msg.attachments:
                attachment_rows.append(self._attachment_row(mid, a, tree, index, source))
            if len(msg_rows) >= ROW_CHUNK:
                flush()
        flush()

        title = info.title or (", ".join(p for p in info.participants) if info.participants
                               else source.key)
        conn.execute(
            "UPDATE threads SET title = ?, image_uri = COALESCE(?, image_uri), "
            "extra = COALESCE(?, extra) WHERE id = ?",
            (title, info.image_uri, json.dumps(info.extra, ensure_ascii=False)
             if info.extra else None, thread_id),
        )
        conn.executemany(
            "INSERT OR IGNORE INTO participants (thread_id, name) VALUES (?, ?)",
            [(thread_id, name) for name in info.participants],
        )
        conn.execute(
            "INSERT OR REPLACE INTO thread_parts (thread_id, download_id, section, title, messages)"
            " VALUES (?, ?, ?, ?, ?)",
            (thread_id, download_id, source.section, title, added + present),
        )
        if numbering:  # its own new conversation, already numbered
            conn.execute("UPDATE conversations SET dirty = 2 WHERE id = ?", (cid,))
        elif added:
            conversations.mark_dirty(conn, {cid})
        return added, present

    @staticmethod
    def _message_row(
        mid: int, thread_id: int, cid: int, position: int | None, fp: bytes, msg: Message
    ) -> tuple[Any, ...]:
        if msg.attachments or msg.share_text or msg.share_link:
            names = [a.uri.rsplit("/", 1)[-1] for a in msg.attachments if a.uri]
            extra_parts = [p for p in (msg.share_text, msg.share_link, *names) if p]
        else:
            extra_parts = None
        return (
            mid, thread_id, cid, position, fp, msg.sender, msg.timestamp_ms, msg.kind, msg.text,
            " ".join(extra_parts) if extra_parts else None, int(msg.unsent), int(msg.edited),
            msg.share_link, msg.share_text, msg.call_seconds,
            None if msg.call_missed is None else int(msg.call_missed),
            json.dumps(msg.extra, ensure_ascii=False, default=str) if msg.extra else None,
        )

    def _attachment_row(
        self, mid: int, a: Any, tree: DownloadTree, index: MediaIndex, source: ThreadSource
    ) -> tuple[Any, ...]:
        name = a.uri.rsplit("/", 1)[-1] if a.uri else None
        if a.remote or getattr(a, "missing", False):
            if not a.remote:
                self.report.media_missing += 1
            return (mid, a.kind, name, a.uri, None, 0, int(a.remote), None, None, None)
        found = index.resolve(a.uri, source.folder)
        if found == OUTSIDE:
            self.report.warnings.append(
                f"{source.files[0].label}: attachment '{a.uri}' points outside the download; "
                "not followed"
            )
            self.report.media_missing += 1
            return (mid, a.kind, name, a.uri, None, 0, 0, None, None, None)
        if found is None or isinstance(found, str):
            self.report.media_missing += 1
            return (mid, a.kind, name, a.uri, None, 0, 0, None, None, None)
        sha = media_path = size = None
        if self.media is not None:
            try:
                before = self.media.copied
                stored = self.media.store(tree, found)
                sha, media_path, size = stored.sha256, stored.media_path, stored.size
                self.report.media_copied += self.media.copied - before
            except OSError as exc:
                self.report.warnings.append(f"{found.label}: could not be copied ({_describe(exc)})")
        return (mid, a.kind, name, a.uri, found.label, 1, 0, sha, media_path, size or found.size)


_INSERT_MESSAGE = (
    "INSERT INTO messages (id, thread_id, conversation_id, position, fingerprint, sender, "
    "timestamp_ms, kind, text, extra_text, unsent, edited, share_link, share_text, call_seconds, "
    "call_missed, raw) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
_INSERT_LINK = "INSERT INTO message_downloads (message_id, download_id) VALUES (?, ?)"
_INSERT_REACTION = (
    "INSERT INTO reactions (message_id, actor, reaction, timestamp_ms) VALUES (?, ?, ?, ?)"
)
_INSERT_ATTACHMENT = (
    "INSERT INTO attachments (message_id, kind, name, uri, source_path, present, remote, sha256, "
    "media_path, size) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


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


def _majority(values: Iterator[str]) -> str:
    counts: dict[str, int] = {}
    for v in values:
        counts[v] = counts.get(v, 0) + 1
    return max(counts, key=lambda k: counts[k])


def _describe(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return f"cannot be read ({exc.strerror})"
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


_PROFILE_FILES = (
    ("profile_information/profile_information.json", ("profile_v2", "name", "full_name")),
    ("personal_information/personal_information/personal_information.json", None),
    ("personal_information/personal_information.json", None),
)


def _profile_owner(tree: DownloadTree) -> str | None:
    """The owner's name from the download's profile file, where there is one."""
    for suffix, keys in _PROFILE_FILES:
        member = next((m for p, m in tree.members.items() if p.endswith(suffix)), None)
        if member is None or member.size > 5_000_000:
            continue
        try:
            with tree.open(member) as f:
                data = json.loads(f.read().decode("utf-8-sig"))
        except (OSError, ValueError):
            continue
        if keys:
            for k in keys:
                data = data.get(k) if isinstance(data, dict) else None
            if isinstance(data, str):
                return repair(data)
        else:
            # Instagram: {"profile_user": [{"string_map_data": {"Name": {"value": …}}}]}
            users = data.get("profile_user") if isinstance(data, dict) else None
            if isinstance(users, list) and users and isinstance(users[0], dict):
                smd = users[0].get("string_map_data", {})
                for field_name in ("Name", "Username"):
                    value = smd.get(field_name, {}).get("value") if isinstance(smd, dict) else None
                    if isinstance(value, str) and value:
                        return repair(value)
    return None


def elapsed(start: float) -> float:
    return time.perf_counter() - start
