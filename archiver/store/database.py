"""An open archive: its SQLite connection and the two calls made on it.

The engine reads and writes the archive with ``sqlite3`` directly. Only a new
archive's first tables are declared through sqlite-utils (see
``schema.create_first_tables``), imported there and then: importing sqlite-utils costs
a reading command about 0.17 s of start-up (its plugin discovery), more than
the rest of ``chatkeep search`` together.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from typing import Any


class Database:
    """An archive's connection (``conn``), with ``execute`` and
    ``executemany`` as shorthands for the connection's own."""

    __slots__ = ("conn",)

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def execute(self, sql: str, parameters: Any = ()) -> sqlite3.Cursor:
        """Run one statement on the archive's connection."""
        return self.conn.execute(sql, parameters)

    def executemany(self, sql: str, rows: Iterable[Any]) -> sqlite3.Cursor:
        """Run one statement for each of ``rows``."""
        return self.conn.executemany(sql, rows)

    def close(self) -> None:
        """Close the connection."""
        self.conn.close()
