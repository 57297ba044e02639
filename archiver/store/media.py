"""Keeping a message's files in the archive.

Copies go to ``media/<first two hex>/<sha256><ext>``: content addressed, so
the same photo from two downloads is stored once.
"""

from __future__ import annotations

import errno
import hashlib
import os
import shutil
import struct
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, BinaryIO

if TYPE_CHECKING:  # a download's members are read through their tree
    from ..ingest.sources import DownloadTree, Member

CHUNK = 1024 * 1024
# Runs of zeros at least this long are skipped when copying (a hole in the
# copy), so a sparse or zero-filled attachment costs no more disk than in the
# download, whatever the source (a folder, or a zip member that has no holes).
HOLE = 64 * 1024
_ZEROS = bytes(HOLE)


@dataclass(frozen=True, slots=True)
class StoredMedia:
    sha256: str
    media_path: str  # relative to the archive folder
    size: int


class MediaStore:
    """Copies members into the archive's ``media/`` folder, once each."""

    def __init__(self, archive_dir: Path) -> None:
        self.root = Path(archive_dir)
        self.media_dir = self.root / "media"
        self._done: dict[tuple[str, str], StoredMedia] = {}
        self.copied = 0
        # Half-written copies left by an import that was killed (the import
        # lock is held, so none of them is still being written by an import).
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
        self.media_dir.mkdir(mode=0o700, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=".incoming-", dir=self.media_dir)
        digest = hashlib.sha256()
        size = 0
        try:
            with os.fdopen(fd, "wb") as out, tree.open(member) as src:
                while chunk := src.read(CHUNK):
                    digest.update(chunk)
                    write_sparse(out, chunk)
                    size += len(chunk)
                out.truncate(size)  # a file that ends in a hole still has its length
            sha = digest.hexdigest()
            rel = f"media/{sha[:2]}/{sha}{ext}"
            dest = self.root / rel
            if dest.exists():
                os.unlink(tmp_name)
            else:
                dest.parent.mkdir(mode=0o700, exist_ok=True)
                os.chmod(tmp_name, 0o600)
                shutil.move(tmp_name, dest)
                self.copied += 1
        except BaseException:
            if os.path.exists(tmp_name):
                os.unlink(tmp_name)
            raise
        stored = StoredMedia(sha, rel, size)
        self._done[key] = stored
        return stored


    def restore(self, tree: DownloadTree, member: Member, media_path: str, sha256: str) -> bool:
        """Put ``member`` back at ``media_path`` (a copy that is missing or
        damaged) when its content has the SHA-256 it was stored under."""
        dest = self.root / media_path
        dest.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=".incoming-", dir=self.media_dir)
        digest = hashlib.sha256()
        try:
            with os.fdopen(fd, "wb") as out, tree.open(member) as src:
                size = 0
                while chunk := src.read(CHUNK):
                    digest.update(chunk)
                    write_sparse(out, chunk)
                    size += len(chunk)
                out.truncate(size)
            if digest.hexdigest() != sha256:
                os.unlink(tmp_name)
                return False
            os.chmod(tmp_name, 0o600)
            os.replace(tmp_name, dest)
        except BaseException:
            if os.path.exists(tmp_name):
                os.unlink(tmp_name)
            raise
        return True


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


def copy_file(source: Path, dest: Path) -> None:
    """Copy ``source`` to ``dest`` keeping its holes: only the ranges that
    hold data are copied (found with SEEK_DATA/SEEK_HOLE, copied with
    copy_file_range where the OS has them), zero blocks within them are
    skipped too, and the length is set at the end."""
    with open(source, "rb") as src, open(dest, "wb") as out:
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


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def media_duration(path: str | Path) -> float | None:
    """Seconds of a video or audio file, when its header says so cheaply
    (MP4/MOV/M4A/3GP ``mvhd``, WAV); None otherwise or when unreadable."""
    try:
        with open(path, "rb") as f:
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
