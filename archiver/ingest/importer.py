"""Importing downloads into the archive.

:func:`import_downloads` finds every thread of every download (each format is
a dialect: :mod:`.dialects`), sets aside the threads whose files an earlier
import already took (:mod:`.changes`; their missing media copies are put back,
:mod:`.restore`), reads the others in helper processes (:mod:`.pipeline`) and
writes what is new (:mod:`.threads`) in batches (:mod:`archiver.store.writer`),
recording what each download held (:mod:`archiver.store.downloads`).

A thread that fails part-way leaves nothing of itself; an interruption keeps
every batch saved before it (a batch is saved every 2 seconds at most), says
what it kept (:class:`ImportInterrupted`), and leaves the list of what it had
not read for ``audit``; the next import of the same download finishes the
rest.
"""

from __future__ import annotations

import contextlib
import errno
import gc
import os
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..folding import nfc
from ..store import conversations, crossapp, downloads, opening
from ..store.database import Database
from ..store.lock import release_lock, take_lock
from ..store.media import MediaStore
from ..store.opening import ArchiveError, open_archive
from ..store.writer import ArchiveWriter
from . import changes, dialects, pipeline, restore
from .dialects import Dialect, ReadContext, ThreadSource
from .pipeline import Begin, End, Failed, Rows, SourceRead
from .sources import DownloadTree, SourceError, group_paths, open_download
from .text import clean_text
from .threads import ThreadWrite, ThreadWriter


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
    media_found: int = 0  # attachments no earlier download held, found in this one
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
            "media_found": self.media_found,
            "html_times": self.time_offsets,
            "errors": self.errors,
            "warnings": self.warnings,
        }

    def error(self, path: str, problem: str) -> None:
        self.errors.append({"path": clean_text(path), "error": clean_text(problem)})


# Told after each batch is kept: (conversations saved, conversations found so
# far, new messages saved), counting from the start of the import.
ProgressFn = Callable[[int, int, int], None]


class ImportInterrupted(KeyboardInterrupt):
    """Ctrl-C (or SIGTERM, SIGHUP) stopped the import; says what the archive
    kept of it and what is left to read."""

    def __init__(self, conversations: int, messages: int, unread: int, paths_left: int) -> None:
        super().__init__()
        self.conversations = conversations  # read whole (or unchanged) and kept
        self.messages = messages  # new messages kept
        self.unread = unread  # threads' files (or folders) of begun downloads not read yet
        self.paths_left = paths_left  # downloads named on the command line not begun

    def __str__(self) -> str:
        def n(count: int, word: str) -> str:
            return f"{count:,} {word}{'' if count == 1 else 's'}"

        kept = (f"kept {n(self.conversations, 'conversation')}, "
                f"{n(self.messages, 'new message')}" if self.conversations or self.messages
                else "nothing of it was kept yet")
        left = []
        if self.unread:
            left.append(f"{self.unread:,} not read yet")
        if self.paths_left:
            left.append(f"{n(self.paths_left, 'download')} not begun")
        rest = f"; {' and '.join(left)}" if left else "; everything was read"
        return f"import interrupted; {kept}{rest}: run the same command to finish."


@dataclass
class _Counts:
    conversations: int = 0  # read whole (or unchanged)
    done: int = 0  # the same, and those rejected
    messages: int = 0  # new


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
    opening.inspect_archive(archive_dir, for_writing=True)  # a foreign file is never touched
    try:
        archive_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        lock = take_lock(archive_dir)
    except OSError as exc:
        if exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
            raise opening.read_only_error(archive_dir) from None
        raise
    try:
        db = open_archive(archive_dir)
    except BaseException:
        release_lock(lock)
        raise
    writer: _Import | None = None
    collecting = gc.get_threshold()
    # An import makes millions of short-lived rows that reference counting
    # frees at once; the cyclic collector, run every 700 allocations, would
    # only walk them (about 6 % of a large import's time).
    gc.set_threshold(100_000, 50, 1000)
    try:
        conversations.refresh_conversations(db)  # finish an interrupted import
        writer = _Import(db, archive_dir, report, copy_media, progress, lock, html_offset)
        importable = 0
        groups = group_paths(paths)
        for n, group in enumerate(groups):
            writer.paths_left = len(groups) - n
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
        writer.paths_left = 0
        writer.finish()
        if importable == 0 and not report.messages_added and not report.threads_unchanged:
            report.fatal = True
    except KeyboardInterrupt:
        if writer is None:
            raise
        with contextlib.suppress(sqlite3.Error):
            writer.abandon()
        raise writer.interrupted() from None
    except sqlite3.Error as exc:
        if opening.out_of_room(exc):
            raise ArchiveFull(archive_dir) from None
        raise
    finally:
        gc.set_threshold(*collecting)
        release_lock(lock)
        db.conn.close()
    return report


class _Import:
    """One run of ``chatkeep import``: every download it names, through one
    writer and one lock."""

    def __init__(
        self,
        db: Database,
        archive_dir: Path,
        report: ImportReport,
        copy_media: bool,
        progress: ProgressFn | None,
        lock_fd: int | None = None,
        html_offset: str | None = None,
    ) -> None:
        self.db = db
        self.lock_fd = lock_fd  # the reading process closes its copy
        self.conn: sqlite3.Connection = db.conn
        self.report = report
        self.media = MediaStore(archive_dir) if copy_media else None
        self.progress = progress
        self.html_offset = html_offset
        self.imported_before = restore.last_import_ended(self.conn)
        self.writer = ArchiveWriter(db, on_commit=self._saved)
        # Conversations and new messages written since the last batch was
        # kept, and those kept; conversations found so far.
        self.pending = _Counts()
        self.kept = _Counts()
        self.found = 0
        self.begun: set[int] = set()  # downloads whose list of threads to read is kept
        self.paths_left = 0  # downloads named on the command line not begun (this one too)
        self.tree_begun: DownloadTree | None = None
        self.listed: dict[int, str] = {}  # the downloads named in the report, by id
        self.threads = ThreadWriter(self.writer)

    def finish(self) -> None:
        """Everything was read: keep it, and bring the conversations up to date."""
        writer = self.writer
        writer.begin()
        restore.note_import_ended(self.conn)
        writer.commit()
        writer.leave_bulk()
        crossapp.link_threads(self.db, self.threads.touched)
        conversations.refresh_conversations(self.db)

    def abandon(self) -> None:
        """Stop after an interruption: the batch in progress is dropped (its
        threads are read again next time)."""
        self.writer.abandon()

    def interrupted(self) -> ImportInterrupted:
        """What the archive keeps of this import, as the interruption finds it."""
        unread = downloads.unread(self.conn, self.begun)
        left = self.paths_left - (1 if self.tree_begun is not None else 0)
        return ImportInterrupted(self.kept.conversations, self.kept.messages, unread,
                                 max(left, 0))

    def _saved(self) -> None:
        """A batch was kept: what it wrote counts as saved (and shows so)."""
        self.kept.conversations += self.pending.conversations
        self.kept.done += self.pending.done
        self.kept.messages += self.pending.messages
        self.pending = _Counts()
        if self.progress:
            self.progress(self.kept.done, self.found, self.kept.messages)

    def import_tree(self, tree: DownloadTree, platform: str | None) -> int:
        """Import one download; returns how many threads it held."""
        ctx = ReadContext(platform_hint=platform, html_offset=self.html_offset)
        report = self.report
        errors_before = len(report.errors)
        self.tree_begun = None
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
        self._settle_guessed_platforms(tree, sources)
        # A folder may hold several downloads: each is recorded as itself.
        for n, (root, group) in enumerate(_by_download(sources)):
            self._import_download(tree, ctx, root, group,
                                  errors_before if n == 0 else len(report.errors))
        report.warnings.extend(ctx.warnings)
        return len(sources)

    def _settle_guessed_platforms(self, tree: DownloadTree, sources: list[ThreadSource]) -> None:
        """A thread whose app nothing in its download told takes the app of
        the thread of the same key the archive holds from a download that did
        tell; the rest are said, once per download, with the option that
        settles them."""
        unsettled: dict[str, ThreadSource] = {}
        for source in sources:
            if not source.platform_guessed:
                continue
            known = [p for (p,) in self.conn.execute(
                "SELECT platform FROM threads WHERE key = ? AND platform_guessed IS NULL",
                (source.key,))]
            if len(known) == 1:
                source.platform, source.platform_guessed = known[0], False
            else:
                unsettled.setdefault(dialects.named(source.dialect).download_of(source), source)
        for root, source in unsettled.items():
            origin = source.files[0].origin
            where = f"{origin} (folder {root})" if root else str(tree.origins[0])
            self.report.warnings.append(
                f"{where}: nothing tells whether its conversations come from Facebook or "
                "Instagram (no app folder, download name or media path says it); they were "
                f"imported as {source.platform.title()} and are never joined to another app's "
                "conversation. Give --platform instagram (or facebook) to say which")

    def _import_download(
        self, tree: DownloadTree, ctx: ReadContext, root: str, sources: list[ThreadSource],
        errors_from: int,
    ) -> None:
        """Import the threads of one download (``root`` inside the tree)."""
        report = self.report
        conn = self.conn
        writer = self.writer
        name = nfc(root.rsplit("/", 1)[-1]) if root else tree.name
        platform = _majority(s.platform for s in sources)
        kinds = _dialects_of(sources)
        named = kinds[0].names_download(name)
        warned = len(ctx.warnings)
        stated_owner = next((o for d in kinds if (o := d.owner(tree, root, sources, ctx))), None)
        report.warnings.extend(ctx.warnings[warned:])  # said now: reading drains the rest
        del ctx.warnings[warned:]
        writer.begin()
        # Threads whose files an earlier import already took are not read again.
        plan = changes.plan_reading(conn, tree, sources)
        owner_candidates: set[str] | None = None
        for same in plan.unchanged:
            names = {r[0] for r in conn.execute(
                "SELECT name FROM participants WHERE thread_id = ?", (same.thread_id,))}
            owner_candidates = names if owner_candidates is None else owner_candidates & names
        threads_named = len(plan.unchanged)
        # With nothing new to read, the threads already tell the owner: the
        # download is found by it before anything is written, so a re-import
        # writes no message's provenance (and moves none from a download
        # recorded anew onto the one it turns out to be).
        inferred = None
        if (not plan.to_read and owner_candidates and len(owner_candidates) == 1
                and threads_named > 1):
            inferred = next(iter(owner_candidates))
        download_id, created = downloads.find_or_add(
            conn, name, platform, kinds[0].name, _where_read(tree, root), stated_owner, named,
            inferred=inferred)
        if download_id not in self.listed:  # one name per download, however many parts
            self.listed[download_id] = name
            report.downloads.append(name)
        for source, exc in plan.unreadable:
            report.error(source.where, pipeline.describe(exc))
        for same in plan.unchanged:
            self._record_unchanged(same, download_id)
        # What is left to read is kept before reading starts: an interruption
        # leaves the list of what was not read yet, for the audit.
        downloads.record_unread(conn, download_id, [s.where for s in plan.to_read])
        self.found += len(sources)
        writer.commit()
        self.begun.add(download_id)
        self.tree_begun = tree
        preparer = pipeline.Preparer(tree, ctx, self.media)
        if plan.unchanged and self.media is not None:
            report.media_restored += restore.restore_media(
                conn, self.media, tree, [u.thread_id for u in plan.unchanged],
                self.imported_before, report.warnings)

        read = len(plan.unchanged)  # threads read whole, or already in the archive
        # Threads the archive held before: their media an earlier download lacked.
        held_before = {u.thread_id: u.source for u in plan.unchanged}
        for thread in self._read(tree, preparer, plan, download_id):
            read += 1
            if not thread.fresh:
                held_before[thread.thread_id] = thread.source
            assert thread.info is not None
            names = set(thread.info.participants)
            threads_named += 1
            owner_candidates = names if owner_candidates is None else owner_candidates & names
        owner = stated_owner
        # The one name all its threads share; one thread alone is no
        # evidence (its only listed name may be the other person's).
        if owner is None and owner_candidates and len(owner_candidates) == 1 and threads_named > 1:
            owner = next(iter(owner_candidates))
        basis = next((b for d in kinds if (b := d.time_basis(ctx, sources))), None)
        writer.begin()
        report.media_found += restore.find_missing_media(conn, preparer, held_before,
                                                         report.warnings)
        if owner is None and not created:
            # Its threads read in earlier imports (other parts of it) may tell.
            owner = downloads.shared_participant(conn, download_id)
        if read == 0 and created:
            # Nothing of it could be read: no empty download is recorded.
            downloads.forget(conn, download_id)
            if self.listed.pop(download_id, None) is not None:
                report.downloads.remove(name)
        else:
            download_id = downloads.settle_owner(conn, download_id, name, platform, owner, named)
            downloads.record_rejected(
                conn, download_id, [(e["path"], e["error"]) for e in report.errors[errors_from:]])
            if basis is not None:
                self.threads.inexact_held = True
                offset, why = basis
                downloads.record_time_basis(conn, download_id, offset, why)
                report.time_offsets.append(f"{name}: HTML times read in {offset} ({why})")
        writer.commit()

    def _read(
        self, tree: DownloadTree, preparer: pipeline.Preparer, plan: changes.ReadingPlan,
        download_id: int,
    ) -> Iterator[ThreadWrite]:
        """Read and write the threads ``plan`` says to read; yields each
        thread read whole. A batch is kept between two threads."""
        to_read = plan.to_read
        writer = self.writer
        parallel = (
            (os.cpu_count() or 1) > 1
            and sum(m.size for s in to_read for m in s.files) >= pipeline.PARALLEL_MIN_BYTES
        )
        threads = self.threads
        thread: ThreadWrite | None = None
        inherited = () if self.lock_fd is None else (self.lock_fd,)
        for event in pipeline.prepared_events(
            preparer, to_read, parallel=parallel, readers=pipeline.reading_processes(),
            close_in_child=inherited,
        ):
            kind = type(event)
            if kind is Rows:
                assert thread is not None
                threads.rows(thread, event, download_id)
                continue
            if kind is Begin:
                writer.commit_if_due()
                source = event.source
                thread = threads.begin(source, plan.signatures.get(changes.source_id(source)))
                continue
            if kind is SourceRead:
                # In the batch that keeps its last thread.
                downloads.mark_read(self.conn, download_id, event.source.where)
                writer.commit_if_due()
                continue
            assert thread is not None
            if kind is End:
                threads.end(thread, event.info, event.stats, download_id, tree)
                self._count(thread, event.stats)
                thread.info = event.info
                yield thread
            elif kind is Failed:
                threads.abort(thread)
                source = thread.source
                problem = event.problem
                if len(source.files) > 1:
                    problem = f"{problem}; the whole thread was left out"
                self.report.error(event.file or source.where, problem)
                self.report.warnings.extend(event.stats.warnings)
                self.pending.done += 1  # rejected, and named as such
            thread = None

    def _count(self, t: ThreadWrite, stats: pipeline.ThreadStats) -> None:
        """Count a thread written whole, in the report and toward the batch."""
        report = self.report
        report.threads += 1
        report.messages_added += t.added
        report.messages_already_present += t.present
        report.media_copied += stats.media_copied
        report.media_missing += stats.media_missing
        report.warnings.extend(stats.warnings)
        self.pending.conversations += 1
        self.pending.done += 1
        self.pending.messages += t.added
        self.writer.written(t.added + t.present)

    def _record_unchanged(self, same: changes.Unchanged, download_id: int) -> None:
        """A thread whose files an earlier import already took: only note that
        this download holds it too."""
        self.writer.leave_bulk()
        earlier = download_id if download_id in same.earlier else same.earlier[0]
        present = downloads.record_same_files(
            self.conn, same.thread_id, download_id, earlier, same.source.section)
        self.report.threads += 1
        self.report.threads_unchanged += 1
        self.report.messages_already_present += present
        self.pending.conversations += 1
        self.pending.done += 1


def _where_read(tree: DownloadTree, root: str) -> str:
    """Where a download was read from, in full: check's fixes re-import from there."""
    origins = [Path(p).resolve() for p in tree.origins]
    if root and len(origins) == 1 and origins[0].is_dir():
        origins = [origins[0] / root]
    return clean_text(", ".join(str(p) for p in origins))


def _by_download(sources: list[ThreadSource]) -> list[tuple[str, list[ThreadSource]]]:
    """The threads of a tree, grouped by the download each lies in: its root
    folder inside the tree ("" for the tree itself). A download keeps its
    folder's name wherever it lies: alone in a zip, or in a folder of them."""
    groups: dict[str, list[ThreadSource]] = {}
    for source in sources:
        root = dialects.named(source.dialect).download_of(source)
        groups.setdefault(root, []).append(source)
    return sorted(groups.items())


def _majority(values: Iterator[str]) -> str:
    counts: dict[str, int] = {}
    for v in values:
        counts[v] = counts.get(v, 0) + 1
    return max(counts, key=lambda k: counts[k])


def _dialects_of(sources: list[ThreadSource]) -> list[Dialect]:
    """The dialects of ``sources``, in the order they claim files."""
    present = {s.dialect for s in sources}
    return [d for d in dialects.DIALECTS if d.name in present]
