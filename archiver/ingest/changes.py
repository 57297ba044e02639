"""Which threads of a download need reading: a thread whose files an earlier
import already took, byte for byte, is not read again.

A thread's files are named by a signature: its app and key, and each file's
name, size and CRC-32 (free to read from a zip's directory; a file on disk
is read once to compute it). Same files, same signature, wherever they are.
"""

from __future__ import annotations

import sqlite3
import zlib
from dataclasses import dataclass, field

from ..store import downloads
from . import dialects
from .dialects import READ_ERRORS, ThreadSource
from .sources import DownloadTree

# The signature of a thread new to the archive: taken after its files are read.
AFTER_READING = ""


def signature_of(tree: DownloadTree, source: ThreadSource) -> str:
    """The content key of a thread's files: same files, same key, wherever they are."""
    parts = []
    for member in source.files:
        crc = member.crc
        if crc is None:
            crc = 0
            with tree.open(member) as f:
                while chunk := f.read(1 << 20):
                    crc = zlib.crc32(chunk, crc)
        parts.append(f"{member.path.rsplit('/', 1)[-1]}:{member.size}:{crc:08x}")
    return f"{source.platform}:{source.key}:" + ",".join(parts)


def source_id(source: ThreadSource) -> tuple[str, str, str]:
    """What a source is, as a key: sources come back from the reading process
    as copies, so the object itself cannot be one."""
    return (source.platform, source.key, source.folder)


@dataclass
class Unchanged:
    """A thread whose files the downloads ``earlier`` already took."""

    thread_id: int
    earlier: list[int]
    source: ThreadSource


@dataclass
class ReadingPlan:
    """What to do with each thread of a download."""

    to_read: list[ThreadSource] = field(default_factory=list)
    # The signature of each thread to read (by source_id), recorded once it is read.
    signatures: dict[tuple[str, str, str], str] = field(default_factory=dict)
    unchanged: list[Unchanged] = field(default_factory=list)
    # Threads whose files cannot be read at all: (source, the exception).
    unreadable: list[tuple[ThreadSource, BaseException]] = field(default_factory=list)


def plan_reading(
    conn: sqlite3.Connection, tree: DownloadTree, sources: list[ThreadSource]
) -> ReadingPlan:
    """Sort the threads of a download into those to read and those unchanged."""
    plan = ReadingPlan()
    for source in sources:
        if dialects.named(source.dialect).many_threads_per_file:
            plan.to_read.append(source)
            continue
        row = conn.execute(
            "SELECT id FROM threads WHERE platform = ? AND key = ?", (source.platform, source.key)
        ).fetchone()
        if row is None:
            # Nothing of it in the archive to compare with: its files' key
            # is taken once they are read (see ThreadWriter.end).
            plan.signatures[source_id(source)] = AFTER_READING
            plan.to_read.append(source)
            continue
        try:
            signature = signature_of(tree, source)
        except READ_ERRORS as exc:  # a file that cannot be read at all
            plan.unreadable.append((source, exc))
            continue
        earlier = downloads.downloads_that_took(conn, signature, int(row[0]))
        if earlier:
            plan.unchanged.append(Unchanged(int(row[0]), earlier, source))
        else:
            plan.signatures[source_id(source)] = signature
            plan.to_read.append(source)
    return plan
