"""Handing a file to the system's viewer."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path


class NoViewer(OSError):
    """This system has no program that opens files for the desktop."""


class ViewerFailed(OSError):
    """The desktop's opener ran and said it could not open the file (xdg-open
    exits 3 where no desktop is running, 4 where the program it chose failed)."""

    def __init__(self, opener: str, status: int) -> None:
        super().__init__(f"{opener} ended with exit status {status}")
        self.opener = opener
        self.status = status


# How long to wait for the opener's answer: xdg-open answers at once when it
# fails, and returns once the viewer is started, or (for some viewers) only
# when it is closed, so still running after this long means it opened.
ANSWER_SECONDS = 5.0


def open_in_viewer(path: Path) -> None:
    """Open ``path`` with the program the desktop associates with it; waits up
    to :data:`ANSWER_SECONDS` for the opener's answer (run it off the UI thread).
    Raises :class:`NoViewer` or :class:`ViewerFailed`."""
    if sys.platform == "win32":  # pragma: no cover
        os.startfile(path)  # type: ignore[attr-defined]
        return
    opener = "open" if sys.platform == "darwin" else "xdg-open"
    if shutil.which(opener) is None:
        raise NoViewer(opener)
    process = subprocess.Popen(
        [opener, str(path)], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL, start_new_session=True,
    )
    try:
        status = process.wait(timeout=ANSWER_SECONDS)
    except subprocess.TimeoutExpired:
        return
    if status != 0:
        raise ViewerFailed(opener, status)
