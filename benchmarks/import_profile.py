"""Where a large import's time goes: its phases, and each side of the pipeline.

    python -m benchmarks.import_profile DOWNLOAD [--statements]

Imports DOWNLOAD into a fresh archive in this process (the reading process
forked as usual) and prints: the time to the first message, the time the
writer waited for the reading process, the index build after the last
message, cross-app linking, the whole; the writer's and the reading
process's CPU seconds and peak memory. With ``--statements``, also the
writer's SQLite time per statement (timing each call costs a little).
"""

from __future__ import annotations

import argparse
import collections
import resource
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from archiver.ingest import importer, pipeline
from archiver.store import crossapp, schema
from archiver.store.writer import ArchiveWriter

SPENT: collections.Counter[str] = collections.Counter()
CALLS: collections.Counter[str] = collections.Counter()
FIRST: list[float] = []


def timed(owner: Any, name: str, label: str) -> None:
    """Add the time spent in ``owner.name`` to SPENT[label]."""
    original = getattr(owner, name)

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            SPENT[label] += time.perf_counter() - start

    setattr(owner, name, wrapper)


class TimedConnection:
    """The writer's connection, timing each statement by its first words."""

    def __init__(self, conn: Any) -> None:
        self._conn = conn

    def __getattr__(self, name: str) -> Any:
        return getattr(self._conn, name)

    def _timed(self, method: str, sql: str, *args: Any) -> Any:
        label = " ".join(sql.split()[:4])[:60]
        start = time.perf_counter()
        try:
            return getattr(self._conn, method)(sql, *args)
        finally:
            SPENT[f"sql: {label}"] += time.perf_counter() - start
            CALLS[f"sql: {label}"] += 1

    def execute(self, sql: str, *args: Any) -> Any:
        return self._timed("execute", sql, *args)

    def executemany(self, sql: str, *args: Any) -> Any:
        return self._timed("executemany", sql, *args)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("download", type=Path)
    parser.add_argument("--statements", action="store_true")
    opts = parser.parse_args()

    timed(schema, "ensure_indexes", "index build")
    timed(crossapp, "link_threads", "cross-app linking")
    receive = pipeline._receive

    def receive_and_time(receiver: Any, worker: Any) -> Any:
        start = time.perf_counter()
        event = receive(receiver, worker)
        SPENT["writer waiting for the reader"] += time.perf_counter() - start
        if not FIRST:
            FIRST.append(time.perf_counter())
        return event

    pipeline._receive = receive_and_time
    if opts.statements:
        setup = ArchiveWriter.__init__

        def init(self: Any, *args: Any, **kwargs: Any) -> None:
            setup(self, *args, **kwargs)
            self.conn = TimedConnection(self.conn)

        ArchiveWriter.__init__ = init  # type: ignore[method-assign]

    work = Path(tempfile.mkdtemp(prefix="chatkeep-profile-"))
    try:
        start = time.perf_counter()
        cpu = time.process_time()
        report = importer.import_downloads(work / "archive", [opts.download], copy_media=False)
        wall = time.perf_counter() - start
        writer_cpu = time.process_time() - cpu
    finally:
        shutil.rmtree(work, ignore_errors=True)
    readers = resource.getrusage(resource.RUSAGE_CHILDREN)
    writer = resource.getrusage(resource.RUSAGE_SELF)
    print(f"messages added                 {report.messages_added:,}")
    print(f"whole import                   {wall:.2f} s")
    print(f"first message reached writer   {FIRST[0] - start:.2f} s" if FIRST else "")
    for label in ("writer waiting for the reader", "index build", "cross-app linking"):
        print(f"{label:<30} {SPENT[label]:.2f} s")
    print(f"writer CPU, peak memory        {writer_cpu:.2f} s, {writer.ru_maxrss / 1024:.0f} MB")
    print(f"reading process CPU, memory    {readers.ru_utime + readers.ru_stime:.2f} s, "
          f"{readers.ru_maxrss / 1024:.0f} MB")
    if opts.statements:
        print("writer's SQLite time by statement (seconds, calls):")
        for label, seconds in SPENT.most_common():
            if label.startswith("sql: ") and seconds >= 0.01:
                print(f"  {seconds:6.2f} {CALLS[label]:7,}  {label[5:]}")


if __name__ == "__main__":
    main()
