"""Writing conversations as Markdown.

The layout (SPEC.md, "Markdown export")::

    # Title

    - Platforms: Facebook Messenger
    - Participants: Ana María González, Jordan Lee
    - Messages: 25,500 · 2016-01-01 → 2024-12-26 (times in Europe/Lisbon)
    - Downloads: facebook-jordanlee-2025

    ## 2016-01-01, Friday

    **Ana María González** 14:03
    Hello there
    > ❤ Jordan Lee

A message is one paragraph: the sender in bold and the local time, then its
lines joined by hard breaks (a backslash at the end of a line), then its
reactions as a block quote. Nothing a message says can change the document's
structure; the notes above :func:`escape_lines` say how.

Exports are deterministic (the same archive gives the same bytes: no export
time, a stable order), streamed (messages are read a page at a time and
written as they come, so a million-message conversation takes constant
memory), and self-contained: attachments copied into the archive are copied
again into ``<name>_media/`` beside the Markdown file and linked relatively.
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import string
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from pathlib import Path, PurePosixPath

import sqlite_utils

from . import views
from .render import describe_call
from .timefmt import local, tz_name
from .views import Attachment, Conversation, MessageView

# How each app is named in the header ("messenger" is the separate download of
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
LINKABLE_SCHEMES = ("http://", "https://")

# Messages read a page at a time: memory stays bounded by the page, and larger
# pages mean fewer queries (each has a fixed cost in views.messages_between).
EXPORT_PAGE = 10_000

SLUG_MAX_BYTES = 80  # the title part of a file name, in UTF-8 bytes
SLUG_FALLBACK = "conversation"

ProgressFn = Callable[[], None]


@dataclass
class ExportResult:
    """What :func:`export_markdown` wrote."""

    path: Path
    media_dir: Path
    messages: int = 0
    media_copied: int = 0
    media_missing: int = 0


# --------------------------------------------------------------------------- escaping
#
# Message text is written so that CommonMark (and GitHub's extensions) read it
# back as the literal text it was:
#
# * everywhere: ``\ ` * [ ] < ~ |`` are backslash-escaped, ``_`` unless it sits
#   between two letters or digits (where it can neither open nor close
#   emphasis: ``snake_case`` stays readable), and ``&`` when it starts an entity.
#   That leaves no emphasis, code span, link, image, raw HTML, autolink,
#   strikethrough, table cell or entity.
# * at the start of a line: any ASCII punctuation is backslash-escaped (``#``,
#   ``>``, ``-``, ``+``, ``=``, ``:``…), and so is the ``.``/``)`` after leading
#   digits, so that no line starts a heading, quote, list, thematic break,
#   setext underline, fence or HTML block.
# * whitespace at either end of a line (which Markdown would strip, or read as
#   indentation or a hard break) is written as numeric character references
#   (``&#32;``, ``&#9;``): plain text to the parser, never an HTML node.
# * lines (split at \n, \r\n and \r, Markdown's line endings) are joined with
#   a backslash hard break, so a multi-line message stays one paragraph; an
#   empty line becomes a line holding only that backslash, so it cannot end the
#   paragraph either. Empty lines at the end of a message are dropped.
# * in a heading, ``#`` is escaped everywhere too (a closing ``#`` run would be
#   taken as the end of the heading).
# tests/test_export_hostile.py proves all this with markdown-it-py.

_ENTITY = r"#[0-9]{1,7};|#[xX][0-9a-fA-F]{1,6};|[A-Za-z][A-Za-z0-9]{0,31};"


def _special(always: str) -> re.Pattern[str]:
    """Matches one character to escape: any of ``always``; ``_`` unless it sits
    between two letters or digits; ``&`` when it starts an entity. Each match
    starts with a character class, which lets the engine scan fast."""
    chars = re.escape(always)
    return re.compile(
        rf"[{chars}_&]"
        rf"(?:(?<=[{chars}])"
        r"|(?<=_)(?:(?<![^\W_]_)|(?![^\W_]))"
        rf"|(?<=&)(?={_ENTITY}))"
    )


_INLINE_SPECIAL = _special("\\`*[]<~|")
_HEADING_SPECIAL = _special("\\`*[]<~|#")
_ORDERED_MARKER = re.compile(r"(\d+)([.)])")
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_ASCII_PUNCTUATION = frozenset(string.punctuation)


def _backslash(match: re.Match[str]) -> str:
    return "\\" + match[0]


def _entities(space: str) -> str:
    return "".join(f"&#{ord(c)};" for c in space)


def _escape_line(line: str, special: re.Pattern[str]) -> str:
    """One line of text, escaped so that it reads back as itself."""
    if not line:
        return ""
    lead = trail = ""
    if line[0].isspace() or line[-1].isspace():
        core = line.strip()
        if not core:
            return _entities(line)
        lead = line[: len(line) - len(line.lstrip())]
        trail = line[len(line.rstrip()):]
    else:
        core = line
    if special.search(core):
        core = special.sub(_backslash, core)
    first = core[0]
    if first in _ASCII_PUNCTUATION and first != "\\":
        core = "\\" + core
    elif first.isdigit() and (marker := _ORDERED_MARKER.match(core)):
        core = f"{marker[1]}\\{core[marker.end(1):]}"
    if lead or trail:
        return _entities(lead) + core + _entities(trail)
    return core


def split_lines(text: str) -> list[str]:
    """Text split at Markdown's line endings (\\n, \\r\\n, \\r) only, without
    the trailing empty lines (which would end the paragraph)."""
    if "\n" not in text and "\r" not in text:
        return [text] if text else []
    lines = _LINE_BREAK.split(text)
    while lines and not lines[-1]:
        lines.pop()
    return lines


def escape_lines(text: str) -> list[str]:
    """A message's text as escaped Markdown lines, to be joined with hard breaks."""
    if "\n" not in text and "\r" not in text:
        return [_escape_line(text, _INLINE_SPECIAL)] if text else []
    return [_escape_line(line, _INLINE_SPECIAL) for line in split_lines(text)]


def escape_inline(text: str, *, heading: bool = False) -> str:
    """A name or title as escaped Markdown on one line (line breaks become spaces)."""
    return _escape_line(_LINE_BREAK.sub(" ", text), _HEADING_SPECIAL if heading else _INLINE_SPECIAL)


# Names repeat on every message: escape each once.
_escape_name = functools.lru_cache(maxsize=4096)(escape_inline)


def join_hard(lines: Iterable[str]) -> str:
    """Lines of one paragraph, joined with backslash hard breaks."""
    return "\\\n".join(lines)


_DESTINATION_SAFE = frozenset(string.ascii_letters + string.digits + "-._~:/?#@!$'*+,;=%")


def link_destination(target: str) -> str:
    """A link target written so that Markdown takes it whole: ASCII characters
    that would end or confuse it (space, parentheses, ``<>``, backslash…) are
    percent-encoded, ``&`` is backslash-escaped (entities are decoded in link
    targets), and printable non-ASCII characters stay readable."""
    out: list[str] = []
    for ch in target:
        if ch in _DESTINATION_SAFE:
            out.append(ch)
        elif ch == "&":
            out.append("\\&")
        elif ord(ch) > 127 and ch.isprintable() and not ch.isspace():
            out.append(ch)
        else:
            out.append("".join(f"%{b:02X}" for b in ch.encode("utf-8")))
    return "".join(out)


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


# --------------------------------------------------------------------------- header


def render_header(conv: Conversation, tz: tzinfo) -> str:
    """The title and the bullet list that open an export."""
    lines = [f"# {escape_inline(conv.title, heading=True)}", ""]
    platforms = ", ".join(PLATFORM_NAMES.get(p, p) for p in conv.platforms)
    lines.append(f"- Platforms: {escape_inline(platforms)}")
    names = ", ".join(escape_inline(p) for p in conv.participants)
    lines.append(f"- Participants: {names}".rstrip())
    span = ""
    if conv.first_ms is not None and conv.last_ms is not None:
        first = local(conv.first_ms, tz).strftime("%Y-%m-%d")
        last = local(conv.last_ms, tz).strftime("%Y-%m-%d")
        span = f" · {first} → {last}"
    lines.append(
        f"- Messages: {conv.messages:,}{span} (times in {escape_inline(tz_name(tz))})"
    )
    downloads = sorted({part.download for part in conv.parts})
    lines.append(f"- Downloads: {', '.join(escape_inline(d) for d in downloads)}".rstrip())
    if conv.cross_app:
        apps = " ↔ ".join(PLATFORM_SHORT_NAMES.get(p, p) for p in conv.platforms)
        frozen = f", read-only since {FROZEN_SINCE}" if conv.frozen else ""
        lines.append(f"- Cross-app conversation ({escape_inline(apps)}){frozen}")
    elif conv.frozen:
        lines.append(f"- Read-only since {FROZEN_SINCE}")
    return "\n".join(lines) + "\n"


def day_heading(day: date) -> str:
    """``## 2016-01-01, Friday``."""
    return f"## {day.isoformat()}, {WEEKDAYS[day.weekday()]}"


# --------------------------------------------------------------------------- messages


class _MediaCopier:
    """Copies archived attachments into the export's media folder, once each
    (file names are the archive's content-addressed ones), and says how to
    link them."""

    def __init__(self, archive_dir: Path, media_dir: Path, result: ExportResult) -> None:
        self.archive_dir = archive_dir
        self.media_dir = media_dir
        self.link_prefix = link_destination(media_dir.name) + "/"
        self.result = result

    def copy(self, media_path: str) -> str | None:
        """Copy one archived file; returns its link target, or None when the
        archive does not hold it (any more)."""
        rel = PurePosixPath(media_path)
        if rel.is_absolute() or ".." in rel.parts or not rel.name:
            return None  # not a path the importer writes: never read outside the archive
        source = self.archive_dir.joinpath(*rel.parts)
        if not source.is_file():
            return None
        dest = self.media_dir / rel.name
        if not (dest.is_file() and dest.stat().st_size == source.stat().st_size):
            self.media_dir.mkdir(parents=True, exist_ok=True)
            tmp = dest.with_name(f".{dest.name}.partial")
            shutil.copyfile(source, tmp)
            os.replace(tmp, dest)
            self.result.media_copied += 1
        return self.link_prefix + link_destination(rel.name)


def _is_image(att: Attachment) -> bool:
    suffix = PurePosixPath(att.path or att.uri or att.name or "").suffix.lower()
    return att.kind in IMAGE_KINDS or suffix in IMAGE_EXTENSIONS


def _attachment_line(att: Attachment, media: _MediaCopier) -> str:
    kind = att.kind or "file"
    name = att.name or PurePosixPath(att.uri or "").name or kind
    label = escape_inline(f"{kind}: {name}")
    if att.remote and att.path:
        # Linked, never embedded: a viewer would fetch an embedded remote image.
        if att.path.startswith(LINKABLE_SCHEMES):
            return f"[{label}]({link_destination(att.path)})"
        return escape_inline(f"{kind}: {att.path}")
    target = media.copy(att.path) if att.path and not att.missing else None
    if target is not None:
        if _is_image(att):
            return f"![{escape_inline(kind)}]({target})"
        return f"[{label}]({target})"
    media.result.media_missing += 1
    if att.missing or att.path:  # missing from the download, or from the archive since
        return f"*({escape_inline(f'{kind} missing: {name}')})*"
    # In the download but not copied (imported with --no-media).
    return f"*({escape_inline(f'{kind} not copied into the archive: {name}')})*"


def _share_line(link: str | None, text: str | None) -> str:
    if link and link.startswith(LINKABLE_SCHEMES):
        label = escape_inline(" ".join((text or link).split()) or link)
        return f"🔗 [{label}]({link_destination(link)})"
    return "🔗 " + escape_inline(" ".join(p for p in (text, link) if p))


def render_message(msg: MessageView, when: datetime, media: _MediaCopier) -> str:
    """One message, sent at local time ``when``, as Markdown: a paragraph and,
    when it has reactions, a quote."""
    head = f"**{_escape_name(msg.sender)}** {when.hour:02d}:{when.minute:02d}"
    if msg.edited:
        head += " *(edited)*"
    if msg.unsent:
        body = ["*(unsent a message)*"]
    else:
        body = escape_lines(msg.text) if msg.text else []
        if msg.kind == "call":
            body.insert(0, "📞 " + describe_call(msg))
        elif msg.kind == "system":
            # Events are written in italics, line by line (an empty line stays empty).
            body = [f"*{line}*" if line else "" for line in body]
    if msg.share_link or msg.share_text:
        body.append(_share_line(msg.share_link, msg.share_text))
    if msg.attachments:
        body.extend(_attachment_line(att, media) for att in msg.attachments)
    block = head + "\n" + join_hard(body) + "\n" if body else head + "\n"
    if msg.reactions:
        block += join_hard(
            f"> {_escape_name(reaction)} {_escape_name(actor)}"
            for actor, reaction in msg.reactions
        ) + "\n"
    return block


# --------------------------------------------------------------------------- export


def export_markdown(
    db: sqlite_utils.Database,
    archive_dir: Path,
    conversation_id: int,
    out_path: Path,
    *,
    tz: tzinfo,
) -> ExportResult:
    """Write one conversation as Markdown to ``out_path``.

    Attachments held by the archive (in ``archive_dir``) are copied into
    ``<stem>_media/`` beside ``out_path``. The file is written under a
    temporary name and renamed when complete, so a failed export never leaves
    half a file. Raises :class:`views.ThreadNotFound` for an unknown id.
    """
    out_path = Path(out_path)
    conv = views.get_conversation(db, conversation_id)
    result = ExportResult(path=out_path, media_dir=out_path.with_name(f"{out_path.stem}_media"))
    media = _MediaCopier(Path(archive_dir), result.media_dir, result)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = out_path.with_name(f".{out_path.name}.partial")
    try:
        with open(tmp, "w", encoding="utf-8", newline="\n") as out:
            out.write(render_header(conv, tz))
            day: date | None = None
            for msg in views.iter_messages(db, conversation_id, page=EXPORT_PAGE):
                when = local(msg.timestamp_ms, tz)
                if when.date() != day:
                    day = when.date()
                    out.write("\n" + day_heading(day) + "\n")
                # A blank line before each block, none at the end of the file.
                out.write("\n" + render_message(msg, when, media))
                result.messages += 1
        os.replace(tmp, out_path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return result


def export_all(
    db: sqlite_utils.Database,
    archive_dir: Path,
    out_dir: Path,
    *,
    tz: tzinfo,
    progress: ProgressFn | None = None,
) -> list[Path]:
    """Export every conversation into ``out_dir``, one file each, named by
    :func:`conversation_slug`, in the order of their ids. ``progress`` is
    called once per conversation written (see ``progress.counting_progress``)."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    convs = sorted(views.list_conversations(db, with_parts=False), key=lambda c: c.id)
    for conv in convs:
        path = out_dir / f"{conversation_slug(conv)}.md"
        export_markdown(db, archive_dir, conv.id, path, tz=tz)
        written.append(path)
        if progress is not None:
            progress()
    return written
