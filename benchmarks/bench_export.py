"""Benchmark the exports of one very long conversation, in every format.

Builds a Facebook download holding one thread of N messages (Meta's layout:
``message_1.json`` newest, 10,000 messages a part, every string mojibake),
imports it without media, then exports it in each format (Markdown, HTML,
JSON, text) in a fresh process per format, three times, and prints the
median time (wall clock, and CPU time, which other work on a shared machine
disturbs less) and that process's peak memory. An export should take constant
memory: compare the peak for 100,000 and 1,000,000 messages. Targets for
100,000 messages: Markdown ≤ 2 s, HTML ≤ 3 s, JSON ≤ 2 s.

Peak memory is ``VmHWM`` from ``/proc/self/status`` where there is one: on
Linux ``ru_maxrss`` survives ``exec``, so a child started by a process that
once held a big import would report the parent's peak. Elsewhere it is
``ru_maxrss``.

    python -m benchmarks.bench_export [--messages 100000] [--big] [--formats md,html,json,txt]
                                      [--keep DIR]

``--big`` also runs 1,000,000 messages (building and importing it takes a while).
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from tests.support.downloads import write_thread

REPO = Path(__file__).resolve().parent.parent
PART = 10_000
T0_MS = 1_451_606_400_000  # 2016-01-01T00:00:00Z
PEOPLE = ("Ana María González", "Jordan Lee")
WORDS = (
    "olá", "café", "tomorrow", "at", "the", "*really*", "#1", "see", "you", "ok", "😂", "déjà",
    "vu", "- list?", "<b>", "snake_case", "1.", "&", "fine", "Łódź", "[link]", "well", "so",
)



def message(i: int, rng: random.Random) -> dict[str, Any]:
    """Message ``i`` (0 is the oldest): mostly text, with the other kinds mixed in."""
    msg: dict[str, Any] = {
        "sender_name": PEOPLE[i % 2 if rng.random() < 0.8 else (i + 1) % 2],
        "timestamp_ms": T0_MS + i * 97_000 + rng.randrange(1000),
    }
    words = " ".join(rng.choice(WORDS) for _ in range(rng.randrange(1, 25)))
    roll = i % 100
    if roll == 0:
        msg["photos"] = [{"uri": f"messages/inbox/ana_1/photos/{i}.jpg", "creation_timestamp": 1}]
    elif roll == 1:
        msg["share"] = {"link": f"https://example.com/{i}?a=1&b=(2)", "share_text": words}
        msg["content"] = "look"
    elif roll == 2:
        msg["call_duration"] = rng.randrange(0, 4000)
        msg["content"] = "Ana called you."
    elif roll == 3:
        msg["is_unsent"] = True
    else:
        msg["content"] = words if roll % 9 else words + "\n" + words + "\n\n  " + words
    if i % 10 == 0:
        msg["reactions"] = [{"reaction": "❤", "actor": PEOPLE[(i + 1) % 2]}]
    return msg


def write_download(root: Path, messages: int, seed: int = 0) -> Path:
    """A Facebook download with one thread of ``messages`` messages, one part at a time."""
    rng = random.Random(seed)
    download = root / "facebook-jordanlee-bench"
    thread = download / "your_facebook_activity" / "messages" / "inbox" / "ana_1"
    thread.mkdir(parents=True, exist_ok=True)
    parts = (messages + PART - 1) // PART
    # Parts are generated oldest first (so the random stream does not depend on
    # the part size) and numbered newest first, as Meta does.
    for k in range(parts, 0, -1):
        first, last = max(messages - k * PART, 0), messages - (k - 1) * PART
        batch = [message(i, rng) for i in range(first, last)]
        write_thread(thread, list(reversed(batch)), title=PEOPLE[0], participants=PEOPLE,
                     part=k, thread_path="inbox/ana_1")
    return download


def peak_rss_kb() -> int:
    """This process's peak resident memory, in KiB."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak // 1024 if sys.platform == "darwin" else peak  # bytes on macOS


TARGETS = {"md": 2.0, "html": 3.0, "json": 2.0}  # seconds for 100,000 messages
FORMAT_NAMES = {"md": "Markdown", "html": "HTML", "json": "JSON", "txt": "text"}


def export_runs(archive: Path, out_dir: Path, runs: int, fmt: str) -> dict[str, Any]:
    """(In the child process) export the conversation ``runs`` times."""
    from zoneinfo import ZoneInfo

    from archiver.export import EXTENSIONS, export_conversation
    from archiver.read.conversations import list_conversations
    from archiver.store.opening import open_archive

    db = open_archive(archive, readonly=True)
    [conv] = list_conversations(db, with_parts=False)
    times = []
    cpu = []
    size = 0
    pages = 1
    for _ in range(runs):
        out = out_dir / f"bench{EXTENSIONS[fmt]}"
        start = time.perf_counter()
        start_cpu = time.process_time()
        result = export_conversation(db, archive, conv.id, out, fmt=fmt,
                                     tz=ZoneInfo("Europe/Lisbon"))
        times.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
        written = result.pages or [out]
        size = sum(p.stat().st_size for p in written)
        pages = len(written)
        assert result.messages == conv.messages
    figures = {
        "messages": conv.messages, "times": times, "cpu": cpu, "bytes": size, "pages": pages,
        "maxrss_kb": peak_rss_kb(),
    }
    if fmt == "html":
        figures["browser_ms"] = browser_load_ms(result.pages[: 3])
    return figures


def browser_load_ms(pages: list[Path]) -> list[float] | None:
    """How long Debian's Chromium (headless) takes to load each page, to its
    load event, in milliseconds; None without Chromium or Playwright."""
    chromium = Path("/usr/bin/chromium")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return None
    if not chromium.exists():
        return None
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
             "--disable-component-update", "--no-first-run"]
    loads = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(chromium), args=flags)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        for path in pages:
            page.goto(path.as_uri())
            loads.append(page.evaluate(
                "() => { const t = performance.getEntriesByType('navigation')[0];"
                " return t.loadEventEnd - t.startTime; }"))
        browser.close()
    return loads


def baseline_rss() -> int:
    """(In the child process) peak memory after importing the export code only."""
    import archiver.export  # noqa: F401

    return peak_rss_kb()


def bench(messages: int, work: Path, runs: int, formats: list[str]) -> list[dict[str, Any]]:
    from archiver.ingest.importer import import_downloads

    start = time.perf_counter()
    download = write_download(work / f"download-{messages}", messages)
    written = time.perf_counter() - start
    archive = work / f"archive-{messages}"
    start = time.perf_counter()
    report = import_downloads(archive, [download], copy_media=False)
    imported = time.perf_counter() - start
    assert not report.errors, report.errors
    shutil.rmtree(download)
    out_dir = work / f"out-{messages}"
    out_dir.mkdir()
    results = []
    for fmt in formats:
        child = subprocess.run(
            [sys.executable, "-m", "benchmarks.bench_export", "--child", str(archive), str(out_dir), str(runs), fmt],
            check=True, capture_output=True, text=True, cwd=REPO,
        )
        figures = json.loads(child.stdout)
        figures.update(written=written, imported=imported, format=fmt)
        results.append(figures)
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--big", action="store_true", help="also 1,000,000 messages")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it")
    parser.add_argument("--formats", default="md,html,json,txt",
                        help="comma-separated: md, html, json, txt")
    parser.add_argument("--child", nargs=4, help=argparse.SUPPRESS)
    parser.add_argument("--baseline", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        archive, out_dir, runs, fmt = args.child
        print(json.dumps(export_runs(Path(archive), Path(out_dir), int(runs), fmt)))
        return 0
    if args.baseline:
        print(baseline_rss())
        return 0

    base = int(subprocess.run([sys.executable, "-m", "benchmarks.bench_export", "--baseline"],
                              check=True, capture_output=True, text=True, cwd=REPO).stdout)
    print(f"baseline process (Python + chatkeep imported): {base / 1024:.0f} MB peak")
    sizes = [args.messages] + ([1_000_000] if args.big and args.messages != 1_000_000 else [])
    work = args.keep or Path(tempfile.mkdtemp(prefix="chatkeep-bench-export-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        formats = [f for f in args.formats.split(",") if f]
        for n in sizes:
            results = bench(n, work, args.runs, formats)
            print(f"{results[0]['messages']:>9,} messages [built in {results[0]['written']:.1f} s, "
                  f"imported in {results[0]['imported']:.1f} s]")
            for f in results:
                median = statistics.median(f["times"])
                cpu = statistics.median(f["cpu"])
                runs = ", ".join(f"{t:.2f}" for t in f["times"])
                pages = f" in {f['pages']} pages" if f["pages"] > 1 else ""
                target = TARGETS.get(f["format"])
                verdict = ""
                if n == 100_000 and target is not None:
                    verdict = f"  target ≤ {target:g} s: {'met' if median <= target else 'NOT met'}"
                print(
                    f"  {FORMAT_NAMES[f['format']]:<8} median {median:.2f} s ({runs}; "
                    f"CPU {cpu:.2f} s; "
                    f"{f['messages'] / median:,.0f} msg/s), {f['bytes'] / 1e6:.1f} MB{pages}, "
                    f"peak memory {f['maxrss_kb'] / 1024:.0f} MB "
                    f"(+{(f['maxrss_kb'] - base) / 1024:.0f} MB over baseline){verdict}"
                )
                if f.get("browser_ms"):
                    loads = ", ".join(f"{ms:.0f}" for ms in f["browser_ms"])
                    print(f"           Chromium loads the first pages in {loads} ms")
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
