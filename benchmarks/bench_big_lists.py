"""Huge lists inside one conversation: many participants, many reactions.

A download is untrusted, and one thread can list 1,000,000 participants or
give one message 1,000,000 reactions (a few MB of JSON). Every view must stay
linear in them. This script writes such a download, imports it, and prints
how long each way of looking at it takes:

* ``chatkeep import``, ``threads``, ``show`` (text and --json), ``export``;
* the reader, headless: first paint (the list), typing a filter, opening
  each conversation, one page down.

    python -m benchmarks.bench_big_lists [--size 1000000] [--work /tmp/bench_big_lists]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import shutil
import time
from collections.abc import Callable
from pathlib import Path

from tests.support.downloads import write_thread

os.environ.setdefault("TEXTUAL_ANIMATIONS", "none")
REPO = Path(__file__).resolve().parent.parent

T = 1_700_000_000_000


def write_big_lists(root: Path, size: int) -> Path:
    """A Facebook download with a thread of ``size`` participants and a thread
    whose first message has ``size`` reactions."""
    inbox = root / "your_facebook_activity" / "messages" / "inbox"
    write_thread(inbox / "crowd_1", [
        {"sender_name": f"Person {i}", "timestamp_ms": T + i * 1000, "content": f"hi {i}"}
        for i in (2, 1, 0)
    ], title="Crowd", participants=[*(f"Person {i}" for i in range(size)), "Jordan Lee"])
    write_thread(inbox / "popular_2", [
        {"sender_name": "Jordan Lee", "timestamp_ms": T + 60_000, "content": "wow"},
        {"sender_name": "Star", "timestamp_ms": T, "content": "look at this",
         "reactions": [{"reaction": "❤", "actor": f"Fan {i}"} for i in range(size)]},
    ], title="Popular", participants=("Star", "Jordan Lee"))
    return root


def timed(label: str, work: Callable[[], object]) -> object:
    started = time.perf_counter()
    result = work()
    print(f"  {label:<44} {time.perf_counter() - started:8.2f} s", flush=True)
    return result


def cli(archive: Path, *args: str) -> str:
    from click.testing import CliRunner

    from archiver.cli import main

    result = CliRunner().invoke(main, ["--archive", str(archive), *args],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.stdout


def reader(archive: Path, title: str) -> None:
    """The reader headless: first paint, filter to ``title``, open it, page."""
    from tui.app import ChatkeepReader
    from tui.components.conversation_list import ConversationList
    from tui.components.reading_pane import ReadingPane

    def say(label: str, started: float, note: str = "") -> None:
        print(f"  {'reader: ' + label:<44} {time.perf_counter() - started:8.2f} s{note}",
              flush=True)

    async def main() -> None:
        started = time.perf_counter()
        app = ChatkeepReader(archive, tz="UTC")
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause()
            say("first paint", started)
            started = time.perf_counter()
            await pilot.press("f", *title.lower())
            await pilot.pause()
            say(f"filter {title.lower()!r}", started,
                f" ({len(app.query_one(ConversationList).shown)} shown)")
            started = time.perf_counter()
            await pilot.press("enter")
            await pilot.pause()
            rows = app.query_one(ReadingPane).visible_text()
            say(f"open {title}", started, f" ({sum(1 for r in rows if r)} rows)")
            started = time.perf_counter()
            await pilot.press("g", "pagedown", "G")
            await pilot.pause()
            say("first message, page down, last", started)

    asyncio.run(main())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=1_000_000)
    parser.add_argument("--work", type=Path, default=Path("/tmp/bench_big_lists"))
    args = parser.parse_args()
    shutil.rmtree(args.work, ignore_errors=True)
    download = write_big_lists(args.work / "download", args.size)
    archive = args.work / "archive"
    mb = sum(p.stat().st_size for p in download.rglob("*.json")) / 1e6
    print(f"{args.size:,} participants in one thread, {args.size:,} reactions on one message "
          f"({mb:.0f} MB of JSON)")
    timed("import", lambda: cli(archive, "import", "--no-media", "--json", str(download)))
    out = timed("threads", lambda: cli(archive, "threads"))
    assert "Crowd" in str(out)
    timed("threads --json", lambda: cli(archive, "threads", "--json"))
    crowd = json.loads(cli(archive, "threads", "--json"))
    assert max(len(c["participants"]) for c in crowd) == args.size + 1
    timed("show Crowd", lambda: cli(archive, "show", "Crowd", "--tz", "UTC"))
    timed("show Popular", lambda: cli(archive, "show", "Popular", "--tz", "UTC"))
    shown = timed("show Popular --json", lambda: cli(archive, "show", "Popular", "--json"))
    assert len(json.loads(str(shown))["messages"][0]["reactions"]) == args.size
    for title in ("Crowd", "Popular"):
        target = str(args.work / f"{title}.md")
        timed(f"export {title}", lambda t=title, o=target: cli(archive, "export", t, "-o", o,
                                                                "--tz", "UTC"))
    for title in ("Crowd", "Popular"):
        reader(archive, title)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"  {'peak memory (this process)':<44} {peak:8.0f} MB")


if __name__ == "__main__":
    main()
