"""Names, titles, texts and file names that look like markup are shown as
written on every screen of the reader, and none of them becomes a link or a
clickable action (``[@click=app.quit]`` must not quit when clicked)."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from archiver import export
from archiver.export import export_conversation
from archiver.ingest.importer import import_downloads
from tests.support.markup import (
    MARKUP_FILE,
    MARKUP_MISSING,
    MARKUP_NAMES,
    MARKUP_PHOTO,
    MARKUP_TITLE,
    markup_download,
)
from tests.support.reader import drive, pictures_ready, reader, screen_lines, status_line
from tui import desktop
from tui.components.insights_screen import InsightsScreen
from tui.components.media_gallery import MediaGallery
from tui.components.media_viewer import MediaViewer
from tui.components.search_screen import SearchScreen

SIZE = (160, 50)


@pytest.fixture(scope="module")
def markup_archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("markup")
    report = import_downloads(root / "archive", [markup_download(root)], copy_media=True)
    assert not report.errors
    return root / "archive"


def shown(app: Any) -> str:
    return "\n".join(screen_lines(app))


def no_links_or_actions(app: Any) -> None:
    """Nothing drawn from the data carries a hyperlink or a click action."""
    for strip in app.screen._compositor.render_strips():
        for segment in strip:
            style = segment.style
            if style is None or not segment.text.strip():
                continue
            assert style.link is None, segment
            assert "app.quit" not in str(style.meta), segment


async def open_plans(pilot: Pilot) -> None:
    await pilot.press("enter")  # the only conversation, highlighted
    await pictures_ready(pilot)


def test_list_header_and_pane_show_markup_as_written(markup_archive: Path) -> None:
    app = reader(markup_archive)

    async def scenario(pilot: Pilot) -> None:
        lines = [line[:42].strip() for line in screen_lines(app)]  # the list, title wrapped
        assert " ".join(lines[2:5]) == MARKUP_TITLE
        await open_plans(pilot)
        text = shown(app)
        assert MARKUP_TITLE in screen_lines(app)[0]  # the header
        for name in MARKUP_NAMES:
            assert f"{name} says [b]hi[/b] [/]" in text
            assert f"[/] {name}" in text  # the reaction and who gave it
        for file in (MARKUP_FILE, MARKUP_PHOTO, MARKUP_MISSING):
            assert file in text
        assert "[link=https://evil.example]share[/link]" in text
        no_links_or_actions(app)
        # Clicking the names, the header and the list does nothing harmful.
        for y, line in enumerate(screen_lines(app)):
            for needle in ("[@click=app.quit]", "[link=", "Jo [/s]"):
                if needle in line:
                    await pilot.click(offset=(line.index(needle) + 2, y))
        await pilot.pause()
        assert app.is_running and app.return_code is None
        await pilot.press("f", *"[@click", "enter")  # the filter takes it as text
        assert app.is_running and MARKUP_TITLE in shown(app)

    drive(app, scenario, size=SIZE)


def test_search_screen_shows_markup_as_written(markup_archive: Path) -> None:
    app = reader(markup_archive)

    async def scenario(pilot: Pilot) -> None:
        await pilot.press("slash", *"says")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(app.screen, SearchScreen)
        text = shown(app)
        for name in MARKUP_NAMES:
            assert name in text
        assert "[b]hi[/b] [/]" in text
        no_links_or_actions(app)
        await pilot.press("enter")  # the hit's label goes to the header
        await pilot.pause()
        assert app.is_running and MARKUP_TITLE in shown(app)

    drive(app, scenario, size=SIZE)


def test_gallery_viewer_and_notifications_show_markup_as_written(
    markup_archive: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    opened: list[Path] = []
    monkeypatch.setattr(desktop, "open_in_viewer", opened.append)
    monkeypatch.chdir(tmp_path)
    go = threading.Event()

    def export_when_told(*args: Any, **kwargs: Any) -> Any:
        go.wait(timeout=30)  # "Exporting …" stays on the status line until then
        return export_conversation(*args, **kwargs)

    monkeypatch.setattr(export, "export_conversation", export_when_told)
    app = reader(markup_archive)

    async def scenario(pilot: Pilot) -> None:
        await open_plans(pilot)
        await pilot.press("m")
        await pictures_ready(pilot)
        assert isinstance(app.screen, MediaGallery)
        text = shown(app)
        assert f"{MARKUP_TITLE} · 3 media, newest first" in text
        # Names cut in the middle to the cell, brackets and all.
        assert 'notes [d…2"].pdf' in text and "[@click=…pic.png" in text
        no_links_or_actions(app)
        await pilot.press("right", "v")
        await pictures_ready(pilot)
        assert isinstance(app.screen, MediaViewer)
        assert f"2 of 3 · photo · {MARKUP_PHOTO}" in shown(app)
        await pilot.press("left")
        assert f"1 of 3 · file · {MARKUP_FILE}" in shown(app)
        await pilot.press("o")  # a toast over the viewer
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert opened and f"Opened {MARKUP_FILE}: " in shown(app)
        no_links_or_actions(app)
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("o")  # the status line under the pane
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert (await status_line(pilot)) == f"Opened {MARKUP_FILE}: {opened[-1]}"
        assert f"Opened {MARKUP_FILE}: " in shown(app)
        await pilot.press("e", "enter")  # the export waits until the title has been read
        assert (await status_line(pilot)) == f"Exporting {MARKUP_TITLE}…"
        go.set()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert "Exported 8 messages to" in shown(app) and app.is_running

    async def main() -> None:
        async with app.run_test(size=SIZE, notifications=True) as pilot:  # toasts drawn
            await pilot.pause()
            await scenario(pilot)

    asyncio.run(main())


def test_insights_show_markup_as_written(markup_archive: Path) -> None:
    app = reader(markup_archive)

    async def scenario(pilot: Pilot) -> None:
        await open_plans(pilot)
        await pilot.press("i")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(app.screen, InsightsScreen) and app.screen.data is not None
        text = shown(app)
        assert f"Insights  {MARKUP_TITLE}" in text
        assert "Jo [/s]" in text and "Sam [he/him]" in text
        no_links_or_actions(app)
        await pilot.press("end")
        await pilot.pause()
        text = shown(app)
        assert "[@click=app.quit] [/]" in text  # who gives reactions, and their favourite
        no_links_or_actions(app)

    drive(app, scenario, size=SIZE)
