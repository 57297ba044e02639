"""How one message looks in the reading pane: styled, wrapped rows.

Pure layout with no widget in it, so that the reading pane's virtual layout can
lay out a page of messages at a time and tests can check the rows directly.

A message's *block* is, top to bottom: a day separator when its local date
differs from the previous message's, a sender line when the sender changes (or
after a pause, a day change or an event), then its *body*: the time in a gutter
and the text wrapped to the width, followed by shares, calls, attachments
(with their archived path) and reactions (with who reacted).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, tzinfo

from rich.cells import chop_cells
from rich.console import Console
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.strip import Strip

from archiver.render import describe_call, display_sender
from archiver.timefmt import local
from archiver.views import MessageView

GUTTER = 7  # "14:03  "
# A pause longer than this between two messages of one sender repeats the name.
SENDER_PAUSE_MS = 30 * 60 * 1000
ATTACHMENT_ICONS = {
    "photo": "▣", "video": "▶", "audio": "♪", "file": "▤", "gif": "▣", "sticker": "☺",
}


MATCH_STYLE = Style(bold=True, reverse=True)


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


@dataclass
class Block:
    """One message laid out: its rows, and where its body starts among them."""

    rows: list[Strip]
    body_start: int

    @property
    def height(self) -> int:
        return len(self.rows)


class MessageLayout:
    """Lays out messages at one width, in one zone, for one archive owner."""

    def __init__(
        self, console: Console, width: int, tz: tzinfo, owners: set[str], styles: LineStyles,
        marker: Callable[[str], list[tuple[str, bool]]] | None = None,
    ) -> None:
        self.marker = marker  # cuts a text into (piece, is a search match)
        self.console = console
        self.width = max(width, GUTTER + 10)
        self.tz = tz
        self.owners = owners
        self.styles = styles

    def block(self, msg: MessageView, prev: MessageView | None) -> Block:
        """The rows of ``msg``; ``prev`` is the message just before it, if any."""
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
            owner = msg.sender in self.owners
            name = Text(
                display_sender(msg, self.owners),
                style=self.styles.owner if owner else self.styles.sender,
            )
            rows.extend(self._wrap(name, indent=0))
        body_start = len(rows)
        rows.extend(self._body(msg, when))
        return Block(rows, body_start)

    def _day_row(self, when: datetime) -> Strip:
        label = f" {when.strftime('%Y-%m-%d, %A')} "
        side = max(0, self.width - len(label)) // 2
        line = "─" * side + label + "─" * (self.width - side - len(label))
        return self._row(Text(line[: self.width], style=self.styles.day))

    def _body(self, msg: MessageView, when: datetime) -> list[Strip]:
        s = self.styles
        parts: list[Text] = []
        if msg.kind == "system":
            parts.append(Text(f"· {msg.text or ''}", style=s.event))
        elif msg.unsent:
            parts.append(Text("(unsent a message)", style=s.note))
        elif msg.kind == "call":
            parts.append(Text(f"☎ {describe_call(msg)}", style=s.note))
            if msg.text:
                parts.append(self._text(msg.text))
        elif msg.text:
            parts.append(self._text(msg.text))
        if msg.edited:
            parts.append(Text("(edited)", style=s.note))
        if msg.share_link or msg.share_text:
            share = Text("↗ ", style=s.share)
            if msg.share_text:
                share.append(msg.share_text + (" " if msg.share_link else ""), style=s.text)
            if msg.share_link:
                share.append(msg.share_link, style=s.share)
            parts.append(share)
        folded: set[int] = set()  # paths are cut anywhere, not moved to a row of their own
        for a in msg.attachments:
            where = a.path or a.uri or a.name or ""
            row = Text(f"{ATTACHMENT_ICONS.get(a.kind, '▤')} {a.kind} {where}", style=s.attachment)
            if a.missing:
                row.append(" (missing)", style=s.missing)
            folded.add(len(parts))
            parts.append(row)
        if msg.reactions:
            parts.append(
                Text("  ".join(f"{r} {actor}" for actor, r in msg.reactions), style=s.reaction)
            )
        if not parts:
            parts.append(Text(""))
        rows: list[Strip] = []
        for i, part in enumerate(parts):
            for line in part.split("\n", allow_blank=True):
                if i in folded:
                    rows.extend(self._fold(line, indent=GUTTER))
                else:
                    rows.extend(self._wrap(line, indent=GUTTER))
        stamp = Segment(f"{when.strftime('%H:%M')}  ", s.event if msg.kind == "system" else s.time)
        first = list(rows[0])
        rows[0] = Strip([stamp, *first[1:]], rows[0].cell_length)
        return rows

    def _text(self, plain: str) -> Text:
        """A message's text, with the words of the search being shown marked."""
        if self.marker is None:
            return Text(plain, style=self.styles.text)
        text = Text(style=self.styles.text)
        for piece, hit in self.marker(plain):
            text.append(piece, style=self.styles.match if hit else None)
        return text

    def _wrap(self, text: Text, *, indent: int) -> list[Strip]:
        width = self.width - indent
        if text.cell_len <= width and "\t" not in text.plain:
            return [self._row(text, indent)]
        return [self._row(line, indent) for line in text.wrap(self.console, width, overflow="fold")]

    def _fold(self, text: Text, *, indent: int) -> list[Strip]:
        width = self.width - indent
        offsets: list[int] = []
        at = 0
        for piece in chop_cells(text.plain, width)[:-1]:
            at += len(piece)
            offsets.append(at)
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
