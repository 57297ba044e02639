"""The reader's media keys, on the selected message's attachments: ``o`` hands
a file to the system's viewer, ``v`` shows it in the reader's own viewer
(← and → through the conversation's media), ``m`` shows the conversation's
media as a gallery of thumbnails.

An attachment without a file in the archive says why (``Attachment.reason``)
instead of opening. The system's viewer is started in a worker thread: its
answer may take seconds.
"""

from __future__ import annotations

from pathlib import Path

from textual import work

from archiver.read.attachments import Attachment, conversation_media
from archiver.store.database import Database

from . import desktop
from .components.media_gallery import MediaGallery
from .components.media_viewer import MediaViewer
from .components.reading_pane import ReadingPane
from .thumbnails import ThumbnailCache


class MediaKeys:
    """``o``, ``v`` and ``m`` of :class:`~tui.app.ChatkeepReader` (mixed into
    it, which binds the keys and holds the state below)."""

    db: Database | None
    pane: ReadingPane
    thumbnails: ThumbnailCache | None  # None: pictures are off (--images off)

    def action_open_attachment(self) -> None:
        msg = self.pane.selected
        if msg is None:
            self.notify("Open a conversation and select a message first.")
            return
        if not msg.attachments:
            self.notify("The selected message has no attachment.")
            return
        files = [a for a in msg.attachments if a.file]
        if not files:
            a = msg.attachments[0]
            self.notify(f"{a.label} is not in the archive: {a.reason}.", severity="warning")
            return
        self.open_file(files[0], more=len(files) - 1)

    def open_file(self, a: Attachment, *, more: int = 0) -> None:
        """Hand an attachment's file to the system's viewer or player."""
        if not a.file or not Path(a.file).exists():
            self.notify(f"{a.label} is not in the archive: {a.reason or 'its file is gone'}.",
                        severity="warning")
            return
        self._open_in_viewer(a, more)

    @work(thread=True, group="open")
    def _open_in_viewer(self, a: Attachment, more: int) -> None:
        # Off the UI thread: the opener's answer may take a few seconds.
        assert a.file is not None
        try:
            desktop.open_in_viewer(Path(a.file))
        except desktop.NoViewer as exc:
            self.call_from_thread(
                self.notify, f"This system has no {exc} to open files with; the file is {a.file}",
                severity="warning", timeout=10)
            return
        except desktop.ViewerFailed as exc:
            self.call_from_thread(
                self.notify, f"Could not open {a.label} ({exc}); the file is {a.file}",
                severity="error", timeout=10)
            return
        except OSError as exc:
            self.call_from_thread(
                self.notify, f"Could not open {a.file}: {exc.strerror or exc}", severity="error")
            return
        extra = f" (the first of {more + 1})" if more else ""
        self.call_from_thread(self.notify, f"Opened {a.label}{extra}: {a.file}")

    def _media(self) -> list[tuple[int, Attachment]]:
        conv = self.pane.conversation
        assert self.db is not None and conv is not None
        return conversation_media(self.db, conv.id)

    def action_view_media(self) -> None:
        """The full-pane viewer, on the selected message's first attachment."""
        msg = self.pane.selected
        if msg is None or self.thumbnails is None:
            self.notify("Open a conversation and select a message first." if msg is None
                        else "Pictures are off (--images off).")
            return
        if not msg.attachments:
            self.notify("The selected message has no photo or attachment to view.")
            return
        media = self._media()
        index = next((i for i, (p, _) in enumerate(media) if p == msg.position), 0)
        self._open_viewer(media, index)

    def _open_viewer(self, media: list[tuple[int, Attachment]], index: int) -> None:
        assert self.thumbnails is not None

        def back(position: int | None) -> None:
            if position is not None:
                self.pane.move_cursor(position, context=max(self.pane.size.height // 3, 1))
            self.pane.focus()

        self.push_screen(MediaViewer(self.thumbnails, media, index), back)

    def action_gallery(self) -> None:
        conv = self.pane.conversation
        if conv is None:
            self.notify("Open a conversation first.")
            return
        if self.thumbnails is None:
            self.notify("Pictures are off (--images off).")
            return
        media = self._media()
        if not media:
            self.notify("This conversation has no photos or other media.")
            return

        def chosen(result: tuple[str, int] | None) -> None:
            if result is None:
                self.pane.focus()
            elif result[0] == "jump":
                self.pane.move_cursor(result[1], context=max(self.pane.size.height // 3, 1))
                self.pane.focus()
            else:
                self._open_viewer(media, result[1])

        self.push_screen(MediaGallery(self.thumbnails, media, conv.title), chosen)
