"""How one message looks in the reading pane: styled, wrapped rows.

Pure layout with no widget in it, so that the reading pane's virtual layout can
lay out a page of messages at a time and tests can check the rows directly.

A message's *block* is, top to bottom: a day separator when its local date
differs from the previous message's, a sender line when the sender changes (or
after a pause, a day change or an event), then its *body*: the time in a gutter
and the text wrapped to the width, followed by shares, calls, attachments
and reactions (with who reacted).

An attachment shows its original file name and size and what ``v`` and ``o``
do with it (or why there is no file); its path, 60-odd characters that would
wrap over two or three rows, is in the viewer (``v``). A name always takes one
row: one too long for it (a Meta video is called
``279876543219876_1234567890123456_8765432109876543210_n.mp4``) is shortened in
the middle, ``2798765432198…543210_n.mp4``, so that its start and its
extension stay in sight (:func:`shortened`); the viewer shows it whole. A photo, GIF or sticker is
followed by ``THUMB_ROWS`` picture rows: blank here, with a
:class:`PictureRow` saying which row of which picture the pane draws there
(pictures are decoded in the background, so laying out never waits for one).
A video, audio file or other file is a card: name, kind, size, duration.

A message's text is laid out up to :data:`SHOWN_CHARS` characters (a few
hundred rows), then one row says how much more there is: a message of 2 MB
would be tens of thousands of rows, seconds to wrap and a page too heavy to
keep. ``c`` copies the whole text, and ``chatkeep show`` prints it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, tzinfo

from rich.cells import cell_len, chop_cells
from rich.console import Console
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.strip import Strip

from archiver.read.attachments import Attachment
from archiver.read.messages import MessageView, event_actor
from archiver.read.render import describe_call, display_sender, human_size, spoken_length
from archiver.store.media import media_duration
from archiver.timefmt import local

from .emoji import narrow
from .thumbnails import PICTURE_KINDS, THUMB_COLUMNS, THUMB_ROWS

GUTTER = 7  # "14:03  "
# A message can carry a million reactions: past this many, the rest are counted.
REACTIONS_SHOWN = 24
# The most characters of one text laid out (about 250 rows at 80 columns).
SHOWN_CHARS = 20_000
# A pause longer than this between two messages of one sender repeats the name.
SENDER_PAUSE_MS = 30 * 60 * 1000
# What the keys do with the selected message's attachment (the path is in the viewer).
VIEW_HINT = "v views, o opens"
ELLIPSIS = "…"
ZWJ = "\u200d"
ATTACHMENT_ICONS = {
    "photo": "▣", "video": "▶", "audio": "♪", "file": "▤", "gif": "▣", "sticker": "☺",
}


MATCH_STYLE = Style(bold=True, reverse=True)


def reaction_line(reactions: list[tuple[str, str]]) -> str:
    """``❤ Ana  😂 Sam``: each reaction and who gave it, the first
    :data:`REACTIONS_SHOWN` of them, then how many more of each emoji."""
    shown = "  ".join(f"{narrow(r)} {narrow(actor)}" for actor, r in reactions[:REACTIONS_SHOWN])
    if len(reactions) <= REACTIONS_SHOWN:
        return shown
    rest = Counter(r for _actor, r in reactions[REACTIONS_SHOWN:])
    counts = "  ".join(f"{narrow(r)} {n:,}" for r, n in rest.most_common(5))
    others = "" if len(rest) <= 5 else f"  and {len(rest) - 5:,} other kinds"
    return f"{shown}  … {sum(rest.values()):,} more: {counts}{others}"


@dataclass(frozen=True)
class LineStyles:
    """The Rich styles of each part of a message (the pane takes them from its TCSS)."""

    text: Style
    day: Style
    sender: Style
    owner: Style
    time: Style
    event: Style
    note: Style
    share: Style
    attachment: Style
    missing: Style
    reaction: Style
    match: Style = MATCH_STYLE  # words of the search being shown


# For use without a screen (tests, scripts).
PLAIN_STYLES = LineStyles(
    text=Style(), day=Style(dim=True), sender=Style(bold=True),
    owner=Style(bold=True, color="cyan"), time=Style(dim=True),
    event=Style(dim=True, italic=True), note=Style(italic=True), share=Style(underline=True),
    attachment=Style(color="green"), missing=Style(color="red"), reaction=Style(dim=True),
)


@dataclass(frozen=True)
class PictureRow:
    """Row ``line`` of the picture of ``file``, drawn ``columns`` × ``rows`` cells."""

    file: str
    line: int
    columns: int
    rows: int
    indent: int


@dataclass
class Block:
    """One message laid out: its rows, and where its body starts among them."""

    rows: list[Strip]
    body_start: int
    pictures: dict[int, PictureRow] = field(default_factory=dict)  # by row in the block

    @property
    def height(self) -> int:
        return len(self.rows)


class MessageLayout:
    """Lays out messages at one width, in one zone."""

    def __init__(
        self, console: Console, width: int, tz: tzinfo, styles: LineStyles,
        marker: Callable[[str], list[tuple[str, bool]]] | None = None,
        pictures: bool = True,
    ) -> None:
        self.pictures = pictures  # thumbnails of photos, GIFs and stickers (else names only)
        self.marker = marker  # cuts a text into (piece, is a search match)
        self.console = console
        self.width = max(width, GUTTER + 10)
        self.tz = tz
        self.styles = styles

    def block(self, msg: MessageView, prev: MessageView | None) -> Block:
        """The rows of ``msg``; ``prev`` is the message just before it, if any."""
        if msg.folded:  # a reaction notice the reactions above already show
            return Block([], 0, {})
        when = local(msg.timestamp_ms, self.tz)
        prev_when = local(prev.timestamp_ms, self.tz) if prev is not None else None
        new_day = prev_when is None or prev_when.date() != when.date()
        rows: list[Strip] = []
        if new_day:
            rows.append(self._day_row(when))
        if msg.kind != "system" and (
            new_day
            or prev is None
            or prev.kind == "system"
            or prev.sender != msg.sender
            or msg.timestamp_ms - prev.timestamp_ms > SENDER_PAUSE_MS
        ):
            name = Text(
                narrow(display_sender(msg)),
                style=self.styles.owner if msg.mine else self.styles.sender,
            )
            rows.extend(self._wrap(name, indent=0))
        body_start = len(rows)
        body, pictures = self._body(msg, when)
        rows.extend(body)
        return Block(rows, body_start, {body_start + at: p for at, p in pictures.items()})

    def _day_row(self, when: datetime) -> Strip:
        label = f" {when.strftime('%Y-%m-%d, %A')} "
        side = max(0, self.width - len(label)) // 2
        line = "─" * side + label + "─" * (self.width - side - len(label))
        return self._row(Text(line[: self.width], style=self.styles.day))

    def _body(self, msg: MessageView, when: datetime) -> tuple[list[Strip], dict[int, PictureRow]]:
        s = self.styles
        parts: list[Text] = []
        hidden = 0
        if msg.kind == "system":
            actor = event_actor(msg)
            who = f"{narrow(actor)}: " if actor else ""
            text, hidden = _shown(msg.text or "")
            parts.append(Text(f"· {who}{narrow(text)}", style=s.event))
        elif msg.unsent:
            parts.append(Text("(unsent a message)", style=s.note))
        elif msg.kind == "call":
            parts.append(Text(f"☎ {describe_call(msg)}", style=s.note))
            if msg.text:
                text, hidden = _shown(msg.text)
                parts.append(self._text(text))
        elif msg.body_text:
            text, hidden = _shown(msg.body_text)
            parts.append(self._text(text))
        if hidden:
            parts.append(Text(f"… and {hidden:,} more characters, not shown here "
                              "(c copies the whole message)", style=s.note))
        if msg.edited:
            parts.append(Text("(edited)", style=s.note))
        if msg.share_link or msg.share_text:
            share = Text("↗ ", style=s.share)
            if msg.share_caption:
                share.append(narrow(_shown(msg.share_caption)[0])
                             + (" " if msg.share_link else ""), style=s.text)
            if msg.share_link:
                share.append(_shown(msg.share_link)[0], style=s.share)
            parts.append(share)
        rows: list[Strip] = []
        for part in parts:
            for line in part.split("\n", allow_blank=True):
                rows.extend(self._wrap(line, indent=GUTTER))
        pictures: dict[int, PictureRow] = {}
        for a in msg.attachments:
            rows.extend(self._attachment(a, rows, pictures))
        if msg.reactions:
            rows.extend(self._wrap(Text(reaction_line(msg.reactions), style=s.reaction),
                                   indent=GUTTER))
        if not rows:
            rows.append(self._row(Text(""), GUTTER))
        stamp = Segment(f"{when.strftime('%H:%M')}  ", s.event if msg.kind == "system" else s.time)
        first = list(rows[0])
        rows[0] = Strip([stamp, *first[1:]], rows[0].cell_length)
        return rows, pictures

    def _attachment(
        self, a: Attachment, above: list[Strip], pictures: dict[int, PictureRow]
    ) -> list[Strip]:
        """An attachment's rows: name, size and what v and o do (or why there
        is no file), then its thumbnail rows or, for video, audio and files, a card."""
        s = self.styles
        icon = ATTACHMENT_ICONS.get(a.kind, "▤")
        if a.file is None:
            rows = self._named(Text(f"{icon} {a.kind} ", style=s.attachment), a.label,
                               Text(f"missing: {a.reason}", style=s.missing))
            if a.remote and a.uri:
                rows.extend(self._fold(Text(a.uri, style=s.share), indent=GUTTER))
            return rows
        if a.kind not in PICTURE_KINDS:
            return self._card(a, icon)
        after = [Text(VIEW_HINT, style=s.time)]
        if a.size is not None:
            after.insert(0, Text(human_size(a.size), style=s.time))
        rows = self._named(Text(f"{icon} {a.kind} ", style=s.attachment), a.label, *after)
        if self.pictures:
            columns = max(1, min(THUMB_COLUMNS, self.width - GUTTER))
            start = len(above) + len(rows)
            blank = self._row(Text(""), GUTTER)
            for line in range(THUMB_ROWS):
                pictures[start + line] = PictureRow(a.file, line, columns, THUMB_ROWS, GUTTER)
                rows.append(blank)
        return rows

    def _named(self, kind: Text, label: str, *after: Text) -> list[Strip]:
        """``▣ photo NAME · what follows`` (its size, why it is missing, what
        v and o do), on one row when it fits. Else what does not fit beside
        the name goes to the next row (each part to rows of its own when
        together they do not fit), and a name too long for its row alone is
        shortened in the middle: never wrapped inside a name, never cut
        between a key and its word."""
        room = self.width - GUTTER
        name = narrow(label)

        def line(*parts: Text) -> Text:
            return Text(" · ", style=parts[0].style).join(parts)

        def head(shown: str, *tail: Text) -> Text:
            text = kind.copy()
            text.append(shown, style=self.styles.attachment)
            if tail:
                text.append_text(Text(" · ", style=tail[0].style) + line(*tail))
            return text

        # As many of the parts beside the name as fit; the name cut only when alone it does not.
        kept = next((k for k in range(len(after), -1, -1)
                     if head(name, *after[:k]).cell_len <= room), None)
        if kept is None:
            first, rest = head(shortened(name, room - kind.cell_len)), after
        else:
            first, rest = head(name, *after[:kept]), after[kept:]
        rows = [self._row(first, GUTTER)]
        if rest and line(*rest).cell_len <= room:
            rows.append(self._row(line(*rest), GUTTER))
        else:
            for part in rest:  # each on rows of its own (a long reason wrapped at words)
                rows.extend(self._wrap(part.copy(), indent=GUTTER))
        return rows

    def _card(self, a: Attachment, icon: str) -> list[Strip]:
        """A framed card for a file the terminal cannot show: name (on one
        row, shortened in the middle if need be), kind, size, length, and
        what v and o do."""
        s = self.styles
        inner = max(8, min(self.width - GUTTER - 4, 60))
        facts = [a.kind]
        if a.size is not None:
            facts.append(human_size(a.size))
        if a.kind in ("video", "audio"):
            seconds = media_duration(a.file) if a.file else None
            if seconds is not None:
                facts.append(spoken_length(seconds))
        lines: list[Text] = []
        name = Text(f"{icon} ", style=s.attachment)
        name.append(shortened(narrow(a.label), inner - name.cell_len),
                    style=s.attachment + Style(bold=True))
        lines.append(name)
        said = " · ".join(facts)
        if len(said) + 3 + len(VIEW_HINT) <= inner:
            said += f" · {VIEW_HINT}"
        lines.extend(Text(said, style=s.text).wrap(self.console, inner))
        if VIEW_HINT not in said:  # on its own row rather than cut between a key and its word
            lines.append(Text(VIEW_HINT, style=s.text))
        frame = s.time
        rows = [self._row(Text("╭" + "─" * (inner + 2) + "╮", style=frame), GUTTER)]
        for line in lines:
            line.rstrip()
            text = Text("│ ", style=frame)
            text.append_text(line)
            text.append(" " * max(0, inner - line.cell_len) + " │", style=frame)
            rows.append(self._row(text, GUTTER))
        rows.append(self._row(Text("╰" + "─" * (inner + 2) + "╯", style=frame), GUTTER))
        return rows

    def _text(self, plain: str) -> Text:
        """A message's text, with the words of the search being shown marked."""
        if self.marker is None:
            return Text(narrow(plain), style=self.styles.text)
        text = Text(style=self.styles.text)
        for piece, hit in self.marker(plain):
            text.append(narrow(piece), style=self.styles.match if hit else None)
        return text

    def _wrap(self, text: Text, *, indent: int) -> list[Strip]:
        width = self.width - indent
        if text.cell_len <= width and "\t" not in text.plain:
            return [self._row(text, indent)]
        return [self._row(line, indent) for line in text.wrap(self.console, width, overflow="fold")]

    def _fold(self, text: Text, *, indent: int) -> list[Strip]:
        """Rows of ``text`` cut anywhere (paths and links have no words)."""
        offsets = _fold_offsets(text.plain, self.width - indent)
        return [self._row(line, indent) for line in text.divide(offsets)]

    def _row(self, text: Text, indent: int = 0) -> Strip:
        """One row, indented and padded to the full width (so a cursor
        background covers it edge to edge)."""
        text.rstrip()
        # The indent is always the first segment: _body swaps it for the time.
        segments = [Segment(" " * indent)]
        base = text.style if isinstance(text.style, Style) else Style.parse(text.style or "none")
        rendered = Segment.apply_style(text.render(self.console), base)
        segments.extend(seg for seg in rendered if seg.text != "\n")
        return Strip(segments).adjust_cell_length(self.width)


def _shown(text: str) -> tuple[str, int]:
    """The part of ``text`` laid out (cut at a space near SHOWN_CHARS when
    there is one), and how many characters are left out."""
    if len(text) <= SHOWN_CHARS:
        return text, 0
    cut = text.rfind(" ", SHOWN_CHARS - 200, SHOWN_CHARS)
    cut = cut if cut > 0 else SHOWN_CHARS
    return text[:cut], len(text) - cut


def shortened(name: str, cells: int) -> str:
    """``name`` in at most ``cells`` terminal cells: whole when it fits, else
    its start, "…" and its end with the extension, ``2798765432198…543210_n.mp4``.
    Measured in cells (a CJK character or an emoji takes two), and never cut
    inside a character made of several code points (an accent, an emoji
    sequence)."""
    if cell_len(name) <= cells:
        return name
    if cells < 1:
        return ""
    room = cells - 1
    parts = _clusters(name)
    widths = [cell_len(part) for part in parts]
    stem, dot, extension = name.rpartition(".")
    # Half for the end, more when the extension needs it (at least a cell for the start).
    end_room = room // 2
    if stem and dot:
        end_room = max(end_room, min(cell_len(dot + extension), room - 1))
    start, used = 0, 0
    while start < len(parts) and used + widths[start] <= room - end_room:
        used += widths[start]
        start += 1
    end, tail_used = len(parts), 0
    while end > start and tail_used + widths[end - 1] <= room - used:
        end -= 1
        tail_used += widths[end]
    return "".join(parts[:start]) + ELLIPSIS + "".join(parts[end:])


def _clusters(text: str) -> list[str]:
    """``text`` cut into what a terminal draws as one character: a character
    with the accents, selectors and joined emoji that follow it."""
    parts: list[str] = []
    for char in text:
        if parts and (cell_len(char) == 0 or parts[-1].endswith(ZWJ)):
            parts[-1] += char
        else:
            parts.append(char)
    return parts


def shown_path(file: str) -> str:
    """How a file's absolute path is written on screen (tests replace it, so
    that screenshots do not depend on where the test archive was made)."""
    return file


def _fold_offsets(plain: str, width: int) -> list[int]:
    offsets: list[int] = []
    at = 0
    for piece in chop_cells(plain, width)[:-1]:
        at += len(piece)
        offsets.append(at)
    return offsets

