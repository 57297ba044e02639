"""An in-memory FTS5 table with the archive's tokenizer.

It tells whether a word holds anything the index keeps (the tokenizer keeps
some symbols and drops others), and it marks the words that matched in
snippets and whole messages, whichever plan found them.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from collections.abc import Iterator

_LOCK = threading.Lock()
_db: sqlite3.Connection | None = None


@contextlib.contextmanager
def scratch_table() -> Iterator[sqlite3.Connection]:
    """The table ``scratch`` (columns ``text``, ``extra_text``), empty and this
    thread's alone until the block ends; what the block puts in it is gone
    after."""
    global _db
    with _LOCK:
        if _db is None:
            from ...store.schema import FTS_TOKENIZE_SQL

            conn = sqlite3.connect(":memory:", check_same_thread=False, isolation_level=None)
            conn.execute("CREATE VIRTUAL TABLE scratch USING fts5(text, extra_text, "
                         f"tokenize={FTS_TOKENIZE_SQL})")
            _db = conn
        _db.execute("BEGIN")
        try:
            yield _db
        finally:
            _db.execute("ROLLBACK")
