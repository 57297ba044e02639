"""Pictures in the terminal: decoding attachments into small images, off the UI
thread, and drawing them as rows of cells.

Decoding is Pillow's (HEIC through pillow-heif, WebP built in; a GIF shows its
first frame; JPEGs are decoded at a reduced scale with ``draft``, which is most
of the speed). A :class:`ThumbnailCache` decodes in one background thread and
keeps the last few hundred results (a small image each, a few KB), so scrolling
back over a photo costs nothing and scrolling past a thousand photos costs no
more memory than a few hundred.

A picture drawn as cells is hundreds of Python objects (a ``Segment``, a
``Style`` and its colours per cell), and Python's garbage collector walks every
one of them in each full collection, which comes in the middle of some key
press. So the cache keeps each picture as its small image (a few objects, its
pixels in one buffer) and only the last :data:`DRAWN` pictures drawn as cells,
more than a screenful of the reading pane or the gallery; a picture drawn
again costs about a millisecond (see benchmarks/README.md, photo-heavy).

Drawing is done by *renderer*, chosen once when the reader starts:

* ``blocks``: Unicode half blocks, two pixels a cell (top in the foreground,
  bottom in the background); works in every terminal, tmux included, and is
  what tests use, so screenshots are the same everywhere;
* ``kitty``: the Kitty graphics protocol through textual-image, using Unicode
  placeholders, which are ordinary cells for the line-based reading pane;
* ``sixel``: textual-image's Sixel widget in the full-pane viewer and the
  gallery; Sixel pictures cannot be cut into rows, so the reading pane draws
  its thumbnails with half blocks;
* ``off``: no pictures, names and paths only.

``auto`` picks Kitty or Sixel when the terminal answers textual-image's query,
and half blocks inside tmux, without a terminal, or otherwise.
"""

from __future__ import annotations

import functools
import os
import queue
import sys
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from PIL import Image, ImageOps, UnidentifiedImageError
from rich.color import Color
from rich.segment import Segment
from rich.style import Style
from textual.strip import Strip

from archiver.safefs import NotAFile, open_regular_file

try:  # HEIC/HEIF photos (iPhones); without it they show as "cannot show".
    from pillow_heif import register_heif_opener
except ImportError:  # pragma: no cover - pillow-heif is a dependency
    pass
else:
    register_heif_opener()

MODES = ("auto", "kitty", "sixel", "blocks", "off")
PICTURE_KINDS = ("photo", "gif", "sticker")
THUMB_ROWS = 6  # a thumbnail's height in the reading pane, in rows
THUMB_COLUMNS = 32  # and its widest
CACHE_SIZE = 400  # decoded thumbnails kept
DRAWN = 64  # of those, the last drawn kept as rows of cells


class UnknownRenderer(ValueError):
    pass


def choose_renderer(choice: str | None = None) -> str:
    """The renderer to use: ``choice`` (``--images``), else ``$CHATKEEP_IMAGES``,
    else ``auto`` resolved by asking the terminal (before the app starts:
    textual-image cannot ask once Textual reads the keyboard)."""
    source = "--images"
    if not choice:
        choice, source = os.environ.get("CHATKEEP_IMAGES") or "auto", "CHATKEEP_IMAGES"
    choice = choice.strip().lower()
    if choice not in MODES:
        raise UnknownRenderer(
            f"{source} is '{choice}'; use one of {', '.join(MODES)}"
        )
    if choice in ("blocks", "off"):
        return choice
    stdout = sys.__stdout__
    if not (stdout and stdout.isatty()):
        return "blocks"
    if choice == "auto" and os.environ.get("TMUX"):
        return "blocks"  # tmux passes neither protocol through by default
    try:
        import textual_image.renderable as probed
        import textual_image.widget  # noqa: F401  (measures the cell size now)
    except Exception:  # noqa: BLE001  (a terminal that answers oddly: never fail to start)
        return "blocks"
    if choice != "auto":
        return choice
    if probed.Image is probed.TGPImage:
        return "kitty"
    if probed.Image is probed.SixelImage:
        return "sixel"
    return "blocks"


# -- decoding ------------------------------------------------------------------

# The picture formats a download's pictures come in: Pillow is never asked to
# guess among its forty others, some of which read any file for a long time.
FORMATS = ("JPEG", "PNG", "GIF", "WEBP", "BMP", "HEIF", "AVIF")
# The most pixels decoded for one picture (after a JPEG's reduced scale): 100
# MB as RGBA. A picture bomb (a small PNG claiming 13,000 × 13,000 pixels)
# is refused from its header, before a byte of it is decoded.
MAX_PIXELS = 25_000_000
# It replaces Pillow's own check, which only warns up to 179 million pixels
# (on standard error, under the reader's screen) and fails with an error that
# names no size past that.
Image.MAX_IMAGE_PIXELS = None
# A picture decoded at more pixels than this, or held in a file larger than
# BIG_FILE, waits for the thread that decodes big pictures, one at a time;
# the other pictures go on meanwhile.
BIG_PIXELS = 4_000_000
BIG_FILE = 8 * 1024 * 1024
# A file is decoded once (its *source*), to fit the largest picture the
# screen can show (the viewer's, screen-wide), at most this many pixels
# across; every size drawn (the pane's thumbnail, the gallery's cell, the
# viewer) is made from it. A JPEG is decoded at a reduced scale that fits.
SOURCE_MAX = {"blocks": 640, "kitty": 2048, "sixel": 2048}
SOURCE_BYTES = 64 * 1024 * 1024  # sources kept, as RGBA bytes
SCREEN = (160, 50)  # the screen's cells until the reader says


class CannotShow(Exception):
    """The file is not a picture that can be shown; the message says why."""


class _Big(Exception):
    """A picture for the thread that decodes big pictures."""


@functools.cache
def _formats() -> tuple[str, ...]:
    """FORMATS this Pillow reads (HEIF only with pillow-heif)."""
    Image.init()
    return tuple(f for f in FORMATS if f in Image.OPEN)


def _open_picture(path: str | Path) -> IO[bytes]:
    """The regular file at ``path``, opened without blocking on a FIFO or a
    device and without following a link (archiver.safefs)."""
    try:
        return open_regular_file(path)
    except FileNotFoundError:
        raise CannotShow("the file is not there") from None
    except NotAFile as exc:
        raise CannotShow(f"{exc.what}, not a file") from None
    except OSError as exc:
        raise CannotShow(f"it cannot be read ({exc.strerror or exc})") from None


def load_source(path: str | Path, box: tuple[int, int], *, small_only: bool = False
                ) -> Image.Image:
    """The picture at ``path`` (a GIF's first frame) in RGBA, shrunk to fit
    ``box`` and turned as its EXIF says. Raises :class:`CannotShow` with a
    short reason; with ``small_only``, raises :class:`_Big` for a picture
    that is big to decode."""
    try:
        with _open_picture(path) as f, Image.open(f, formats=_formats()) as im:
            if small_only and os.fstat(f.fileno()).st_size > BIG_FILE:
                raise _Big
            im.draft("RGB", box)  # JPEG: decode at 1/2, 1/4 or 1/8 scale
            width, height = im.size
            if width * height > MAX_PIXELS:
                raise CannotShow(f"too large to show here ({width:,} × {height:,} pixels)")
            if small_only and width * height > BIG_PIXELS:
                raise _Big
            im.seek(0)
            im.load()
            if im.mode not in ("RGB", "RGBA", "L"):
                picture = im.convert("RGBA")  # a palette scales well only as colours
            else:
                picture = im
            picture.thumbnail(box, Image.Resampling.BILINEAR, reducing_gap=2.0)
            picture = ImageOps.exif_transpose(picture) or picture
            if picture is im:
                picture = im.copy()  # kept after the file is closed
            return picture.convert("RGBA") if picture.mode != "RGBA" else picture
    except UnidentifiedImageError:
        raise CannotShow("not a picture this reader can decode") from None
    except (OSError, ValueError, SyntaxError, EOFError, Image.DecompressionBombError) as exc:
        raise CannotShow(f"damaged picture ({str(exc).strip() or type(exc).__name__})") from None


def decode(path: str | Path, box: tuple[int, int]) -> Image.Image:
    """The picture at ``path`` shrunk to fit ``box`` pixels, in RGBA. Raises
    :class:`CannotShow` with a short reason."""
    return load_source(path, box)


def fit(size: tuple[int, int], columns: int, rows: int) -> tuple[int, int]:
    """(columns, pixel rows) of a half-block picture of ``size`` pixels fitting
    ``columns`` × ``rows`` cells (a cell is about twice as high as wide, so
    one half block is about square)."""
    width, height = size
    scale = min(columns / max(width, 1), 2 * rows / max(height, 1))
    return max(1, round(width * scale)), max(1, round(height * scale))


def half_blocks(picture: Image.Image) -> list[Strip]:
    """``picture`` as rows of half blocks; transparent pixels show the pane."""
    width, height = picture.size
    pixels = picture.load()
    rows: list[Strip] = []
    for top in range(0, height, 2):
        segments: list[Segment] = []
        for x in range(width):
            upper = _color(pixels[x, top])
            lower = _color(pixels[x, top + 1]) if top + 1 < height else None
            if upper is None and lower is None:
                segments.append(Segment(" "))
            elif upper is None:
                segments.append(Segment("▄", Style(color=lower)))
            else:
                segments.append(Segment("▀", Style(color=upper, bgcolor=lower)))
        rows.append(Strip(Segment.simplify(segments), width))
    return rows


def _color(pixel: tuple[int, int, int, int]) -> Color | None:
    r, g, b, a = pixel
    return None if a < 128 else Color.from_rgb(r, g, b)


# -- the cache -------------------------------------------------------------------


@dataclass(eq=False)
class Picture:
    """A decoded thumbnail (or why there is none), drawn as rows of cells when
    asked for: half blocks for a picture decoded for them, else the Kitty
    placeholders the pane made (:func:`kitty_rows`)."""

    image: Image.Image | None
    error: str | None = None
    blocks: bool = False  # the image is sized for half blocks
    placeholders: list[Strip] = field(default_factory=list)

    @property
    def rows(self) -> list[Strip]:
        if self.blocks and self.image is not None:
            return _drawn_rows(self)
        return self.placeholders

    @property
    def columns(self) -> int:
        rows = self.rows
        return rows[0].cell_length if rows else 0


# The last DRAWN pictures drawn, shared by every cache (the reading pane, the
# viewer and the gallery draw on the UI thread, the decoding thread ahead of them).
_drawn: OrderedDict[Picture, list[Strip]] = OrderedDict()
_drawn_lock = threading.Lock()


def _drawn_rows(picture: Picture) -> list[Strip]:
    with _drawn_lock:
        rows = _drawn.get(picture)
        if rows is not None:
            _drawn.move_to_end(picture)
            return rows
    assert picture.image is not None
    rows = half_blocks(picture.image)
    with _drawn_lock:
        _drawn[picture] = rows
        while len(_drawn) > DRAWN:
            _drawn.popitem(last=False)
    return rows


Key = tuple[str, int, int, str]  # path, columns, rows, renderer


@dataclass(eq=False)
class Source:
    """A file decoded once (fitted to SOURCE_BOX), or why it cannot be shown:
    every size drawn is made from it."""

    image: Image.Image | None
    error: str | None = None

    @property
    def bytes(self) -> int:
        return self.image.width * self.image.height * 4 if self.image is not None else 0


def cell_box(columns: int, rows: int, renderer: str) -> tuple[int, int]:
    """The pixels of a picture ``columns`` × ``rows`` cells large."""
    if renderer in ("kitty", "sixel"):  # the graphics protocols draw at about 12 × 24 a cell
        return columns * 12, rows * 24
    return columns, rows * 2  # half blocks: two pixels a cell


def source_box(renderer: str, screen: tuple[int, int]) -> tuple[int, int]:
    """The box a file is decoded to fit: the whole screen's, within SOURCE_MAX."""
    width, height = cell_box(*screen, renderer)
    most = SOURCE_MAX.get(renderer, SOURCE_MAX["blocks"])
    return min(width, most), min(height, most)


def load(path: str, box: tuple[int, int], *, small_only: bool = False) -> Source:
    """The source of ``path`` fitted to ``box`` (see :func:`load_source`)."""
    try:
        return Source(load_source(path, box, small_only=small_only))
    except CannotShow as exc:
        return Source(None, str(exc))


def drawn_from(source: Source, columns: int, rows: int, renderer: str) -> Picture:
    """A ``columns`` × ``rows`` cell picture made from ``source``. Half blocks
    are drawn here too; Kitty placeholders are drawn by the pane (they talk
    to the terminal, which only the UI thread may do)."""
    if source.image is None:
        return Picture(None, source.error)
    box = cell_box(columns, rows, "kitty" if renderer == "kitty" else "blocks")
    image = source.image.copy()
    image.thumbnail(box, Image.Resampling.BILINEAR)
    if renderer == "kitty":
        return Picture(image)
    picture = Picture(image, blocks=True)
    _drawn_rows(picture)  # drawn here, off the UI thread, for its first paint
    return picture


def make_picture(path: str, columns: int, rows: int, renderer: str) -> Picture:
    """Decode ``path`` for a ``columns`` × ``rows`` cell box."""
    box = cell_box(columns, rows, "kitty" if renderer == "kitty" else "blocks")
    return drawn_from(load(path, box), columns, rows, renderer)


class ThumbnailCache:
    """Decodes pictures in background threads; keeps the last ``size``.

    :meth:`get` never waits: it returns the picture when it is ready, else
    queues it and returns None; ``on_ready`` is called (in a decoding thread)
    each time one is ready, so the owner can repaint.

    Each file is decoded once into a :class:`Source` (the last few are kept,
    up to SOURCE_BYTES), and each size asked for is made from it, so the
    pane, the gallery and the viewer showing one photo cost one decode. Two
    threads decode: one takes every picture as asked (newest first) and
    hands a big one (many pixels, or a large file) to the other, which
    decodes them one at a time: a slow picture never holds back the rest,
    and at most one big picture is in memory while it is decoded.
    """

    def __init__(self, renderer: str = "blocks", *, size: int = CACHE_SIZE,
                 on_ready: Callable[[], None] | None = None) -> None:
        self.renderer = renderer
        self.size = size
        self.on_ready = on_ready
        self.screen = SCREEN  # the reader's size in cells: sources fit it
        self._done: OrderedDict[Key, Picture] = OrderedDict()
        self._queued: set[Key] = set()
        self._lock = threading.Lock()
        # Newest request first; the second queue holds big pictures.
        self._jobs: tuple[queue.LifoQueue[Key], queue.LifoQueue[Key]] = (
            queue.LifoQueue(), queue.LifoQueue())
        self._threads: list[threading.Thread] = []
        self._sources: OrderedDict[str, Source] = OrderedDict()
        self._source_bytes = 0
        self._decoding: dict[str, list[Key]] = {}  # a file being decoded: the sizes waiting
        self._big: set[str] = set()  # files handed to the big pictures' thread
        self.decoded = 0  # pictures made
        self.loaded = 0  # files decoded

    @property
    def pending(self) -> int:
        with self._lock:
            return len(self._queued)

    def get(self, path: str, columns: int, rows: int) -> Picture | None:
        key = (path, columns, rows, self.renderer)
        with self._lock:
            done = self._done.get(key)
            if done is not None:
                self._done.move_to_end(key)
                return done
            if key not in self._queued:
                self._queued.add(key)
                self._jobs[path in self._big].put(key)
                if not self._threads:
                    for big in (False, True):
                        thread = threading.Thread(target=self._work, args=(big,),
                                                  name="thumbnails", daemon=True)
                        self._threads.append(thread)
                        thread.start()
        return None

    def source(self, path: str) -> Source | None:
        """The decoded file (for a widget that scales it itself), or None
        while it is decoded in the background."""
        with self._lock:
            found = self._sources.get(path)
            if found is not None:
                self._sources.move_to_end(path)
                return found
        self.get(path, 0, 0)  # a size of nothing: only the source is made
        return None

    def picture(self, path: str, columns: int, rows: int) -> Picture:
        """The picture now, decoded in this thread if it is not cached."""
        key = (path, columns, rows, self.renderer)
        with self._lock:
            done = self._done.get(key)
            source = self._sources.get(path)
        if done is None:
            if source is None:
                source = load(path, source_box(self.renderer, self.screen))
                self._keep(path, source)
            done = drawn_from(source, columns, rows, self.renderer)
            self._store(key, done)
        return done

    def _work(self, big: bool) -> None:
        jobs = self._jobs[big]
        while True:
            key = jobs.get()
            path = key[0]
            with self._lock:
                source = self._sources.get(path)
                if source is None:
                    if path in self._decoding:  # another thread is at it: it makes this too
                        self._decoding[path].append(key)
                        continue
                    if not big and path in self._big:
                        self._jobs[True].put(key)
                        continue
                    self._decoding[path] = []
            keys = [key]
            if source is None:
                try:
                    source = load(path, source_box(self.renderer, self.screen),
                                  small_only=not big)
                except _Big:
                    with self._lock:
                        self._big.add(path)
                        for waiting in [key, *self._decoding.pop(path)]:
                            self._jobs[True].put(waiting)
                    continue
                self._keep(path, source)
                with self._lock:
                    keys += self._decoding.pop(path)
            for one in keys:
                _path, columns, rows, renderer = one
                if columns and rows:
                    self._store(one, drawn_from(source, columns, rows, renderer))
                with self._lock:
                    self._queued.discard(one)
            if self.on_ready is not None:
                self.on_ready()

    def _keep(self, path: str, source: Source) -> None:
        with self._lock:
            self.loaded += 1
            old = self._sources.pop(path, None)
            if old is not None:
                self._source_bytes -= old.bytes
            self._sources[path] = source
            self._source_bytes += source.bytes
            while self._source_bytes > SOURCE_BYTES and len(self._sources) > 1:
                _path, dropped = self._sources.popitem(last=False)
                self._source_bytes -= dropped.bytes

    def _store(self, key: Key, picture: Picture) -> None:
        with self._lock:
            self._done[key] = picture
            self._done.move_to_end(key)
            self.decoded += 1
            while len(self._done) > self.size:
                self._done.popitem(last=False)


def kitty_rows(picture: Picture, columns: int, rows: int) -> list[Strip]:
    """Kitty placeholder rows for ``picture`` (sends the image to the terminal
    the first time; call on the UI thread)."""
    if not picture.placeholders and picture.image is not None:
        from rich.console import Console
        from textual_image.renderable.tgp import Image as KittyImage

        width, height = fit(picture.image.size, columns, rows)
        renderable = KittyImage(picture.image, width=width, height=max(1, (height + 1) // 2))
        console = Console(width=columns, height=rows, color_system="truecolor")
        picture.placeholders = [
            Strip(line) for line in console.render_lines(renderable, pad=False, new_lines=False)
        ]
    return picture.placeholders
