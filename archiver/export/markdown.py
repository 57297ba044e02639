"""Writing conversations as Markdown.

The layout::

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
import re
import string
from collections.abc import Iterable
from datetime import date, datetime, tzinfo
from pathlib import Path, PurePosixPath

from ..read.attachments import Attachment
from ..read.conversations import Conversation
from ..read.messages import MessageView
from ..read.render import describe_call
from ..store.database import Database
from ..timefmt import local, tz_name
from .common import (
    FROZEN_SINCE,
    LINKABLE_SCHEMES,
    PLATFORM_NAMES,
    PLATFORM_SHORT_NAMES,
    WEEKDAYS,
    DateRange,
    ExportResult,
    MediaCopier,
    atomic_text,
    is_image,
    media_dir_for,
    one_snapshot,
    select,
)

# --------------------------------------------------------------------------- escaping
#
# Message text is written so that CommonMark (and GitHub's extensions) read it
# back as the literal text it was:
#
# * everywhere: ``\ ` * [ ] ~ |`` are backslash-escaped, ``_`` unless it sits
#   between two letters or digits (where it can neither open nor close
#   emphasis: ``snake_case`` stays readable), and ``&`` when it starts an entity.
#   ``<`` and ``>`` are written as ``&lt;`` and ``&gt;``: a backslash before
#   ``<`` is not enough, as GitHub-style linkify takes a backslash right after
#   a URL into the link and leaves the ``<img …>`` after it live as HTML; an
#   entity is only ever text. That leaves no emphasis, code span, link, image,
#   raw HTML, autolink, strikethrough, table cell or entity.
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


_INLINE_SPECIAL = _special("\\`*[]~|")
_HEADING_SPECIAL = _special("\\`*[]~|#")
_ANGLE = re.compile("[<>]")
_ANGLE_ENTITIES = {"<": "&lt;", ">": "&gt;"}
_ORDERED_MARKER = re.compile(r"(\d+)([.)])")
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_ASCII_PUNCTUATION = frozenset(string.punctuation)


def _backslash(match: re.Match[str]) -> str:
    return "\\" + match[0]


def _entities(space: str) -> str:
    return "".join(f"&#{ord(c)};" for c in space)


# Characters that would drive a terminal showing the file (ESC, BEL, C1 such as
# the 8-bit CSI, DEL) or reorder the text around them (bidi controls) are
# written as numeric references: ``cat`` shows "&#27;", a viewer the text.
_CONTROL = re.compile("[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def _reference(match: re.Match[str]) -> str:
    return f"&#{ord(match[0])};"


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
    if first in _ASCII_PUNCTUATION and first not in "\\<>":  # < > become entities below
        core = "\\" + core
    elif first.isdigit() and (marker := _ORDERED_MARKER.match(core)):
        core = f"{marker[1]}\\{core[marker.end(1):]}"
    if _CONTROL.search(core):
        core = _CONTROL.sub(_reference, core)
    if "<" in core or ">" in core:  # last: the & of an entity must stay unescaped
        core = _ANGLE.sub(lambda m: _ANGLE_ENTITIES[m[0]], core)
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


# --------------------------------------------------------------------------- header


def render_header(conv: Conversation, tz: tzinfo, only: DateRange | None = None) -> str:
    """The title and the bullet list that open an export (with ``only``, the
    counts and dates are those of the messages exported)."""
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
    if only:
        lines.append(f"- Only messages {escape_inline(only.describe())}")
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


class _MarkdownMedia:
    """Copies attachments beside the file and says how Markdown links them."""

    def __init__(self, copier: MediaCopier) -> None:
        self.copier = copier
        self.result = copier.result
        self.link_prefix = link_destination(copier.media_dir.name) + "/"

    def copy(self, media_path: str, original: str | None = None) -> str | None:
        name = self.copier.copy(media_path, original)
        return None if name is None else self.link_prefix + link_destination(name)


def _attachment_line(att: Attachment, media: _MarkdownMedia) -> str:
    kind = att.kind or "file"
    name = att.name or PurePosixPath(att.uri or "").name or kind
    label = escape_inline(f"{kind}: {name}")
    if att.remote and att.path:
        # Linked, never embedded: a viewer would fetch an embedded remote image.
        if att.path.startswith(LINKABLE_SCHEMES):
            return f"[{label}]({link_destination(att.path)})"
        return escape_inline(f"{kind}: {att.path}")
    target = media.copy(att.path, name) if att.path and not att.missing else None
    if target is not None:
        if is_image(att):
            return f"![{escape_inline(kind)}]({target})"
        return f"[{label}]({target})"
    if media.copier.skipping and att.path and not att.missing:  # written to standard output
        return f"*({escape_inline(f'{kind}: {name}, not copied')})*"
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


def render_message(msg: MessageView, when: datetime, media: _MarkdownMedia) -> str:
    """One message, sent at local time ``when``, as Markdown: a paragraph and,
    when it has reactions, a quote."""
    head = f"**{_escape_name(msg.sender)}** {when.hour:02d}:{when.minute:02d}"
    if msg.edited:
        head += " *(edited)*"
    if msg.unsent:
        body = ["*(unsent a message)*"]
    else:
        body = escape_lines(msg.body_text) if msg.body_text else []
        if msg.kind == "call":
            body.insert(0, "📞 " + describe_call(msg))
        elif msg.kind == "system":
            # Events are written in italics, line by line (an empty line stays empty).
            body = [f"*{line}*" if line else "" for line in body]
    if msg.share_link or msg.share_text:
        body.append(_share_line(msg.share_link, msg.share_caption))
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


@one_snapshot
def export_markdown(
    db: Database,
    archive_dir: Path,
    conversation_id: int,
    out_path: Path,
    *,
    tz: tzinfo,
    span: DateRange | None = None,
) -> ExportResult:
    """Write one conversation (its messages inside ``span``) as Markdown to
    ``out_path``.

    Attachments held by the archive (in ``archive_dir``) are copied into
    ``<stem>_media/`` beside ``out_path``. The file is written under a
    temporary name and renamed when complete, so a failed export never leaves
    half a file. Raises :class:`names.ThreadNotFound` for an unknown id.
    """
    out_path = Path(out_path)
    chosen = select(db, conversation_id, tz, span)
    result = ExportResult(path=out_path, media_dir=media_dir_for(out_path))
    media = _MarkdownMedia(MediaCopier(Path(archive_dir), result.media_dir, result))
    with atomic_text(out_path) as out:
        out.write(render_header(chosen.conv, tz, chosen.range))
        day: date | None = None
        for msg in chosen.messages(db):
            when = local(msg.timestamp_ms, tz)
            if when.date() != day:
                day = when.date()
                out.write("\n" + day_heading(day) + "\n")
            # A blank line before each block, none at the end of the file.
            out.write("\n" + render_message(msg, when, media))
            result.messages += 1
    return result
