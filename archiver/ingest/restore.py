"""Putting media back: a copy in the archive's ``media/`` that is missing or
damaged is copied again from a download that holds its file, wherever that
download is now; an attachment an earlier import could not find (a thread
folder imported without its download) is taken from a later download that
holds it, whether or not the thread changed.

A copy is damaged when its size is wrong, or when it changed after the last
import and its SHA-256 is wrong: hashing only those keeps a re-import quick.
"""

from __future__ import annotations

import os
import sqlite3
import time
from pathlib import PurePosixPath

from ..paths import safe_relative
from ..records import Attachment
from ..store.media import MediaStore, OutsideArchive, file_sha256, open_media
from .dialects import READ_ERRORS, ThreadSource
from .pipeline import Preparer, ThreadStats, describe
from .sources import DownloadTree, Member

# meta key: when the last import ended, as epoch seconds.
IMPORT_ENDED_KEY = "last_import_ended"
_CHUNK = 500


def last_import_ended(conn: sqlite3.Connection) -> float:
    """When the last import ended (epoch seconds; infinity before any
    recorded it: copies are then checked by their size alone)."""
    row = conn.execute("SELECT value FROM meta WHERE key = ?", (IMPORT_ENDED_KEY,)).fetchone()
    return float(row[0]) if row else float("inf")


def note_import_ended(conn: sqlite3.Connection) -> None:
    conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
                 (IMPORT_ENDED_KEY, str(time.time())))


class MembersByLabel:
    """A download's files by the label an earlier import recorded for them
    (``attachments.source_path``), even when the download has moved since:
    then by the member's name inside its zip, or by the longest tail of the
    recorded path that is a path inside the download."""

    def __init__(self, tree: DownloadTree) -> None:
        self.by_label = {m.label: m for m in tree}
        self.by_path = {m.path: m for m in tree}
        self.by_zip_name = {m.zip_name: m for m in tree if m.zip_name is not None}

    def find(self, label: str) -> Member | None:
        if label in self.by_label:
            return self.by_label[label]
        marker = " (member "
        if label.endswith(")") and marker in label:
            return self.by_zip_name.get(label[label.rindex(marker) + len(marker):-1])
        parts = label.replace("\\", "/").split("/")
        for i in range(1, len(parts)):
            found = self.by_path.get("/".join(parts[i:]))
            if found is not None:
                return found
        return None


def restore_media(
    conn: sqlite3.Connection, media: MediaStore, tree: DownloadTree, thread_ids: list[int],
    imported_before: float, warnings: list[str],
) -> int:
    """Put back the copies the threads use that are missing or damaged, from
    ``tree``; returns how many were put back (problems go to ``warnings``)."""
    members: MembersByLabel | None = None
    seen: set[str] = set()
    restored = 0
    for start in range(0, len(thread_ids), _CHUNK):
        chunk = thread_ids[start:start + _CHUNK]
        rows = conn.execute(
            "SELECT DISTINCT a.media_path, a.sha256, a.size, a.source_path FROM attachments a "
            "JOIN messages m ON m.id = a.message_id "
            f"WHERE m.thread_id IN ({','.join('?' * len(chunk))}) "
            "AND a.media_path IS NOT NULL AND a.source_path IS NOT NULL",
            chunk,
        ).fetchall()
        for media_path, sha, size, source_path in rows:
            if media_path in seen or safe_relative(media_path) != media_path:
                continue
            seen.add(media_path)
            try:
                with open_media(media.root, media_path) as held:
                    st = os.fstat(held.fileno())
                    if st.st_size == size and (
                        st.st_mtime <= imported_before or file_sha256(held) == sha
                    ):
                        continue
            except OutsideArchive as exc:
                # A handed-over archive whose media folder links elsewhere:
                # restoring would write through the link.
                warnings.append(f"{media.root / media_path}: {exc.strerror}; not restored")
                continue
            except OSError:
                pass  # missing, or not a regular file: put back below
            if members is None:
                members = MembersByLabel(tree)
            member = members.find(source_path)
            if member is None:
                # Said, not skipped in silence: a thread's folder imported by
                # itself does not hold the stickers Meta keeps beside it.
                warnings.append(f"{media.root / media_path}: missing from the archive, and "
                                f"this download does not hold {PurePosixPath(source_path).name}; "
                                "chatkeep check "
                                "names the download that does")
                continue
            try:
                if media.restore(tree, member, media_path, sha):
                    restored += 1
            except OutsideArchive as exc:
                warnings.append(f"{media.root / media_path}: {exc.strerror}; not restored")
            except READ_ERRORS as exc:
                warnings.append(f"{member.label}: could not be copied ({describe(exc)})")
    return restored


def find_missing_media(
    conn: sqlite3.Connection, preparer: Preparer, threads: dict[int, ThreadSource],
    warnings: list[str],
) -> int:
    """Look in this download for the attachments of ``threads`` (by id) that
    no earlier download held; each one found is copied (as the import copies
    media) and recorded as held. Returns how many were found."""
    if not threads:
        return 0
    # Read as a stream, and only the uris the download may hold resolved: a
    # download without its media leaves every attachment missing (817,826 of
    # them in a generated 10,000,000-message one), looked at on every import.
    missing = conn.execute(
        "SELECT a.id, a.kind, a.uri, m.thread_id FROM attachments a "
        "JOIN messages m ON m.id = a.message_id "
        "WHERE a.present = 0 AND a.remote = 0 AND a.uri IS NOT NULL"
    )
    index = preparer.index
    held = []
    for attachment_id, kind, uri, thread_id in missing:
        source = threads.get(thread_id)
        if source is None or not index.may_resolve(uri):
            continue
        stats = ThreadStats()
        row = preparer.attachment_row(Attachment(kind, uri), source, stats)
        warnings.extend(stats.warnings)
        _kind, _name, _uri, source_path, present, _remote, sha, media_path, size = row
        if present:
            held.append((source_path, sha, media_path, size, attachment_id))
    conn.executemany(
        "UPDATE attachments SET source_path = ?, present = 1, sha256 = ?, "
        "media_path = ?, size = ? WHERE id = ?", held,
    )
    return len(held)
