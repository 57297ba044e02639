"""The reader's speed and memory on a big archive, measured in-process.

Runs the Textual app headless (``App.run_test``) on an archive (by default the
1,000,000-message one at /tmp/bench_archive_1m; built from a generated Facebook
download when it is missing) and prints:

* first paint: from creating the app to the conversation list on screen (and,
  apart, the time Python takes to import Textual and the reader);
* opening the largest conversation: the pane's work (fetch + lay out the pages
  around the end), and to the next screen update;
* page down: median and p95 of the pane's work for one page (scroll, lay out,
  draw every visible row), over ``--pages`` presses from the start, and the
  same after jumps to random places (``g``/``G``/dates: a page nobody has seen);
* the same page down as a key pressed through Pilot, beside a key bound to
  nothing (most of a Pilot round trip is Pilot waiting for the screen);
* the median time of one page fetch from SQLite (``views.messages_between``);
* peak memory (``ru_maxrss``) after all of it.

Targets: first paint <= 1 s, open largest <= 200 ms, page scroll <= 50 ms,
memory <= 200 MB.

    python benchmarks/bench_reader.py [--archive /tmp/bench_archive_1m]
        [--download /tmp/bench_fb_1m] [--messages 1000000] [--pages 200] [--size 120x40]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import resource
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("TEXTUAL_ANIMATIONS", "none")

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

IMPORT_STARTED = time.perf_counter()
from archive_1m import build_archive

from archiver.schema import DB_NAME
from tui import conversation_layout
from tui.app import ChatkeepReader

IMPORT_MS = (time.perf_counter() - IMPORT_STARTED) * 1000

# How much of the time is SQLite's (views.messages_between, one call a page).
FETCHES: list[float] = []
_messages_between = conversation_layout.messages_between


def _timed_messages_between(*args, **kwargs):
    started = time.perf_counter()
    try:
        return _messages_between(*args, **kwargs)
    finally:
        FETCHES.append(time.perf_counter() - started)


conversation_layout.messages_between = _timed_messages_between

TARGETS = {"first paint": 1000.0, "open largest": 200.0, "page down": 50.0, "memory": 200.0}



def ms(seconds: float) -> float:
    return seconds * 1000


def draw(pane) -> None:
    """Every visible row, as the compositor would ask for them."""
    for y in range(pane.scrollable_content_region.height):
        pane.render_line(y)


async def measure(archive: Path, pages: int, size: tuple[int, int]) -> dict[str, object]:
    figures: dict[str, object] = {}
    started = time.perf_counter()
    app = ChatkeepReader(archive, tz="UTC")
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        options = app.query_one("#conversation-options")
        assert options.option_count > 0
        figures["first paint"] = ms(time.perf_counter() - started)
        figures["conversations"] = options.option_count

        largest = max(app.conversations, key=lambda c: c.messages)
        figures["largest"] = f"{largest.title} ({largest.messages:,} messages)"
        pane = app.pane
        # Show the pane once (layout) on a small conversation, as a user would have.
        smallest = min(app.conversations, key=lambda c: c.messages)
        app.open_conversation(smallest.id)
        await pilot.pause()

        started = time.perf_counter()
        app.open_conversation(largest.id)
        await pilot.pause()
        figures["open largest (to screen)"] = ms(time.perf_counter() - started)
        assert pane.conversation is not None and pane.conversation.id == largest.id
        assert pane.cursor == largest.messages - 1
        # The pane's own work, on a fresh layout (nothing cached).
        started = time.perf_counter()
        pane.open(largest)
        draw(pane)
        figures["open largest"] = ms(time.perf_counter() - started)

        pane.action_first()
        times = []
        for _ in range(pages):
            started = time.perf_counter()
            pane.action_page_down()
            draw(pane)
            times.append(ms(time.perf_counter() - started))
        figures["page down"] = statistics.median(times)
        figures["page down p95"] = sorted(times)[int(len(times) * 0.95) - 1]
        figures["page down max"] = max(times)

        rng = random.Random(0)
        jumps = []
        for _ in range(50):
            target = rng.randrange(largest.messages)
            started = time.perf_counter()
            pane.show_at_top(target)
            draw(pane)
            jumps.append(ms(time.perf_counter() - started))
        figures["jump to a random message"] = statistics.median(jumps)
        figures["jump max"] = max(jumps)

        cold = []
        for _ in range(50):
            pane.show_at_top(rng.randrange(largest.messages))
            started = time.perf_counter()
            pane.action_page_down()
            draw(pane)
            cold.append(ms(time.perf_counter() - started))
        figures["page down after a jump"] = statistics.median(cold)

        presses = []
        pane.action_first()
        for _ in range(20):
            started = time.perf_counter()
            await pilot.press("pagedown")
            presses.append(ms(time.perf_counter() - started))
        figures["page down key (Pilot round trip)"] = statistics.median(presses)
        idle = []
        for _ in range(20):
            started = time.perf_counter()
            await pilot.press("x")  # bound to nothing: Pilot's own waiting
            idle.append(ms(time.perf_counter() - started))
        figures["a key bound to nothing (Pilot round trip)"] = statistics.median(idle)
        figures["messages cached"] = pane.rows.cached_messages() if pane.rows else 0
        figures["page fetch (views.messages_between)"] = statistics.median(FETCHES) * 1000
    figures["memory"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--archive", type=Path, default=Path("/tmp/bench_archive_1m"))
    parser.add_argument("--download", type=Path, default=Path("/tmp/bench_fb_1m"),
                        help="generated download to import when --archive has no archive")
    parser.add_argument("--messages", type=int, default=1_000_000,
                        help="size of the download to generate when there is none")
    parser.add_argument("--pages", type=int, default=200)
    parser.add_argument("--size", default="120x40", help="terminal size, WIDTHxHEIGHT")
    args = parser.parse_args(argv)
    if not (args.archive / DB_NAME).exists():
        build_archive(args.archive, args.download, args.messages)
    width, height = (int(n) for n in args.size.lower().split("x"))
    figures = asyncio.run(measure(args.archive, args.pages, (width, height)))

    print(f"archive: {args.archive} ({figures.pop('conversations'):,} conversations), "
          f"terminal {width}x{height}")
    print(f"largest conversation: {figures.pop('largest')}")
    print(f"  {'importing Textual and the reader':<42} {IMPORT_MS:>9,.1f} ms")
    failed = False
    for name, value in figures.items():
        unit = "MB" if name == "memory" else ("" if name == "messages cached" else "ms")
        target = TARGETS.get(name)
        verdict = ""
        if target is not None:
            ok = float(value) <= target  # type: ignore[arg-type]
            failed |= not ok
            verdict = f"  (target <= {target:g} {unit}: {'ok' if ok else 'MISSED'})"
        shown = f"{value:,.0f}" if unit == "" else f"{value:,.1f}"  # type: ignore[str-format]
        print(f"  {name:<42} {shown:>9} {unit}{verdict}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
