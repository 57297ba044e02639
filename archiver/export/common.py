"""What every export format shares: file names, the media folder beside the
export, the choice of messages (``--after``/``--before``) and writing a file
whole or not at all.

An export writes and deletes only what it owns: never one of the archive's
own files (:func:`check_output`), never over something that is not a regular
file, never through a link. Each file is written to a temporary file made
exclusively (``O_EXCL``, ``O_NOFOLLOW``) beside its target and renamed over
it when complete, so what someone planted under the temporary name is never
written through, and a failed export leaves nothing half written.
"""

from __future__ import annotations

import dataclasses
import functools
import os
import stat
import sys
import tempfile
import unicodedata
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import tzinfo
from pathlib import Path, PurePosixPath
from typing import IO, Any, TypeVar, cast

from ..read.attachments import Attachment
from ..read.conversations import Conversation, get_conversation
from ..read.messages import MessageView, iter_messages
from ..read.search import DATE_FORMS, Period, date_problem, parse_period
from ..read.snapshot import snapshot
from ..read.timeline import first_on_or_after, last_position, message_time
from ..safefs import kind_of, open_regular_file
from ..store.database import Database
from ..store.lock import LOCK_NAME
from ..store.media import CHUNK, MEDIA_DIR, copy_sparse, locate_media, open_media
from ..store.opening import DB_NAME

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
# pages mean fewer queries (each has a fixed cost in messages_between).
EXPORT_PAGE = 10_000

SLUG_MAX_BYTES = 80  # the title part of a file name, in UTF-8 bytes
SLUG_FALLBACK = "conversation"

# File name extension of each format (``export --format``).
EXTENSIONS = {"md": ".md", "html": ".html", "json": ".json", "txt": ".txt"}

ProgressFn = Callable[[], None]

# ``-o -``: the export goes to standard output (no media are copied then).
STDOUT = Path("-")
# The archive's own files besides its database and media (the reader's choices).
_ARCHIVE_FILES = (LOCK_NAME, "reader.json")
_F = TypeVar("_F", bound=Callable[..., Any])


def one_snapshot(export: _F) -> _F:
    """Run an export (whose first argument is the archive) on one snapshot of
    the archive: an import adding to the same conversation meanwhile changes
    nothing it writes, where reading page by page would show messages twice
    and miss others as their positions move."""

    @functools.wraps(export)
    def run(db: Any, *args: Any, **kwargs: Any) -> Any:
        with snapshot(db):
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
    different files share one (``IMG_2041-2.jpg``). An export to standard
    output copies none (``skipping``)."""

    def __init__(self, archive_dir: Path, media_dir: Path, result: ExportResult) -> None:
        self.archive_dir = archive_dir
        self.media_dir = media_dir
        self.result = result
        self._names: dict[str, str] = {}  # archive path -> its name in the media folder
        self._taken: set[str] = set()  # casefolded: one file on a case-blind disk
        self.skipping = is_stdout(result.path)

    def copy(self, media_path: str, original: str | None = None) -> str | None:
        """Copy one archived file under its ``original`` name; returns its
        name in the media folder, or None when the archive does not hold it
        (any more), or holds it only through a link (outside the archive:
        never read)."""
        if self.skipping:
            return None
        try:
            source = locate_media(self.archive_dir, media_path)
        except OSError:
            return None  # missing, not a regular file, or outside the archive
        name = self._names.get(media_path)
        if name is None:
            name = self.unique_name(export_file_name(original, PurePosixPath(media_path)))
            self._names[media_path] = name
        dest = self.media_dir / name
        if not _same_bytes(dest, source):
            copy_media(self.archive_dir, media_path, dest)
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


def _same_bytes(dest: Path, source: Path) -> bool:
    """Whether an earlier export's copy is this file already (names are no
    longer content hashes, so the size alone does not say). Only a regular
    file counts, read without following a link or blocking."""
    try:
        st = os.lstat(dest)
        if not stat.S_ISREG(st.st_mode) or st.st_size != source.stat().st_size:
            return False
        with open_regular_file(dest) as a, open_regular_file(source) as b:
            while True:
                chunk = a.read(CHUNK)
                if chunk != b.read(CHUNK):
                    return False
                if not chunk:
                    return True
    except OSError:
        return False


def copy_media(archive_dir: Path, media_path: str, dest: Path) -> None:
    """Copy an archived file to ``dest`` through a temporary file made
    exclusively beside it. Any failure (a full disk) removes the partial copy
    and raises an OSError naming ``dest``, the media file that could not be
    written."""
    make_folder(dest.parent)
    with open_media(archive_dir, media_path) as src:
        try:
            with _new_file(dest) as out:
                copy_sparse(src, out)  # an attachment's holes stay holes
        except OSError as exc:
            raise OSError(exc.errno, exc.strerror or str(exc), str(dest)) from exc


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
        # Reaction notices the reactions already show are left out (read/messages.py).
        return (m for m in iter_messages(db, self.conv.id, page=page, first=self.first,
                                        last=self.last) if not m.folded)


def select(
    db: Database, conversation_id: int, tz: tzinfo, span: DateRange | None = None
) -> Selection:
    """The conversation's messages inside ``span``, found by binary search over
    positions (numbered in time order), so choosing costs no scan. Raises
    :class:`names.ThreadNotFound` for an unknown id."""
    conv = get_conversation(db, conversation_id)
    span = span or DateRange()
    last_pos = last_position(db, conversation_id)
    if not span:
        return Selection(conv, conv, 0, -1 if last_pos is None else last_pos, span)
    if last_pos is None:
        return Selection(dataclasses.replace(conv, messages=0), conv, 0, -1, span)
    lo, hi = span.bounds_ms(tz)
    first = 0 if lo is None else first_on_or_after(db, conversation_id, lo)
    if first is None:
        first = last_pos + 1
    if hi is None:
        last = last_pos
    else:
        after_end = first_on_or_after(db, conversation_id, hi)
        last = last_pos if after_end is None else after_end - 1
    if last < first:
        shown = dataclasses.replace(conv, messages=0, first_ms=None, last_ms=None)
        return Selection(shown, conv, first, last, span)
    shown = dataclasses.replace(
        conv, messages=last - first + 1,
        first_ms=message_time(db, conversation_id, first),
        last_ms=message_time(db, conversation_id, last),
    )
    return Selection(shown, conv, first, last, span)


# --------------------------------------------------------------------------- writing


class ExportRefused(OSError):
    """An output an export will not write to: one of the archive's own
    files, or something that is not a regular file. The message says why."""


def is_stdout(path: Path) -> bool:
    """Whether ``path`` is :data:`STDOUT` (``-o -``)."""
    return str(path) == "-"


def check_output(archive_dir: Path, out_path: Path) -> None:
    """Refuse (:class:`ExportRefused`) an output that is one of the archive's
    own files (its database, ``-wal``/``-shm``, lock, reader choices, or
    anything in ``media/``), or whose media folder would be inside
    ``media/``; and one that exists as something other than a regular file
    (a device such as /dev/null, a FIFO, a folder, a symbolic link)."""
    if is_stdout(out_path):
        return
    out_path = Path(out_path)
    try:
        mode = os.lstat(out_path).st_mode
    except FileNotFoundError:
        mode = None
    except OSError as exc:
        raise ExportRefused(f"{out_path}: cannot be written ({exc.strerror})") from None
    for path in (out_path, media_dir_for(out_path)):
        owner = _archive_owns(archive_dir, path)
        if owner is not None:
            raise ExportRefused(f"{path} is {owner}; choose another -o")
    if mode is not None and not stat.S_ISREG(mode):
        raise ExportRefused(f"{out_path} is {kind_of(mode)}, not a file; an export writes only "
                            "regular files (-o - writes to standard output)")


def check_output_folder(archive_dir: Path, out_dir: Path) -> None:
    """Refuse (:class:`ExportRefused`) a folder for ``export --all`` inside
    the archive's media folder, or that is not a folder."""
    owner = _archive_owns(archive_dir, out_dir)
    if owner is not None:
        raise ExportRefused(f"{out_dir} is {owner}; choose another -o")
    try:
        mode = os.stat(out_dir).st_mode
    except FileNotFoundError:
        return
    except OSError as exc:
        raise ExportRefused(f"{out_dir}: cannot be written ({exc.strerror})") from None
    if not stat.S_ISDIR(mode):
        raise ExportRefused(f"{out_dir} is {kind_of(mode)}; --all -o needs a folder")


def _archive_owns(archive_dir: Path, path: Path) -> str | None:
    """What ``path`` is of the archive, wherever links lead: "the archive's
    own file" (its database, ``-wal``, ``-shm``, lock, the reader's choices,
    or a hard link to one of them), "inside the archive's media folder", or
    None when it is none of them."""
    root = os.path.realpath(archive_dir)
    real = os.path.realpath(path)
    owned = [os.path.join(root, name) for name in (
        DB_NAME, f"{DB_NAME}-wal", f"{DB_NAME}-shm", f"{DB_NAME}-journal", *_ARCHIVE_FILES)]
    media = os.path.join(root, MEDIA_DIR)
    if real == media or real.startswith(media + os.sep):
        return "inside the archive's media folder"
    if real in owned:
        return "the archive's own file"
    try:
        st = os.stat(path)
    except OSError:
        return None
    for name in owned:  # a hard link to the database is the database
        try:
            other = os.stat(name)
        except OSError:
            continue
        if (st.st_dev, st.st_ino) == (other.st_dev, other.st_ino):
            return "the archive's own file"
    return None


def make_folder(folder: Path) -> None:
    """Make ``folder`` (and its parents), a folder the export owns (its media
    folder): one that exists must be a real folder, not a link to one, which
    someone may have planted to have the export write elsewhere."""
    try:
        mode = os.lstat(folder).st_mode
    except FileNotFoundError:
        folder.mkdir(parents=True, exist_ok=True)
        mode = os.lstat(folder).st_mode
    if not stat.S_ISDIR(mode):
        raise ExportRefused(f"{folder} is {kind_of(mode)}, not a folder; the export does not "
                            "write into it")


_MODE: list[int] = []


def _file_mode() -> int:
    """The mode a file made by ``open()`` would have (0666 less the umask)."""
    if not _MODE:
        mask = 0o022
        try:
            with open("/proc/self/status", encoding="ascii") as status:
                for line in status:
                    if line.startswith("Umask:"):
                        mask = int(line.split()[1], 8)
        except (OSError, ValueError):
            pass
        _MODE.append(0o666 & ~mask)
    return _MODE[0]


@contextmanager
def _new_file(path: Path) -> Iterator[IO[bytes]]:
    """A temporary file made exclusively (``O_EXCL``, ``O_NOFOLLOW``, under
    a name of its own) beside ``path``, renamed over ``path`` when the block
    ends; removed on any failure."""
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".partial", dir=path.parent)
    tmp = Path(name)
    try:
        os.fchmod(fd, _file_mode())
        with os.fdopen(fd, "wb") as out:
            yield out
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


@contextmanager
def atomic_text(path: Path) -> Iterator[IO[str]]:
    """A text file written whole or not at all: to a temporary file made
    exclusively beside it, renamed when complete. :data:`STDOUT` writes to
    standard output instead. An existing ``path`` that is not a regular file
    is refused."""
    if is_stdout(path):
        sys.stdout.flush()
        yield sys.stdout
        sys.stdout.flush()
        return
    path.parent.mkdir(parents=True, exist_ok=True)  # the folder the user named: theirs
    _refuse_non_regular(path)
    with _new_file(path) as raw, open(raw.fileno(), "w", encoding="utf-8", newline="\n",
                                      closefd=False) as out:
        yield out


def partial_text(path: Path) -> tuple[IO[str], Path]:
    """A text file to write ``path`` through, for a caller that renames it
    itself (the HTML pages, renamed together): made exclusively beside
    ``path``; returns it open, and its name."""
    path.parent.mkdir(parents=True, exist_ok=True)
    _refuse_non_regular(path)
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".partial", dir=path.parent)
    try:
        os.fchmod(fd, _file_mode())
        return open(fd, "w", encoding="utf-8", newline="\n"), Path(name)
    except BaseException:
        os.close(fd)
        Path(name).unlink(missing_ok=True)
        raise


def _refuse_non_regular(path: Path) -> None:
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        return
    if not stat.S_ISREG(mode):
        raise ExportRefused(f"{path} is {kind_of(mode)}, not a file; an export writes only "
                            "regular files")
