"""Reading the archive as one snapshot while an import may be writing to it.

An export reads a conversation a page at a time; an import running meanwhile
(the archive is in WAL mode, so it may) renumbers positions and adds messages.
Inside :func:`snapshot` every query sees the archive as it was at the first,
so the export neither writes a message twice nor leaves one out.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any


@contextlib.contextmanager
def snapshot(db: Any) -> Iterator[None]:
    """Read the archive as one snapshot: every query inside sees it as it was
    at the first, whatever an import commits meanwhile (SQLite's read
    transaction; WAL lets the import go on). Nested uses are one snapshot."""
    conn = getattr(db, "conn", db)
    if conn.in_transaction:
        yield
        return
    conn.execute("BEGIN")
    try:
        yield
    finally:
        if conn.in_transaction:
            conn.execute("ROLLBACK")  # nothing was written: ending the read is all
