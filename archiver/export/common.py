"""What every export format shares: file names, the media folder beside the
export, the choice of messages (``--after``/``--before``) and writing a file
whole or not at all."""

from __future__ import annotations

import dataclasses
import functools
import os
import unicodedata
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import tzinfo
from pathlib import Path, PurePosixPath
from typing import IO, Any, TypeVar, cast

from ..read import views
from ..read.search import DATE_FORMS, Period, date_problem, parse_period
from ..read.views import Attachment, Conversation, MessageView
from ..store.database import Database
from ..store.media import copy_file

# How each app is named in a header ("messenger" is the separate download of
# Messenger's end-to-end encrypted chats; Facebook's own chats are "Messenger"
# to users, hence "Facebook Messenger").
PLATFORM_NAMES = {
    "facebook": "Facebook Messenger",
    "instagram": "Instagram",
    "messenger": "Messenger (encrypted chats)",
}
# Short names for the cross-app line: "Cross-app conversation (Facebook ↔ Instagram)".
PLATFORM_SHORT_NAMES = {"facebook": "Facebook", "instagram": "Instagram", "messenger": "Messenger"}
FROZEN_SINCE = "December 2023"  # Meta's read-only switch for cross-app chats

# English whatever the machine's locale, so that exports are the same everywhere.
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")

IMAGE_KINDS = frozenset({"photo", "gif", "sticker", "image", "thumbnail"})
IMAGE_EXTENSIONS = frozenset(
    {".jpg", ".jpeg", ".png", ".gif", ".webp", ".bmp", ".heic", ".heif", ".avif"}
)
VIDEO_EXTENSIONS = frozenset({".mp4", ".m4v", ".mov", ".webm", ".ogv", ".3gp"})
AUDIO_EXTENSIONS = frozenset({".mp3", ".m4a", ".aac", ".ogg", ".oga", ".opus", ".wav", ".amr"})
LINKABLE_SCHEMES = ("http://", "https://")

# Messages read a page at a time: memory stays bounded by the page, and larger
# pages mean fewer queries (each has a fixed cost in views.messages_between).
EXPORT_PAGE = 10_000

SLUG_MAX_BYTES = 80  # the title part of a file name, in UTF-8 bytes
SLUG_FALLBACK = "conversation"

# File name extension of each format (``export --format``).
EXTENSIONS = {"md": ".md", "html": ".html", "json": ".json", "txt": ".txt"}

ProgressFn = Callable[[], None]
_F = TypeVar("_F", bound=Callable[..., Any])


def one_snapshot(export: _F) -> _F:
    """Run an export (whose first argument is the archive) on one snapshot of
    the archive: an import adding to the same conversation meanwhile changes
    nothing it writes, where reading page by page would show messages twice
    and miss others as their positions move."""

    @functools.wraps(export)
    def run(db: Any, *args: Any, **kwargs: Any) -> Any:
        with views.snapshot(db):
            return export(db, *args, **kwargs)

    return cast(_F, run)


@dataclass
class ExportResult:
    """What an export wrote."""

    path: Path
    media_dir: Path
    messages: int = 0
    media_copied: int = 0
    media_missing: int = 0
    pages: list[Path] = dataclasses.field(default_factory=list)  # HTML: every page written


# --------------------------------------------------------------------------- file names


def slugify(title: str) -> str:
    """A file-name-safe form of a title.

    Keeps letters (accented and non-Latin too), combining marks and digits, in
    their case; every run of anything else (spaces, punctuation, ``/``, ``\\``,
    control characters, emoji and other symbols) becomes one ``-``. At most
    ``SLUG_MAX_BYTES`` bytes of UTF-8, cut between characters. Empty when
    nothing is left.
    """
    kept: list[str] = []
    dash = False
    for ch in unicodedata.normalize("NFC", title):
        if unicodedata.category(ch)[0] in "LMN":
            if dash and kept:
                kept.append("-")
            dash = False
            kept.append(ch)
        else:
            dash = True
    slug = "".join(kept)
    encoded = slug.encode("utf-8")
    if len(encoded) > SLUG_MAX_BYTES:
        slug = encoded[:SLUG_MAX_BYTES].decode("utf-8", errors="ignore").rstrip("-")
    return slug


def conversation_slug(conv: Conversation) -> str:
    """The file name stem of a conversation's export: its slugified title and
    ``-<id>``, so that equal titles never collide and reserved names (``CON``,
    ``NUL``…) cannot occur."""
    return f"{slugify(conv.title) or SLUG_FALLBACK}-{conv.id}"


def media_dir_for(out_path: Path) -> Path:
    """``<stem>_media/`` beside the export (a slug never holds ``_``, so it
    cannot be another conversation's file)."""
    return out_path.with_name(f"{out_path.stem}_media")


# --------------------------------------------------------------------------- media


class MediaCopier:
    """Copies archived attachments into the export's media folder, once each,
    under their original names (``IMG_2041.jpg``), made unique where two
    different files share one (``IMG_2041-2.jpg``)."""

    def __init__(self, archive_dir: Path, media_dir: Path, result: ExportResult) -> None:
        self.archive_dir = archive_dir
        self.media_dir = media_dir
        self.result = result
        self._names: dict[str, str] = {}  # archive path -> its name in the media folder
        self._taken: set[str] = set()  # casefolded: one file on a case-blind disk

    def copy(self, media_path: str, original: str | None = None) -> str | None:
        """Copy one archived file under its ``original`` name; returns its
        name in the media folder, or None when the archive does not hold it
        (any more)."""
        rel = PurePosixPath(media_path)
        if rel.is_absolute() or ".." in rel.parts or not rel.name:
            return None  # not a path the importer writes: never read outside the archive
        source = self.archive_dir.joinpath(*rel.parts)
        if not source.is_file():
            return None
        name = self._names.get(media_path)
        if name is None:
            name = self.unique_name(export_file_name(original, rel))
            self._names[media_path] = name
        dest = self.media_dir / name
        if not (dest.is_file() and _same_bytes(dest, source)):
            self.media_dir.mkdir(parents=True, exist_ok=True)
            tmp = dest.with_name(f".{dest.name}.partial")
            copy_file(source, tmp)  # an attachment's holes stay holes
            os.replace(tmp, dest)
            self.result.media_copied += 1
        return name

    def unique_name(self, wanted: str) -> str:
        """``wanted``, or ``stem-2.ext``, ``stem-3.ext``… when a file of this
        export already has it; the name is then taken."""
        stem, suffix = os.path.splitext(wanted)
        name, n = wanted, 1
        while name.casefold() in self._taken:
            n += 1
            name = f"{stem}-{n}{suffix}"
        self._taken.add(name.casefold())
        return name


def export_file_name(original: str | None, archived: PurePosixPath) -> str:
    """A safe file name for an attachment's copy: its original name's last
    part without control characters or a leading dot, at most 120 bytes, with
    the archived file's extension when it has none; else the archive's name."""
    base = (original or "").replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(ch for ch in base if unicodedata.category(ch)[0] != "C").strip().lstrip(".")
    if not base:
        return archived.name
    stem, suffix = os.path.splitext(base)
    if not suffix:
        suffix = archived.suffix
    encoded = stem.encode("utf-8")
    if len(encoded) + len(suffix.encode("utf-8")) > 120:
        stem = encoded[:100].decode("utf-8", errors="ignore")
    if stem.upper() in _RESERVED_NAMES:  # Windows gives these names to devices
        stem += "_"
    return f"{stem}{suffix}"


_RESERVED_NAMES = frozenset({"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)),
                             *(f"LPT{i}" for i in range(1, 10))})


def _same_bytes(a: Path, b: Path) -> bool:
    """Whether an earlier export's copy is this file already (names are no
    longer content hashes, so the size alone does not say)."""
    import filecmp

    return a.stat().st_size == b.stat().st_size and filecmp.cmp(a, b, shallow=False)


def attachment_suffix(att: Attachment) -> str:
    return PurePosixPath(att.path or att.uri or att.name or "").suffix.lower()


def is_image(att: Attachment) -> bool:
    return att.kind in IMAGE_KINDS or attachment_suffix(att) in IMAGE_EXTENSIONS


def attachment_name(att: Attachment) -> str:
    """The name a reader knows an attachment by: its original file name."""
    return att.name or PurePosixPath(att.uri or "").name or att.kind or "file"


# --------------------------------------------------------------------------- date range


class BadDate(ValueError):
    """An ``--after``/``--before`` value that is not a date."""


@dataclass(frozen=True)
class DateRange:
    """``--after``/``--before``: as in search, each excludes the whole period
    it names (``after=2023`` keeps 2024 on), taken in the export's time zone."""

    after: Period | None = None
    before: Period | None = None
    after_text: str | None = None
    before_text: str | None = None

    @classmethod
    def parse(cls, after: str | None, before: str | None) -> DateRange:
        """Raises :class:`BadDate` naming the value that is not a date."""
        periods = []
        for option, text in (("--after", after), ("--before", before)):
            period = None
            if text is not None:
                period = parse_period(text)
                if period is None:
                    raise BadDate(f"{option} '{text}' {date_problem(text)} (use {DATE_FORMS})")
            periods.append(period)
        return cls(periods[0], periods[1], after, before)

    def __bool__(self) -> bool:
        return self.after is not None or self.before is not None

    def bounds_ms(self, tz: tzinfo) -> tuple[int | None, int | None]:
        """[start, end) in UTC milliseconds; None where unbounded."""
        start = self.after.bounds_ms(tz)[1] if self.after else None
        end = self.before.bounds_ms(tz)[0] if self.before else None
        return start, end

    def describe(self) -> str:
        """``after 2023, before 2024-06`` (as typed)."""
        words = []
        if self.after_text is not None:
            words.append(f"after {self.after_text}")
        if self.before_text is not None:
            words.append(f"before {self.before_text}")
        return ", ".join(words)


@dataclass
class Selection:
    """The messages of one conversation an export writes: positions
    [first, last] (none when ``last < first``). ``conv`` counts only them."""

    conv: Conversation
    full: Conversation
    first: int
    last: int
    range: DateRange

    @property
    def empty(self) -> bool:
        return self.last < self.first

    def messages(self, db: Database, page: int = EXPORT_PAGE) -> Iterator[MessageView]:
        if self.empty:
            return iter(())
        # Reaction notices the reactions already show are left out (views.py).
        return (m for m in views.iter_messages(db, self.conv.id, page=page, first=self.first,
                                              last=self.last) if not m.folded)


def select(
    db: Database, conversation_id: int, tz: tzinfo, span: DateRange | None = None
) -> Selection:
    """The conversation's messages inside ``span``, found by binary search over
    positions (numbered in time order), so choosing costs no scan. Raises
    :class:`views.ThreadNotFound` for an unknown id."""
    conv = views.get_conversation(db, conversation_id)
    span = span or DateRange()
    last_pos = views.last_position(db, conversation_id)
    if not span:
        return Selection(conv, conv, 0, -1 if last_pos is None else last_pos, span)
    if last_pos is None:
        return Selection(dataclasses.replace(conv, messages=0), conv, 0, -1, span)
    lo, hi = span.bounds_ms(tz)
    first = 0 if lo is None else views.first_on_or_after(db, conversation_id, lo)
    if first is None:
        first = last_pos + 1
    if hi is None:
        last = last_pos
    else:
        after_end = views.first_on_or_after(db, conversation_id, hi)
        last = last_pos if after_end is None else after_end - 1
    if last < first:
        shown = dataclasses.replace(conv, messages=0, first_ms=None, last_ms=None)
        return Selection(shown, conv, first, last, span)
    shown = dataclasses.replace(
        conv, messages=last - first + 1,
        first_ms=views.message_time(db, conversation_id, first),
        last_ms=views.message_time(db, conversation_id, last),
    )
    return Selection(shown, conv, first, last, span)


# --------------------------------------------------------------------------- writing


@contextmanager
def atomic_text(path: Path) -> Iterator[IO[str]]:
    """A text file written under a temporary name and renamed when complete,
    so a failed export never leaves half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.partial")
    try:
        with open(tmp, "w", encoding="utf-8", newline="\n") as out:
            yield out
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
