"""Plain text: a conversation as ``chatkeep show`` prints it, without colour.

``show`` prints through :func:`conversation_lines` too, so the two never
drift apart. Attachments are named by their place in the archive (as the
reader shows them); nothing is copied.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, tzinfo
from pathlib import Path

from ..controls import terminal_text
from ..read.render import message_lines
from ..store.database import Database
from ..timefmt import local
from .common import (
    WEEKDAYS,
    DateRange,
    ExportResult,
    Selection,
    atomic_text,
    media_dir_for,
    one_snapshot,
    select,
)


def title_line(chosen: Selection) -> str:
    conv = chosen.conv
    only = f", only {chosen.range.describe()}" if chosen.range else ""
    return f"{conv.title}  ({conv.messages:,} messages, {'/'.join(conv.platforms)}{only})"


def day_line(day: date) -> str:
    return f"── {day.isoformat()}, {WEEKDAYS[day.weekday()]} ──"


def conversation_lines(
    db: Database, chosen: Selection, tz: tzinfo
) -> Iterator[str]:
    """Every line ``show`` prints for the chosen messages, without line ends."""
    yield title_line(chosen)
    day: date | None = None
    for msg in chosen.messages(db):
        when = local(msg.timestamp_ms, tz)
        if when.date() != day:
            day = when.date()
            yield ""
            yield day_line(day)
        yield from message_lines(msg, when)


@one_snapshot
def export_text(
    db: Database,
    archive_dir: Path,
    conversation_id: int,
    out_path: Path,
    *,
    tz: tzinfo,
    span: DateRange | None = None,
) -> ExportResult:
    """Write one conversation (its messages inside ``span``) as plain text."""
    out_path = Path(out_path)
    chosen = select(db, conversation_id, tz, span)
    result = ExportResult(path=out_path, media_dir=media_dir_for(out_path))
    with atomic_text(out_path) as out:
        for line in conversation_lines(db, chosen, tz):
            # Shown as `show` shows them: `cat` of the file cannot drive the terminal.
            out.write(terminal_text(line) + "\n")
    result.messages = chosen.conv.messages
    return result
