"""One message of 2 MB (a hostile download's, or a pasted log) opens in the
reader at once: its first 20,000 characters are laid out, then one row says
how much more there is, and ``c`` still copies all of it. Measured in a
process of its own, so that nothing else the tests did counts."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from archiver.ingest.importer import import_downloads
from tests.support.downloads import write_thread
from tests.support.paths import REPO

T = 1_700_000_000_000
WORDS = ("lorem", "ipsum", "café", "dolor", "😂", "amet", "adipiscing")

SCENARIO = r'''
import asyncio, json, os, sys, time
os.environ["TEXTUAL_ANIMATIONS"] = "none"
from tests.support.processes import peak_mb
from tui.app import ChatkeepReader

async def main():
    app = ChatkeepReader(sys.argv[1], tz="UTC")
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.pause()
        cpu, wall = time.process_time(), time.perf_counter()
        await pilot.press("enter")
        while not app.pane.rows:
            await asyncio.sleep(0.01)
        await pilot.pause()
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        app.pane.move_cursor(1)  # the long message
        await pilot.pause()
        await pilot.press("c")
        copied = len(app.clipboard)
        app.pane.move_cursor(2)  # the one after it: the end of the long one is above
        await pilot.pause()
        lines = app.pane.visible_text()
    print(json.dumps({"cpu": cpu, "wall": wall, "copied": copied, "lines": lines,
                      "max_rss_mb": peak_mb()}))

asyncio.run(main())
'''


def test_a_message_of_two_megabytes_opens_at_once(tmp_path: Path) -> None:
    long = " ".join(WORDS[i % len(WORDS)] for i in range(2_000_000 // 5))
    dl = tmp_path / "facebook-jordanlee-2025"
    write_thread(dl / "your_facebook_activity" / "messages" / "inbox" / "long_1", [
        {"sender_name": "Jordan Lee", "timestamp_ms": T + 120_000, "content": "after it"},
        {"sender_name": "Ana", "timestamp_ms": T + 60_000, "content": long},
        {"sender_name": "Ana", "timestamp_ms": T, "content": "before it"},
    ], title="Long")
    archive = tmp_path / "archive"
    assert not import_downloads(archive, [dl]).errors
    done = subprocess.run([sys.executable, "-c", SCENARIO, str(archive)], check=False,
                          cwd=REPO, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["cpu"] < 1, result["cpu"]  # it took 6 s to wrap all 18,000 rows
    assert result["max_rss_mb"] < 300
    assert result["copied"] == len(long)  # c copies the whole text
    screen = " ".join(" ".join(result["lines"]).split())  # the note may wrap
    hidden = len(long) - long.rfind(" ", 19_800, 20_000)
    assert (f"… and {hidden:,} more characters, not shown here (c copies the whole "
            "message)") in screen
    assert "after it" in screen
