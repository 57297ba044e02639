"""Every benchmark in one command.

    python -m benchmarks.run [--messages 1000000] [--quick]

Runs, each in its own process so that memory figures are its own:
the import benchmark (floor, import, ratio to the floor measured in the same
run, peak memory, re-import, old-Instagram messages.json), then search, export
and the reader on a 1,000,000-message archive, and prints their tables one
after another. ``--quick`` uses 100,000 messages and one run each.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def section(title: str, args: list[str]) -> None:
    print(f"\n## {title}\n", flush=True)
    start = time.perf_counter()
    result = subprocess.run([sys.executable, *args], cwd=HERE.parent, check=False)
    print(f"({title}: {time.perf_counter() - start:.0f} s, exit {result.returncode})", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--quick", action="store_true")
    opts = parser.parse_args()
    messages = 100_000 if opts.quick else opts.messages
    runs = "1" if opts.quick else "3"
    archive = f"/tmp/chatkeep-bench-archive-{messages}"
    download = f"/tmp/chatkeep-bench-download-{messages}"
    section("Import", ["-m", "benchmarks.bench_import", "--messages", str(messages),
                       "--repeat", runs])
    section("Search", ["-m", "benchmarks.bench_search", "--archive", archive,
                       "--download", download, "--messages", str(messages), "--runs", runs])
    section("Export", ["-m", "benchmarks.bench_export", "--runs", runs])
    section("Reader", ["-m", "benchmarks.bench_reader", "--archive", archive,
                       "--download", download, "--messages", str(messages)])


if __name__ == "__main__":
    main()
