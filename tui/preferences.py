"""What the reader remembers from one session to the next, kept beside the archive.

The reader opens the database read-only and never writes to it, so the few
choices it remembers (for now, the format ``e`` exports in) live in a small
``reader.json`` in the archive's folder, private (0600) like the database.
It is replaced whole (written beside it, then renamed), so a reader killed
halfway leaves the old choices, never half a file; it is read only when it
is a regular file, never through a link (a FIFO there cannot hang the start). An archive whose folder
cannot be written (a read-only folder or mount, a backup copy) simply
remembers nothing: neither reading nor writing the file ever fails.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

from archiver.safefs import NotAFile, open_regular_file

FILE_NAME = "reader.json"
_MOST = 64 * 1024  # a file larger than this was not written by the reader


def load(archive_dir: Path) -> dict[str, Any]:
    """The choices remembered for the archive in ``archive_dir``; empty when
    there are none, or the file cannot be read or is not the reader's."""
    return read(archive_dir)[0]


def read(archive_dir: Path) -> tuple[dict[str, Any], str | None]:
    """:func:`load`, and a sentence when something other than a file (a
    FIFO, a link, a folder) stands where the file should be: it is never
    opened in a way that blocks, nor through a link."""
    path = archive_dir / FILE_NAME
    try:
        with open_regular_file(path) as file:
            data = json.loads(file.read(_MOST + 1).decode("utf-8"))
    except NotAFile as exc:
        return {}, f"{path} is {exc.what}, not a file: the reader's choices are not remembered."
    except (OSError, ValueError, RecursionError):
        return {}, None
    return (data if isinstance(data, dict) else {}), None


def remember(archive_dir: Path, **choices: Any) -> bool:
    """Keep ``choices`` (with those already kept) for the next session; False
    when the folder cannot be written, which only means they are forgotten."""
    data = {**load(archive_dir), **choices}
    try:
        fd, temporary = tempfile.mkstemp(prefix=".reader-", suffix=".json", dir=archive_dir)
    except OSError:
        return False
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as file:  # mkstemp made it 0600
            json.dump(data, file, sort_keys=True, indent=1)
            file.write("\n")
        os.replace(temporary, archive_dir / FILE_NAME)
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        return False
    return True
