"""Joining the same conversation found in several downloads (FORMATS.md §6)."""

from __future__ import annotations

import sqlite_utils


def link_threads(db: sqlite_utils.Database, thread_ids: set[int]) -> None:
    """Join the given threads to the conversations they continue or repeat."""
    return None
