"""Measure the parsing "floor" of a Meta download.

One pass of ijson's C backend (yajl2_c) over every ``message_*.json`` under a
folder, touching each message (counting it) and storing nothing. No importer can
read the same files faster with ijson, so its time is the floor an import's time
is compared with.

    python -m benchmarks.floor /tmp/bench_fb_1m [--repeat 3]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import ijson


def message_files(path: str | Path) -> list[Path]:
    """Every ``message_*.json`` under ``path`` (or ``path`` itself if it is a file)."""
    root = Path(path)
    if root.is_file():
        return [root]
    return sorted(root.rglob("message_*.json"))


def measure_floor(path: str | Path) -> tuple[float, int]:
    """Seconds for one ijson C-backend pass over the download, and messages seen."""
    if ijson.backend != "yajl2_c":
        raise RuntimeError(f"ijson C backend unavailable (backend is {ijson.backend!r})")
    started = time.perf_counter()
    count = 0
    for file in message_files(path):
        with open(file, "rb") as fh:
            for _ in ijson.items(fh, "messages.item"):
                count += 1
    return time.perf_counter() - started, count


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="floor.py", description=__doc__.splitlines()[0])
    parser.add_argument("path", type=Path, help="download folder (or one message file)")
    parser.add_argument("--repeat", "-r", type=int, default=1, help="runs; the median is shown")
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat must be >= 1")
    runs = [measure_floor(args.path) for _ in range(args.repeat)]
    seconds = statistics.median(s for s, _ in runs)
    messages = runs[0][1]
    rate = messages / seconds if seconds else 0.0
    print(
        f"floor: {seconds:.3f} s (median of {args.repeat}), {messages} messages, "
        f"{rate:,.0f} messages/s, backend {ijson.backend}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
