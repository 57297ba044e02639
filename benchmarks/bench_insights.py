"""Insights (``chatkeep stats [THREAD]`` and the reader's ``i``) on a big archive.

On an archive (by default the 1,000,000-message one at /tmp/bench_archive_1m;
built from a generated Facebook download when it is missing; an archive of an
older schema is upgraded first, which builds the insights index) prints, for
the largest conversation and for the whole archive:

* ``insights()`` in-process, median of ``--repeat`` runs, and where the time
  goes (each query group run alone, one after another);
* ``chatkeep stats [ID] --json`` and the terminal charts as whole processes
  (median of 3; Python's start-up and imports are part of it, shown apart);
* the reader: from pressing ``i`` on the largest conversation to the charts on
  screen (headless, 80x24).

Goal: <= 1 s each.

    python -m benchmarks.bench_insights [--archive /tmp/bench_archive_1m]
        [--download /tmp/bench_fb_1m] [--messages 1000000] [--repeat 5] [--tz Europe/Lisbon]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

os.environ.setdefault("TEXTUAL_ANIMATIONS", "none")

REPO = Path(__file__).resolve().parent.parent

from archiver.read import insights as engine
from archiver.store import crossapp
from archiver.store.opening import DB_NAME, open_archive
from archiver.timefmt import resolve_tz
from benchmarks.archive_1m import build_archive

GOAL_MS = 1000


def median_ms(run: Callable[[], Any], repeat: int) -> tuple[float, float, float, float]:
    """Median, fastest and slowest wall time of ``repeat`` runs, and the median
    CPU time (both threads), in ms. On a busy machine the CPU time says more."""
    times, cpu = [], []
    for _ in range(repeat):
        started, started_cpu = time.perf_counter(), time.process_time()
        run()
        times.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
    return statistics.median(times), min(times), max(times), statistics.median(cpu)


def stages(db: Any, cid: int | None, tz: Any) -> dict[str, float]:
    """Each query group alone (no overlap with the reply pairs' thread), ms."""
    conn = db.conn
    aliases = crossapp.owner_aliases(db)
    scope = engine._Scope(cid, None, None, engine._index_hint(conn))
    result = engine.Insights(tz="")
    parts: dict[str, Callable[[], Any]] = {
        "times (months, days, heatmap, streaks)": lambda: engine._times(conn, scope, tz, result),
        "people": lambda: engine._people(conn, scope, aliases),
        "media": lambda: engine._media(conn, scope),
        "reactions": lambda: engine._reactions(conn, scope, aliases),
        "reply pairs and medians": lambda: engine._replies(conn, scope, aliases),
    }
    return {name: median_ms(run, 3)[0] for name, run in parts.items()}


def process_ms(archive: Path, args: list[str], repeat: int = 3) -> str:
    """Median wall and CPU time of the command as a fresh process."""
    command = [sys.executable, "-m", "archiver", "--archive", str(archive), *args]
    times, cpu = [], []
    for _ in range(repeat):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL, cwd=REPO)
        times.append((time.perf_counter() - started) * 1000)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu.append((after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime) * 1000)
    return f"{statistics.median(times):>8,.0f} ms (CPU {statistics.median(cpu):,.0f} ms)"


async def reader_ms(archive: Path, cid: int, tz: Any) -> float:
    """From pressing ``i`` on the open conversation to the charts on screen."""
    from tui.app import ChatkeepReader
    from tui.components.insights_screen import InsightsScreen

    app = ChatkeepReader(archive, thread=cid, tz=tz)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.pause(0.5)
        app.pane.focus()
        await pilot.pause()
        started = time.perf_counter()
        await pilot.press("i")
        screen = app.screen
        assert isinstance(screen, InsightsScreen)
        while screen.data is None:
            await asyncio.sleep(0.005)
        await pilot.pause()
        return (time.perf_counter() - started) * 1000


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--archive", type=Path, default=Path("/tmp/bench_archive_1m"))
    parser.add_argument("--download", type=Path, default=Path("/tmp/bench_fb_1m"),
                        help="generated download to import when --archive has no archive")
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--tz", default="Europe/Lisbon")
    args = parser.parse_args(argv)
    if not (args.archive / DB_NAME).exists():
        build_archive(args.archive, args.download, args.messages)
    open_archive(args.archive).conn.close()  # upgrades an older archive (builds the index)
    tz = resolve_tz(args.tz)
    db = open_archive(args.archive, readonly=True)
    total = db.execute("SELECT COUNT(*) FROM messages WHERE duplicate_of IS NULL").fetchone()[0]
    cid, count, title = db.execute(
        "SELECT id, message_count, title FROM conversations ORDER BY message_count DESC LIMIT 1"
    ).fetchone()
    print(f"archive: {args.archive}, {total:,} messages; largest conversation {cid} "
          f"({title}, {count:,} messages); times in {args.tz}")

    startup = process_ms(args.archive, ["--help"])
    print(f"  {'python start-up and imports (chatkeep --help)':<48} {startup}")
    failed = False
    for label, target in (("largest conversation", cid), ("whole archive", None)):
        print(f"{label}:")
        run = (lambda t=target: engine.insights(db, t, tz=tz))
        med, low, high, cpu = median_ms(run, args.repeat)
        ok = med <= GOAL_MS
        failed |= not ok
        print(f"  {'insights() in-process, median':<48} {med:>8,.0f} ms "
              f"(min {low:,.0f}, max {high:,.0f}, CPU {cpu:,.0f}; "
              f"goal <= {GOAL_MS}: {'ok' if ok else 'MISSED'})")
        for name, ms in stages(db, target, tz).items():
            print(f"    {name:<46} {ms:>8,.0f} ms")
        ref = [str(target)] if target is not None else []
        print(f"  {'chatkeep stats --json, whole process':<48} "
              f"{process_ms(args.archive, ['stats', *ref, '--json', '--tz', args.tz])}")
        print(f"  {'chatkeep stats (charts), whole process':<48} "
              f"{process_ms(args.archive, ['stats', *ref, '--tz', args.tz])}")
    shown = asyncio.run(reader_ms(args.archive, cid, tz))
    print(f"reader, i on the largest conversation to charts on screen: {shown:,.0f} ms")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
