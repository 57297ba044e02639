"""The importer a user would write by hand: the yardstick for chatkeep's speed.

``json.load`` each ``message_N.json``, repair the mojibake, ``sqlite-utils``
``insert_all`` of the four fields a reader wants (thread, sender, time, text)
with its defaults, then ``enable_fts``. No identity, no provenance, no
indexes, no joining: it is what chatkeep's import is compared with. (Inserting
each message's every key instead, with ``alter=True``, is about 3x slower
still: sqlite-utils then turns every absent key into a NULL column value.)

    python -m benchmarks.naive DOWNLOAD_FOLDER OUT.db
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import sqlite_utils


def fix(value: Any) -> Any:
    """Undo Meta's mojibake in every string."""
    if isinstance(value, str):
        try:
            return value.encode("latin-1").decode("utf-8")
        except (UnicodeEncodeError, UnicodeDecodeError):
            return value
    if isinstance(value, list):
        return [fix(v) for v in value]
    if isinstance(value, dict):
        return {k: fix(v) for k, v in value.items()}
    return value


def rows(folder: Path) -> Iterator[dict[str, Any]]:
    for path in sorted(folder.rglob("message_*.json")):
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
        for m in data["messages"]:
            yield {
                "thread": path.parent.name,
                "sender": fix(m.get("sender_name")),
                "timestamp_ms": m.get("timestamp_ms"),
                "text": fix(m.get("content")),
            }


def naive_import(folder: Path, db_path: Path) -> int:
    db = sqlite_utils.Database(db_path)
    db["messages"].insert_all(rows(folder))
    db["messages"].enable_fts(["text"])
    return db["messages"].count


def main() -> None:
    start = time.perf_counter()
    count = naive_import(Path(sys.argv[1]), Path(sys.argv[2]))
    print(f"{count} messages in {time.perf_counter() - start:.2f} s")


if __name__ == "__main__":
    main()
