"""Dialect readers: one module per shape of download.

Each module exposes ``NAME``, ``find_threads(tree, ctx)`` yielding the
:class:`ThreadSource` items it recognises (claiming their members), and
``read_thread(tree, source, info, ctx)`` yielding :class:`~archiver.records.Message`
records while filling ``info``. Adding a download shape means adding a module
here and its name to ``DIALECTS``.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any, Protocol

from ...folding import nfc
from ...records import Message, ThreadInfo
from ..sources import DownloadTree, Member
from ..text import repair, repair_any

# The times a message may have: those that show as a date in every time zone
# (years 1 to 9999). A timestamp outside them is not a usable timestamp.
MIN_MS = -62135510400000  # 0001-01-02T00:00:00Z
MAX_MS = 253402214399999  # 9999-12-30T23:59:59.999Z

# Order matters: earlier dialects claim files first.
DIALECTS: tuple[str, ...] = ("meta_dyi", "meta_html", "messenger_e2ee", "instagram_legacy")


class ReadError(Exception):
    """A file that cannot be read as its dialect says; the thread is rejected."""


def first_line(exc: BaseException) -> str:
    """The first line of a parser's error (ijson gives some as bytes)."""
    text = exc.args[0] if len(exc.args) == 1 else str(exc)
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    text = str(text).strip()
    return text.splitlines()[0] if text else type(exc).__name__


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


class DialectModule(Protocol):
    NAME: str

    def find_threads(self, tree: DownloadTree, ctx: ReadContext) -> Iterator[ThreadSource]: ...

    def read_thread(
        self, tree: DownloadTree, source: ThreadSource, info: ThreadInfo, ctx: ReadContext
    ) -> Iterator[Message]: ...


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


def dialect_module(name: str) -> ModuleType:
    return importlib.import_module(f"{__name__}.{name}")


def find_threads(tree: DownloadTree, ctx: ReadContext) -> list[ThreadSource]:
    """Every thread of the download, from every dialect that recognises files."""
    sources: list[ThreadSource] = []
    for name in DIALECTS:
        module = dialect_module(name)
        for source in module.find_threads(tree, ctx):
            ctx.claimed.update(m.path for m in source.files)
            source.key = thread_key(source.key)
            sources.append(source)
    return sources


def read_thread(
    tree: DownloadTree, source: ThreadSource, info: ThreadInfo, ctx: ReadContext
) -> Iterator[Message]:
    return dialect_module(source.dialect).read_thread(tree, source, info, ctx)
