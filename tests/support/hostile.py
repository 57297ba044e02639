"""Hostile archives: a real archive of one conversation with one photo, and
the edits an attacker makes to it (tests/test_hostile_*.py)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from tests.support.cli import db_rows
from tests.support.exports import import_thread, ms, tiny_png, uri

FOLDER = "mayachen_10"
PHOTO = tiny_png(77)
KEYS = b"ssh-ed25519 AAAA...the real key of the victim\n"


def photo_archive(tmp_path: Path) -> tuple[Path, str]:
    """An archive of one conversation whose message holds one photo (imported
    from the download under ``tmp_path/downloads``): the archive and the
    photo's media path."""
    messages = [
        {"sender_name": "Maya Chen", "timestamp_ms": ms("2024-05-01T10:00"), "content": "look",
         "photos": [{"uri": uri(FOLDER, "photos/p.png")}]},
    ]
    archive = import_thread(tmp_path, messages, title="Maya Chen", folder=FOLDER,
                            participants=("Maya Chen", "Jordan Lee"),
                            files={"photos/p.png": PHOTO})
    (media_path,) = db_rows(archive, "SELECT media_path FROM attachments")[0]
    return archive, media_path


def set_media_path(archive: Path, media_path: str, sha256: str | None = None) -> None:
    """What an attacker edits in the archive's database."""
    conn = sqlite3.connect(archive / "chatkeep.db")
    with conn:
        if sha256 is None:
            conn.execute("UPDATE attachments SET media_path = ?", (media_path,))
        else:
            conn.execute("UPDATE attachments SET media_path = ?, sha256 = ?", (media_path, sha256))
    conn.close()
