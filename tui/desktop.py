"""Handing a file to the system's viewer."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path


class NoViewer(OSError):
    """This system has no program that opens files for the desktop."""


def open_in_viewer(path: Path) -> None:
    """Open ``path`` with the program the desktop associates with it."""
    if sys.platform == "win32":  # pragma: no cover
        os.startfile(path)  # type: ignore[attr-defined]
        return
    opener = "open" if sys.platform == "darwin" else "xdg-open"
    if shutil.which(opener) is None:
        raise NoViewer(opener)
    subprocess.Popen(
        [opener, str(path)], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL, start_new_session=True,
    )
