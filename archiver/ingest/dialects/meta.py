"""What Meta's downloads share whatever their format: where threads live
(``…/messages/inbox/<title>_<id>/message_1.json``), how a download is named
(``facebook-jane-2024-05-01-…``), which app a file comes from, and the profile
file that names the owner.

Every dialect here is one of Meta's, so each is a :class:`MetaDialect`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable

from ..jsonstream import BOM
from ..jsonstream.surrogates import replace_lone_surrogates
from ..sources import DownloadTree, Member
from ..text import repair
from .base import READ_ERRORS, Dialect, ReadContext, ThreadSource, lone_surrogates

SECTIONS = ("inbox", "archived_threads", "filtered_threads", "message_requests", "e2ee_cutover")
# A thread's part file: message_1.json, message.json (2018), names Instagram
# truncated ("messa.json"), and their HTML pages.
PART = re.compile(r"^messa(?:ge)?(?:_(\d+))?[^/]*\.(json|html)$", re.IGNORECASE)
# Meta names a download after its app, its owner and the day it was made.
DOWNLOAD_NAME = re.compile(r"^(?:facebook|instagram|messenger|meta)-.+-\d{4}", re.IGNORECASE)

_INSTAGRAM_ROOT = "your_instagram_activity/"
_FACEBOOK_ROOTS = ("your_facebook_activity/", "your_activity_across_facebook/")
_INSTAGRAM_NEIGHBOURS = (
    "account_information/", "personal_information/", "your_instagram_activity/", "media/",
    "connections/followers_and_following/",
)
_FACEBOOK_NEIGHBOURS = (
    "profile_information/", "your_facebook_activity/", "posts/", "your_activity_across_facebook/",
    "facebook_marketplace/", "comments_and_reactions/",
)
# "…/your_facebook_activity/messages/…": where Meta's messages live in a download.
_MESSAGES_ROOT = re.compile(
    r"^(?:(.*?)/)??(?:your_facebook_activity/|your_activity_across_facebook/"
    r"|your_instagram_activity/)?messages(?:/|$)"
)


def download_root(folder: str) -> str | None:
    """The folder of the download (inside a tree) that holds ``folder``: ""
    for the tree itself, ``"facebook-x-2024"`` when the tree is a folder of
    several downloads; None when ``folder`` is not in Meta's layout."""
    m = _MESSAGES_ROOT.match(folder)
    if m is None:
        return None
    return m.group(1) or ""


def has_meta_layout(tree: DownloadTree) -> bool:
    """Whether the tree holds a ``messages/`` folder, as Meta's downloads do."""
    return any(p.startswith("messages/") or "/messages/" in p for p in tree.members)


def may_hold_messages(path: str, layout: bool) -> bool:
    """Whether a file at ``path`` may be a conversation under any name: in a
    tree laid out as Meta's (``layout``), only under its ``messages/``
    folders (the rest are posts, profile and the like); anywhere in a folder
    the user assembled."""
    if not path.lower().endswith(".json"):
        return False
    return not layout or path.startswith("messages/") or "/messages/" in path


def section_of(folder: str) -> str | None:
    """The section (``inbox`` …) of a thread folder in Meta's layout, else None."""
    parent = folder.rsplit("/", 2)
    return parent[-2] if len(parent) >= 2 and parent[-2] in SECTIONS else None


def platform_of(tree: DownloadTree, path: str, hint: str | None) -> str | None:
    """The app a thread at ``path`` comes from, by the platform the user
    named, else the download's layout (``your_instagram_activity/``), its name
    (``instagram-…``), or the folders beside its ``messages/``; None when
    none of them tells (see :func:`choose_platform`)."""
    if hint:
        return hint
    if path.startswith(_INSTAGRAM_ROOT) or f"/{_INSTAGRAM_ROOT}" in path:
        return "instagram"
    if path.startswith(_FACEBOOK_ROOTS) or any(f"/{r}" in path for r in _FACEBOOK_ROOTS):
        return "facebook"
    # The download this thread is in: the tree, or one of the downloads in it.
    root = download_root(path) or ""
    name = (root.rsplit("/", 1)[-1] if root else tree.name).lower()
    if name.startswith("instagram"):
        return "instagram"
    if name.startswith("facebook"):
        return "facebook"
    # A bare messages/ root: the neighbours tell which app it came from.
    prefix = f"{root}/" if root else ""
    for p in tree.members:
        if not p.startswith(prefix):
            continue
        p = p[len(prefix):]
        if p.startswith(_INSTAGRAM_NEIGHBOURS):
            return "instagram"
        if p.startswith(_FACEBOOK_NEIGHBOURS):
            return "facebook"
    return None


# A media path in a thread's file, JSON ("uri": "…") or HTML (href="…"),
# that names the app's folder of the download.
_APP_URI = re.compile(
    rb'(?:"uri"\s*:\s*"|href=")(?:\.\./)*/?'
    rb"(your_instagram_activity|your_facebook_activity|your_activity_across_facebook)/"
)
# How much of a download's thread files are searched for such a path.
_URI_SCAN_BYTES = 32 * 1024 * 1024
GUESSED_PLATFORM = "facebook"


def _platform_in_files(tree: DownloadTree, files: list[Member], budget: list[int]) -> str | None:
    """The app the media paths in ``files`` name (reading at most ``budget[0]``
    bytes, which is spent)."""
    for member in files:
        if budget[0] <= 0:
            return None
        try:
            with tree.open(member) as f:
                carry = b""
                while budget[0] > 0 and (chunk := f.read(1 << 20)):
                    budget[0] -= len(chunk)
                    found = _APP_URI.search(carry + chunk)
                    if found is not None:
                        return "instagram" if b"instagram" in found.group(1) else "facebook"
                    carry = chunk[-200:]
        except READ_ERRORS:
            continue  # reading the thread will report it
    return None


def choose_platforms(
    tree: DownloadTree, threads: list[tuple[str, list[Member]]], ctx: ReadContext
) -> list[tuple[str, bool]]:
    """(platform, guessed) of each thread, given as (folder, files): what
    :func:`platform_of` finds, else the media paths in the files of the
    download's threads (one download is one app), else Facebook as a guess
    (which the importer may settle from the archive, or says)."""
    chosen: list[tuple[str, bool]] = []
    undecided: dict[str, list[int]] = {}
    for i, (folder, _files) in enumerate(threads):
        found = platform_of(tree, folder, ctx.platform_hint)
        chosen.append((found or GUESSED_PLATFORM, found is None))
        if found is None:
            root = download_root(folder)
            undecided.setdefault("" if root is None else root, []).append(i)
    for root, indexes in undecided.items():
        found = ctx.platforms.get(root)
        budget = [_URI_SCAN_BYTES]
        for i in indexes:
            if found is not None or budget[0] <= 0:
                break
            found = _platform_in_files(tree, threads[i][1], budget)
        if found is not None:
            ctx.platforms[root] = found
            for i in indexes:
                chosen[i] = (found, False)
    return chosen


_PROFILE_FILES = (
    ("profile_information/profile_information.json", ("profile_v2", "name", "full_name")),
    ("personal_information/personal_information/personal_information.json", None),
    ("personal_information/personal_information.json", None),
)
_PROFILE_MAX_BYTES = 5_000_000


def profile_owner(
    tree: DownloadTree, root: str = "", warn: Callable[[str], None] | None = None
) -> str | None:
    """The owner's name from the download's profile file, where there is one
    (a lone surrogate in it read as U+FFFD, and said to ``warn``)."""
    prefix = f"{root}/" if root else ""
    for suffix, keys in _PROFILE_FILES:
        member = next((m for p, m in tree.members.items()
                       if p.startswith(prefix) and p.endswith(suffix)), None)
        if member is None or member.size > _PROFILE_MAX_BYTES:
            continue
        try:
            with tree.open(member) as f:
                raw, bad = replace_lone_surrogates(f.read().removeprefix(BOM))
            if bad and warn is not None:
                warn(f"{member.label}: {lone_surrogates(bad)}")
            data = json.loads(raw.decode("utf-8"))
        except READ_ERRORS:  # the owner's name is a nicety: never fail on it
            continue
        if keys:
            for k in keys:
                data = data.get(k) if isinstance(data, dict) else None
            if isinstance(data, str):
                return repair(data)
        else:
            # Instagram: {"profile_user": [{"string_map_data": {"Name": {"value": …}}}]}
            users = data.get("profile_user") if isinstance(data, dict) else None
            if isinstance(users, list) and users and isinstance(users[0], dict):
                smd = users[0].get("string_map_data", {})
                for field_name in ("Name", "Username"):
                    value = smd.get(field_name, {}).get("value") if isinstance(smd, dict) else None
                    if isinstance(value, str) and value:
                        return repair(value)
    return None


class MetaDialect(Dialect):
    """A format of Meta's: downloads in Meta's layout, named Meta's way, with
    a profile file that names the owner."""

    def download_of(self, source: ThreadSource) -> str:
        root = download_root(source.folder)
        return source.folder if root is None else root

    def owner(
        self, tree: DownloadTree, root: str, sources: list[ThreadSource], ctx: ReadContext
    ) -> str | None:
        return profile_owner(tree, root, ctx.warnings.append)

    def names_download(self, name: str) -> bool:
        return DOWNLOAD_NAME.match(name) is not None
