"""The reader on an archive made by an attacker: a FIFO where a photo or
``reader.json`` should be freezes nothing (``q`` still quits), and a media
path through a link is never shown, decoded or opened."""

from __future__ import annotations

import asyncio
import os
import sqlite3
from pathlib import Path

import pytest
from textual.pilot import Pilot

from tests.support.exports import import_thread, ms, tiny_png, uri
from tests.support.reader import pictures_ready, reader, screen_lines, status_line
from tui import desktop
from tui.components.media_gallery import MediaGallery
from tui.components.media_viewer import MediaViewer
from tui.thumbnails import CannotShow, decode

FOLDER = "mayachen_10"


def hostile_archive(tmp_path: Path) -> Path:
    """Three photos: a good one, one whose copy is a FIFO, and one whose
    media path goes through ``media/ee``, a link to a folder outside."""
    messages = [
        {"sender_name": "Maya Chen", "timestamp_ms": ms("2024-05-01T10:00") + i * 60_000,
         "content": f"photo {i}", "photos": [{"uri": uri(FOLDER, f"photos/{i}.png")}]}
        for i in range(3)
    ]
    archive = import_thread(tmp_path, messages, title="Maya Chen", folder=FOLDER,
                            participants=("Maya Chen", "Jordan Lee"),
                            files={f"photos/{i}.png": tiny_png(40 * i) for i in range(3)})
    conn = sqlite3.connect(archive / "chatkeep.db")
    paths = dict(conn.execute("SELECT name, media_path FROM attachments"))
    fifo = archive / paths["1.png"]
    fifo.unlink()
    os.mkfifo(fifo)
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.png").write_bytes(tiny_png(200))
    (archive / "media" / "ee").symlink_to(outside)
    with conn:
        conn.execute("UPDATE attachments SET media_path = 'media/ee/secret.png' "
                     "WHERE name = '2.png'")
    conn.close()
    return archive


def quits_with_q(app: object, scenario: object) -> None:
    """Run the scenario, then press q: the reader must end within seconds."""

    async def main() -> None:
        async with app.run_test(size=(120, 40)) as pilot:  # type: ignore[attr-defined]
            await pilot.pause()
            await scenario(pilot)  # type: ignore[operator]
            await pilot.press("q")
            for _ in range(100):
                await pilot.pause()
                if not app.is_running:  # type: ignore[attr-defined]
                    break

    asyncio.run(asyncio.wait_for(main(), timeout=60))
    assert app.return_code == 0  # type: ignore[attr-defined]


def test_a_fifo_as_media_freezes_neither_pane_gallery_nor_viewer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    archive = hostile_archive(tmp_path)
    opened: list[Path] = []
    monkeypatch.setattr(desktop, "open_in_viewer", opened.append)
    app = reader(archive)

    async def scenario(pilot: Pilot) -> None:
        await pilot.press("enter")
        await pictures_ready(pilot)
        text = "\n".join(screen_lines(app))
        assert "a FIFO in the archive folder, not a file" in text
        assert "outside the archive" in text
        assert str(tmp_path / "outside") not in text
        await pilot.press("m")
        await pictures_ready(pilot)
        assert isinstance(app.screen, MediaGallery)
        await pilot.press("v")
        await pictures_ready(pilot)
        assert isinstance(app.screen, MediaViewer)
        for step in ("left", "left", "left", "right", "right", "right"):  # every photo
            await pilot.press("o")
            await pilot.pause()
            await pilot.press(step)
            await pictures_ready(pilot)
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("escape")
        await pilot.pause()
        # Only the good photo is handed to the system's viewer.
        (good,) = [a.file for _, a in app._media() if a.name == "0.png"]
        assert opened and {str(p) for p in opened} == {good}

    quits_with_q(app, scenario)


def test_reader_json_as_a_fifo_does_not_hang_the_start(tmp_path: Path) -> None:
    archive = hostile_archive(tmp_path)
    os.mkfifo(archive / "reader.json")
    app = reader(archive)

    async def scenario(pilot: Pilot) -> None:
        await pilot.pause()
        assert (await status_line(pilot)) == (f"{archive / 'reader.json'} is a FIFO, not a file: "
                                              "the reader's choices are not remembered.")
        assert "Maya Chen" in "\n".join(screen_lines(app))

    quits_with_q(app, scenario)


def test_decoding_refuses_a_fifo_swapped_in_after_listing(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "photo.png")
    with pytest.raises(CannotShow, match="a FIFO, not a file"):
        decode(tmp_path / "photo.png", (32, 32))
    (tmp_path / "link.png").symlink_to("/dev/zero")
    with pytest.raises(CannotShow, match="a symbolic link, not a file"):
        decode(tmp_path / "link.png", (32, 32))
