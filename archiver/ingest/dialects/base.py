"""What every dialect shares: the :class:`Dialect` a format is, the thread
sources it finds, the context readers report to, and the checks each applies
to a message's fields.

A dialect turns bytes into records and knows nothing of SQL; the pipeline and
the importer know dialects only through :class:`Dialect`, never by name.
"""

from __future__ import annotations

import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import urlsplit

import ijson

from ...folding import nfc
from ...records import Message, ThreadInfo
from ..jsonstream import NotAnObject
from ..sources import DownloadTree, Member
from ..text import repair, repair_any

# The times a message may have: those that show as a date in every time zone
# (years 1 to 9999). A timestamp outside them is not a usable timestamp.
MIN_MS = -62135510400000  # 0001-01-02T00:00:00Z
MAX_MS = 253402214399999  # 9999-12-30T23:59:59.999Z

# A plain text message as a dialect's fast path gives it, instead of a
# record: (sender, timestamp_ms, kind, text, edited).
PlainMessage = tuple[str, int, str, "str | None", bool]


class ReadError(Exception):
    """A file that cannot be read as its dialect says; the thread is rejected."""


# What reading a user's file can raise besides ReadError: a file that cannot be
# read, a damaged zip member, a value too big to hold.
READ_ERRORS = (
    ReadError, OSError, EOFError, ValueError, ArithmeticError, RuntimeError,
    zipfile.BadZipFile, zlib.error,
)


def first_line(exc: BaseException) -> str:
    """The first line of a parser's error (ijson gives some as bytes)."""
    text = exc.args[0] if len(exc.args) == 1 else str(exc)
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    text = str(text).strip()
    return text.splitlines()[0] if text else type(exc).__name__


@contextmanager
def json_read_errors() -> Iterator[None]:
    """A thread file's JSON parser errors as the :class:`ReadError` that
    rejects its thread, in one line."""
    try:
        yield
    except ijson.JSONError as exc:
        raise ReadError(f"is not valid JSON ({first_line(exc)})") from None
    except NotAnObject as exc:
        raise ReadError(str(exc)) from None
    except UnicodeDecodeError:
        raise ReadError("is not UTF-8 text") from None


@dataclass
class ThreadSource:
    """One thread of a download, with its files in reading order."""

    dialect: str
    platform: str
    key: str  # stable across downloads: the folder name without its section
    files: list[Member]
    section: str | None = None
    folder: str = ""  # the thread's folder inside the download (for media)
    # For dialects that hold many threads in one file (old Instagram).
    index: int | None = None
    # Nothing told the app it comes from: ``platform`` is a guess, and the
    # thread is never joined to another app's conversation.
    platform_guessed: bool = False

    @property
    def where(self) -> str:
        """How an error names the thread: its file, or its folder when it has many."""
        return self.files[0].label if len(self.files) == 1 else self.folder


@dataclass
class ReadContext:
    """What readers need besides the files: the platform the user named, and
    where to report oddities (each names the file and the position)."""

    platform_hint: str | None = None
    warnings: list[str] = field(default_factory=list)
    claimed: set[str] = field(default_factory=set)
    # HTML downloads: the offset the user stated (--html-offset), and the
    # plan each download's page times are read by (meta_html.TimePlan, by
    # "platform:download root").
    html_offset: str | None = None
    html_times: dict[str, Any] = field(default_factory=dict)
    rejected: list[tuple[str, str]] = field(default_factory=list)
    # The app each download in the tree comes from (by its folder), as media
    # paths in its files told.
    platforms: dict[str, str] = field(default_factory=dict)
    # The file being read, so that an error in a many-file thread names it.
    current: str | None = None
    # What the thread being read held, for ``chatkeep audit``: message entries
    # per file, and the entries skipped (where, why). Drained per thread.
    held: dict[str, int] = field(default_factory=dict)
    skipped: list[tuple[str, str]] = field(default_factory=list)

    def warn(self, where: object, problem: str) -> None:
        self.warnings.append(f"{where}: {problem}")

    def skip(self, where: object, problem: str) -> None:
        """A message entry left out (a warning, and recorded for the audit)."""
        self.warn(where, problem)
        self.skipped.append((str(where), problem))

    def file_read(self, label: str, entries: int) -> None:
        """A file of the current thread was read whole: it held ``entries`` messages."""
        self.held[label] = self.held.get(label, 0) + entries


Conversation = tuple[ThreadSource, ThreadInfo, Iterator["Message | PlainMessage"]]


class Dialect:
    """One shape of download: how its threads are recognised and read, and
    what it says about the download it is in (which download, whose, named
    how). Subclasses override what differs; the defaults suit a format with
    one thread per folder or file and nothing to say about its owner."""

    name = ""
    # Its times are exact to the millisecond (HTML pages give minutes: a
    # message already held is then also looked for by its content).
    exact_times = True
    # One file holds many threads, found only while it is read: the file is
    # read again at every import (no per-thread change detection).
    many_threads_per_file = False

    def find_threads(self, tree: DownloadTree, ctx: ReadContext) -> Iterator[ThreadSource]:
        """The threads of ``tree`` this dialect recognises, in reading order."""
        raise NotImplementedError

    def read_thread(
        self, tree: DownloadTree, source: ThreadSource, info: ThreadInfo, ctx: ReadContext,
        *, plain: bool = False,
    ) -> Iterator[Message | PlainMessage]:
        """The thread's messages, oldest first where the format allows, filling
        ``info``; raises :class:`ReadError` for a file that cannot be read.
        With ``plain``, a dialect with a fast path may give a plain text
        message as a :data:`PlainMessage` tuple instead of a record."""
        raise NotImplementedError

    def conversations(
        self, tree: DownloadTree, source: ThreadSource, ctx: ReadContext
    ) -> Iterator[Conversation]:
        """``(source, info, messages)`` of each thread ``source`` holds: the
        source itself, unless one file holds many threads. Each ``messages``
        must be used up before asking for the next."""
        info = ThreadInfo()
        yield source, info, self.read_thread(tree, source, info, ctx, plain=True)

    def download_of(self, source: ThreadSource) -> str:
        """The folder of the download, inside the tree, that ``source`` lies
        in ("" for the tree itself): a tree may hold several downloads."""
        return source.folder

    def owner(
        self, tree: DownloadTree, root: str, sources: list[ThreadSource], ctx: ReadContext
    ) -> str | None:
        """The download's owner, where the download says it (otherwise the
        importer takes the one person in every thread)."""
        return None

    def names_download(self, name: str) -> bool:
        """Whether ``name`` alone tells which download it is (a maker's name
        with the owner and the day); otherwise the owner tells it too."""
        return False

    def time_basis(self, ctx: ReadContext, sources: list[ThreadSource]) -> tuple[str, str] | None:
        """(offset, why) that the download's local times were read in; None
        for a format whose times are UTC."""
        return None


class Where:
    """A message's place in a file, formatted only when a warning needs it."""

    __slots__ = ("label", "position")

    def __init__(self, label: str, position: int) -> None:
        self.label = label
        self.position = position

    def __str__(self) -> str:
        return f"{self.label} message {self.position}"


UNKNOWN_SENDER = "Unknown sender"


def sender_field(
    raw: dict[str, Any], key: str, extra: dict[str, Any], where: object, ctx: ReadContext
) -> str:
    """A message's sender, or "Unknown sender" (the odd value kept raw, and a
    warning) when it has none."""
    sender = raw.get(key)
    if type(sender) is str and sender.strip():  # not a RawNumber: a number is no name
        return repair(sender)
    if sender is not None:
        extra[key] = repair_any(sender)
    ctx.warn(where, f"has no sender; shown as '{UNKNOWN_SENDER}'")
    return UNKNOWN_SENDER


def text_field(
    raw: dict[str, Any], key: str, extra: dict[str, Any], where: object, ctx: ReadContext
) -> str | None:
    """A message's text, repaired; a value that is not text is kept raw (with
    a warning) and the message has no text."""
    text = raw.get(key)
    if text is None:
        return None
    if type(text) is not str:  # a RawNumber is a number, not text
        extra[key] = repair_any(text)
        ctx.warn(where, f"'{key}' is not text; kept raw")
        return None
    return repair(text)


ODD_NUMBER = "holds a number no column can hold (NaN, infinite, or beyond 64 bits); kept as text"


def lone_surrogates(count: int) -> str:
    """The warning for a file whose text held ``count`` lone surrogate escapes."""
    many = f"{count:,} lone UTF-16 surrogates" if count > 1 else "a lone UTF-16 surrogate"
    return f"holds {many} (\\udfff…), which no text can hold; read as U+FFFD (\ufffd)"


def list_field(
    value: Any, key: str, extra: dict[str, Any], where: object, ctx: ReadContext
) -> list[Any] | None:
    """``value`` when it is a list; None when it is absent, or when it is not a
    list (then it is kept raw under ``key``, with a warning)."""
    if value is None:
        return None
    if not isinstance(value, list):
        extra[key] = repair_any(value)
        ctx.warn(where, f"'{key}' is not a list; kept raw")
        return None
    return value


def thread_key(name: str) -> str:
    """A thread's key as stored: NFC, so that a download unzipped on macOS
    (NFD file names) and the same download read from its zip (NFC) agree."""
    return nfc(name)


_EXTENSION_KINDS = {
    **dict.fromkeys(("jpg", "jpeg", "png", "webp", "heic"), "photo"),
    **dict.fromkeys(("mp4", "mov"), "video"),
    **dict.fromkeys(("m4a", "mp3", "aac", "ogg", "wav"), "audio"),
    "gif": "gif",
}


def attachment_kind(uri: str, default: str = "file") -> str:
    """Guess an attachment's kind from the extension of a file name or URL."""
    path = urlsplit(uri).path if uri.startswith(("http://", "https://")) else uri
    suffix = PurePosixPath(path).suffix.lower().lstrip(".")
    return _EXTENSION_KINDS.get(suffix, default)
