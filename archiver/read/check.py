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
  stored under;
- every text value valid UTF-8 (a hand edit or a bad disk can leave bytes
  that are not: every command reads them as U+FFFD, and ``--repair`` writes
  them so).

Nothing is ever written: the archive is opened read-only, and FTS5's check,
which SQLite only runs on a writable connection, runs inside a transaction
that is rolled back.
"""

from __future__ import annotations

import os
import shlex
import sqlite3
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..paths import safe_relative
from ..safefs import NotAFile
from ..store.media import OutsideArchive, file_sha256, open_media
from ..store.opening import (
    DB_NAME,
    ArchiveError,
    ArchiveUnavailable,
    NoArchive,
    open_archive,
    reading_connection,
)
from ..store.schema import foreign_objects

MAX_LISTED = 20  # ids listed in one problem line


@dataclass
class CheckReport:
    archive: str
    problems: list[str] = field(default_factory=list)
    # The command that fixes each problem, in step with ``problems``.
    fixes: list[str] = field(default_factory=list)
    messages: int = 0  # unique messages, as stats counts them
    copies: int = 0  # another app's copy of a kept message (stats shows each once)
    media_files: int = 0

    def add(self, problem: str, fix: str) -> None:
        self.problems.append(problem)
        self.fixes.append(fix)

    @property
    def ok(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        """``archive OK (N messages, …)`` or ``N problems (…)``: the counts are
        those of ``stats``, with the other apps' copies named apart."""
        if self.ok:
            head = "archive OK"
        else:
            n = len(self.problems)
            head = f"{n} problem{'s' if n != 1 else ''}"
        copies = (
            f" and {self.copies:,} copies of them from another app's download"
            if self.copies else ""
        )
        return (f"{head} ({self.messages:,} messages{copies}, "
                f"{self.media_files:,} media files checked)")

    def as_json(self) -> dict[str, Any]:
        return {
            "archive": self.archive, "ok": self.ok, "problems": self.problems,
            "fixes": self.fixes, "messages": self.messages, "copies": self.copies,
            "media_files": self.media_files,
        }


def check_archive(archive_dir: Path) -> CheckReport:
    """Check the archive in ``archive_dir``; raises ArchiveError when there is none."""
    archive_dir = Path(archive_dir)
    report = CheckReport(str(archive_dir))
    fixes = _Fixes(archive_dir)
    try:
        db = open_archive(archive_dir, readonly=True)
    except (NoArchive, ArchiveUnavailable):
        raise  # nothing is damaged: said as every command says it
    except ArchiveError as exc:  # not even its header can be read
        report.add(f"database: {archive_dir / DB_NAME} cannot be opened ({exc})",
                   fixes.restore())
        return report
    conn = db.conn
    fixes.conn = conn
    # The full-text index's checks read as much as SQLite's own: on a big
    # archive they run beside it, on a connection and in a thread of their own
    # (SQLite lets go of the GIL), their problems listed in their place.
    # Objects chatkeep did not make are known before anything reads through
    # the index's view (the full-text checks skip it then).
    _step("schema", _schema, conn, archive_dir, report, fixes)
    beside = CheckReport(report.archive)
    fts = _Beside(lambda c: _step("full-text index", _fts, c, archive_dir, beside, fixes),
                  archive_dir, conn)
    try:
        for name, step in (("database", _database), ("text", _text)):
            _step(name, step, conn, archive_dir, report, fixes)
        fts.wait()
        report.messages, report.copies = beside.messages, beside.copies
        report.problems += beside.problems
        report.fixes += beside.fixes
        for name, step in (("positions", _positions), ("media", _media)):
            _step(name, step, conn, archive_dir, report, fixes)
    finally:
        fts.wait()
        conn.close()
    return report


def _step(name: str, step: Any, conn: sqlite3.Connection, archive_dir: Path,
          report: CheckReport, fixes: _Fixes) -> None:
    try:
        step(conn, archive_dir, report, fixes)
    except sqlite3.DatabaseError as exc:  # a file too damaged to query
        report.add(f"{name}: cannot be checked ({exc})", fixes.restore())


class _Beside:
    """``work`` on a read-only connection of its own, in a thread; at once on
    ``conn`` when the archive cannot be opened a second time."""

    def __init__(self, work: Any, archive_dir: Path, conn: sqlite3.Connection) -> None:
        self.error: BaseException | None = None
        self.thread: threading.Thread | None = None
        try:
            own = reading_connection(archive_dir / DB_NAME)
        except (ArchiveError, sqlite3.Error):
            work(conn)
            return

        def run() -> None:
            try:
                work(own)
            except BaseException as exc:  # noqa: BLE001 (raised again by wait())
                self.error = exc
            finally:
                own.close()

        self.thread = threading.Thread(target=run, name="check-fts", daemon=True)
        self.thread.start()

    def wait(self) -> None:
        """Until the work is done; its error, if any, is raised here (once)."""
        if self.thread is not None:
            self.thread.join()
            self.thread = None
        error, self.error = self.error, None
        if error is not None:
            raise error


class _Fixes:
    """The commands that fix each kind of problem, ready to paste."""

    def __init__(self, archive_dir: Path) -> None:
        self.archive_dir = archive_dir
        self.conn: sqlite3.Connection | None = None
        self._sources: str | None = None
        self.foreign: list[str] = []  # schema objects chatkeep did not make: never run

    def _chatkeep(self, *args: str) -> str:
        return " ".join(["chatkeep", "--archive", shlex.quote(str(self.archive_dir)), *args])

    def repair(self) -> str:
        return self._chatkeep("check", "--repair")

    def downloads(self, where: str = "", params: tuple[Any, ...] = ()) -> list[str]:
        """Where the downloads (all, or those ``where`` selects) were imported from."""
        if self.conn is None:
            return []
        rows = self.conn.execute(
            f"SELECT DISTINCT d.source FROM downloads d {where} ORDER BY d.id", params
        ).fetchall()
        return [p for (source,) in rows if source for p in source.split(", ")]

    def reimport(self, where: str = "", params: tuple[Any, ...] = ()) -> str:
        paths = self.downloads(where, params) or ["PATH"]
        return self._chatkeep("import", *(shlex.quote(p) for p in paths))

    def restore(self) -> str:
        """A database that cannot be trusted: a backup, or a new archive from
        the same downloads (the old file is kept aside, never deleted)."""
        db = shlex.quote(str(self.archive_dir / DB_NAME))
        paths = " ".join(shlex.quote(p) for p in self.downloads()) or "PATH..."
        return (f"restore {DB_NAME} from a backup, or rebuild it from your downloads: "
                f"mv {db} {db}.damaged && chatkeep --archive "
                f"{shlex.quote(str(self.archive_dir))} import {paths}")


def _schema(
    conn: sqlite3.Connection, archive_dir: Path, report: CheckReport, fixes: _Fixes
) -> None:
    """Views, triggers and other objects chatkeep did not create (a handed-over
    archive may hold a view that never ends): named, and never run."""
    fixes.foreign = foreign_objects(conn)
    for thing in fixes.foreign:
        report.add(f"database: {thing} was not made by chatkeep; it is not run, and "
                   "check --repair will not run it", fixes.restore())


def _database(
    conn: sqlite3.Connection, archive_dir: Path, report: CheckReport, fixes: _Fixes
) -> None:
    rows = [r[0] for r in conn.execute("PRAGMA integrity_check")]
    if rows != ["ok"]:
        for row in rows:
            report.add(f"database: {row}", fixes.restore())
    orphans: dict[tuple[str, str], int] = {}
    for table, _rowid, parent, _fk in conn.execute("PRAGMA foreign_key_check"):
        orphans[(table, parent)] = orphans.get((table, parent), 0) + 1
    for (table, parent), n in sorted(orphans.items()):
        report.add(f"database: {n:,} rows of {table} refer to missing {parent} rows",
                   fixes.restore())


def _fts(conn: sqlite3.Connection, archive_dir: Path, report: CheckReport, fixes: _Fixes) -> None:
    total, copies = conn.execute(
        "SELECT COUNT(*), COUNT(duplicate_of) FROM messages"
    ).fetchone()
    report.messages, report.copies = total - copies, copies
    # One docsize row per indexed message, keyed by the message's id.
    unindexed, ids = _found(conn, "SELECT id FROM messages EXCEPT SELECT id FROM messages_fts_docsize")
    if unindexed:
        report.add(
            f"full-text index: {unindexed:,} messages are not in the search index (ids {ids})",
            fixes.repair(),
        )
    stale, ids = _found(conn, "SELECT id FROM messages_fts_docsize EXCEPT SELECT id FROM messages")
    if stale:
        report.add(
            f"full-text index: holds {stale:,} entries for messages that do not exist (ids {ids})",
            fixes.repair(),
        )
    if not unindexed and not stale and not fixes.foreign:  # FTS5 reads through the view
        _fts_contents(archive_dir, report, fixes)


def _fts_contents(archive_dir: Path, report: CheckReport, fixes: _Fixes) -> None:
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
            report.add(
                "full-text index: does not match the text of the messages "
                f"({exc}); searches may miss or invent results",
                fixes.repair(),
            )
        finally:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
    finally:
        conn.close()


def _positions(
    conn: sqlite3.Connection, archive_dir: Path, report: CheckReport, fixes: _Fixes
) -> None:
    unplaced, ids = _found(
        conn, "SELECT id FROM messages WHERE position IS NULL AND duplicate_of IS NULL"
    )
    if unplaced:
        report.add(
            f"positions: {unplaced:,} messages have no place in their conversation (ids {ids}); "
            "an import was interrupted: run it again",
            fixes.repair(),
        )
    dirty = conn.execute("SELECT COUNT(*) FROM conversations WHERE dirty > 0").fetchone()[0]
    if dirty:
        report.add(
            f"positions: {dirty:,} conversations were left half updated by an interrupted "
            "import: run it again",
            fixes.repair(),
        )


def _media(conn: sqlite3.Connection, archive_dir: Path, report: CheckReport, fixes: _Fixes) -> None:
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
            report.add(f"media: {media_path} points outside the archive's media folder",
                       fixes.restore())
            continue
        path = root / rel
        held_by = (
            "JOIN message_downloads md ON md.download_id = d.id "
            "JOIN attachments a ON a.message_id = md.message_id WHERE a.media_path = ?"
        )
        reimport = fixes.reimport(held_by, (media_path,))
        # Opened inside media/ only, never through a link nor blocking: a
        # link to /dev/zero or a FIFO is named, not read.
        try:
            with open_media(root, rel) as held:
                actual = file_sha256(held)
        except OutsideArchive as exc:
            if exc.link is None:
                report.add(f"media: {media_path} points outside the archive's media folder",
                           fixes.restore())
                continue
            # The fix removes the link itself, never what it points to.
            report.add(f"media: {path} is outside the archive: {exc.link} is a symbolic link "
                       f"({used_by})", f"rm {shlex.quote(str(exc.link))} && {reimport}")
            continue
        except NotAFile as exc:
            remove = "rm -r" if exc.what == "a folder" else "rm"
            report.add(f"media: {path} is {exc.what}, not a file ({used_by})",
                       f"{remove} {shlex.quote(str(path))} && {reimport}")
            continue
        except FileNotFoundError:
            report.add(f"media: {path} is missing ({used_by})", reimport)
            continue
        except OSError as exc:
            report.add(f"media: {path} cannot be read ({exc.strerror}; {used_by})",
                       f"rm {shlex.quote(str(path))} && {reimport}")
            continue
        if sha256 and actual != sha256:
            report.add(
                f"media: {path} has changed: its SHA-256 is {actual}, not {sha256} ({used_by})",
                f"rm {shlex.quote(str(path))} && {reimport}",
            )


def _not_utf8(*values: bytes | None) -> bool:
    """True when one of ``values`` (text read as its bytes) is not UTF-8."""
    for value in values:
        if value is not None and not value.isascii():
            try:
                value.decode("utf-8")
            except UnicodeDecodeError:
                return True
    return False


def _text_columns(conn: sqlite3.Connection) -> list[tuple[str, list[str]]]:
    """The archive's tables (not the search index's own) and their text columns."""
    tables = [r[0] for r in conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
        "AND name NOT LIKE 'messages_fts%' ORDER BY name")]
    out = []
    for table in tables:
        columns = [row[1] for row in conn.execute(f'PRAGMA table_info("{table}")')
                   if "TEXT" in (row[2] or "").upper() or not row[2]]
        if columns:
            out.append((table, columns))
    return out


def bad_text(conn: sqlite3.Connection) -> list[tuple[str, str, list[int]]]:
    """(table, column, rowids) of every text value that is not UTF-8."""
    conn.create_function("chatkeep_not_utf8", -1, _not_utf8, deterministic=True)
    found = []
    for table, columns in _text_columns(conn):
        blobs = ", ".join(f'CAST("{c}" AS BLOB)' for c in columns)
        rows = conn.execute(
            f'SELECT rowid, {blobs} FROM "{table}" WHERE chatkeep_not_utf8({blobs})'
        ).fetchall()
        for i, column in enumerate(columns, start=1):
            ids = [r[0] for r in rows if _not_utf8(r[i])]
            if ids:
                found.append((table, column, ids))
    return found


def _text(conn: sqlite3.Connection, archive_dir: Path, report: CheckReport, fixes: _Fixes) -> None:
    for table, column, ids in bad_text(conn):
        listed = ", ".join(str(i) for i in ids[:MAX_LISTED]) + (", …" if len(ids) > MAX_LISTED
                                                                 else "")
        report.add(
            f"text: {len(ids):,} {table}.{column} value{'s are' if len(ids) != 1 else ' is'} "
            f"not UTF-8 (rows {listed}); shown with U+FFFD (\ufffd) in place of the bad bytes",
            fixes.repair(),
        )


def _found(conn: sqlite3.Connection, sql: str) -> tuple[int, str]:
    """How many rows ``sql`` finds, and the first ids of them as a listing."""
    count = conn.execute(f"SELECT COUNT(*) FROM ({sql})").fetchone()[0]
    if not count:
        return 0, ""
    ids = [str(r[0]) for r in conn.execute(f"{sql} ORDER BY 1 LIMIT {MAX_LISTED}")]
    return count, ", ".join(ids) + (", …" if count > MAX_LISTED else "")


class ForeignSchema(ArchiveError):
    """An archive holding schema objects chatkeep did not create."""


def repair_archive(archive_dir: Path) -> list[str]:
    """Fix what can be fixed inside the archive (``check --repair``): rebuild
    the full-text index from the messages, and give every message its place
    again. Returns what was done. Missing media come back by importing a
    download that holds them; a damaged database from a backup. Raises
    :class:`ForeignSchema`, changing nothing, when the archive holds views,
    triggers or other objects chatkeep did not create."""
    from ..store import conversations
    from ..store.lock import release_lock, take_lock

    archive_dir = Path(archive_dir)
    db = open_archive(archive_dir, readonly=True)  # no archive: say so, create nothing
    try:
        foreign = foreign_objects(db.conn)
    finally:
        db.conn.close()
    if foreign:
        # A rebuild reads through the index's view, and writes fire triggers:
        # objects someone else made are never run.
        raise ForeignSchema(
            f"{archive_dir / DB_NAME} holds what chatkeep did not make: {', '.join(foreign)}. "
            "check --repair runs none of it and changes nothing; restore the archive from a "
            "backup, or rebuild it from your downloads (chatkeep check says how)."
        )
    lock = take_lock(archive_dir)
    try:
        db = open_archive(archive_dir)
        conn = db.conn
        try:
            done = []
            conn.execute("BEGIN IMMEDIATE")
            rewritten = 0
            for table, column, ids in bad_text(conn):
                for rowid in ids:  # read as U+FFFD where bytes are not UTF-8, then written
                    value = conn.execute(f'SELECT "{column}" FROM "{table}" WHERE rowid = ?',
                                         (rowid,)).fetchone()[0]
                    conn.execute(f'UPDATE "{table}" SET "{column}" = ? WHERE rowid = ?',
                                 (value, rowid))
                    rewritten += 1
            if rewritten:
                done.append(f"wrote {rewritten:,} text value{'s' if rewritten != 1 else ''} "
                            "that were not UTF-8 with U+FFFD (\ufffd) in place of the bad bytes")
            conn.execute("INSERT INTO messages_fts (messages_fts) VALUES ('rebuild')")
            conn.execute(
                "UPDATE conversations SET dirty = 1 WHERE dirty > 0 OR id IN (SELECT "
                "conversation_id FROM messages WHERE position IS NULL AND duplicate_of IS NULL)"
            )
            conn.execute("COMMIT")
            done.append("rebuilt the full-text index")
            placed = conversations.refresh_conversations(db)
            if placed:
                done.append(f"put the messages of {placed:,} conversations in order")
            return done
        finally:
            conn.close()
    finally:
        release_lock(lock)
