"""Opening files that someone else may have put there.

Archives and downloads are passed around, so a file chatkeep expects can be
anything: a symbolic link to somewhere else, a FIFO that blocks whoever
opens it, a device that never ends, a socket or a folder. Every file read
from an archive or a download is opened here: only regular files, opened
without blocking (``O_NONBLOCK`` until ``fstat`` has said what it is), and
without following a link where the caller says so (``O_NOFOLLOW``).
"""

from __future__ import annotations

import errno
import fcntl
import os
import stat
from pathlib import Path
from typing import BinaryIO

# Where the OS lacks a flag, 0 leaves it out (the checks after open still hold).
O_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
O_NONBLOCK = getattr(os, "O_NONBLOCK", 0)
O_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
O_DIRECTORY = getattr(os, "O_DIRECTORY", 0)


class NotAFile(OSError):
    """Something other than a regular file where one should be; ``strerror``
    says what it is ("a FIFO, not a file")."""

    def __init__(self, path: str | Path, what: str) -> None:
        super().__init__(errno.EINVAL, f"{what}, not a file", str(path))
        self.what = what


def kind_of(mode: int) -> str:
    """What a file of ``mode`` is, in words: "a folder", "a FIFO"…"""
    if stat.S_ISREG(mode):
        return "a file"
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISLNK(mode):
        return "a symbolic link"
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "not a regular file"


def open_regular(
    path: str | Path, flags: int = os.O_RDONLY, mode: int = 0o600, *, follow: bool = False,
    dir_fd: int | None = None,
) -> int:
    """A file descriptor for the regular file at ``path``, opened with
    ``flags`` and never blocking on the way: a FIFO, device, socket or folder
    raises :class:`NotAFile`, and so does a symbolic link unless ``follow``.
    The descriptor is blocking again when returned."""
    try:
        fd = os.open(path, flags | O_NONBLOCK | O_CLOEXEC | (0 if follow else O_NOFOLLOW), mode,
                     dir_fd=dir_fd)
    except OSError as exc:
        if exc.errno == errno.ELOOP and not follow:
            raise NotAFile(path, "a symbolic link") from None
        if exc.errno == errno.EISDIR:
            raise NotAFile(path, "a folder") from None
        if exc.errno == errno.ENXIO:  # a FIFO opened for writing with no reader, a socket
            raise NotAFile(path, "a FIFO or a socket") from None
        raise
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise NotAFile(path, kind_of(st.st_mode))
        if O_NONBLOCK:
            fcntl.fcntl(fd, fcntl.F_SETFL, fcntl.fcntl(fd, fcntl.F_GETFL) & ~O_NONBLOCK)
    except BaseException:
        os.close(fd)
        raise
    return fd


def open_regular_file(path: str | Path, *, follow: bool = False) -> BinaryIO:
    """:func:`open_regular` for reading, as a binary file object."""
    return os.fdopen(open_regular(path, follow=follow), "rb")
