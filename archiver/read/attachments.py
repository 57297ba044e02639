"""An attachment as the user sees it: where its file is in the archive
folder, or in words a user can act on, why it has none.

A file is shown only where it is a regular file inside the archive folder
(``store.media.locate_media``): a path that leads outside is never followed,
since the archive may be someone else's.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..records import FAILED_MEDIA
from ..safefs import NotAFile
from ..store.database import Database
from ..store.media import OUTSIDE_ARCHIVE, OutsideArchive, locate_media

# Why an attachment has no file in the archive, in words a user can act on.
REMOTE = "a remote link, never a file in the download"
FAILED_DOWNLOAD = 'the download says "Failed to download media"'
NOT_IN_DOWNLOAD = "not in the download"
NOT_COPIED = "not copied (imported with --no-media)"
GONE = "no longer in the archive folder (chatkeep check lists such files)"


@dataclass
class Attachment:
    kind: str
    name: str | None  # the original file name, as the download gave it
    path: str | None  # archived copy (relative to the archive folder) or source
    missing: bool  # the download did not hold the file
    uri: str | None = None
    remote: bool = False
    size: int | None = None
    file: str | None = None  # absolute path of the archived copy, when it is there
    reason: str | None = None  # why there is no file, when there is none

    def as_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind, "name": self.name, "path": self.path, "file": self.file,
            "missing": self.missing, "missing_reason": self.reason, "size": self.size,
        }

    @property
    def label(self) -> str:
        """The name to show: the original file name, else what the download said."""
        return self.name or (self.uri or "").rsplit("/", 1)[-1] or self.kind


def attachment(
    folder: Path | None, kind: str, name: str | None, uri: str | None, present: bool,
    remote: bool, media_path: str | None, size: int | None,
) -> Attachment:
    """An attachment row as the user sees it: where its file is, or why it has none."""
    file = reason = None
    if remote:
        reason = REMOTE
    elif uri == FAILED_MEDIA:
        name, reason = None, FAILED_DOWNLOAD
    elif not present:
        reason = NOT_IN_DOWNLOAD
    elif not media_path:
        reason = NOT_COPIED
    elif folder is None:
        reason = GONE
    else:
        try:
            file = str(locate_media(folder, media_path))
        except OutsideArchive:
            reason = OUTSIDE_ARCHIVE  # never followed: the archive may be someone else's
        except NotAFile as exc:
            reason = f"{exc.what} in the archive folder, not a file"
        except OSError:
            reason = GONE
    return Attachment(
        kind=kind, name=name, path=media_path or (uri if remote else None),
        missing=not present and not remote, uri=uri, remote=remote, size=size,
        file=file, reason=reason,
    )


def conversation_media(
    db: Database, cid: int, kinds: tuple[str, ...] | None = None
) -> list[tuple[int, Attachment]]:
    """Every attachment of a conversation with its message's position, oldest
    first (``kinds`` keeps only those kinds)."""
    folder = archive_folder(db)
    where = ""
    params: list[Any] = [cid]
    if kinds:
        where = f" AND a.kind IN ({','.join('?' * len(kinds))})"
        params.extend(kinds)
    return [
        (row[0], attachment(folder, row[1], row[2], row[3], bool(row[4]), bool(row[5]),
                            row[6], row[7]))
        for row in db.execute(
            "SELECT m.position, a.kind, a.name, a.uri, a.present, a.remote, a.media_path, a.size "
            "FROM messages m JOIN attachments a ON a.message_id = m.id "
            f"WHERE m.conversation_id = ? AND m.position IS NOT NULL{where} "
            "ORDER BY m.position, a.id",
            params,
        )
    ]


def archive_folder(db: Database) -> Path | None:
    """The archive folder of an open archive (where ``media/`` paths start)."""
    for _seq, name, filename in db.execute("PRAGMA database_list"):
        if name == "main" and filename:
            return Path(filename).resolve().parent
    return None
