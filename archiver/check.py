"""Checking that an archive is whole: ``chatkeep check``.

:func:`check_archive` looks at what an interrupted import, a full disk, a bad
disk or a hand edit could have spoiled, and reports each problem in one plain
line:

- SQLite's own ``PRAGMA integrity_check`` and ``foreign_key_check``;
- the full-text index in step with the messages: one index entry per message
  (read from the index's ``docsize`` table), and FTS5's ``integrity-check``,
  which re-reads every message against the index;
- every message with its place in its conversation (``position``), and no
  conversation left half refreshed;
- every copied attachment present in ``media/`` with the SHA-256 it was
  stored under.

Nothing is ever written: the archive is opened read-only, and FTS5's check,
which SQLite only runs on a writable connection, runs inside a transaction
that is rolled back.
"""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .media import file_sha256
from .schema import DB_NAME, open_archive
from .sources import safe_relative

MAX_LISTED = 20  # ids listed in one problem line


@dataclass
class CheckReport:
    archive: str
    problems: list[str] = field(default_factory=list)
    messages: int = 0
    media_files: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        if self.ok:
            return "archive OK"
        n = len(self.problems)
        return f"{n} problem{'s' if n != 1 else ''}"

    def as_json(self) -> dict[str, Any]:
        return {
            "archive": self.archive, "ok": self.ok, "problems": self.problems,
            "messages": self.messages, "media_files": self.media_files,
        }


def check_archive(archive_dir: Path) -> CheckReport:
    """Check the archive in ``archive_dir``; raises ArchiveError when there is none."""
    archive_dir = Path(archive_dir)
    report = CheckReport(str(archive_dir))
    try:
        db = open_archive(archive_dir, readonly=True)
    except sqlite3.DatabaseError as exc:  # not even its header can be read
        report.problems.append(f"database: {archive_dir / DB_NAME} cannot be opened ({exc})")
        return report
    conn = db.conn
    try:
        steps = (
            ("database", _database), ("full-text index", _fts), ("positions", _positions),
            ("media", _media),
        )
        for name, step in steps:
            try:
                step(conn, archive_dir, report)
            except sqlite3.DatabaseError as exc:  # a file too damaged to query
                report.problems.append(f"{name}: cannot be checked ({exc})")
    finally:
        conn.close()
    return report


def _database(conn: sqlite3.Connection, archive_dir: Path, report: CheckReport) -> None:
    rows = [r[0] for r in conn.execute("PRAGMA integrity_check")]
    if rows != ["ok"]:
        report.problems.extend(f"database: {row}" for row in rows)
    orphans: dict[tuple[str, str], int] = {}
    for table, _rowid, parent, _fk in conn.execute("PRAGMA foreign_key_check"):
        orphans[(table, parent)] = orphans.get((table, parent), 0) + 1
    for (table, parent), n in sorted(orphans.items()):
        report.problems.append(f"database: {n:,} rows of {table} refer to missing {parent} rows")


def _fts(conn: sqlite3.Connection, archive_dir: Path, report: CheckReport) -> None:
    report.messages = conn.execute("SELECT COUNT(*) FROM messages").fetchone()[0]
    # One docsize row per indexed message, keyed by the message's id.
    unindexed, ids = _found(conn, "SELECT id FROM messages EXCEPT SELECT id FROM messages_fts_docsize")
    if unindexed:
        report.problems.append(
            f"full-text index: {unindexed:,} messages are not in the search index (ids {ids})"
        )
    stale, ids = _found(conn, "SELECT id FROM messages_fts_docsize EXCEPT SELECT id FROM messages")
    if stale:
        report.problems.append(
            f"full-text index: holds {stale:,} entries for messages that do not exist (ids {ids})"
        )
    if not unindexed and not stale:
        _fts_contents(archive_dir, report)


def _fts_contents(archive_dir: Path, report: CheckReport) -> None:
    """FTS5's own check of the index against every message's text."""
    db_path = archive_dir / DB_NAME
    if not os.access(db_path, os.W_OK):
        return  # SQLite runs it only on a writable connection; the id check stands
    try:
        conn = sqlite3.connect(db_path, isolation_level=None)
    except sqlite3.Error:
        return
    try:
        conn.execute("PRAGMA busy_timeout = 2000")
        conn.execute("BEGIN")
        try:
            conn.execute(
                "INSERT INTO messages_fts (messages_fts, rank) VALUES ('integrity-check', 1)"
            )
        except sqlite3.DatabaseError as exc:
            if "locked" in str(exc) or "busy" in str(exc):
                return  # an import is writing; the id check stands
            report.problems.append(
                "full-text index: does not match the text of the messages "
                f"({exc}); searches may miss or invent results"
            )
        finally:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
    finally:
        conn.close()


def _positions(conn: sqlite3.Connection, archive_dir: Path, report: CheckReport) -> None:
    unplaced, ids = _found(
        conn, "SELECT id FROM messages WHERE position IS NULL AND duplicate_of IS NULL"
    )
    if unplaced:
        report.problems.append(
            f"positions: {unplaced:,} messages have no place in their conversation (ids {ids}); "
            "an import was interrupted: run it again"
        )
    dirty = conn.execute("SELECT COUNT(*) FROM conversations WHERE dirty > 0").fetchone()[0]
    if dirty:
        report.problems.append(
            f"positions: {dirty:,} conversations were left half updated by an interrupted "
            "import: run it again"
        )


def _media(conn: sqlite3.Connection, archive_dir: Path, report: CheckReport) -> None:
    rows = conn.execute(
        "SELECT media_path, sha256, COUNT(*) FROM attachments WHERE media_path IS NOT NULL "
        "GROUP BY media_path, sha256 ORDER BY media_path"
    ).fetchall()
    report.media_files = len(rows)
    root = archive_dir.resolve()
    for media_path, sha256, uses in rows:
        used_by = f"used by {uses:,} attachment{'s' if uses != 1 else ''}"
        rel = safe_relative(media_path)
        if rel is None or not rel.startswith("media/"):
            report.problems.append(f"media: {media_path} points outside the archive's media folder")
            continue
        path = root / rel
        try:
            actual = file_sha256(path)
        except FileNotFoundError:
            report.problems.append(f"media: {path} is missing ({used_by})")
            continue
        except OSError as exc:
            report.problems.append(f"media: {path} cannot be read ({exc.strerror}; {used_by})")
            continue
        if sha256 and actual != sha256:
            report.problems.append(
                f"media: {path} has changed: its SHA-256 is {actual}, not {sha256} ({used_by})"
            )


def _found(conn: sqlite3.Connection, sql: str) -> tuple[int, str]:
    """How many rows ``sql`` finds, and the first ids of them as a listing."""
    count = conn.execute(f"SELECT COUNT(*) FROM ({sql})").fetchone()[0]
    if not count:
        return 0, ""
    ids = [str(r[0]) for r in conn.execute(f"{sql} ORDER BY 1 LIMIT {MAX_LISTED}")]
    return count, ", ".join(ids) + (", …" if count > MAX_LISTED else "")
