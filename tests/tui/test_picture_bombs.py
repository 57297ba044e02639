"""A conversation holding picture bombs (PNGs of half a megabyte claiming
13,000 × 13,000 and 9,400 × 9,400 pixels) opens in the reader at once, says
why they are not shown, shows the other photos, and stays small: measured in
a process of its own, so that nothing else the tests did counts."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from PIL import Image

from archiver.ingest.importer import import_downloads
from tests.support.downloads import write_thread
from tests.support.paths import REPO
from tests.support.pictures import png_bomb

FOLDER = "your_facebook_activity/messages/inbox/bombs_1"

SCENARIO = r'''
import asyncio, json, os, sys, time
os.environ["TEXTUAL_ANIMATIONS"] = "none"
from tests.support.processes import peak_mb
from tests.support.reader import screen_lines
from tui.app import ChatkeepReader

async def main():
    app = ChatkeepReader(sys.argv[1], tz="UTC")
    async with app.run_test(size=(120, 60)) as pilot:
        await pilot.pause()
        started = time.perf_counter()
        await pilot.press("enter")
        while app.thumbnails.pending or not app.pane.rows:
            await asyncio.sleep(0.02)
            if time.perf_counter() - started > 60:
                break
        await pilot.pause()
        seconds = time.perf_counter() - started
        await pilot.press("q")  # still answering keys
        lines = screen_lines(app)
    print(json.dumps({"seconds": seconds, "lines": lines, "quit": not app.is_running,
                      "max_rss_mb": peak_mb()}))

asyncio.run(main())
'''


def test_picture_bombs_in_the_open_conversation(tmp_path: Path) -> None:
    dl = tmp_path / "facebook-jordanlee-2025"
    folder = dl / FOLDER
    (folder / "photos").mkdir(parents=True)
    png_bomb(folder / "photos" / "wide.png", 13000, 13000)
    png_bomb(folder / "photos" / "clear.png", 9400, 9400, alpha=True)
    Image.new("RGB", (120, 80), (30, 160, 60)).save(folder / "photos" / "meadow.jpg")
    messages = [
        {"sender_name": "Ana", "timestamp_ms": 1_700_000_000_000 + 60_000 * i,
         "photos": [{"uri": f"{FOLDER}/photos/{name}"}]}
        for i, name in enumerate(["wide.png", "clear.png", "meadow.jpg"])
    ]
    write_thread(folder, messages[::-1], title="Bombs")
    archive = tmp_path / "archive"
    assert not import_downloads(archive, [dl]).errors
    done = subprocess.run([sys.executable, "-c", SCENARIO, str(archive)], check=False, cwd=REPO,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    screen = "\n".join(result["lines"])
    assert "(cannot show it: too large to show here (13,000 × 13,000 pixels))" in screen
    assert "(cannot show it: too large to show here (9,400 × 9,400 pixels))" in screen
    assert "meadow.jpg" in screen and "▀" in screen  # the other photo is drawn
    assert result["seconds"] < 5
    assert result["max_rss_mb"] < 300
    assert result["quit"]
