"""Import benchmark: chatkeep against the naive importer and the floor.

    python -m benchmarks.bench_import [--messages 1000000] [--repeat 3] [--download DIR]

Generates a Facebook download (tests/support/generate.py) unless one is given
with --download. Each round, on that same download: the floor (one ijson C
pass over every part file), the naive importer (benchmarks/naive.py, in a
child process), chatkeep's import into a fresh archive (a child process: wall
time, and peak RSS of the largest process from wait4) and the re-import.
Prints medians over --repeat rounds, and the two ratios from the same rounds.
Also imports a generated old-Instagram messages.json of the same size.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.floor import measure_floor
from tests.support.generate import generate_facebook, generate_instagram_legacy

CHATKEEP = [sys.executable, "-m", "archiver"]
NAIVE = [sys.executable, str(Path(__file__).resolve().parent / "naive.py")]


CPU: list[float] = []  # CPU seconds of each timed_child, in order


def timed_child(args: list[str], expect: str | None = None) -> tuple[float, float]:
    """Run a child process; returns (seconds, peak RSS in MB of its largest
    process). Its CPU seconds (user and system, its reading processes
    included) are appended to CPU: on a shared machine they vary less than
    wall time. With ``expect``, the child's JSON report must hold that key
    with a value above zero (an import that read nothing is no figure)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(args, stdout=out, stderr=err)
        _pid, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - start
        code = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        report = out.read().decode(errors="replace")
        if code not in (0, 1) or (expect and not _counted(report, expect)):
            raise SystemExit(f"{args[-1]}: the run failed (exit {code}): "
                             f"{err.read().decode(errors='replace')[-2000:]}")
    CPU.append(usage.ru_utime + usage.ru_stime)
    return seconds, usage.ru_maxrss / 1024


def _counted(report: str, key: str) -> bool:
    try:
        return json.loads(report).get(key, 0) > 0
    except (ValueError, AttributeError):
        return False


def import_args(archive: Path, download: Path) -> list[str]:
    return [*CHATKEEP, "--archive", str(archive), "import", "--no-media", "--json", str(download)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--download", type=Path, help="an existing download to import")
    parser.add_argument("--skip-instagram", action="store_true")
    opts = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="chatkeep-bench-"))
    try:
        download = opts.download
        if download is None:
            download = work / "facebook"
            generate_facebook(download, opts.messages, seed=0)
        floors, naives, imports, peaks, reimports = [], [], [], [], []
        to_naive, to_floor, cpu_naive, cpu_import, cpu_to_naive = [], [], [], [], []
        for _ in range(opts.repeat):
            floors.append(measure_floor(download)[0])
            naive_db = work / "naive.db"
            naive_db.unlink(missing_ok=True)
            naives.append(timed_child([*NAIVE, str(download), str(naive_db)])[0])
            cpu_naive.append(CPU[-1])
            archive = work / "archive"
            shutil.rmtree(archive, ignore_errors=True)
            seconds, peak = timed_child(import_args(archive, download), "messages_added")
            cpu_import.append(CPU[-1])
            cpu_to_naive.append(cpu_import[-1] / cpu_naive[-1])
            imports.append(seconds)
            peaks.append(peak)
            reimports.append(
                timed_child(import_args(archive, download), "messages_already_present")[0])
            to_naive.append(seconds / naives[-1])
            to_floor.append(seconds / floors[-1])
        floor = statistics.median(floors)
        naive = statistics.median(naives)
        first = statistics.median(imports)
        again = statistics.median(reimports)
        rows = [
            ("messages", f"{opts.messages:,}" if opts.download is None else str(download)),
            ("floor (ijson C pass)", f"{floor:.2f} s"),
            ("naive importer (naive.py)", f"{naive:.2f} s"),
            ("chatkeep import with FTS", f"{first:.2f} s"),
            ("chatkeep / naive", f"{statistics.median(to_naive):.2f}x (goal <= 0.5x)"),
            ("chatkeep / floor", f"{statistics.median(to_floor):.1f}x (goal <= 4x, aim 3x)"),
            ("CPU seconds: naive, chatkeep",
             (f"{statistics.median(cpu_naive):.2f} s, {statistics.median(cpu_import):.2f} s "
             f"({statistics.median(cpu_to_naive):.2f}x)")),
            ("peak memory (largest process)", f"{max(peaks):.0f} MB"),
            ("re-import", f"{again:.2f} s ({100 * again / first:.0f}% of first)"),
        ]
        if not opts.skip_instagram:
            ig = work / "instagram" / "messages.json"
            generate_instagram_legacy(ig, opts.messages, seed=0)
            seconds, peak = timed_child(import_args(work / "archive-ig", ig), "messages_added")
            rows.append(("old Instagram messages.json import", f"{seconds:.2f} s"))
            rows.append(("peak memory (messages.json)", f"{peak:.0f} MB"))
        width = max(len(r[0]) for r in rows)
        for name, value in rows:
            print(f"{name:<{width}}  {value}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
