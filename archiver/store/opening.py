"""Opening an archive, and saying plainly what is wrong with one.

:func:`open_archive` is the one way to open an archive, read-write (creating
it, 0700 and 0600, and upgrading it) or read-only (SQLite's ``mode=ro``, or
``immutable`` where SQLite cannot write beside the file). Before anything is
written, :func:`inspect_archive` reads the file's header: a missing, empty,
foreign, cut short, newer or locked database is an :class:`ArchiveError`
whose message says what is wrong and what to do, and the file is never
changed. SQLite's own errors met later become such sentences too
(:func:`describe_error`).
"""

from __future__ import annotations

import errno
import functools
import os
import shutil
import sqlite3
from pathlib import Path

from ..safefs import NotAFile, open_regular_file
from .database import Database
from .schema import OWN_TABLES, SCHEMA_VERSION, ensure_indexes

DB_NAME = "chatkeep.db"
MEDIA_DIR = "media"
# Pages of a new archive, in bytes. Larger pages than SQLite's 4,096 make a
# large import cheaper (fewer pages to fill, write and checkpoint, shallower
# indexes to build) and cost little when reading; an archive made with
# another size keeps its own.
PAGE_SIZE = 32768


class ArchiveError(Exception):
    """The archive cannot be opened as asked; the message says why and what to do."""


class NoArchive(ArchiveError):
    """There is no archive in the folder yet."""


class ArchiveUnavailable(ArchiveError):
    """A whole archive that cannot be used now or here: made by a newer
    chatkeep, locked by another program, or read-only for a write. Nothing
    in it is damaged."""


class ArchiveOutdated(ArchiveError):
    """Made by an older chatkeep: upgraded on the next read-write open."""


SQLITE_HEADER = b"SQLite format 3\x00"


def default_archive_dir() -> Path:
    env = os.environ.get("CHATKEEP_ARCHIVE")
    if env:
        return Path(env).expanduser()
    import platformdirs

    return Path(platformdirs.user_data_dir("chatkeep", appauthor=False))


def open_archive(directory: Path, *, readonly: bool = False) -> Database:
    """Open (or, read-write, create) the archive in ``directory``.

    Read-write creates the folder 0700 and the database 0600 and migrates the
    schema. Read-only uses SQLite's ``mode=ro`` so no write can ever happen;
    when SQLite cannot make its ``-wal``/``-shm`` files beside the database (a
    read-only folder or mount, a full disk) it reads the file as ``immutable``.
    Every problem (no archive, a damaged, foreign, newer or locked database, a
    read-only folder for writing) is an ArchiveError whose message says what is
    wrong and what to do; the database is never changed when there is one.
    """
    directory = Path(directory)
    db_path = directory / DB_NAME
    if readonly:
        try:
            return _open_readonly(directory, db_path)
        except ArchiveOutdated:
            # An archive of an older chatkeep is upgraded where it can be written.
            if not _writable(directory, db_path):
                raise ArchiveError(
                    f"{db_path} was made by an older chatkeep and cannot be upgraded where "
                    "it is, because the folder is read-only. Copy the folder somewhere "
                    "writable and open the copy (--archive DIR)."
                ) from None
            open_archive(directory).conn.close()
            return _open_readonly(directory, db_path)
    inspect_archive(directory, for_writing=True)
    if directory.exists() and not _writable(directory, db_path):
        raise read_only_error(directory)
    old_umask = os.umask(0o077)
    try:
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        (directory / MEDIA_DIR).mkdir(exist_ok=True, mode=0o700)
        if not db_path.exists():
            # Create the file ourselves so it is 0600 from its first byte.
            os.close(os.open(db_path, os.O_CREAT | os.O_WRONLY, 0o600))
        conn = sqlite3.connect(db_path, check_same_thread=False, isolation_level=None)
        conn.text_factory = READ_TEXT
    except OSError as exc:
        if exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
            raise read_only_error(directory) from None
        raise ArchiveError(f"cannot write the archive at {directory} ({exc.strerror or exc})") from None
    finally:
        os.umask(old_umask)
    try:
        conn.execute("PRAGMA busy_timeout = 5000")
        if os.path.getsize(db_path) == 0:
            # Only a new file takes a page size (see PAGE_SIZE).
            conn.execute(f"PRAGMA page_size = {PAGE_SIZE}")
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
        # A larger page cache for big imports; index builds sort in temporary files,
        # not in memory, so an import's memory stays flat.
        conn.execute("PRAGMA cache_size = -16000")
        conn.execute("PRAGMA foreign_keys = OFF")
        if max_pages := os.environ.get("CHATKEEP_MAX_PAGE_COUNT"):
            # Tests simulate a full disk by capping the database's size.
            conn.execute(f"PRAGMA max_page_count = {int(max_pages)}")
        db = Database(conn)
        from .migrations import migrate  # which imports this module

        migrate(db, db_path)
        ensure_indexes(conn)
    except sqlite3.Error as exc:
        conn.close()
        raise error_for(exc, directory) from None
    for suffix in ("-wal", "-shm"):
        side = Path(str(db_path) + suffix)
        if side.exists():
            side.chmod(0o600)
    return db


def read_only_error(directory: Path) -> ArchiveError:
    return ArchiveUnavailable(
        f"{directory} is read-only, so nothing can be written to the archive there. "
        "Copy it somewhere writable and use the copy (--archive DIR)."
    )


def _writable(directory: Path, db_path: Path) -> bool:
    return os.access(directory, os.W_OK) and (
        not db_path.exists() or os.access(db_path, os.W_OK)
    )


def inspect_archive(directory: Path, *, for_writing: bool = False) -> None:
    """Raise ArchiveError when the folder's ``chatkeep.db`` is not an archive
    chatkeep may use: missing (for reading), empty (for reading), not SQLite,
    cut short, another program's database, or made by a newer chatkeep. Reads
    the file's header only; writes nothing."""
    db_path = Path(directory) / DB_NAME
    try:
        # A regular file only, opened without blocking: a FIFO or a device
        # named chatkeep.db is said, never read.
        with open_regular_file(db_path, follow=True) as f:
            header = f.read(100)
            size = os.fstat(f.fileno()).st_size
    except FileNotFoundError:
        if for_writing:
            return
        raise NoArchive(
            f"No archive at {directory}. Import a download first: chatkeep import PATH"
        ) from None
    except NotAFile as exc:
        raise ArchiveError(f"{db_path} is {exc.what}, not an archive. Move it away, or choose "
                           "another folder with --archive DIR.") from None
    except OSError as exc:
        raise ArchiveError(f"{db_path} cannot be read ({exc.strerror or exc}).") from None
    if size == 0:
        if for_writing:
            return  # nothing in it to lose: an import starts the archive there
        raise ArchiveError(
            f"{db_path} is empty (0 bytes), so it holds no archive. Import a download to "
            "start one (chatkeep import PATH), or restore the file from a backup."
        )
    if not header.startswith(SQLITE_HEADER):
        raise ArchiveError(
            f"{db_path} is not a chatkeep archive (it is not an SQLite database). "
            "Move it away, or choose another folder with --archive DIR."
        )
    page_size = int.from_bytes(header[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    pages = int.from_bytes(header[28:32], "big")
    # The page count in the header is valid when the two change counters agree.
    valid = header[24:28] == header[92:96] and pages > 0 and page_size >= 512
    wal = Path(str(db_path) + "-wal")
    wal_size = wal.stat().st_size if wal.exists() else 0
    if valid and size < pages * page_size and not wal_size:
        raise ArchiveError(
            f"{db_path} is damaged: the file is cut short ({size:,} of {pages * page_size:,} "
            "bytes). Restore it from a backup; chatkeep leaves it as it is."
        )
    # Peek without changing anything, not even SQLite's -wal and -shm files: a
    # newer or foreign database is never touched. (With changes still in the
    # -wal file, SQLite must read it, through its usual files.)
    facts = None
    if not wal_size:
        try:
            conn = sqlite3.connect(f"{db_path.resolve().as_uri()}?immutable=1", uri=True)
            try:
                facts = _facts(conn)
            finally:
                conn.close()
        except sqlite3.Error:
            facts = None  # asked again below, the usual way, which explains the error
    if facts is None:
        conn = _connect_readonly(Path(directory), db_path)
        try:
            facts = _facts(conn)
        except sqlite3.Error as exc:
            raise error_for(exc, Path(directory)) from None
        finally:
            conn.close()
    _judge(*facts, db_path, allow_older=True)


def _open_readonly(directory: Path, db_path: Path) -> Database:
    inspect_archive(directory)
    conn = _connect_readonly(directory, db_path)
    try:
        _check_version(conn, db_path, directory)
    except BaseException:
        conn.close()
        raise
    return Database(conn)


def reading_connection(db_path: Path | str) -> sqlite3.Connection:
    """One more read-only connection to an archive already opened (for work in
    another thread), made the way :func:`open_archive` makes its own: an
    archive that cannot be written is read there too."""
    db_path = Path(db_path)
    return _connect_readonly(db_path.parent, db_path)


def _connect_readonly(directory: Path, db_path: Path) -> sqlite3.Connection:
    """A read-only connection that has read the database's first page."""
    uri = db_path.resolve().as_uri()
    try:
        return _probe(sqlite3.connect(f"{uri}?mode=ro", uri=True, check_same_thread=False))
    except sqlite3.Error as exc:
        if _busy(exc) or isinstance(exc, sqlite3.DatabaseError) and not isinstance(
            exc, sqlite3.OperationalError
        ):
            raise error_for(exc, directory) from None
        first = exc
    # SQLite could not make its -wal/-shm files (a read-only folder or mount, a
    # full disk). Read the file as it is, unless changes are still in the -wal
    # file: without SQLite's index of them they cannot be read safely.
    wal = Path(str(db_path) + "-wal")
    if wal.exists() and wal.stat().st_size:
        if "IOERR" in (getattr(first, "sqlite_errorname", "") or "") or _disk_nearly_full(directory):
            raise ArchiveError(_full_disk_sentence(directory)) from None
        raise ArchiveError(
            f"{directory} is read-only and the archive's last changes are still in "
            f"{wal.name}, which SQLite cannot read without writing beside it. Copy the "
            "folder somewhere writable and open the copy (--archive DIR)."
        ) from None
    try:
        return _probe(sqlite3.connect(f"{uri}?immutable=1", uri=True, check_same_thread=False))
    except sqlite3.Error as exc:
        raise error_for(exc, directory) from None


# Text is read as UTF-8 with any byte that is not (a hand edit, a damaged
# page) read as U+FFFD, so one bad title never fails a whole command; check
# reports such text and check --repair rewrites it. A C callable: no Python
# frame per value.
READ_TEXT = functools.partial(str, encoding="utf-8", errors="replace")


def _probe(conn: sqlite3.Connection) -> sqlite3.Connection:
    conn.text_factory = READ_TEXT
    try:
        # A reader waits a moment for a writer, then says who holds the archive.
        conn.execute("PRAGMA busy_timeout = 2000")
        conn.execute("PRAGMA query_only = 1")
        conn.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()
    except BaseException:
        conn.close()
        raise
    return conn


def _facts(conn: sqlite3.Connection) -> tuple[int, set[str]]:
    """The schema version and the tables of a database."""
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    tables = {r[0] for r in conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
        "AND name NOT LIKE 'messages_fts%'"
    )}
    return version, tables


def _check_version(
    conn: sqlite3.Connection, db_path: Path, directory: Path, *, allow_older: bool = False
) -> None:
    try:
        facts = _facts(conn)
    except sqlite3.Error as exc:
        raise error_for(exc, directory) from None
    _judge(*facts, db_path, allow_older=allow_older)


def _judge(version: int, tables: set[str], db_path: Path, *, allow_older: bool) -> None:
    """Raise the ArchiveError that a database of this version and these
    tables deserves, if any."""
    if version > SCHEMA_VERSION:
        raise ArchiveUnavailable(
            f"{db_path} was made by a newer chatkeep (schema {version}; this one reads up "
            f"to {SCHEMA_VERSION}). Upgrade chatkeep to open it; the archive is left as it is."
        )
    if not tables <= OWN_TABLES or (version >= 1 and "messages" not in tables):
        raise ArchiveError(
            f"{db_path} is an SQLite database of another program, not a chatkeep archive. "
            "Move it away, or choose another folder with --archive DIR."
        )
    if version < SCHEMA_VERSION and not allow_older:
        if version < 1:  # a first import that was cut off before it made anything
            raise ArchiveError(
                f"{db_path} holds no archive yet (its first import was interrupted). "
                "Run the import again: chatkeep import PATH"
            )
        raise ArchiveOutdated(f"{db_path}: made by an older chatkeep (schema {version})")


def _busy(exc: BaseException) -> bool:
    code = getattr(exc, "sqlite_errorcode", None)
    return code in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED) or "locked" in str(exc)


def out_of_room(exc: BaseException | None) -> bool:
    """Whether SQLite ran out of room (the disk, or its size limit), in this
    error or in the error it interrupted (a ROLLBACK after SQLite already
    rolled back on its own fails too)."""
    while exc is not None:
        if isinstance(exc, sqlite3.Error) and (
            getattr(exc, "sqlite_errorcode", None) == sqlite3.SQLITE_FULL
            or "database or disk is full" in str(exc)
        ):
            return True
        exc = exc.__context__
    return False


def _disk_nearly_full(directory: Path) -> bool:
    """Whether the disk holding ``directory`` has less than a megabyte free."""
    try:
        return shutil.disk_usage(directory).free < 1 << 20
    except OSError:
        return False


def _full_disk_sentence(directory: Path) -> str:
    return (f"The disk holding {directory} is full, so SQLite cannot open the archive. "
            "Free some space and try again.")


def error_for(exc: BaseException, directory: Path) -> ArchiveError:
    """The ArchiveError for an SQLite error met on the archive."""
    cls = ArchiveUnavailable if _busy(exc) else ArchiveError
    return cls(describe_error(exc, directory))


def describe_error(exc: BaseException, directory: Path) -> str:
    """One or two plain sentences for an SQLite error met on the archive."""
    db_path = Path(directory) / DB_NAME
    name = getattr(exc, "sqlite_errorname", "") or ""
    if _busy(exc):
        return (f"{db_path} is locked by another program (an open sqlite3 shell or "
                "database browser?). Close it and try again.")
    if "FULL" in name or "disk is full" in str(exc) or (
        "IOERR" in name and _disk_nearly_full(Path(directory))
    ):
        return _full_disk_sentence(Path(directory))
    if "READONLY" in name or "readonly" in str(exc):
        return str(read_only_error(Path(directory)))
    if "NOTADB" in name or "not a database" in str(exc):
        return (f"{db_path} is not a chatkeep archive (it is not an SQLite database). "
                "Move it away, or choose another folder with --archive DIR.")
    if "CANTOPEN" in name or "unable to open" in str(exc):
        return f"{db_path} cannot be opened (SQLite: {exc}). Check the folder's permissions."
    return (f"{db_path} is damaged (SQLite: {exc}). Run chatkeep check to see what is "
            "wrong, and restore the file from a backup if it cannot be read.")
