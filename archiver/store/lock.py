"""The archive's writer lock: one import, link or repair at a time."""

from __future__ import annotations

import errno
import fcntl
import os
from pathlib import Path

from . import schema


class ImportBusy(Exception):
    """Another import is writing to the same archive."""


def take_lock(archive_dir: Path) -> int:
    """The archive's writer lock (one import, link or repair at a time)."""
    try:
        fd = os.open(archive_dir / ".import.lock", os.O_CREAT | os.O_RDWR, 0o600)
    except OSError as exc:
        if exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
            raise schema.read_only_error(archive_dir) from None
        raise
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise ImportBusy(
            f"another chatkeep import is writing to {archive_dir}; wait for it to finish"
        ) from None
    return fd


def release_lock(fd: int) -> None:
    fcntl.flock(fd, fcntl.LOCK_UN)
    os.close(fd)
