"""A download as a tree of files, whether it is a folder, zip parts or one file.

Every part of a multi-part zip download is merged into one tree, members are read
in place (nothing is extracted), and no path that climbs out of the download is
ever listed or opened.
"""

from __future__ import annotations

import os
import re
import stat
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import IO

from ..paths import safe_relative
from ..safefs import kind_of, open_regular_file
from .text import clean_text, fs_bytes, has_surrogates


class SourceError(Exception):
    """A path the user gave that cannot be read as a download."""


@dataclass(frozen=True, slots=True)
class Member:
    """One file of a download: its path inside the download and where it lives."""

    path: str  # POSIX path relative to the download's root (clean text)
    size: int
    origin: Path  # the folder or zip file it comes from
    zip_name: str | None = None  # the member's name inside ``origin`` when a zip
    crc: int | None = None  # CRC-32 from the zip's directory (free to read)
    # The path on disk when ``path`` differs from it: a name that is not UTF-8
    # is read with U+FFFD in place of its bad bytes.
    disk_path: str | None = None
    packed: int | None = None  # its compressed size in the zip

    @property
    def label(self) -> str:
        """How errors name this file: the real path, and the member in a zip."""
        if self.zip_name is None:
            return clean_text(str(self.origin / self.path))
        return clean_text(f"{self.origin} (member {self.zip_name})")


@dataclass
class DownloadTree:
    """The files of one download, merged from every part."""

    name: str
    origins: list[Path]
    members: dict[str, Member] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    # Files of the download that cannot be read at all: (path, problem).
    errors: list[tuple[str, str]] = field(default_factory=list)
    # True when the user named one .json file: it is a thread whatever its name.
    single_file: bool = False
    _zips: dict[Path, zipfile.ZipFile] = field(default_factory=dict, repr=False)

    def add(self, member: Member) -> None:
        if member.path in self.members:
            first = self.members[member.path]
            if first.size != member.size:
                self.warnings.append(
                    f"{member.label}: appears twice in the download with different sizes; "
                    f"the copy in {first.label} is used"
                )
            return
        self.members[member.path] = member

    def open(self, member: Member) -> IO[bytes]:
        if member.zip_name is None:
            # A regular file only, never blocking: a FIFO or device swapped in
            # after the folder was listed is refused, not read.
            return open_regular_file(member.origin / (member.disk_path or member.path),
                                     follow=True)
        zf = self._zips.get(member.origin)
        if zf is None:
            zf = self._zips[member.origin] = zipfile.ZipFile(member.origin)
        return zf.open(member.zip_name)

    def close(self) -> None:
        for zf in self._zips.values():
            zf.close()
        self._zips.clear()

    def __iter__(self) -> Iterator[Member]:
        return iter(self.members.values())


_PART_SUFFIX = re.compile(r"[-_ ]?(part)?[-_ ]?\d{1,3}$", re.IGNORECASE)


def download_name(paths: list[Path]) -> str:
    """A stable name for a download: its folder or zip name without a part number."""
    stem = paths[0].name
    if stem.lower().endswith(".zip"):
        stem = stem[:-4]
        if len(paths) > 1:
            stem = _PART_SUFFIX.sub("", stem) or stem
    elif stem.lower().endswith((".json", ".html", ".htm")):
        stem = paths[0].parent.name or stem
    return clean_text(stem)


def open_download(paths: list[Path]) -> DownloadTree:
    """Build the tree of one download from a folder, a thread file, or zip parts.

    Raises SourceError with a one-line reason when a path cannot be read at all.
    """
    tree = DownloadTree(name=download_name(paths), origins=list(paths))
    damaged_parts = 0
    for path in paths:
        try:
            mode = path.stat().st_mode
        except FileNotFoundError:
            raise SourceError(f"{path}: no such file or folder") from None
        except OSError as exc:
            raise SourceError(f"{path}: cannot be read ({exc.strerror})") from None
        if not (stat.S_ISDIR(mode) or stat.S_ISREG(mode)):
            # Looking inside would block (a FIFO) or never end (a device).
            raise SourceError(f"{path}: is {kind_of(mode)}, neither a file nor a folder")
        if path.is_dir():
            _add_folder(tree, path)
        elif len(paths) > 1 and path.suffix.lower() == ".zip":
            # One damaged part of a multi-part download: the other parts still count.
            try:
                _add_zip(tree, path)
            except SourceError as exc:
                tree.errors.append((str(path), str(exc).partition(": ")[2]))
                damaged_parts += 1
        elif zipfile.is_zipfile(path):
            _add_zip(tree, path)
        elif path.suffix.lower() in (".json", ".html", ".htm"):
            # A single thread file: its folder is the thread, so keep that name.
            try:
                size = path.stat().st_size
            except OSError as exc:
                raise SourceError(f"{path}: cannot be read ({exc.strerror})") from None
            rel = f"{path.parent.name}/{path.name}"
            clean = clean_text(rel)
            tree.add(Member(clean, size, path.parent.parent,
                            disk_path=rel if clean != rel else None))
            tree.single_file = len(paths) == 1
        elif path.suffix.lower() == ".zip":
            raise SourceError(f"{path}: is not a readable zip file (damaged or incomplete)")
        else:
            raise SourceError(f"{path}: is neither a folder, a .zip, a .json nor an .html file")
    if damaged_parts == len(paths):
        path, problem = tree.errors[0]
        raise SourceError(f"{path}: {problem}")
    return tree


def _add_folder(tree: DownloadTree, root: Path) -> None:
    seen_dirs: set[tuple[int, int]] = set()
    real_root = os.path.realpath(root)

    def unreadable(exc: OSError) -> None:
        tree.errors.append((clean_text(str(exc.filename)), f"cannot be read ({exc.strerror})"))

    def error(path: str, problem: str) -> None:
        tree.errors.append((clean_text(path), problem))

    def named(path: str, name: str) -> None:
        """Warn about a file or folder whose name is not UTF-8."""
        if has_surrogates(name):
            tree.warnings.append(
                f"{clean_text(path)}: its name {fs_bytes(name)} is not UTF-8; read with "
                "U+FFFD (\ufffd) in place of the bytes that are not")

    def leads_outside(path: str) -> bool:
        """A link whose target is outside the download (never followed)."""
        if not os.path.islink(path):
            return False
        target = os.path.realpath(path)
        return target != real_root and not target.startswith(real_root + os.sep)

    for dirpath, dirnames, filenames in os.walk(root, followlinks=True, onerror=unreadable):
        try:
            st = os.stat(dirpath)
        except OSError:
            continue
        key = (st.st_dev, st.st_ino)
        if key in seen_dirs:  # a symlink loop, or a folder linked twice
            tree.warnings.append(f"{dirpath}: folder already visited (symlink loop); skipped")
            dirnames[:] = []
            continue
        seen_dirs.add(key)
        rel_dir = Path(dirpath).relative_to(root).as_posix()
        for dirname in sorted(dirnames):
            full = os.path.join(dirpath, dirname)
            if leads_outside(full):
                error(full, "is a link to a folder outside the download; not read")
                dirnames.remove(dirname)
            elif dirname.lower().endswith(".json"):
                error(full, "is a folder, not a file")
            else:
                named(full, dirname)
        dirnames.sort()
        for filename in sorted(filenames):
            full = os.path.join(dirpath, filename)
            if leads_outside(full):
                error(full, "is a link to a file outside the download; not read")
                continue
            try:
                st = os.stat(full)
            except OSError as exc:
                reason = "a broken link" if os.path.islink(full) else exc.strerror
                error(full, f"cannot be read ({reason})")
                continue
            if not stat.S_ISREG(st.st_mode):
                error(full, "is not a regular file")
                continue
            named(full, filename)
            rel = filename if rel_dir == "." else f"{rel_dir}/{filename}"
            clean = clean_text(rel)
            tree.add(Member(clean, st.st_size, root, disk_path=rel if clean != rel else None))


def _add_zip(tree: DownloadTree, path: Path) -> None:
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
        raise SourceError(f"{path}: is not a readable zip file ({exc})") from None
    chosen: dict[str, zipfile.ZipInfo] = {}
    for info in infos:
        if info.is_dir():
            continue
        rel = safe_relative(_member_name(info))
        if rel is None:
            tree.errors.append(
                (f"{path} (member {info.filename})", "points outside the download; not read")
            )
            continue
        first = chosen.get(rel)
        if first is not None:
            if first.filename == info.filename:
                chosen[rel] = info  # zipfile opens the last entry of a name: say so
                used = "the last copy"
            else:
                used = f"member {first.filename}"
            tree.warnings.append(
                f"{path} (member {info.filename}): appears twice in the zip; {used} is used"
            )
            continue
        chosen[rel] = info
    for rel, info in chosen.items():
        tree.add(Member(rel, info.file_size, path, info.filename, info.CRC,
                        packed=info.compress_size))


def _member_name(info: zipfile.ZipInfo) -> str:
    """A member's name. Zips made without the UTF-8 flag hold names in the
    maker's code page, which zipfile reads as cp437; most tools write UTF-8
    anyway, so a name that is valid UTF-8 is read as such."""
    name = info.filename
    if info.flag_bits & 0x800 or name.isascii():
        return name
    try:
        return name.encode("cp437").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return name


def group_paths(paths: list[Path]) -> list[list[Path]]:
    """Group the paths of one command into downloads: zip parts whose names
    differ only by a part number belong together; everything else stands alone."""
    groups: dict[str, list[Path]] = {}
    order: list[str] = []
    for path in paths:
        if path.suffix.lower() == ".zip":
            key = "zip:" + str(path.parent / _PART_SUFFIX.sub("", path.stem))
        else:
            key = "path:" + str(path)
        if key not in groups:
            groups[key] = []
            order.append(key)
        groups[key].append(path)
    return [sorted(groups[k], key=_natural_key) for k in order]


def _natural_key(path: Path) -> list[object]:
    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", path.name)]


def posix_parent(path: str) -> str:
    parent = str(PurePosixPath(path).parent)
    return "" if parent == "." else parent
