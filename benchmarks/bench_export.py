"""Benchmark the Markdown export of one very long conversation.

Builds a Facebook download holding one thread of N messages (Meta's layout:
``message_1.json`` newest, 10,000 messages a part, every string mojibake),
imports it without media, then exports it to Markdown in a fresh process,
three times, and prints the median time and that process's peak memory.
The export should take constant memory: compare the peak for 100,000 and
1,000,000 messages. Target: 100,000 messages in at most 2 s.

Peak memory is ``VmHWM`` from ``/proc/self/status`` where there is one: on
Linux ``ru_maxrss`` survives ``exec``, so a child started by a process that
once held a big import would report the parent's peak. Elsewhere it is
``ru_maxrss``.

    python benchmarks/bench_export.py [--messages 100000] [--big] [--keep DIR]

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

from archiver.text import mojibake

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
        data = {
            "participants": [{"name": p} for p in PEOPLE],
            "messages": list(reversed(batch)),
            "title": PEOPLE[0],
            "is_still_participant": True,
            "thread_path": "inbox/ana_1",
        }
        (thread / f"message_{k}.json").write_text(json.dumps(mojibake(data)), encoding="ascii")
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


def export_runs(archive: Path, out_dir: Path, runs: int) -> dict[str, Any]:
    """(In the child process) export the conversation ``runs`` times."""
    from zoneinfo import ZoneInfo

    from archiver import views
    from archiver.export import export_markdown
    from archiver.schema import open_archive

    db = open_archive(archive, readonly=True)
    [conv] = views.list_conversations(db, with_parts=False)
    times = []
    size = 0
    for _ in range(runs):
        out = out_dir / "bench.md"
        start = time.perf_counter()
        result = export_markdown(db, archive, conv.id, out, tz=ZoneInfo("Europe/Lisbon"))
        times.append(time.perf_counter() - start)
        size = out.stat().st_size
        assert result.messages == conv.messages
    return {
        "messages": conv.messages, "times": times, "bytes": size,
        "maxrss_kb": peak_rss_kb(),
    }


def baseline_rss() -> int:
    """(In the child process) peak memory after importing the export code only."""
    import archiver.export  # noqa: F401

    return peak_rss_kb()


def bench(messages: int, work: Path, runs: int) -> dict[str, Any]:
    from archiver.importer import import_downloads

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
    child = subprocess.run(
        [sys.executable, __file__, "--child", str(archive), str(out_dir), str(runs)],
        check=True, capture_output=True, text=True,
    )
    figures = json.loads(child.stdout)
    figures.update(written=written, imported=imported)
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--big", action="store_true", help="also 1,000,000 messages")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    parser.add_argument("--baseline", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        archive, out_dir, runs = args.child
        print(json.dumps(export_runs(Path(archive), Path(out_dir), int(runs))))
        return 0
    if args.baseline:
        print(baseline_rss())
        return 0

    base = int(subprocess.run([sys.executable, __file__, "--baseline"], check=True,
                              capture_output=True, text=True).stdout)
    print(f"baseline process (Python + chatkeep imported): {base / 1024:.0f} MB peak")
    sizes = [args.messages] + ([1_000_000] if args.big and args.messages != 1_000_000 else [])
    work = args.keep or Path(tempfile.mkdtemp(prefix="chatkeep-bench-export-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        for n in sizes:
            f = bench(n, work, args.runs)
            median = statistics.median(f["times"])
            runs = ", ".join(f"{t:.2f}" for t in f["times"])
            print(
                f"{f['messages']:>9,} messages: export median {median:.2f} s "
                f"({runs}; {f['messages'] / median:,.0f} msg/s), "
                f"{f['bytes'] / 1e6:.1f} MB of Markdown, peak memory {f['maxrss_kb'] / 1024:.0f} MB"
                f" (+{(f['maxrss_kb'] - base) / 1024:.0f} MB over baseline)"
                f"  [built in {f['written']:.1f} s, imported in {f['imported']:.1f} s]"
            )
            if n == 100_000:
                print(f"  target ≤ 2 s for 100,000: {'met' if median <= 2 else 'NOT met'}")
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
