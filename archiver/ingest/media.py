"""Finding the file an attachment's ``uri`` names, in every part of a download.

``uri`` values are relative to the download's root but often do not match it:
a 2025 download says ``messages/inbox/…`` while the file sits under
``your_facebook_activity/messages/inbox/…``; some are bare names, ``./media/x``
or start with ``/``. :class:`MediaIndex` resolves all of these, and never a
path that climbs out of the download.
"""

from __future__ import annotations

from ..paths import safe_relative
from .sources import DownloadTree, Member

OUTSIDE = "outside"


def _tail(path: str) -> str | None:
    """The part of a path after its last ``messages/`` folder."""
    marker = "messages/"
    if path.startswith(marker):
        return path[len(marker):]
    i = path.rfind("/" + marker)
    return path[i + len(marker) + 1:] if i >= 0 else None


class MediaIndex:
    """Looks up the member a ``uri`` names, in every part of a download."""

    def __init__(self, tree: DownloadTree) -> None:
        self.tree = tree
        self._by_tail: dict[str, Member] = {}
        self._names: set[str] = set()  # every file's name: what resolve can find
        for member in tree:
            tail = _tail(member.path)
            if tail is not None:
                self._by_tail.setdefault(tail, member)
            self._names.add(member.path.rsplit("/", 1)[-1])

    def may_resolve(self, uri: str) -> bool:
        """False when :meth:`resolve` can only answer None: the download holds
        no file of the uri's name (every way it resolves ends in that name).
        A quick test before resolving a great many uris."""
        raw = _in_download(uri)
        if raw is None:
            return False
        rel = safe_relative(raw)
        return rel is None or rel.rsplit("/", 1)[-1] in self._names

    def resolve(self, uri: str, folder: str) -> Member | str | None:
        """The member for ``uri`` (seen from the thread folder ``folder``),
        ``OUTSIDE`` when the uri is absolute or climbs out, or None when the
        download does not hold it."""
        raw = _in_download(uri)
        if raw is None:
            return None
        rel = safe_relative(raw)
        if rel is None:
            return OUTSIDE
        members = self.tree.members
        if rel in members:
            return members[rel]
        tail = _tail(rel)
        if tail is not None and tail in self._by_tail:
            return self._by_tail[tail]
        if folder:
            near = f"{folder}/{rel}"
            if near in members:
                return members[near]
        if folder or "/" in rel:
            # Beside the thread's files, as Meta lays them out: a thread
            # folder imported on its own (or moved) holds photos/1.jpg of
            # "messages/inbox/ana_1/photos/1.jpg". At the tree's root a bare
            # name says too little.
            prefix = f"{folder}/" if folder else ""
            name = rel.rsplit("/", 1)[-1]
            for sub in ("photos", "videos", "audio", "files", "gifs", "media"):
                candidate = f"{prefix}{sub}/{name}"
                if candidate in members:
                    return members[candidate]
        return None


def _in_download(uri: str) -> str | None:
    """``uri`` as a path to look for in the download (slashes forward), or
    None for a web address, which no download holds."""
    if uri.startswith(("http://", "https://")):
        return None
    raw = uri.replace("\\", "/")
    if raw.startswith(("/messages/", "/your_")):
        # Meta's leading slash means the download's root; any other
        # absolute path is outside the download and never followed.
        raw = raw[1:]
    return raw
