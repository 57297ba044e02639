"""Relative paths that stay inside their tree (a download, the archive)."""

from __future__ import annotations

import re


def safe_relative(name: str) -> str | None:
    """Normalise a member name or uri to a relative POSIX path inside the
    download, or None when it is absolute or climbs out with ``..``."""
    if ("\\" not in name and "//" not in name and ".." not in name and name[1:2] != ":"
            and not name.startswith(("/", "./")) and "/./" not in name
            and not name.endswith(("/", "/.")) and name not in ("", ".")):
        return name  # already a clean relative path, as Meta writes them
    name = name.replace("\\", "/")
    if not name or name.startswith("/") or re.match(r"^[A-Za-z]:", name):
        return None
    parts: list[str] = []
    for part in name.split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            return None
        parts.append(part)
    return "/".join(parts) if parts else None
