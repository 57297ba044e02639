"""The reader's speed and memory on a big archive, measured in-process.

Runs the Textual app headless (``App.run_test``) on an archive (by default the
1,000,000-message one at /tmp/bench_archive_1m; built from a generated Facebook
download when it is missing) and prints:

* first paint: from creating the app to the conversation list on screen (and,
  apart, the time Python takes to import Textual and the reader), and to every
  conversation listed (the list shows a screenful first);
* opening the largest conversation: the pane's work (fetch + lay out the pages
  around the end), and to the next screen update;
* page down: median and p95 of the pane's work for one page (scroll, lay out,
  draw every visible row), over ``--pages`` presses from the start, and the
  same after jumps to random places (``g``/``G``/dates: a page nobody has seen);
* the same page down as a key pressed through Pilot, beside a key bound to
  nothing (most of a Pilot round trip is Pilot waiting for the screen);
* the median time of one page fetch from SQLite (``messages.messages_between``);
* peak memory (``ru_maxrss``) after all of it.

Targets: first paint <= 1 s, open largest <= 200 ms, page scroll <= 50 ms,
memory <= 200 MB.

``--photos`` measures a photo-heavy conversation instead (issue 14): one
conversation of ``--messages`` messages (400,000 by default) where every 5th
message has a photo, the photos being a few hundred small real JPEG and PNG
files (made with Pillow, copied into the archive's ``media/`` by the importer,
content addressed), drawn with the half-block renderer. It prints page down
(p50/p95/max) over ``--pages`` presses spread through the conversation, the
repaint once the background thread has decoded the page's pictures (what a
user sees next), page up back over the same pages (every picture cached), and
peak memory with the thumbnail cache full; and Python's garbage collector: its
time in all, its full collections (how many, the longest: the rare long
press) and how many objects it walks at the end. Targets: page
down <= 50 ms p95, memory <= 250 MB.

The reader starts as ``chatkeep browse`` starts it (``own_process``: the
objects made while starting are frozen out of the garbage collector).

    python -m benchmarks.bench_reader [--archive /tmp/bench_archive_1m]
        [--download /tmp/bench_fb_1m] [--messages 1000000] [--pages 200] [--size 120x40]
    python -m benchmarks.bench_reader --photos [--archive /tmp/bench_archive_photos]
        [--download /tmp/bench_fb_photos] [--messages 400000] [--pages 2000]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import random
import resource
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("TEXTUAL_ANIMATIONS", "none")

REPO = Path(__file__).resolve().parent.parent

IMPORT_STARTED = time.perf_counter()
from archiver.ingest.importer import import_downloads
from archiver.store.opening import DB_NAME
from benchmarks.archive_1m import build_archive
from tests.support.downloads import meta_json_string, thread_envelope, write_meta_json, write_part
from tests.support.generate import OWNER
from tui import conversation_layout
from tui.app import ChatkeepReader

IMPORT_MS = (time.perf_counter() - IMPORT_STARTED) * 1000

# How much of the time is SQLite's (messages.messages_between, one call a page).
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
PHOTO_TARGETS = {"page down p95": 50.0, "memory": 250.0}
PHOTO_EVERY = 5  # every 5th message has a photo
PHOTO_FILES = 500  # distinct pictures: more than the thumbnail cache keeps (400)


def ms(seconds: float) -> float:
    return seconds * 1000


def draw(pane) -> None:
    """Every visible row, as the compositor would ask for them."""
    for y in range(pane.scrollable_content_region.height):
        pane.render_line(y)


async def measure(archive: Path, pages: int, size: tuple[int, int]) -> dict[str, object]:
    figures: dict[str, object] = {}
    started = time.perf_counter()
    app = ChatkeepReader(archive, tz="UTC", own_process=True)  # as chatkeep browse starts it
    async with app.run_test(size=size) as pilot:
        # The list shows a screenful first, the rest a batch per screen update.
        while not app.query("#conversation-options") or not app.query_one(
                "#conversation-options").option_count:
            await asyncio.sleep(0.001)
        figures["first paint"] = ms(time.perf_counter() - started)
        options = app.query_one("#conversation-options")
        while options.option_count < len(app.conversations):
            await asyncio.sleep(0.005)
        await pilot.pause()
        figures["every conversation listed"] = ms(time.perf_counter() - started)
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
        figures["page fetch (messages.messages_between)"] = statistics.median(FETCHES) * 1000
    figures["memory"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return figures


# -- the photo-heavy archive -----------------------------------------------------


def make_photos(folder: Path, count: int, seed: int = 0) -> list[str]:
    """``count`` small real pictures in ``folder`` (4 in 5 JPEG 800x600 or
    600x800, 1 in 5 PNG 320x240, all different), as a download holds them;
    returns their names."""
    from PIL import Image, ImageDraw

    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    names = []
    for n in range(count):
        png = n % 5 == 4
        size = (320, 240) if png else ((800, 600) if n % 3 else (600, 800))
        base = tuple(rng.randrange(256) for _ in range(3))
        im = Image.new("RGB", size, base)
        draw = ImageDraw.Draw(im)
        for _ in range(12):
            x0, y0 = rng.randrange(size[0]), rng.randrange(size[1])
            box = (x0, y0, x0 + rng.randrange(40, 300), y0 + rng.randrange(40, 300))
            colour = tuple(rng.randrange(256) for _ in range(3))
            (draw.ellipse if rng.random() < 0.5 else draw.rectangle)(box, fill=colour)
        noise = Image.effect_noise(size, 40).convert("RGB")
        im = Image.blend(im, noise, 0.15)
        name = f"{10**14 + n * 7919}_{n}.{'png' if png else 'jpg'}"
        if png:
            im.save(folder / name, optimize=False)
        else:
            im.save(folder / name, quality=85)
        names.append(name)
    return names


def generate_photo_download(root: Path, messages: int, seed: int = 0) -> dict[str, int]:
    """A Facebook download with one conversation of ``messages`` messages,
    every PHOTO_EVERY-th a photo (one of PHOTO_FILES real pictures)."""
    started = time.perf_counter()
    rng = random.Random(seed)
    folder_name = "photobench_1000000000000001"
    folder = root / "your_facebook_activity" / "messages" / "inbox" / folder_name
    write_meta_json(
        root / "profile_information" / "profile_information.json",
        {"profile_v2": {"name": {"full_name": OWNER}}}, indent=2,
    )
    names = make_photos(folder / "photos", PHOTO_FILES, seed)
    made = time.perf_counter() - started
    friend = "Sam Photo"
    members = [OWNER, friend]
    envelope = thread_envelope(members, title=friend, thread_path=f"inbox/{folder_name}",
                               extra={"magic_words": []})
    uri_base = f"your_facebook_activity/messages/inbox/{folder_name}/photos/"
    senders = [meta_json_string(m) for m in members]
    words = ["look", "at", "this", "one", "from", "the", "trip", "beach", "again", "lol",
             "sunset", "the", "dog", "cake", "we", "should", "go", "back", "there"]
    ts = 1_700_000_000_000
    written, part, photos = 0, 1, 0
    while written < messages:
        count = min(10_000, messages - written)
        buf = []
        for i in range(written, written + count):  # newest first, as Meta writes them
            ts -= rng.randrange(5_000, 120_000)
            out = f'    {{"sender_name": {senders[i % 2 if rng.random() < 0.5 else 0]}, ' \
                  f'"timestamp_ms": {ts}'
            if i % PHOTO_EVERY == 0:
                name = names[rng.randrange(len(names))]
                out += (f', "photos": [{{"uri": "{uri_base}{name}", '
                        f'"creation_timestamp": {ts // 1000}}}]')
                photos += 1
            else:
                text = " ".join(rng.choice(words) for _ in range(rng.randrange(2, 14)))
                out += f', "content": "{text}"'
            buf.append(out + "}")
        write_part(folder, envelope, part=part, encoded=buf, indent=2)
        written += count
        part += 1
    print(f"generated {messages:,} messages ({photos:,} photos of {PHOTO_FILES} pictures, "
          f"made in {made:.0f} s) in {time.perf_counter() - started:.0f} s")
    return {"messages": messages, "photos": photos}


def build_photo_archive(archive: Path, download: Path, messages: int) -> None:
    """Generate the photo-heavy download (unless it is there) and import it
    with its media, as ``chatkeep import`` does."""
    if not download.exists():
        generate_photo_download(download, messages)
    started = time.perf_counter()
    report = import_downloads(archive, [download], copy_media=True)
    if report.errors:
        raise SystemExit(f"import failed: {report.errors[:3]}")
    copies = sum(1 for _ in (archive / "media").rglob("*.*"))
    print(f"imported {report.messages_added:,} messages and {copies} media files "
          f"in {time.perf_counter() - started:.0f} s")


GC_SECONDS = [0.0]  # time spent in Python's garbage collector, all generations
GC_RUNS: dict[int, list[float]] = {0: [], 1: [], 2: []}  # each collection's seconds
_gc_started = [0.0]


def _gc_timer(phase: str, info: dict) -> None:
    if phase == "start":
        _gc_started[0] = time.perf_counter()
    else:
        took = time.perf_counter() - _gc_started[0]
        GC_SECONDS[0] += took
        GC_RUNS[info["generation"]].append(took)


async def wait_for_pictures(app, pilot, limit: float = 10.0) -> None:
    """Until the background thread has decoded every picture asked for."""
    deadline = time.perf_counter() + limit
    while app.thumbnails.pending and time.perf_counter() < deadline:
        await asyncio.sleep(0.002)
    await pilot.pause()


async def measure_photos(archive: Path, pages: int, size: tuple[int, int]) -> dict[str, object]:
    figures: dict[str, object] = {}
    app = ChatkeepReader(archive, tz="UTC", images="blocks", own_process=True)
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        largest = max(app.conversations, key=lambda c: c.messages)
        figures["largest"] = f"{largest.title} ({largest.messages:,} messages)"
        pane = app.pane
        started = time.perf_counter()
        app.open_conversation(largest.id)
        await pilot.pause()
        figures["open (to screen)"] = ms(time.perf_counter() - started)
        await wait_for_pictures(app, pilot)

        # Presses in runs spread evenly through the conversation, from the start.
        runs = 20
        per_run = max(1, pages // runs)
        times, repaints, cached, shown = [], [], [], 0
        slowest = (0.0, 0, 0, 0.0)
        gc.callbacks.append(_gc_timer)
        for run in range(runs):
            pane.show_at_top(largest.messages * run // runs)
            draw(pane)
            await wait_for_pictures(app, pilot)
            for _ in range(per_run):
                started, in_gc = time.perf_counter(), GC_SECONDS[0]
                pane.action_page_down()
                draw(pane)  # pictures not decoded yet show as "…"
                times.append(ms(time.perf_counter() - started))
                slowest = max(slowest, (times[-1], run, len(times) - 1 - run * per_run,
                                        ms(GC_SECONDS[0] - in_gc)))
                await wait_for_pictures(app, pilot)
                started = time.perf_counter()
                draw(pane)  # the repaint once the page's pictures are decoded
                repaints.append(ms(time.perf_counter() - started))
                shown += sum(1 for line in pane.visible_text() if "▀" in line or "▄" in line)
            for _ in range(per_run):  # back up the same pages: every picture cached
                started = time.perf_counter()
                pane.action_page_up()
                draw(pane)
                cached.append(ms(time.perf_counter() - started))
        figures["page down presses"] = len(times)
        figures["page down"] = statistics.median(times)
        figures["page down p95"] = sorted(times)[int(len(times) * 0.95) - 1]
        figures["page down max"] = max(times)
        print(f"slowest page down: {slowest[0]:.1f} ms, press {slowest[2] + 1} of run "
              f"{slowest[1] + 1} (from message {largest.messages * slowest[1] // runs:,}), "
              f"{slowest[3]:.1f} ms of it in the garbage collector")
        figures["garbage collector (whole loop, both threads)"] = ms(GC_SECONDS[0])
        full = GC_RUNS[2]
        figures["full collections (count)"] = len(full)
        figures["full collection, median"] = ms(statistics.median(full)) if full else 0.0
        figures["full collection, longest"] = ms(max(full, default=0.0))
        figures["young collections (generations 0 and 1)"] = ms(sum(GC_RUNS[0] + GC_RUNS[1]))
        figures["objects the collector tracks at the end"] = len(gc.get_objects())
        figures["repaint with the pictures decoded"] = statistics.median(repaints)
        figures["repaint p95"] = sorted(repaints)[int(len(repaints) * 0.95) - 1]
        figures["page up, pictures cached"] = statistics.median(cached)
        figures["page up, pictures cached, p95"] = sorted(cached)[int(len(cached) * 0.95) - 1]
        figures["picture rows drawn"] = shown
        figures["pictures decoded"] = app.thumbnails.decoded
        figures["thumbnails cached"] = len(app.thumbnails._done)
        figures["messages cached"] = pane.rows.cached_messages() if pane.rows else 0
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
    parser.add_argument("--photos", action="store_true",
                        help="the photo-heavy conversation (defaults: /tmp/bench_archive_photos, "
                        "/tmp/bench_fb_photos, 400,000 messages, 2,000 pages)")
    args = parser.parse_args(argv)
    width, height = (int(n) for n in args.size.lower().split("x"))
    targets = TARGETS
    if args.photos:
        given = {a.split("=")[0] for a in (argv if argv is not None else sys.argv[1:])}
        if "--archive" not in given:
            args.archive = Path("/tmp/bench_archive_photos")
        if "--download" not in given:
            args.download = Path("/tmp/bench_fb_photos")
        if "--messages" not in given:
            args.messages = 400_000
        if "--pages" not in given:
            args.pages = 2000
        if not (args.archive / DB_NAME).exists():
            build_photo_archive(args.archive, args.download, args.messages)
            print("(memory below includes the import: run again for the reader's own)")
        figures = asyncio.run(measure_photos(args.archive, args.pages, (width, height)))
        targets = PHOTO_TARGETS
        print(f"archive: {args.archive}, terminal {width}x{height}, half blocks")
    else:
        if not (args.archive / DB_NAME).exists():
            build_archive(args.archive, args.download, args.messages)
        figures = asyncio.run(measure(args.archive, args.pages, (width, height)))
        print(f"archive: {args.archive} ({figures.pop('conversations'):,} conversations), "
              f"terminal {width}x{height}")
    print(f"largest conversation: {figures.pop('largest')}")
    print(f"  {'importing Textual and the reader':<42} {IMPORT_MS:>9,.1f} ms")
    failed = False
    for name, value in figures.items():
        unit = "MB" if name == "memory" else ("ms" if isinstance(value, float) else "")
        target = targets.get(name)
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
