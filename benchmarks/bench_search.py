"""Search speed on a 1,000,000-message archive.

Builds the archive once (a generated Facebook download, imported without
media) or reuses one, makes sure the indexes search can use are there, then
times a fixed set of queries in-process (median of ``--runs``) and the whole
``chatkeep search`` command as a subprocess (median of ``--cli-runs``).

Targets: newest-first top 50 with p95 <= 50 ms in-process; no query above 250 ms.

    python -m benchmarks.bench_search [--archive /tmp/bench_archive_1m]
        [--download /tmp/bench_fb_1m] [--messages 1000000] [--runs 5] [--cli-runs 3]
"""

from __future__ import annotations

import argparse
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import time
from pathlib import Path

from archiver.read.search import plan_search, search
from archiver.store.opening import DB_NAME, open_archive
from benchmarks.archive_1m import build_archive

P95_TARGET_MS = 50.0
MAX_TARGET_MS = 250.0

# The indexes search uses when present (see archiver/read/search.py); the schema is
# expected to create them, and an older archive gets them here.
INDEXES = {
    "idx_messages_sender_timestamp_ms": "messages (sender, timestamp_ms)",
    "idx_messages_kind_timestamp_ms": "messages (kind, timestamp_ms)",
    "idx_attachments_kind_message_id": "attachments (kind, message_id)",
}

# (what it exercises, query). Words come from tests/support/generate.py's vocabulary.
QUERIES: list[tuple[str, str]] = [
    ("common word (15% of messages)", "you"),
    ("common word", "haha"),
    ("mid-frequency word", "call"),
    ("accent-folded word", "amanha"),
    ("rare word", "evans"),
    ("very rare word", "zosi"),
    ("prefix", "jut*"),
    ("rare prefix", "reveil*"),
    ("phrase", '"see you tomorrow"'),
    ("rare phrase", '"zamek krolewski"'),
    ("OR", "haha OR lol"),
    ("NOT", "merci -beaucoup"),
    ("no match", "xyzzyplugh"),
    ("hostile text", "c++ \"don't AND NEAR("),
    ("from: main partner", "from:ana"),
    ("from: one person", 'from:"Omar Evans"'),
    ("in: a group", 'in:"book club"'),
    ("after:", "after:2025-06"),
    ("before:", "before:2015"),
    ("on: a day", "on:2020-05-01"),
    ("has:photo", "has:photo"),
    ("has:audio", "has:audio"),
    ("has:link", "has:link"),
    ("has:reaction", "has:reaction"),
    ("platform: all of it", "platform:facebook"),
    ("platform: none of it", "platform:instagram"),
    ("is:call", "is:call"),
    ("is:unsent", "is:unsent"),
    ("is:system", "is:system"),
    ("word + from:", "you from:ana"),
    ("word + rare from:", 'merci from:"Omar Evans"'),
    ("word + in: + after:", 'haha in:"book club" after:2020'),
    ("filters only", "has:photo from:ana on:2019"),
    ("word + has:", "cafe has:link"),
    ("word - from: + before:", "you -from:ana before:2016"),
    ("phrase + platform:", '"happy birthday" platform:facebook'),
]
RANKED: list[tuple[str, str]] = [
    ("rank: common word", "you"),
    ("rank: mid word", "merci"),
    ("rank: rare phrase", '"zamek krolewski"'),
    ("rank: word + from:", "merci from:ana"),
]
CLI_QUERIES = ["you", "from:ana has:photo", '"see you tomorrow" after:2020']



def ensure_indexes(archive: Path) -> None:
    conn = sqlite3.connect(archive / DB_NAME)
    try:
        for name, target in INDEXES.items():
            conn.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {target}")
        conn.commit()
    finally:
        conn.close()


def time_queries(db: object, queries: list[tuple[str, str]], runs: int, rank: bool
                 ) -> list[tuple[str, str, float, int, str]]:
    rows = []
    for label, query in queries:
        search(db, query, rank=rank)  # warm the page cache like a second search would
        times = []
        for _ in range(runs):
            started = time.perf_counter()
            hits = search(db, query, rank=rank)
            times.append((time.perf_counter() - started) * 1000)
        plan = plan_search(db, query, rank=rank)
        rows.append((label, query, statistics.median(times), len(hits),
                     plan.driver if plan else "-"))
    return rows


def print_table(title: str, rows: list[tuple[str, str, float, int, str]]) -> list[float]:
    print(f"\n{title}")
    print(f"{'':32} {'query':38} {'median ms':>9} {'hits':>5}  plan")
    for label, query, ms, hits, driver in rows:
        print(f"{label:32} {query:38} {ms:9.1f} {hits:5}  {driver}")
    return [r[2] for r in rows]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    k = (len(ordered) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def cli_wall(archive: Path, args: list[str], runs: int) -> float:
    """Median wall time of ``chatkeep --archive ARCHIVE ARGS...``, in ms."""
    exe = shutil.which("chatkeep") or str(Path(sys.executable).parent / "chatkeep")
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run([exe, "--archive", str(archive), *args], check=True,
                       stdout=subprocess.DEVNULL)
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--archive", type=Path, default=Path("/tmp/bench_archive_1m"))
    parser.add_argument("--download", type=Path, default=Path("/tmp/bench_fb_1m"))
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--cli-runs", type=int, default=3)
    args = parser.parse_args()

    if not (args.archive / DB_NAME).exists():
        build_archive(args.archive, args.download, args.messages)
    ensure_indexes(args.archive)
    db = open_archive(args.archive, readonly=True)
    total = db.execute("SELECT COUNT(*) FROM messages").fetchone()[0]
    print(f"archive {args.archive}: {total:,} messages; SQLite {sqlite3.sqlite_version}; "
          f"{os.cpu_count()} CPUs; load average {os.getloadavg()[0]:.2f}")

    newest = print_table(f"newest first, top 50 (median of {args.runs} runs, in-process)",
                         time_queries(db, QUERIES, args.runs, rank=False))
    ranked = print_table("--rank, top 50", time_queries(db, RANKED, args.runs, rank=True))
    p50, p95, worst = percentile(newest, 0.5), percentile(newest, 0.95), max(newest)
    print(f"\nnewest first over {len(newest)} queries: p50 {p50:.1f} ms, p95 {p95:.1f} ms, "
          f"max {worst:.1f} ms; with --rank, max {max(ranked):.1f} ms")

    print(f"\nchatkeep as a subprocess (median of {args.cli_runs}):")
    startup = cli_wall(args.archive, ["--version"], args.cli_runs)
    print(f"  {'chatkeep --version (start-up alone)':45} {startup:8.0f} ms")
    for query in CLI_QUERIES:
        wall = cli_wall(args.archive, ["search", query], args.cli_runs)
        print(f"  {'chatkeep search ' + query:45} {wall:8.0f} ms")

    # Each target on its own line: at ten million messages ranking the
    # commonest word (bm25 over every hit) is past the 1,000,000-message
    # ceiling while newest first meets both.
    p95_ok = p95 <= P95_TARGET_MS
    newest_ok = max(newest) <= MAX_TARGET_MS
    ranked_ok = max(ranked) <= MAX_TARGET_MS
    print()
    for label, ok in ((f"newest first p95 <= {P95_TARGET_MS:.0f} ms", p95_ok),
                      (f"newest first max <= {MAX_TARGET_MS:.0f} ms", newest_ok),
                      (f"--rank max <= {MAX_TARGET_MS:.0f} ms", ranked_ok)):
        print(f"target {label}: {'met' if ok else 'NOT met'}")
    return 0 if p95_ok and newest_ok and ranked_ok else 1


if __name__ == "__main__":
    sys.exit(main())
