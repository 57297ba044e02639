"""Exports: one conversation (or all of them) written as a file a person or a
program can use without chatkeep.

Four formats, one module each: ``markdown`` (the default), ``html`` (a chat
page for a browser, with its templates in ``templates/``), ``json`` (every
field of ``show --json`` plus provenance) and ``text`` (what ``show`` prints).
All of them stream: messages are read a page at a time and written as they
come, so memory stays the same at a million messages. All of them take the
same choice of messages (:class:`DateRange`, ``--after``/``--before``), and
the formats that link attachments copy them into ``<name>_media/`` beside the
export under their content-hash names.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import tzinfo
from pathlib import Path

from ..read.conversations import Conversation, list_conversations
from ..store.database import Database
from .common import (
    EXTENSIONS,
    STDOUT,
    BadDate,
    DateRange,
    ExportRefused,
    ExportResult,
    ProgressFn,
    Selection,
    check_output,
    check_output_folder,
    conversation_slug,
    is_stdout,
    one_snapshot,
    select,
    slugify,
)
from .html import INDEX_NAME, export_html, write_index
from .json import export_json
from .markdown import (
    escape_inline,
    escape_lines,
    export_markdown,
    join_hard,
    render_header,
    split_lines,
)
from .text import export_text

__all__ = [
    "EXTENSIONS", "FORMATS", "STDOUT", "BadDate", "DateRange", "ExportRefused", "ExportResult",
    "Selection", "check_output", "conversation_slug", "escape_inline", "escape_lines",
    "export_all", "export_conversation", "export_html", "export_json", "export_markdown",
    "export_text", "is_stdout", "join_hard", "render_header", "select", "slugify",
    "split_lines",
]

ExportFn = Callable[..., ExportResult]
FORMATS: dict[str, ExportFn] = {
    "md": export_markdown,
    "html": export_html,
    "json": export_json,
    "txt": export_text,
}


def export_conversation(
    db: Database,
    archive_dir: Path,
    conversation_id: int,
    out_path: Path,
    *,
    fmt: str = "md",
    tz: tzinfo,
    span: DateRange | None = None,
) -> ExportResult:
    """Write one conversation in format ``fmt`` (a key of :data:`FORMATS`) to
    ``out_path`` (:data:`STDOUT`: standard output). Raises
    :class:`ExportRefused` for an output it must not write (see
    :func:`check_output`)."""
    check_output(archive_dir, Path(out_path))
    return FORMATS[fmt](db, archive_dir, conversation_id, Path(out_path), tz=tz, span=span)


@one_snapshot
def export_all(
    db: Database,
    archive_dir: Path,
    out_dir: Path,
    *,
    tz: tzinfo,
    fmt: str = "md",
    span: DateRange | None = None,
    progress: ProgressFn | None = None,
) -> list[Path]:
    """Export every conversation into ``out_dir``, one file each, named by
    :func:`conversation_slug`, in the order of their ids. With ``span``, a
    conversation with no message inside it is left out. HTML also gets an
    ``index.html`` listing them. ``progress`` is called once per conversation
    (see ``progress.counting_progress``)."""
    out_dir = Path(out_dir)
    check_output_folder(archive_dir, out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    listed: list[tuple[Conversation, Path]] = []
    convs = sorted(list_conversations(db, with_parts=False), key=lambda c: c.id)
    for conv in convs:
        path = out_dir / f"{conversation_slug(conv)}{EXTENSIONS[fmt]}"
        if span:
            chosen = select(db, conv.id, tz, span)
            if chosen.empty:
                if progress is not None:
                    progress()
                continue
            conv = chosen.conv
        if fmt == "html":
            check_output(archive_dir, path)
            export_html(db, archive_dir, conv.id, path, tz=tz, span=span, index_href=INDEX_NAME)
        else:
            export_conversation(db, archive_dir, conv.id, path, fmt=fmt, tz=tz, span=span)
        written.append(path)
        listed.append((conv, path))
        if progress is not None:
            progress()
    if fmt == "html":
        write_index(db, out_dir, listed, tz=tz, span=span)
    return written
