"""Rebuilding the search index with folded letters, as the schema upgrade does
on an older archive's first read-write open. Prints messages per second.

    python -m benchmarks.bench_upgrade [MESSAGES] [ROUNDS]
"""

from __future__ import annotations

import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

from archiver.store import migrations, opening, schema
from benchmarks.archive_1m import build_archive


def main() -> None:
    messages = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    with tempfile.TemporaryDirectory() as tmp:
        archive, download = Path(tmp) / "archive", Path(tmp) / "download"
        build_archive(archive, download, messages)
        times = []
        for _ in range(rounds):
            conn = sqlite3.connect(archive / opening.DB_NAME, isolation_level=None)
            started = time.perf_counter()
            conn.execute("BEGIN")
            migrations.rebuild_search_index(conn)
            conn.execute("COMMIT")
            times.append(time.perf_counter() - started)
            conn.close()
        plain = []  # the same index without folding, for comparison
        for _ in range(rounds):
            conn = sqlite3.connect(archive / opening.DB_NAME, isolation_level=None)
            conn.execute("BEGIN")
            conn.execute("CREATE VIRTUAL TABLE plain_fts USING fts5(text, extra_text, "
                         f"tokenize={schema.FTS_TOKENIZE_SQL}, content='messages', "
                         "content_rowid='id')")
            started = time.perf_counter()
            conn.execute("INSERT INTO plain_fts (rowid, text, extra_text) "
                         "SELECT id, text, extra_text FROM messages")
            plain.append(time.perf_counter() - started)
            conn.execute("ROLLBACK")
            conn.close()
        median = statistics.median(times)
        print(f"index rebuilt over {messages:,} messages: median {median:.2f} s "
              f"({messages / median:,.0f} messages/s, {rounds} rounds); without folding "
              f"{statistics.median(plain):.2f} s (x{median / statistics.median(plain):.2f})")


if __name__ == "__main__":
    main()
