"""Ten million messages on one laptop: import, read, check, export, re-import.

    python -m benchmarks.bench_scale [--messages 10000000] [--compare 1000000]
        [--work DIR] [--keep] [--skip-export]

Generates two Facebook downloads of the same shape (tests/support/generate.py,
seed 0): ``--messages`` messages in many threads, three of them a tenth, 3/40
and a twentieth of all (1,000,000, 750,000 and 500,000 messages at ten
million), and the same at ``--compare`` messages. Each is imported into a
fresh archive by a child process (``import --no-media``): wall time, CPU
seconds and the peak memory of its largest process. Then, on the big archive,
each in a child process as a user runs it: the reader's list on screen and
opening its largest conversation (``bench_reader``), search over
``bench_search``'s queries, ``stats``, ``check``, ``audit``, ``export --all
--format html`` (wall time and peak memory) and the re-import.

At ten million this takes about an hour on two quiet cores and about 20 GB of
disk: 3.0 GB of download, 3.4 GB of archive, the HTML export (removed once
measured) and the smaller run's. The downloads and archives stay in ``--work``
(default: a new temporary folder, removed at the end unless ``--keep``); a
second run with the same ``--work`` reuses the downloads.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.support.generate import generate_facebook

CHATKEEP = [sys.executable, "-m", "archiver"]
SHARES = (0.1, 0.075, 0.05)  # the largest threads, as shares of all messages
GOALS = {
    "memory": 150.0, "per message": 1.2, "first paint": 1000.0, "open": 300.0,
    "search p95": 50.0, "stats": 2.0, "check": 60.0, "audit": 60.0, "re-import": 0.10,
}


def child(args: list[str], *, out: Path | None = None) -> dict[str, float | str]:
    """Run ``args`` as a child process: wall seconds, CPU seconds (its own
    children included) and peak memory (MB) of its largest process, and what
    it printed (unless sent to ``out``)."""
    sink = open(out, "wb") if out else tempfile.TemporaryFile()  # noqa: SIM115
    with sink, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        proc = subprocess.Popen(args, stdout=sink, stderr=err)
        _pid, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
        code = os.waitstatus_to_exitcode(status)
        err.seek(0)
        problem = err.read().decode(errors="replace")
        text = ""
        if not out:
            sink.seek(0)
            text = sink.read().decode(errors="replace")
    if code not in (0, 1):
        raise SystemExit(f"{' '.join(args[:6])}…: exit {code}\n{problem[-3000:]}")
    return {"wall": wall, "cpu": usage.ru_utime + usage.ru_stime,
            "peak": usage.ru_maxrss / 1024, "out": text}


def download_of(work: Path, messages: int) -> Path:
    """The generated download of ``messages`` messages in ``work`` (made once)."""
    folder = work / f"fb{messages}"
    if not (folder / "your_facebook_activity").is_dir():
        shutil.rmtree(folder, ignore_errors=True)
        started = time.perf_counter()
        large = [round(messages * share) for share in SHARES]
        summary = generate_facebook(folder, messages, seed=0, large=large)
        print(f"generated {messages:,} messages in {summary['threads']:,} threads "
              f"({summary['bytes'] / 1e9:.2f} GB) in {time.perf_counter() - started:.0f} s",
              flush=True)
    return folder


def import_into(archive: Path, download: Path) -> dict[str, float | str]:
    shutil.rmtree(archive, ignore_errors=True)
    run = child([*CHATKEEP, "--archive", str(archive), "import", "--no-media", "--json",
                 str(download)])
    report = json.loads(str(run["out"]))
    if not report["messages_added"]:
        raise SystemExit(f"the import of {download} added nothing: {report['errors'][:3]}")
    run["messages"] = report["messages_added"]
    return run


def disk_mb(path: Path) -> float:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 1e6


def figure(text: str, label: str) -> float | None:
    """The number printed after ``label`` in a benchmark's output."""
    found = re.search(re.escape(label) + r"[^\d\n]*([\d,]+(?:\.\d+)?)", text)
    return float(found.group(1).replace(",", "")) if found else None


def verdict(value: float | None, goal: float) -> str:
    if value is None:
        return "not measured"
    return "met" if value <= goal else f"MISSED by {100 * (value / goal - 1):.0f} %"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=10_000_000)
    parser.add_argument("--compare", type=int, default=1_000_000)
    parser.add_argument("--work", type=Path, help="folder for downloads and archives")
    parser.add_argument("--keep", action="store_true", help="keep --work at the end")
    parser.add_argument("--skip-export", action="store_true")
    opts = parser.parse_args()
    work = opts.work or Path(tempfile.mkdtemp(prefix="chatkeep-scale-"))
    work.mkdir(parents=True, exist_ok=True)
    rows: list[tuple[str, str, str]] = []

    def row(name: str, shown: str, goal: str = "") -> None:
        rows.append((name, shown, goal))
        print(f"{name}: {shown} {goal}", flush=True)

    try:
        print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores", flush=True)
        small, big = download_of(work, opts.compare), download_of(work, opts.messages)
        first_small = import_into(work / "archive-small", small)
        first = import_into(work / "archive", big)
        archive = work / "archive"
        for n, run in ((opts.compare, first_small), (opts.messages, first)):
            row(f"import {n:,}", f"{run['wall']:.1f} s wall, {run['cpu']:.1f} s CPU, "
                f"peak {run['peak']:.0f} MB",
                f"(memory ≤ 150 MB: {verdict(float(run['peak']), GOALS['memory'])})")
        per_big = float(first["wall"]) / opts.messages
        per_small = float(first_small["wall"]) / opts.compare
        cpu_ratio = (float(first["cpu"]) / opts.messages) / (float(first_small["cpu"])
                                                            / opts.compare)
        row("cost per message, large / small",
            f"{per_big / per_small:.2f}× wall ({1e6 * per_big:.1f} µs against "
            f"{1e6 * per_small:.1f} µs), {cpu_ratio:.2f}× CPU",
            f"(≤ 1.2×: {verdict(per_big / per_small, GOALS['per message'])})")
        row("disk", f"download {disk_mb(big):,.0f} MB, archive {disk_mb(archive):,.0f} MB")

        reader = child([sys.executable, "-m", "benchmarks.bench_reader", "--archive",
                        str(archive), "--pages", "50"])
        text = str(reader["out"])
        print(text, flush=True)
        paint, opened = figure(text, "first paint"), figure(text, "open largest (to screen)")
        row("reader: list on screen", f"{paint or 0:.0f} ms",
            f"(≤ 1 s: {verdict(paint, GOALS['first paint'])})")
        row("reader: open the largest conversation", f"{opened or 0:.0f} ms",
            f"(≤ 300 ms: {verdict(opened, GOALS['open'])}; memory {reader['peak']:.0f} MB)")

        found = child([sys.executable, "-m", "benchmarks.bench_search", "--archive",
                       str(archive), "--runs", "5", "--cli-runs", "1"])
        text = str(found["out"])
        print(text, flush=True)
        p95 = figure(text, "p95")
        row("search p95 (newest first)", f"{p95 or 0:.1f} ms",
            f"(≤ 50 ms: {verdict(p95, GOALS['search p95'])})")

        base = [*CHATKEEP, "--archive", str(archive)]
        stats = [child([*base, "stats", "--json"]) for _ in range(3)]
        wall = statistics.median(float(s["wall"]) for s in stats)
        row("stats, whole archive", f"{wall:.2f} s (median of 3)",
            f"(≤ 2 s: {verdict(wall, GOALS['stats'])})")
        for command in ("check", "audit"):
            # As a person reads them: audit --json lists every missing media
            # file by name (all of them, in a download generated without media).
            run = child([*base, command])
            row(command, f"{run['wall']:.1f} s, peak {run['peak']:.0f} MB",
                f"(≤ 1 min: {verdict(float(run['wall']), GOALS[command])})")
        if not opts.skip_export:
            out = work / "html"
            shutil.rmtree(out, ignore_errors=True)
            run = child([*base, "export", "--all", "--format", "html", "-o", str(out)])
            row("export --all --format html",
                f"{run['wall']:.0f} s, peak {run['peak']:.0f} MB, {disk_mb(out):,.0f} MB written")
            shutil.rmtree(out, ignore_errors=True)
        again = child([*base, "import", "--no-media", "--json", str(big)])
        share = float(again["wall"]) / float(first["wall"])
        row("re-import", f"{again['wall']:.1f} s ({100 * share:.1f} % of the first), "
            f"{again['cpu']:.1f} s CPU", f"(≤ 10 %: {verdict(share, GOALS['re-import'])})")
    finally:
        if not opts.keep and not opts.work:
            shutil.rmtree(work, ignore_errors=True)
    print(f"\n{opts.messages:,} messages (against {opts.compare:,}); "
          f"load average {os.getloadavg()[0]:.1f}")
    width = max(len(r[0]) for r in rows)
    for name, shown, goal in rows:
        print(f"  {name:<{width}}  {shown} {goal}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
