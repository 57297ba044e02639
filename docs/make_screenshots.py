"""Make the README's screenshots from the demo downloads, the same way every time.

    python docs/make_screenshots.py

Imports ``sample_exports/`` into a temporary archive, then writes into
``docs/``:

- ``reader-80x24.png`` and ``reader-120x40.png``: the reader on Ana María's
  conversation at the photo of the spare room, at 80×24 and 120×40 (Textual's
  own SVG screenshot of a headless run, pictures drawn as half blocks, turned
  into PNG by Chromium);
- ``html-export.png`` and ``html-export-phone.png``: the HTML export of the
  cross-app Maya Chen conversation with its charts, at 1280 and 390 pixels
  wide (``chromium --headless --screenshot``).

Needs Chromium (``apt-get install chromium``); times are in Europe/Lisbon, so
the shots do not depend on the machine's zone.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("TEXTUAL_ANIMATIONS", "none")

DOCS = Path(__file__).resolve().parent
REPO = DOCS.parent
sys.path.insert(0, str(REPO))

from archiver.export import export_html
from archiver.ingest.importer import import_downloads
from archiver.read.conversations import list_conversations
from archiver.store.opening import open_archive
from archiver.timefmt import resolve_tz

ZONE = "Europe/Lisbon"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
         "--force-device-scale-factor=1", "--disable-background-networking",
         "--no-first-run"]


def chromium_png(page: Path, png: Path, width: int, height: int) -> None:
    """A PNG of ``page`` (an SVG or HTML file) in a ``width`` × ``height`` window."""
    subprocess.run([CHROMIUM, *FLAGS, f"--screenshot={png}", f"--window-size={width},{height}",
                    page.as_uri()], check=True, capture_output=True, timeout=120)


def svg_size(svg: Path) -> tuple[int, int]:
    match = re.search(r'viewBox="0 0 ([\d.]+) ([\d.]+)"', svg.read_text(encoding="utf-8"))
    assert match, svg
    return round(float(match[1])), round(float(match[2]))


def photo_position(archive: Path, title: str) -> tuple[int, int]:
    """The conversation titled ``title`` and the position of its last photo."""
    db = open_archive(archive, readonly=True)
    try:
        [conv] = [c for c in list_conversations(db) if c.title == title]
        [(position,)] = db.execute(
            "SELECT MAX(m.position) FROM messages m JOIN attachments a ON a.message_id = m.id "
            "WHERE m.conversation_id = ? AND a.kind = 'photo'", (conv.id,)).fetchall()
        return conv.id, position
    finally:
        db.conn.close()


async def reader_svg(archive: Path, size: tuple[int, int], out: Path) -> None:
    from tui.app import ChatkeepReader

    cid, position = photo_position(archive, "Ana María González")
    app = ChatkeepReader(archive, tz=ZONE, images="blocks", thread=cid)
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        pane = app.pane
        for _ in range(100):  # the conversation opens after the first paint
            if pane.conversation is not None:
                break
            await pilot.pause(0.05)
        pane.show_at_top(max(position - 1, 0))  # the message before it, then the photo
        pane.move_cursor(position)
        await pilot.pause()
        cache = app.thumbnails
        for _ in range(500):  # the thumbnails are decoded in a thread
            await pilot.pause(0.01)
            if cache is None or not cache.pending:
                break
        await pilot.pause(0.2)
        app.save_screenshot(out.name, str(out.parent))


def main() -> None:
    work = Path(tempfile.mkdtemp(prefix="chatkeep-shots-"))
    try:
        archive = work / "archive"
        samples = sorted(p for p in (REPO / "sample_exports").iterdir() if p.is_dir())
        import_downloads(archive, samples, copy_media=True)
        for columns, rows in ((80, 24), (120, 40)):
            svg = work / f"reader-{columns}x{rows}.svg"
            asyncio.run(reader_svg(archive, (columns, rows), svg))
            width, height = svg_size(svg)
            chromium_png(svg, DOCS / f"reader-{columns}x{rows}.png", width, height)
        db = open_archive(archive, readonly=True)
        [maya] = [c.id for c in list_conversations(db) if c.title == "Maya Chen"]
        page = work / "html" / "maya.html"
        export_html(db, archive, maya, page, tz=resolve_tz(ZONE))
        db.conn.close()
        chromium_png(page, DOCS / "html-export.png", 1280, 1400)
        chromium_png(page, DOCS / "html-export-phone.png", 390, 1400)
        for name in ("reader-80x24", "reader-120x40", "html-export", "html-export-phone"):
            print(f"wrote docs/{name}.png")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
