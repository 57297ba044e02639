"""The archive's writer lock: one import, link or repair at a time."""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from ..safefs import NotAFile, open_regular
from . import opening

# The locks held here, by archive folder and thread: an import that holds its
# archive's lock opens the archive, and an upgrade then runs under that lock.
_held: dict[tuple[Path, int], int] = {}
UPGRADE_WAIT = 60.0  # seconds another command's upgrade (or import) is waited for
LOCK_NAME = ".import.lock"


class ImportBusy(Exception):
    """Another import is writing to the same archive."""


def take_lock(archive_dir: Path) -> int:
    """The archive's writer lock (one import, link or repair at a time)."""
    path = archive_dir / LOCK_NAME
    try:
        # Never through a link, never blocking on a FIFO: a handed-over
        # archive may hold anything under this name.
        fd = open_regular(path, os.O_CREAT | os.O_RDWR, 0o600)
    except NotAFile as exc:
        raise opening.ArchiveError(
            f"{path} is {exc.what}, not the archive's lock file; chatkeep does not open it. "
            "Remove it and try again."
        ) from None
    except OSError as exc:
        if exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
            raise opening.read_only_error(archive_dir) from None
        raise
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise ImportBusy(
            f"another chatkeep import is writing to {archive_dir}; wait for it to finish"
        ) from None
    _held[Path(archive_dir).resolve(), threading.get_ident()] = fd
    return fd


def release_lock(fd: int) -> None:
    for key, held in list(_held.items()):
        if held == fd:
            del _held[key]
    fcntl.flock(fd, fcntl.LOCK_UN)
    os.close(fd)


@contextlib.contextmanager
def upgrade_lock(archive_dir: Path, done: Callable[[], bool]) -> Iterator[bool]:
    """The writer lock for a schema upgrade: already held by this process (an
    import), or taken. While another command holds it, ``done()`` is asked
    again and again; yields False as soon as it says that command finished
    the upgrade (nothing is left to do), True once the lock is held."""
    if (Path(archive_dir).resolve(), threading.get_ident()) in _held:
        yield True
        return
    deadline = time.monotonic() + UPGRADE_WAIT
    while True:
        try:
            fd = take_lock(archive_dir)
            break
        except ImportBusy:
            if done():
                yield False
                return
            if time.monotonic() > deadline:
                raise opening.ArchiveUnavailable(
                    f"{archive_dir} is being upgraded or written by another chatkeep; "
                    "try again when it has finished") from None
            time.sleep(0.05)
    try:
        yield True
    finally:
        release_lock(fd)
