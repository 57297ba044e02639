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

import os
import queue
import sys
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError
from rich.color import Color
from rich.segment import Segment
from rich.style import Style
from textual.strip import Strip

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


class CannotShow(Exception):
    """The file is not a picture that can be shown; the message says why."""


def decode(path: str | Path, box: tuple[int, int]) -> Image.Image:
    """The picture at ``path`` (a GIF's first frame), shrunk to fit ``box``
    pixels, in RGBA. Raises :class:`CannotShow` with a short reason."""
    try:
        with Image.open(path) as im:
            im.draft("RGB", box)  # JPEG: decode at 1/2, 1/4 or 1/8 scale
            im.seek(0)
            im.load()
            picture = ImageOps.exif_transpose(im) or im
            picture = picture.convert("RGBA")
    except FileNotFoundError:
        raise CannotShow("the file is not there") from None
    except UnidentifiedImageError:
        raise CannotShow("not a picture this reader can decode") from None
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as exc:
        raise CannotShow(f"damaged picture ({str(exc).strip() or type(exc).__name__})") from None
    picture.thumbnail(box, Image.Resampling.BILINEAR)
    return picture


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


class ThumbnailCache:
    """Decodes pictures in one background thread; keeps the last ``size``.

    :meth:`get` never waits: it returns the picture when it is ready, else
    queues it and returns None; ``on_ready`` is called (in the decoding thread)
    each time one is ready, so the owner can repaint.
    """

    def __init__(self, renderer: str = "blocks", *, size: int = CACHE_SIZE,
                 on_ready: Callable[[], None] | None = None) -> None:
        self.renderer = renderer
        self.size = size
        self.on_ready = on_ready
        self._done: OrderedDict[Key, Picture] = OrderedDict()
        self._queued: set[Key] = set()
        self._lock = threading.Lock()
        self._jobs: queue.LifoQueue[Key] = queue.LifoQueue()  # newest request first
        self._thread: threading.Thread | None = None
        self.decoded = 0

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
                self._jobs.put(key)
                if self._thread is None:
                    self._thread = threading.Thread(
                        target=self._work, name="thumbnails", daemon=True
                    )
                    self._thread.start()
        return None

    def picture(self, path: str, columns: int, rows: int) -> Picture:
        """The picture now, decoded in this thread if it is not cached."""
        key = (path, columns, rows, self.renderer)
        with self._lock:
            done = self._done.get(key)
        if done is None:
            done = make_picture(path, columns, rows, self.renderer)
            self._store(key, done)
        return done

    def _work(self) -> None:
        while True:
            key = self._jobs.get()
            path, columns, rows, renderer = key
            self._store(key, make_picture(path, columns, rows, renderer))
            with self._lock:
                self._queued.discard(key)
            if self.on_ready is not None:
                self.on_ready()

    def _store(self, key: Key, picture: Picture) -> None:
        with self._lock:
            self._done[key] = picture
            self._done.move_to_end(key)
            self.decoded += 1
            while len(self._done) > self.size:
                self._done.popitem(last=False)


def make_picture(path: str, columns: int, rows: int, renderer: str) -> Picture:
    """Decode ``path`` for a ``columns`` × ``rows`` cell box. Half blocks are
    drawn here too; Kitty placeholders are drawn by the pane (they talk to
    the terminal, which only the UI thread may do)."""
    try:
        if renderer == "kitty":
            image = decode(path, (columns * 12, rows * 24))
            return Picture(image)
        image = decode(path, (columns, rows * 2))
    except CannotShow as exc:
        return Picture(None, str(exc))
    picture = Picture(image, blocks=True)
    _drawn_rows(picture)  # drawn here, off the UI thread, for its first paint
    return picture


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
