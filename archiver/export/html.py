"""HTML: a conversation as a chat page for a browser, to read, print or send.

The page is self-contained: styles are inline, attachments are copied into
``<name>_media/`` beside it (as the Markdown export does) and linked
relatively, and a Content-Security-Policy forbids fetching anything else, so
opening it makes no request outside the export folder. It needs no
JavaScript. The owner's messages are on the right, everyone else's on the
left; light and dark follow the system; a print stylesheet keeps bubbles whole.

The markup lives in ``templates/`` (Jinja2 with autoescape: every value is
escaped unless it is markup we built, so no message text can become a tag, a
script or a ``javascript:`` link; only http(s) targets become links).

Streaming: the template is rendered with ``generate()`` over an iterator of
days, each an iterator of messages read a page at a time from the archive, so
memory does not grow with the conversation. A conversation of more than
``SPLIT_OVER`` messages is written as several linked pages of about
``PAGE_MESSAGES`` messages each (``<name>.html``, ``<name>_page2.html``…),
cut at the start of a day where a day is smaller than a page, so that each
opens quickly.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from pathlib import Path
from typing import Any
from urllib.parse import quote

import jinja2
from markupsafe import Markup, escape

from ..controls import terminal_text
from ..read.attachments import Attachment
from ..read.conversations import Conversation
from ..read.messages import MessageView, event_actor
from ..read.render import describe_call
from ..read.timeline import first_on_or_after, message_time
from ..safefs import open_regular_file
from ..store.database import Database
from ..timefmt import local, tz_name
from .common import (
    AUDIO_EXTENSIONS,
    FROZEN_SINCE,
    LINKABLE_SCHEMES,
    PLATFORM_NAMES,
    PLATFORM_SHORT_NAMES,
    VIDEO_EXTENSIONS,
    WEEKDAYS,
    DateRange,
    ExportRefused,
    ExportResult,
    MediaCopier,
    Selection,
    attachment_name,
    attachment_suffix,
    is_image,
    is_stdout,
    media_dir_for,
    one_snapshot,
    partial_text,
    select,
)
from .svg import insights_svg

SPLIT_OVER = 10_000  # a conversation with more messages is split into pages…
PAGE_MESSAGES = 5_000  # …of about this many messages each

INDEX_NAME = "index.html"
STALE_HEAD = 2048  # bytes of a page read to tell whether an earlier export wrote it

_HTML_WHITESPACE = "\r\x0c\u2028\u2029"  # line ends and spaces to a browser, kept


def _visible_controls(value: Any) -> Any:
    """Every value a template prints, with terminal controls and bidi
    overrides shown visibly (as ``chatkeep show`` does); autoescape still
    escapes the rest, and markup built in Python keeps its tags."""
    if isinstance(value, Markup):
        return Markup(terminal_text(str(value), keep=_HTML_WHITESPACE))
    if isinstance(value, str):
        return terminal_text(value, keep=_HTML_WHITESPACE)
    return value


def _isolated(values: Iterable[str]) -> Markup:
    """Names (participants, downloads) separated by commas, each in a
    ``<bdi>`` so that right-to-left names keep their order in the list. Built
    here rather than by a template loop: a thread may list a million."""
    return Markup(", ".join(f"<bdi>{escape(value)}</bdi>" for value in values))


_ENV = jinja2.Environment(
    loader=jinja2.PackageLoader("archiver.export", "templates"),
    autoescape=True,
    finalize=_visible_controls,
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)
_ENV.filters["isolated"] = _isolated


# --------------------------------------------------------------------------- what the templates see


@dataclass(slots=True)
class Media:
    """An attachment as the page shows it. ``shape`` is image, video, audio,
    file (a copied file to link), remote (an http(s) link), or missing/text
    (only its label is shown). The label is ``before``, the file's ``name``
    (isolated on the page, since it comes from the download), then ``after``."""

    kind: str
    shape: str
    before: str
    name: str
    after: str = ""
    href: str | None = None
    original: str | None = None  # the file as imported, when ``href`` is a JPEG made from it

    @property
    def label(self) -> str:
        return f"{self.before}{self.name}{self.after}"


@dataclass(slots=True)
class Share:
    label: str
    href: str | None


@dataclass(slots=True)
class Bubble:
    """One message and what the template needs beyond it."""

    msg: MessageView
    time: str
    iso: str
    side: str  # "me" | "them"
    show_name: bool
    event: bool
    actor: str | None  # who did an event, when its text does not say
    call: str | None
    share: Share | None
    media: list[Media]


@dataclass(slots=True)
class Day:
    label: str
    iso: str
    anchor: str
    bubbles: Iterator[Bubble]


@dataclass
class PageLink:
    number: int
    href: str
    first: int  # positions [first, last]
    last: int
    dates: str
    messages: int


@dataclass
class PagePlace:
    number: int
    previous: PageLink | None
    next: PageLink | None


@dataclass
class Banner:
    title: str
    text: str


def banner_for(conv: Conversation) -> Banner | None:
    """What the header says about a cross-app or frozen conversation."""
    if conv.cross_app:
        apps = " ↔ ".join(PLATFORM_SHORT_NAMES.get(p, p) for p in conv.platforms)
        frozen = f", read-only since {FROZEN_SINCE}" if conv.frozen else ""
        text = (
            "From 2020 a Facebook account and an Instagram account could message each other. "
            f"In mid-{FROZEN_SINCE} Meta ended these cross-app chats: the conversations "
            "became read-only and were moved to neither app, so neither Facebook nor "
            "Instagram shows them in full any more. chatkeep found this conversation in "
            "more than one download and joined it here, each message once."
        )
        return Banner(f"Cross-app conversation ({apps}){frozen}", text)
    if conv.frozen:
        return Banner(
            f"Read-only since {FROZEN_SINCE}",
            f"Meta made this conversation read-only in mid-{FROZEN_SINCE}.",
        )
    return None


def platforms_label(platforms: list[str]) -> str:
    return ", ".join(PLATFORM_NAMES.get(p, p) for p in platforms)


def dates_label(first_ms: int | None, last_ms: int | None, tz: tzinfo) -> str:
    if first_ms is None or last_ms is None:
        return ""
    first = local(first_ms, tz).strftime("%Y-%m-%d")
    last = local(last_ms, tz).strftime("%Y-%m-%d")
    return first if first == last else f"{first} → {last}"


def href(path: str) -> str:
    """A relative link to a file in the export folder (percent-encoded)."""
    return quote(path, safe="/")


class _Pages:
    """Turns messages into the days and bubbles of one page."""

    def __init__(
        self, tz: tzinfo, media: MediaCopier, messages: Iterator[MessageView],
    ) -> None:
        self.tz = tz
        self.copier = media
        self._jpegs: dict[str, str | None] = {}  # a copied HEIC/TIFF -> its JPEG
        self.media_prefix = href(media.media_dir.name) + "/"
        self.messages = messages
        self.pending: MessageView | None = next(messages, None)
        self.written = 0

    def days(self, stop_position: int) -> Iterator[Day]:
        """The days of messages up to ``stop_position`` (inclusive)."""
        while self.pending is not None and self.pending.position <= stop_position:
            when = local(self.pending.timestamp_ms, self.tz).date()
            yield Day(
                label=f"{WEEKDAYS[when.weekday()]}, {when.isoformat()}",
                iso=when.isoformat(), anchor=f"d{when.isoformat()}",
                bubbles=self._bubbles(when, stop_position),
            )

    def _bubbles(self, day: date, stop_position: int) -> Iterator[Bubble]:
        previous: str | None = None
        tz = self.tz
        while (msg := self.pending) is not None and msg.position <= stop_position:
            when = local(msg.timestamp_ms, tz)
            if when.date() != day:
                return
            self.pending = next(self.messages, None)
            self.written += 1
            event = msg.kind == "system" and not msg.unsent and not msg.attachments
            yield Bubble(
                msg=msg,
                time=f"{when.hour:02d}:{when.minute:02d}",
                iso=when.isoformat(
                    timespec="minutes" if (msg.time_precision or 0) >= 60_000 else "seconds"),
                side="me" if msg.mine else "them",
                show_name=not event and msg.sender != previous,
                event=event,
                actor=event_actor(msg) if event else None,
                call=describe_call(msg) if msg.kind == "call" and not msg.unsent else None,
                share=_share(msg) if msg.share_link or msg.share_text else None,
                media=[self._media(att) for att in msg.attachments] if msg.attachments else [],
            )
            previous = None if event else msg.sender

    def _media(self, att: Attachment) -> Media:
        kind = att.kind or "file"
        name = attachment_name(att)
        if att.remote and att.path:
            # Linked, never embedded: showing it would fetch it from the network.
            if att.path.startswith(LINKABLE_SCHEMES):
                return Media(kind, "remote", f"{kind}: ", name, href=att.path)
            return Media(kind, "text", f"{kind}: ", att.path)
        copied = self.copier.copy(att.path, name) if att.path and not att.missing else None
        if copied is None and self.copier.skipping:  # a page written to standard output
            return Media(kind, "missing", f"{kind}: ", name, " (not copied)")
        if copied is None:
            self.copier.result.media_missing += 1
            after = f" ({att.reason})" if att.reason else ""
            return Media(kind, "missing", f"{kind} missing: ", name, after)
        target = self.media_prefix + href(copied)
        suffix = attachment_suffix(att)
        if kind == "video" or (kind == "file" and suffix in VIDEO_EXTENSIONS):
            shape = "video"
        elif kind == "audio" or (kind == "file" and suffix in AUDIO_EXTENSIONS):
            shape = "audio"
        elif is_image(att):
            shape = "image"
        else:
            shape = "file"
        if shape == "image" and Path(copied).suffix.lower() in BROWSERS_CANNOT_SHOW:
            jpeg = self._browser_copy(copied)
            if jpeg is None:  # not a picture Pillow reads: linked as a file
                return Media(kind, "file", f"{kind}: ", name, href=target)
            return Media(kind, shape, f"{kind}: ", name, href=self.media_prefix + href(jpeg),
                         original=target)
        return Media(kind, shape, f"{kind}: ", name, href=target)

    def _browser_copy(self, copied: str) -> str | None:
        """A JPEG beside ``copied`` (a HEIC or TIFF picture, which browsers do
        not show), made once; its name in the media folder, or None."""
        if copied in self._jpegs:
            return self._jpegs[copied]
        media_dir = self.copier.media_dir
        jpeg: str | None = self.copier.unique_name(f"{Path(copied).stem}.jpg")
        assert jpeg is not None
        tmp = media_dir / f".{jpeg}.partial"
        try:
            to_jpeg(media_dir / copied, tmp)
            os.replace(tmp, media_dir / jpeg)
        except (OSError, ValueError, SyntaxError):  # what Pillow raises for a damaged file
            tmp.unlink(missing_ok=True)
            jpeg = None
        self._jpegs[copied] = jpeg
        return jpeg


# Pictures no browser shows (Safari alone shows HEIC): the page shows a JPEG
# made from each, and links the original beside it.
BROWSERS_CANNOT_SHOW = frozenset({".heic", ".heif", ".tif", ".tiff"})


def to_jpeg(source: Path, dest: Path) -> None:
    """Write ``source`` (any picture Pillow reads, HEIC through pillow-heif) as
    a JPEG, turned as its EXIF orientation says (browsers read no EXIF of a
    HEIC). Raises OSError or ValueError for a file that is not such a picture."""
    from PIL import Image, ImageOps
    from pillow_heif import register_heif_opener

    register_heif_opener()
    with Image.open(source) as picture:
        upright = ImageOps.exif_transpose(picture)
        upright.convert("RGB").save(dest, "JPEG", quality=88)


def _share(msg: MessageView) -> Share:
    link, text = msg.share_link, msg.share_caption
    if link and link.startswith(LINKABLE_SCHEMES):
        return Share(" ".join((text or link).split()) or link, link)
    return Share(" ".join(p for p in (text, link) if p), None)


# --------------------------------------------------------------------------- pages


def page_file(out_path: Path, number: int) -> Path:
    """Page 1 is the file asked for; page N is ``<stem>_pageN.html`` beside it
    (a slug never holds ``_``, so no other conversation's file can be named so)."""
    if number == 1:
        return out_path
    return out_path.with_name(f"{out_path.stem}_page{number}{out_path.suffix}")


def plan_pages(
    db: Database, chosen: Selection, out_path: Path, tz: tzinfo
) -> list[PageLink]:
    """Where each page starts and ends. One page up to ``SPLIT_OVER``
    messages; beyond, pages of about ``PAGE_MESSAGES``, each starting at the
    first message of a day unless that day alone is larger than a page.
    Costs a few index look-ups per page, never a scan."""
    cid = chosen.conv.id
    starts = [chosen.first]
    if chosen.conv.messages > SPLIT_OVER:
        while starts[-1] + PAGE_MESSAGES <= chosen.last:
            nominal = starts[-1] + PAGE_MESSAGES
            ms = message_time(db, cid, nominal)
            start = nominal
            if ms is not None:
                when = local(ms, tz)
                midnight = when.replace(hour=0, minute=0, second=0, microsecond=0)
                day_start = first_on_or_after(db, cid, int(midnight.timestamp() * 1000))
                if day_start is not None and day_start > starts[-1]:
                    start = day_start
            if chosen.last - start < PAGE_MESSAGES // 5:
                break  # a small rest joins the last page
            starts.append(start)
    pages = []
    for number, first in enumerate(starts, 1):
        last = starts[number] - 1 if number < len(starts) else chosen.last
        pages.append(PageLink(
            number=number, href=href(page_file(out_path, number).name), first=first, last=last,
            dates=dates_label(message_time(db, cid, first),
                              message_time(db, cid, last), tz),
            messages=last - first + 1,
        ))
    return pages


@dataclass
class JumpMonth:
    name: str  # "Jan"
    anchor: str  # the first day of the month with a message
    page: int


@dataclass
class JumpYear:
    year: int
    months: list[JumpMonth]


MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov",
               "Dec")


def plan_jumps(db: Database, chosen: Selection, pages: list[PageLink],
               tz: tzinfo) -> list[JumpYear]:
    """Each month that has a message, by year, with the day it starts on and
    its page: the page's "Jump to a date" list. One index look-up a month."""
    if chosen.empty or chosen.conv.first_ms is None or chosen.conv.last_ms is None:
        return []
    cid = chosen.conv.id
    first, last = local(chosen.conv.first_ms, tz), local(chosen.conv.last_ms, tz)
    years: list[JumpYear] = []
    year, month = first.year, first.month
    while (year, month) <= (last.year, last.month):
        start = datetime(year, month, 1, tzinfo=tz)
        position = first_on_or_after(db, cid, int(start.timestamp() * 1000))
        if position is not None and chosen.first <= position <= chosen.last:
            ms = message_time(db, cid, position)
            day = local(ms, tz).date() if ms is not None else None
            if day is not None and (day.year, day.month) == (year, month):
                page = next((p.number for p in pages if p.first <= position <= p.last), 1)
                if not years or years[-1].year != year:
                    years.append(JumpYear(year, []))
                years[-1].months.append(JumpMonth(MONTH_NAMES[month - 1],
                                                  f"d{day.isoformat()}", page))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return years


def first_page_marker(out_path: Path) -> str:
    """The line in the head of every page after the first that says which
    export it belongs to: what :func:`_remove_stale_pages` looks for."""
    return f'<meta name="chatkeep-first-page" content="{escape(href(out_path.name))}">'


def _remove_stale_pages(out_path: Path, count: int) -> None:
    """Pages an earlier, longer export of the same file left behind: only
    those it can prove it wrote (a regular file named as its pages are, whose
    head says chatkeep made it as a page of this export), never another file."""
    pattern = re.compile(re.escape(out_path.stem) + r"_page(\d+)" + re.escape(out_path.suffix))
    if not out_path.parent.is_dir():
        return
    marks = (b'<meta name="generator" content="chatkeep">',
             first_page_marker(out_path).encode("utf-8"))
    for path in out_path.parent.iterdir():
        m = pattern.fullmatch(path.name)
        if not (m and int(m[1]) > count):
            continue
        try:
            with open_regular_file(path) as page:
                head = page.read(STALE_HEAD)
        except OSError:
            continue  # not a regular file (a link, a FIFO): not ours
        if all(mark in head for mark in marks):
            path.unlink(missing_ok=True)


# --------------------------------------------------------------------------- export


@one_snapshot
def export_html(
    db: Database,
    archive_dir: Path,
    conversation_id: int,
    out_path: Path,
    *,
    tz: tzinfo,
    span: DateRange | None = None,
    index_href: str | None = None,
    insights: Markup | None = None,
) -> ExportResult:
    """Write one conversation (its messages inside ``span``) as an HTML page,
    or several linked pages when it is long.

    Attachments are copied into ``<stem>_media/`` beside ``out_path``. Every
    page is written under a temporary name and renamed when all are complete.
    ``index_href`` links the top and the footer back to an ``index.html``; ``insights``
    is safe markup for the header (charts), drawn here from the messages
    written when not given. Raises
    :class:`names.ThreadNotFound` for an unknown id.
    """
    out_path = Path(out_path)
    chosen = select(db, conversation_id, tz, span)
    result = ExportResult(path=out_path, media_dir=media_dir_for(out_path))
    copier = MediaCopier(Path(archive_dir), result.media_dir, result)
    conv = chosen.conv
    pages = plan_pages(db, chosen, out_path, tz) if not chosen.empty else []
    source = _Pages(tz, copier, chosen.messages(db))
    template = _ENV.get_template("conversation.html.j2")
    if insights is None and not chosen.empty:
        insights = insights_svg(db, conversation_id, tz=tz, span=span)
    common: dict[str, Any] = {
        "conv": conv,
        "platforms": platforms_label(conv.platforms),
        "span_dates": dates_label(conv.first_ms, conv.last_ms, tz),
        "tz": tz_name(tz),
        "only": chosen.range.describe() if chosen.range else "",
        "downloads": sorted({part.download for part in conv.parts}),
        "banner": banner_for(conv),
        "insights": insights,
        "pages": pages,
        "jumps": plan_jumps(db, chosen, pages, tz),
        "index_href": index_href,
    }
    to_stdout = is_stdout(out_path)
    if to_stdout and len(pages) > 1:
        raise ExportRefused(f"this conversation is {len(pages)} HTML pages long; standard "
                            "output takes one: give a file (-o NAME.html)")
    written: list[tuple[Path, Path]] = []
    try:
        for number, page in enumerate(pages or [None], 1):  # an empty selection: one page
            path = page_file(out_path, number)
            place = PagePlace(
                number=number,
                previous=pages[number - 2] if number > 1 else None,
                next=pages[number] if number < len(pages) else None,
            )
            stop = page.last if page is not None else -1
            stream = template.stream(common, page=place, days=source.days(stop),
                                     first_page=Markup(first_page_marker(out_path)))
            stream.enable_buffering(64)  # fewer, larger writes
            if to_stdout:
                stream.dump(sys.stdout)
                continue
            out, tmp = partial_text(path)
            written.append((tmp, path))
            with out:
                stream.dump(out)
        for tmp, path in written:
            os.replace(tmp, path)
    except BaseException:
        for tmp, _ in written:
            tmp.unlink(missing_ok=True)
        raise
    if not to_stdout:
        _remove_stale_pages(out_path, len(written))
    result.messages = source.written
    result.pages = [path for _, path in written]
    return result


@dataclass
class IndexRow:
    conv: Conversation
    href: str
    platforms: str
    dates: str


@one_snapshot
def write_index(
    db: Database,
    out_dir: Path,
    listed: list[tuple[Conversation, Path]],
    *,
    tz: tzinfo,
    span: DateRange | None = None,
    insights: Markup | None = None,
) -> Path:
    """``index.html`` in ``out_dir``: every exported conversation (title,
    platforms, marks, count, dates and a link), most recent first, under the
    whole archive's charts (``insights``, drawn here when not given)."""
    rows = [
        IndexRow(conv, href(path.name), platforms_label(conv.platforms),
                 dates_label(conv.first_ms, conv.last_ms, tz))
        for conv, path in sorted(
            listed, key=lambda item: (-(item[0].last_ms or 0), item[0].title, item[0].id)
        )
    ]
    path = Path(out_dir) / INDEX_NAME
    template = _ENV.get_template("index.html.j2")
    if insights is None and rows:
        insights = insights_svg(db, None, tz=tz, span=span)
    out, tmp = partial_text(path)
    try:
        with out:
            out.writelines(template.generate(
                rows=rows, total=sum(r.conv.messages for r in rows), tz=tz_name(tz),
                only=span.describe() if span else "", insights=insights,
                frozen_since=FROZEN_SINCE,
            ))
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path

