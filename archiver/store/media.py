"""Keeping a message's files in the archive.

Copies go to ``media/<first two hex>/<sha256><ext>``: content addressed, so
the same photo from two downloads is stored once.

The archive is a closed box: a ``media_path`` read from an archive (which may
come from someone else) is only ever followed inside ``<archive>/media``,
through real folders, to a regular file (:func:`locate_media`,
:func:`open_media`); a symbolic link on the way, an absolute path or ``..``
is "outside the archive", and the file is treated as missing. Nothing is
ever written through a link either: copies are made in folders opened one
by one with ``O_NOFOLLOW`` and renamed into place.
"""

from __future__ import annotations

import errno
import hashlib
import os
import secrets
import stat
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, BinaryIO

from ..paths import safe_relative
from ..safefs import O_CLOEXEC, O_DIRECTORY, O_NOFOLLOW, NotAFile, kind_of, open_regular

if TYPE_CHECKING:  # a download's members are read through their tree
    from ..ingest.sources import DownloadTree, Member

CHUNK = 1024 * 1024
# Runs of zeros at least this long are skipped when copying (a hole in the
# copy), so a sparse or zero-filled attachment costs no more disk than in the
# download, whatever the source (a folder, or a zip member that has no holes).
HOLE = 64 * 1024
_ZEROS = bytes(HOLE)

MEDIA_DIR = "media"
OUTSIDE_ARCHIVE = "outside the archive"


class OutsideArchive(OSError):
    """A media path that leads out of the archive's ``media/`` folder (an
    absolute path, ``..``) or through a symbolic link. ``link`` is the link's
    own path inside the archive, when one is on the way."""

    def __init__(self, media_path: str, link: Path | None = None) -> None:
        why = OUTSIDE_ARCHIVE
        if link is not None:
            why += f": {link} is a symbolic link"
        super().__init__(errno.EPERM, why, media_path)
        self.link = link


def media_parts(media_path: str) -> list[str]:
    """The folders and name of a media path (``media/ab/ab12….jpg``), or
    :class:`OutsideArchive` when it is not a plain path inside ``media/``."""
    if not isinstance(media_path, str) or safe_relative(media_path) != media_path:
        raise OutsideArchive(str(media_path))
    parts = media_path.split("/")
    if len(parts) < 2 or parts[0] != MEDIA_DIR:
        raise OutsideArchive(media_path)
    return parts


def locate_media(archive_dir: Path, media_path: str) -> Path:
    """The file ``media_path`` names in the archive at ``archive_dir``, when
    it is a regular file inside ``media/`` with no symbolic link on the way.

    Raises :class:`OutsideArchive`, :class:`FileNotFoundError` (not there,
    or a folder on the way is not a folder) or
    :class:`~archiver.safefs.NotAFile` (a FIFO, device, socket or folder).
    Only ``lstat`` is used: nothing is opened."""
    parts = media_parts(media_path)
    path = Path(archive_dir)
    for i, part in enumerate(parts):
        path = path / part
        mode = os.lstat(path).st_mode
        if stat.S_ISLNK(mode):
            raise OutsideArchive(media_path, path)
        if i < len(parts) - 1 and not stat.S_ISDIR(mode):
            raise FileNotFoundError(errno.ENOENT, f"{kind_of(mode)}, not a folder", str(path))
        if i == len(parts) - 1 and not stat.S_ISREG(mode):
            raise NotAFile(path, kind_of(mode))
    return path


def open_media(archive_dir: Path, media_path: str) -> BinaryIO:
    """Open the file ``media_path`` names for reading: each folder is opened
    from the one before with ``O_NOFOLLOW``, and the file without following a
    link or blocking, so nothing outside the archive is ever read, even if
    the folder changes meanwhile. Raises as :func:`locate_media`."""
    parts = media_parts(media_path)
    dir_fd = _media_folder(Path(archive_dir), parts, create=False)
    try:
        fd = open_regular(parts[-1], dir_fd=dir_fd)
    except NotAFile as exc:
        if exc.what == "a symbolic link":
            raise OutsideArchive(media_path, Path(archive_dir, *parts)) from None
        raise NotAFile(Path(archive_dir, *parts), exc.what) from None
    except FileNotFoundError:
        raise FileNotFoundError(errno.ENOENT, "No such file or directory",
                                str(Path(archive_dir, *parts))) from None
    finally:
        os.close(dir_fd)
    return os.fdopen(fd, "rb")


def _media_folder(archive_dir: Path, parts: list[str], *, create: bool) -> int:
    """A descriptor of the folder holding ``parts[-1]`` (``media/ab``)."""
    return _open_folders(archive_dir, parts[:-1], "/".join(parts), create=create)


def _open_folders(archive_dir: Path, folders: list[str], media_path: str, *,
                  create: bool) -> int:
    """A descriptor of ``archive_dir/folders…``, opened folder by folder
    from the archive's with ``O_NOFOLLOW`` (made, private, when ``create``).
    A link on the way is :class:`OutsideArchive`."""
    fd = os.open(archive_dir, os.O_RDONLY | O_DIRECTORY | O_CLOEXEC)
    path = archive_dir
    for part in folders:
        path = path / part
        fd = _enter(fd, part, path, media_path, create=create)  # closes the one before
    return fd


def _enter(parent: int, name: str, path: Path, media_path: str, *, create: bool) -> int:
    """Open folder ``name`` inside folder ``parent`` (closed here) without
    following a link."""
    flags = os.O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC
    try:
        for attempt in range(2):
            try:
                return os.open(name, flags, dir_fd=parent)
            except FileNotFoundError:
                if not create or attempt:
                    raise FileNotFoundError(errno.ENOENT, "No such file or directory",
                                            str(path)) from None
                try:
                    os.mkdir(name, 0o700, dir_fd=parent)
                except FileExistsError:
                    pass  # made meanwhile: open it
            except OSError as exc:
                if exc.errno not in (errno.ELOOP, errno.ENOTDIR):
                    raise
                mode = os.stat(name, dir_fd=parent, follow_symlinks=False).st_mode
                if stat.S_ISLNK(mode):
                    raise OutsideArchive(media_path, path) from None
                raise FileNotFoundError(errno.ENOTDIR, f"{kind_of(mode)}, not a folder",
                                        str(path)) from None
        raise AssertionError("unreachable")
    finally:
        os.close(parent)


def _new_temporary(dir_fd: int) -> tuple[int, str]:
    """A new private file in the folder ``dir_fd``, made with ``O_EXCL`` and
    ``O_NOFOLLOW`` under a name of its own (``.incoming-…``)."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | O_NOFOLLOW | O_CLOEXEC
    while True:
        name = f".incoming-{secrets.token_hex(8)}"
        try:
            return os.open(name, flags, 0o600, dir_fd=dir_fd), name
        except FileExistsError:
            continue


@dataclass(frozen=True, slots=True)
class StoredMedia:
    sha256: str
    media_path: str  # relative to the archive folder
    size: int


class MediaStore:
    """Copies members into the archive's ``media/`` folder, once each."""

    def __init__(self, archive_dir: Path) -> None:
        self.root = Path(archive_dir)
        self.media_dir = self.root / MEDIA_DIR
        self._done: dict[tuple[str, str], StoredMedia] = {}
        self.copied = 0
        # Half-written copies left by an import that was killed (the import
        # lock is held, so none of them is still being written by an import).
        # Looked for only in a real media folder, never through a link.
        if self.media_dir.is_dir() and not self.media_dir.is_symlink():
            for leftover in self.media_dir.glob(".incoming-*"):
                leftover.unlink(missing_ok=True)

    def store(self, tree: DownloadTree, member: Member) -> StoredMedia:
        key = (str(member.origin), member.path)
        cached = self._done.get(key)
        if cached is not None:
            return cached
        ext = PurePosixPath(member.path).suffix.lower()
        if not ext.isascii() or len(ext) > 8 or not ext[1:].isalnum():
            ext = ""
        media_fd = _open_folders(self.root, [MEDIA_DIR], MEDIA_DIR, create=True)
        try:
            sha, size, tmp_name = self._receive(media_fd, tree, member)
            rel = f"{MEDIA_DIR}/{sha[:2]}/{sha}{ext}"
            try:
                sub_fd = _enter(os.dup(media_fd), sha[:2], self.media_dir / sha[:2], rel,
                                create=True)
                try:
                    try:
                        os.stat(rel.rsplit("/", 1)[1], dir_fd=sub_fd, follow_symlinks=False)
                        os.unlink(tmp_name, dir_fd=media_fd)  # already stored
                    except FileNotFoundError:
                        os.replace(tmp_name, rel.rsplit("/", 1)[1], src_dir_fd=media_fd,
                                   dst_dir_fd=sub_fd)
                        self.copied += 1
                finally:
                    os.close(sub_fd)
            except BaseException:
                _discard(tmp_name, media_fd)
                raise
        finally:
            os.close(media_fd)
        stored = StoredMedia(sha, rel, size)
        self._done[key] = stored
        return stored

    def _receive(self, media_fd: int, tree: DownloadTree, member: Member) -> tuple[str, int, str]:
        """Copy ``member`` into a new temporary file in the media folder:
        its SHA-256, size and the temporary file's name."""
        fd, tmp_name = _new_temporary(media_fd)
        digest = hashlib.sha256()
        size = 0
        try:
            with os.fdopen(fd, "wb") as out, tree.open(member) as src:
                while chunk := src.read(CHUNK):
                    digest.update(chunk)
                    write_sparse(out, chunk)
                    size += len(chunk)
                out.truncate(size)  # a file that ends in a hole still has its length
        except BaseException:
            _discard(tmp_name, media_fd)
            raise
        return digest.hexdigest(), size, tmp_name

    def restore(self, tree: DownloadTree, member: Member, media_path: str, sha256: str) -> bool:
        """Put ``member`` back at ``media_path`` (a copy that is missing or
        damaged) when its content has the SHA-256 it was stored under. Raises
        :class:`OutsideArchive` when ``media_path`` leads out of the archive
        or through a link: nothing is written then."""
        parts = media_parts(media_path)
        media_fd = _open_folders(self.root, [MEDIA_DIR], media_path, create=True)
        try:
            sub_fd = _media_folder(self.root, parts, create=True)
            try:
                sha, _size, tmp_name = self._receive(media_fd, tree, member)
                if sha != sha256:
                    _discard(tmp_name, media_fd)
                    return False
                try:
                    os.replace(tmp_name, parts[-1], src_dir_fd=media_fd, dst_dir_fd=sub_fd)
                except BaseException:
                    _discard(tmp_name, media_fd)
                    raise
            finally:
                os.close(sub_fd)
        finally:
            os.close(media_fd)
        return True


def _discard(name: str, dir_fd: int) -> None:
    try:
        os.unlink(name, dir_fd=dir_fd)
    except FileNotFoundError:
        pass


def write_sparse(out: BinaryIO, chunk: bytes) -> None:
    """Write ``chunk`` at the current position, seeking over every block of
    :data:`HOLE` zeros instead of writing it (the file system leaves a hole;
    where it cannot, it reads back as zeros all the same)."""
    view = memoryview(chunk)
    data_from = 0  # the start of the data not yet written
    for start in range(0, len(view) - HOLE + 1, HOLE):
        if chunk[start:start + HOLE] == _ZEROS:  # bytes compare at memcmp speed
            if data_from < start:
                out.write(view[data_from:start])
            out.seek(HOLE, os.SEEK_CUR)
            data_from = start + HOLE
    if data_from < len(view):
        out.write(view[data_from:])


def copy_sparse(src: BinaryIO, out: BinaryIO) -> None:
    """Copy the open file ``src`` into ``out`` keeping its holes: only the
    ranges that hold data are copied (found with SEEK_DATA/SEEK_HOLE, copied
    with copy_file_range where the OS has them), zero blocks within them are
    skipped too, and the length is set at the end."""
    size = os.fstat(src.fileno()).st_size
    for start, end in _data_ranges(src.fileno(), size):
        _copy_range(src, out, start, end)
    out.truncate(size)


def _data_ranges(fd: int, size: int) -> Iterator[tuple[int, int]]:
    """[start, end) of each run of data in an open file (all of it where
    the OS or the file system cannot tell holes apart)."""
    if not hasattr(os, "SEEK_DATA"):
        yield 0, size
        return
    position = 0
    while position < size:
        try:
            start = os.lseek(fd, position, os.SEEK_DATA)
        except OSError as exc:
            if exc.errno == errno.ENXIO:  # only a hole is left
                return
            yield position, size  # SEEK_DATA not supported here
            return
        end = min(os.lseek(fd, start, os.SEEK_HOLE), size)
        yield start, end
        position = end


def _copy_range(src: BinaryIO, out: BinaryIO, start: int, end: int) -> None:
    if hasattr(os, "copy_file_range"):
        try:
            while start < end:
                done = os.copy_file_range(src.fileno(), out.fileno(), end - start, start, start)
                if done == 0:
                    break
                start += done
            if start >= end:
                return
        except OSError:
            pass  # across file systems on older kernels, say: copy by hand below
    src.seek(start)
    out.seek(start)
    while start < end and (chunk := src.read(min(CHUNK, end - start))):
        write_sparse(out, chunk)
        start += len(chunk)


def file_sha256(path: Path | BinaryIO) -> str:
    """The SHA-256 of a file (a path, opened as a regular file without
    following a link, or an open file read from where it is)."""
    digest = hashlib.sha256()
    if isinstance(path, (str, Path)):
        with os.fdopen(open_regular(path), "rb") as f:
            return file_sha256(f)
    while chunk := path.read(CHUNK):
        digest.update(chunk)
    return digest.hexdigest()


def media_duration(path: str | Path) -> float | None:
    """Seconds of a video or audio file, when its header says so cheaply
    (MP4/MOV/M4A/3GP ``mvhd``, WAV); None otherwise or when unreadable."""
    try:
        with os.fdopen(open_regular(path), "rb") as f:
            head = f.read(12)
            if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
                import wave

                f.seek(0)
                with wave.open(f) as w:
                    return w.getnframes() / float(w.getframerate() or 1)
            f.seek(0)
            return _mp4_duration(f, os.fstat(f.fileno()).st_size)
    except (OSError, EOFError, ValueError, struct.error):
        return None


def _mp4_duration(f: BinaryIO, end: int) -> float | None:
    """The ``moov/mvhd`` duration of an ISO media file, walking boxes by seeking."""
    at = 0
    limit = 64  # boxes looked at, so a hostile file cannot keep us busy
    while at + 8 <= end and limit:
        limit -= 1
        f.seek(at)
        size, kind = struct.unpack(">I4s", f.read(8))
        header = 8
        if size == 1:
            size = struct.unpack(">Q", f.read(8))[0]
            header = 16
        elif size == 0:
            size = end - at
        if size < header:
            return None
        if kind == b"moov":
            end, at = at + size, at + header  # look inside
            continue
        if kind == b"mvhd":
            version = f.read(1)[0]
            f.read(3)
            if version == 1:
                _, _, scale, duration = struct.unpack(">QQIQ", f.read(28))
            else:
                _, _, scale, duration = struct.unpack(">IIII", f.read(16))
            return duration / scale if scale else None
        at += size
    return None
