"""The reader's export key: ``e`` asks for a format (the last one chosen
first, remembered beside the archive by ``preferences``) and writes the open
conversation where ``chatkeep export`` would, in a worker thread with its own
read-only connection, so the reader stays responsive and never writes to the
archive.
"""

from __future__ import annotations

from datetime import tzinfo
from pathlib import Path

from textual import work

from archiver.read import names
from archiver.read.conversations import Conversation
from archiver.store.opening import ArchiveError, open_archive

from . import preferences
from .components.export_format import ExportFormat
from .components.reading_pane import ReadingPane


class ExportKeys:
    """``e`` of :class:`~tui.app.ChatkeepReader` (mixed into it, which binds
    the key and holds the state below)."""

    archive_dir: Path
    tz: tzinfo
    pane: ReadingPane
    export_format: str  # the last format chosen, offered first next time

    def action_export(self) -> None:
        conv = self.pane.conversation
        if conv is None:
            self.notify("Open a conversation first.")
            return

        def chosen(fmt: str | None) -> None:
            if fmt is None:
                return
            self.export_format = fmt  # highlighted next time, in this session and later ones
            preferences.remember(self.archive_dir, export_format=fmt)
            self.notify(f"Exporting {conv.title}…", timeout=2)
            self.export_conversation(conv, fmt)

        self.push_screen(ExportFormat(self.export_format), chosen)

    @work(thread=True, exclusive=True, name="export", group="export")
    def export_conversation(self, conv: Conversation, fmt: str = "md") -> None:
        """Write the conversation as Markdown or HTML into the current folder
        (where ``chatkeep export`` would write it too), named as ``export
        --all`` names it."""
        from archiver.export import EXTENSIONS, conversation_slug, export_conversation

        out = Path.cwd() / f"{conversation_slug(conv)}{EXTENSIONS[fmt]}"
        try:
            db = open_archive(self.archive_dir, readonly=True)
            try:
                result = export_conversation(db, self.archive_dir, conv.id, out, fmt=fmt,
                                             tz=self.tz)
            finally:
                db.conn.close()
        except (OSError, ArchiveError, names.ThreadNotFound) as exc:
            self.call_from_thread(
                self.notify, f"Could not export: {exc}", severity="error", timeout=8
            )
            return
        media = f", attachments in {result.media_dir.name}/" if result.media_copied else ""
        pages = f" and {len(result.pages) - 1} more pages" if len(result.pages) > 1 else ""
        self.call_from_thread(
            self.notify, f"Exported {result.messages:,} messages to {out}{pages}{media}",
            timeout=8,
        )
