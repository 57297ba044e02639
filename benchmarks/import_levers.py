"""CPU seconds of an import with each speed lever switched off in turn.

    python -m benchmarks.import_levers DOWNLOAD [--rounds 2]

Each configuration imports DOWNLOAD into a fresh archive in a process of its
own, reading in that process (no helper), and reports the CPU time of the
import alone: on a shared machine CPU time says what a change saves better
than wall time does. Configurations:

    all          every lever on (the import as shipped)
    ijson        part files streamed by ijson instead of decoded whole by msgspec
    records      plain messages built as records (Message, then columns) again
    pages-4k     the archive made with SQLite's default 4 KB pages instead of 32 KB
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

CONFIGS = ("all", "ijson", "records", "pages-4k")

CHILD = """
import sys, time
from pathlib import Path
from archiver.ingest import importer, jsonstream, pipeline
from archiver.store import opening
from archiver.ingest.dialects import meta_dyi

download, archive, config = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
pipeline.PARALLEL_MIN_BYTES = 1 << 62
if config == "ijson":
    jsonstream.WHOLE_LIMIT = 0
elif config == "records":
    read = meta_dyi.read_thread
    meta_dyi.read_thread = lambda *a, plain=False, **k: read(*a, **k)
elif config == "pages-4k":
    opening.PAGE_SIZE = 4096
start = time.process_time()
importer.import_downloads(archive, [download], copy_media=False)
print(time.process_time() - start)
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("download", type=Path)
    parser.add_argument("--rounds", type=int, default=2)
    opts = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="chatkeep-levers-"))
    seconds: dict[str, list[float]] = {c: [] for c in CONFIGS}
    try:
        for _ in range(opts.rounds):
            for config in CONFIGS:  # alternating, so that load falls on all alike
                archive = work / config
                shutil.rmtree(archive, ignore_errors=True)
                out = subprocess.run(
                    [sys.executable, "-c", CHILD, str(opts.download), str(archive), config],
                    capture_output=True, text=True, check=True,
                ).stdout
                seconds[config].append(float(out.strip().splitlines()[-1]))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    base = statistics.median(seconds["all"])
    for config in CONFIGS:
        value = statistics.median(seconds[config])
        print(f"{config:<12} {value:6.2f} s CPU  ({value - base:+.2f} s against all levers on)")


if __name__ == "__main__":
    main()
