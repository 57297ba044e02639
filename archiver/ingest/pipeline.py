"""Reading threads into rows ready to write, here or in helper processes.

Parsing JSON, repairing text, fingerprinting messages and folding their text
for search need no database, so a large import does them in other processes
while this one writes to SQLite: the cores work at once, and the writer, the
one part that cannot be shared, does little besides SQLite's own work. What
crosses between them is a stream of small events per thread: :class:`Begin`
(a thread starts), :class:`Rows` (messages, in reading order, see PLAIN_ROW),
:class:`End` (the thread is complete) or :class:`Failed` (the thread failed,
in that file when known; nothing of it is kept), and once every thread of
a source is done, :class:`SourceRead`.

Each message is a tuple whose first value is its number in the thread (0, 1,
2 …): a :data:`PLAIN_ROW` for plain text (most messages), else a
:data:`FULL_ROW`; a :data:`FOLDED_ROW` gives the search index's text of the
few messages whose text folding changes (the index reads the others from the
messages table). The writer binds these tuples as they come, with statements that turn
the number into the message's id (see :class:`archiver.store.writer.Statements`), so it touches
no message in Python. The tuples hold as few values as they can, and no None
where a plain message has its default: binding None or bytes costs SQLite's
Python module three times what binding a number does. ``ordered`` says whether
the thread's messages have run oldest first so far; ``first_ts`` and
``last_ts`` are the times of the chunk's first and last.
"""

from __future__ import annotations

import contextlib
import ctypes
import fcntl
import json
import multiprocessing
import os
import pickle
import signal
import sys
import threading
import time
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from ..fingerprint import ThreadFingerprints, attachment_names
from ..folding import fold_letters
from ..records import Attachment, Message, Reaction, ThreadInfo
from ..store.media import MediaStore, OutsideArchive
from ..store.writer import ATTACHMENT_ROW, FOLDED_ROW, FULL_ROW, PLAIN_ROW, REACTION_ROW
from . import dialects
from .dialects import READ_ERRORS, PlainMessage, ReadContext, ReadError, ThreadSource
from .media import OUTSIDE, MediaIndex
from .sources import DownloadTree

CHUNK = 1000
NO_TIME = -(1 << 63)  # before any message's time
PIPE_BYTES = 1 << 20
# Below this many bytes to parse, a helper process costs more than it saves.
PARALLEL_MIN_BYTES = 8 * 1024 * 1024
MAX_READERS = 4
# A zip media member that expands more than this many times is named in a
# warning: photos and videos are compressed already and barely shrink.
EXPANSION = 100

__all__ = [
    "ATTACHMENT_ROW",
    "FOLDED_ROW",
    "FULL_ROW",
    "PLAIN_ROW",
    "REACTION_ROW",
    "READ_ERRORS",
    "Begin",
    "End",
    "Event",
    "Failed",
    "Preparer",
    "Rows",
    "SourceRead",
    "ThreadStats",
]


@dataclass
class ThreadStats:
    """What reading one thread found besides its messages."""

    media_copied: int = 0
    media_missing: int = 0
    warnings: list[str] = field(default_factory=list)
    # For the audit: message entries each file held, and those skipped (where, why).
    files: dict[str, int] = field(default_factory=dict)
    skipped: list[tuple[str, str]] = field(default_factory=list)


class Begin(NamedTuple):
    """A thread starts."""

    source: ThreadSource


class Rows(NamedTuple):
    """A chunk of a thread's messages, in reading order (see the module docstring)."""

    plain: list[tuple[Any, ...]]
    full: list[tuple[Any, ...]]
    folded: list[tuple[Any, ...]]
    reactions: list[tuple[Any, ...]]
    attachments: list[tuple[Any, ...]]
    ordered: bool  # the thread's messages have run oldest first so far
    first_ts: int
    last_ts: int
    count: int


class End(NamedTuple):
    """The thread is complete."""

    info: ThreadInfo
    stats: ThreadStats


class Failed(NamedTuple):
    """The thread failed; nothing of it is kept."""

    problem: str
    stats: ThreadStats
    file: str | None = None  # the file that failed, when known


class SourceRead(NamedTuple):
    """Every thread of a source was read (each ended or failed)."""

    source: ThreadSource


Event = Begin | Rows | End | Failed | SourceRead


class _Crash(NamedTuple):
    """From a helper: reading failed in a way no thread explains."""

    problem: str


class Preparer:
    """Turns a download's threads into events (see the module docstring)."""

    def __init__(self, tree: DownloadTree, ctx: ReadContext, media: MediaStore | None) -> None:
        self.tree = tree
        self.ctx = ctx
        self.media = media
        self.index = MediaIndex(tree)
        self.expanded: set[str] = set()  # zip members said to expand too much

    def events(self, sources: list[ThreadSource]) -> Iterator[Event]:
        for source in sources:
            yield from self._source(source)
            yield SourceRead(source)

    def _source(self, source: ThreadSource) -> Iterator[Event]:
        """The events of each thread ``source`` holds (one, unless its file
        holds many: then up to the one that broke, if one does)."""
        dialect = dialects.named(source.dialect)
        try:
            for sub, info, messages in dialect.conversations(self.tree, source, self.ctx):
                for event in self._thread(sub, info, messages):
                    yield event
                    if type(event) is Failed:
                        return
        except ReadError as exc:
            stats = ThreadStats(warnings=self._drain())
            yield Begin(source)
            yield Failed(str(exc), stats)

    def _thread(
        self, source: ThreadSource, info: ThreadInfo,
        messages: Iterator[Message | PlainMessage],
    ) -> Iterator[Event]:
        yield Begin(source)
        stats = ThreadStats()
        fingerprint = ThreadFingerprints(source.platform, source.key).next
        plain: list[tuple[Any, ...]] = []
        full: list[tuple[Any, ...]] = []
        folded: list[tuple[Any, ...]] = []
        reactions: list[tuple[Any, ...]] = []
        attachments: list[tuple[Any, ...]] = []
        number = first = 0  # this message's number, and the chunk's first
        ordered = True
        last_ts = NO_TIME
        add_plain = plain.append
        self.ctx.current = None
        try:
            for msg in messages:
                if type(msg) is tuple:  # a plain text message (a dialect's fast path)
                    sender, ts, kind, text, edited = msg
                    add_plain((number, fingerprint(sender, ts, text, ""), sender, ts, kind,
                               int(edited), text))
                    if text and not text.isascii() and (fold := fold_letters(text)) is not text:
                        folded.append((number, fold, None))
                else:
                    ts = msg.timestamp_ms
                    row = self._row(number, msg, fingerprint)
                    full.append(row)
                    text, extra = row[13], row[5]
                    fold = fold_letters(text) if text else text
                    fold_extra = fold_letters(extra) if extra else extra
                    if fold is not text or fold_extra is not extra:
                        folded.append((number, None if fold is text else fold,
                                       None if fold_extra is extra else fold_extra))
                    if msg.reactions:
                        reactions.extend(_reaction_rows(number, msg.reactions))
                    if msg.attachments:
                        attachments.extend((number, *self.attachment_row(a, source, stats))
                                           for a in msg.attachments)
                if ts < last_ts:
                    ordered = False
                last_ts = ts
                number += 1
                if number - first >= CHUNK:
                    yield Rows(plain, full, folded, reactions, attachments, ordered,
                               _first_time(plain, full, first), last_ts, number - first)
                    plain, full, folded, reactions, attachments = [], [], [], [], []
                    add_plain = plain.append
                    first = number
        except READ_ERRORS as exc:
            stats.warnings[:0] = self._drain()
            problem = str(exc) if isinstance(exc, ReadError) else describe(exc)
            # Name the file that failed, not its thread's folder.
            yield Failed(problem, stats, self.ctx.current)
            return
        if number > first:
            yield Rows(plain, full, folded, reactions, attachments, ordered,
                       _first_time(plain, full, first), last_ts, number - first)
        stats.warnings[:0] = self._drain(stats)
        yield End(info, stats)

    def _drain(self, stats: ThreadStats | None = None) -> list[str]:
        """The warnings met so far; the thread's audit counts go to ``stats``
        (or are dropped, for a thread that failed)."""
        ctx = self.ctx
        warnings = list(ctx.warnings)
        ctx.warnings.clear()
        if stats is not None:
            stats.files, stats.skipped = dict(ctx.held), list(ctx.skipped)
        ctx.held.clear()
        ctx.skipped.clear()
        return warnings

    @staticmethod
    def _row(number: int, msg: Message, fingerprint: Any) -> tuple[Any, ...]:
        """The :data:`FULL_ROW` of a message that is not plain text."""
        if msg.attachments or msg.share_text or msg.share_link:
            names = [a.uri.rsplit("/", 1)[-1] for a in msg.attachments if a.uri]
            extra = " ".join(p for p in (msg.share_text, msg.share_link, *names) if p) or None
        else:
            extra = None
        return (
            number, fingerprint(msg.sender, msg.timestamp_ms, msg.text, attachment_names(msg)),
            msg.sender, msg.timestamp_ms, msg.kind, extra, int(msg.unsent), int(msg.edited),
            msg.share_link, msg.share_text, msg.call_seconds,
            None if msg.call_missed is None else int(msg.call_missed),
            json.dumps(msg.extra, ensure_ascii=False, default=str) if msg.extra else None,
            msg.text, msg.time_precision, msg.format,
        )

    def attachment_row(
        self, a: Attachment, source: ThreadSource, stats: ThreadStats
    ) -> tuple[Any, ...]:
        """An :data:`ATTACHMENT_ROW` without its number (the media are copied
        here, into the archive's media folder)."""
        name = a.uri.rsplit("/", 1)[-1] if a.uri else None
        if a.remote or a.missing:
            if not a.remote:
                stats.media_missing += 1
            return (a.kind, name, a.uri, None, 0, int(a.remote), None, None, None)
        found = self.index.resolve(a.uri, source.folder)
        if found is None or isinstance(found, str):
            if found == OUTSIDE:
                stats.warnings.append(
                    f"{source.files[0].label}: attachment '{a.uri}' points outside the "
                    "download; not followed"
                )
            stats.media_missing += 1
            return (a.kind, name, a.uri, None, 0, 0, None, None, None)
        sha = media_path = None
        size = found.size
        if self.media is not None:
            try:
                before = self.media.copied
                stored = self.media.store(self.tree, found)
                stats.media_copied += self.media.copied - before
                sha, media_path, size = stored.sha256, stored.media_path, stored.size
                if (found.packed is not None and size > EXPANSION * max(found.packed, 1)
                        and found.label not in self.expanded):
                    self.expanded.add(found.label)
                    stats.warnings.append(
                        f"{found.label}: expands from {found.packed:,} bytes in the zip to "
                        f"{size:,} bytes, more than {EXPANSION} times (a zip bomb?); "
                        "copied anyway")
            except (OSError, EOFError, zipfile.BadZipFile, zlib.error) as exc:
                stats.warnings.append(f"{found.label}: could not be copied ({describe(exc)})")
        return (a.kind, name, a.uri, found.label, 1, 0, sha, media_path, size)


def _reaction_rows(number: int, given: list[Reaction]) -> list[tuple[Any, ...]]:
    """A message's reaction rows, each person's emoji once: some files list
    every reaction twice, and a person gives an emoji to a message once."""
    if len(given) == 1:
        r = given[0]
        return [(number, r.actor, r.reaction, r.timestamp_ms)]
    seen: set[tuple[str, str]] = set()
    rows = []
    for r in given:
        if (r.actor, r.reaction) not in seen:
            seen.add((r.actor, r.reaction))
            rows.append((number, r.actor, r.reaction, r.timestamp_ms))
    return rows


def _first_time(plain: list[tuple[Any, ...]], full: list[tuple[Any, ...]], first: int) -> int:
    """The time of message ``first``, the first of a chunk (plain or not)."""
    row = plain[0] if plain and plain[0][0] == first else full[0]
    return int(row[3])


def describe(exc: BaseException) -> str:
    """One line for an exception met while reading a user's file."""
    if isinstance(exc, OutsideArchive):  # the archive's side, not the file's
        return f"cannot be stored there, {exc.strerror}"
    if isinstance(exc, OSError) and exc.strerror:
        return f"cannot be read ({exc.strerror})"
    if isinstance(exc, RecursionError):
        return "nests too deeply to be read"
    if isinstance(exc, (zipfile.BadZipFile, zlib.error)):
        return f"is damaged inside its zip file ({str(exc).strip() or type(exc).__name__})"
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def reading_processes() -> int:
    """How many processes read a large import: every core but the writer's,
    at most :data:`MAX_READERS` (the writer cannot take more). On two cores a
    second reader measured no faster: one thread's files are read by one
    process, in order, and the largest thread sets the pace."""
    return max(1, min(MAX_READERS, (os.cpu_count() or 1) - 1))


def prepared_events(
    preparer: Preparer, sources: list[ThreadSource], *, parallel: bool, readers: int = 1,
    close_in_child: tuple[int, ...] = (),
) -> Iterator[Event]:
    """The events of ``sources``, read in ``readers`` helper processes when
    ``parallel``.

    Source i is read by helper i mod ``readers``, and this process takes the
    sources back in their order, so the events are the same whatever the
    number of helpers. A helper pickles each event itself and writes it to its
    pipe: it prepares the next event while this process writes the last one,
    and a full pipe holds it back, so memory stays bounded without a queue's
    feeder thread. Helpers close their copies of ``close_in_child`` (the
    import's lock), and end when this process ends, however that happens.
    """
    if not parallel or not sources:
        yield from preparer.events(sources)
        return
    ctx = multiprocessing.get_context("fork")
    readers = max(1, min(readers, len(sources)))
    helpers: list[tuple[Any, Any]] = []
    try:
        for n in range(readers):
            receiver, sender = ctx.Pipe(duplex=False)
            _widen(sender)
            worker = ctx.Process(
                target=_work,
                args=(preparer, sources[n::readers], receiver, sender, os.getpid(),
                      close_in_child),
                daemon=True, name=f"chatkeep-reader-{n + 1}",
            )
            worker.start()
            sender.close()  # so that a dead helper reads as the end of the pipe here
            helpers.append((receiver, worker))
        for i in range(len(sources)):
            receiver, worker = helpers[i % readers]
            while True:
                event = _receive(receiver, worker)
                if type(event) is _Crash:
                    raise RuntimeError(event.problem)
                yield event
                if type(event) is SourceRead:  # the end of this source's events
                    break
    finally:
        # Also when the writer fails or is stopped while it writes: its error
        # closes this generator (GeneratorExit at the yield). The helpers end
        # now, not when they notice, and before the import lets go of the archive.
        for receiver, worker in helpers:
            receiver.close()
            if worker.is_alive():
                worker.terminate()
        for _receiver, worker in helpers:
            worker.join(timeout=5)


def _receive(receiver: Any, worker: Any) -> Event | _Crash:
    try:
        while not receiver.poll(1.0):
            if not worker.is_alive():
                raise EOFError
        return pickle.loads(receiver.recv_bytes())
    except EOFError:
        worker.join(timeout=5)
        raise RuntimeError(
            f"the reading process stopped unexpectedly (exit {worker.exitcode})"
        ) from None


PR_SET_PDEATHSIG = 1
PARENT_WATCH_SECONDS = 0.5


def _end_with(parent: int) -> None:
    """Make this process end when ``parent`` does, whatever ends it (a kill,
    a closed terminal): the kernel's parent-death signal on Linux, and a
    thread watching the parent's pid everywhere (it runs while the main
    thread parses, between any two steps of Python code)."""
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        except (OSError, AttributeError):
            pass
    if os.getppid() != parent:  # it died before the signal was asked for
        os._exit(1)

    def watch() -> None:
        while True:
            time.sleep(PARENT_WATCH_SECONDS)
            if os.getppid() != parent:
                os._exit(1)

    threading.Thread(target=watch, name="chatkeep-parent-watch", daemon=True).start()


def _widen(conn: Any) -> None:
    """Let the pipe hold a few events, so the reader keeps going while the
    writer commits (Linux only; elsewhere the default size is kept)."""
    try:
        fcntl.fcntl(conn.fileno(), fcntl.F_SETPIPE_SZ, PIPE_BYTES)
    except (AttributeError, OSError):
        pass


def _work(
    preparer: Preparer, sources: list[ThreadSource], receiver: Any, sender: Any,
    parent: int, close_in_child: tuple[int, ...],
) -> None:
    """The helper process: read everything and hand the events over. It ends
    with the writer: at once on Linux, within a second elsewhere, and at the
    latest when the pipe breaks."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the writer's to handle
    # The writer turns these into a clean stop; here they simply end the process.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGHUP, signal.SIG_DFL)
    _end_with(parent)
    for fd in close_in_child:
        # Closing (never unlocking) this copy leaves the lock to the writer
        # alone, so that it goes when the writer goes.
        with contextlib.suppress(OSError):
            os.close(fd)
    receiver.close()
    # Zip files the writer opened share their file offsets with this process:
    # open them afresh here.
    preparer.tree.close()

    def put(event: Event | _Crash) -> None:
        try:
            sender.send_bytes(pickle.dumps(event, protocol=pickle.HIGHEST_PROTOCOL))
        except (BrokenPipeError, OSError):
            os._exit(1)

    try:
        for source in sources:
            for event in preparer.events([source]):
                put(event)
    except BaseException as exc:  # noqa: BLE001 - reported to the writer, which decides
        put(_Crash(f"reading failed: {describe(exc)}"))
    sender.close()
