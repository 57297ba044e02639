"""Thumbnails: every picture format a download holds, decoded and drawn as half
blocks; damaged and missing files give a reason instead of an error."""

from __future__ import annotations

import gc
import os
import threading
import time
from pathlib import Path

import pytest
from PIL import Image

from tests.support.pictures import png_bomb
from tui import thumbnails
from tui.thumbnails import (
    CACHE_SIZE,
    DRAWN,
    CannotShow,
    Picture,
    ThumbnailCache,
    UnknownRenderer,
    choose_renderer,
    decode,
    fit,
    half_blocks,
    make_picture,
)

RED = (220, 20, 20)
BLUE = (20, 20, 220)


def two_colours(size: tuple[int, int] = (64, 48)) -> Image.Image:
    """Red on top, blue below: the drawing must keep the order."""
    image = Image.new("RGB", size, RED)
    image.paste(BLUE, (0, size[1] // 2, size[0], size[1]))
    return image


def near(color: object, rgb: tuple[int, int, int], slack: int = 40) -> bool:
    triplet = color.get_truecolor()  # type: ignore[attr-defined]
    return all(abs(a - b) <= slack for a, b in zip(triplet, rgb, strict=True))


@pytest.mark.parametrize("fmt, suffix", [
    ("JPEG", ".jpg"), ("PNG", ".png"), ("WEBP", ".webp"), ("HEIF", ".heic"),
])
def test_formats_decode_to_the_box_and_draw_in_order(
    tmp_path: Path, fmt: str, suffix: str
) -> None:
    path = tmp_path / f"photo{suffix}"
    two_colours().save(path, fmt)
    picture = make_picture(str(path), 16, 6, "blocks")
    assert picture.error is None and picture.image is not None
    # 64×48 fits 16 columns × 12 pixel rows as 16×12: six rows of 16 cells.
    assert picture.image.size == (16, 12)
    assert len(picture.rows) == 6 and {r.cell_length for r in picture.rows} == {16}
    top = next(iter(picture.rows[0]))
    bottom = next(iter(picture.rows[-1]))
    assert top.text.startswith("▀") and near(top.style.color, RED) and near(top.style.bgcolor, RED)
    assert near(bottom.style.color, BLUE) and near(bottom.style.bgcolor, BLUE)


def test_gif_shows_its_first_frame(tmp_path: Path) -> None:
    path = tmp_path / "clip.gif"
    frames = [Image.new("RGB", (20, 20), RED), Image.new("RGB", (20, 20), BLUE)]
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=100, loop=0)
    picture = make_picture(str(path), 10, 5, "blocks")
    assert picture.error is None
    assert all(near(seg.style.color, RED) for row in picture.rows for seg in row)


def test_transparent_sticker_leaves_the_background(tmp_path: Path) -> None:
    path = tmp_path / "sticker.png"
    image = Image.new("RGBA", (8, 8), (0, 0, 0, 0))
    image.paste((*RED, 255), (0, 4, 8, 8))  # bottom half opaque
    image.save(path)
    rows = make_picture(str(path), 8, 4, "blocks").rows
    assert rows[0].text == " " * 8  # all transparent
    assert rows[-1].text == "▀" * 8


def test_corrupt_and_missing_files_say_why(tmp_path: Path) -> None:
    broken = tmp_path / "broken.jpg"
    two_colours().save(broken, "JPEG")
    broken.write_bytes(broken.read_bytes()[:200])  # cut short
    junk = tmp_path / "junk.png"
    junk.write_bytes(b"not an image at all")
    assert "damaged" in (make_picture(str(broken), 16, 6, "blocks").error or "")
    assert make_picture(str(junk), 16, 6, "blocks").error == "not a picture this reader can decode"
    missing = make_picture(str(tmp_path / "gone.jpg"), 16, 6, "blocks")
    assert missing.image is None and missing.error == "the file is not there"
    with pytest.raises(CannotShow):
        decode(tmp_path / "gone.jpg", (10, 10))


def test_exif_rotation_is_applied(tmp_path: Path) -> None:
    path = tmp_path / "turned.jpg"
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise on display
    two_colours((40, 20)).save(path, "JPEG", exif=exif)
    assert decode(path, (100, 100)).size == (20, 40)


def test_fit_keeps_the_shape() -> None:
    assert fit((400, 300), 32, 6) == (16, 12)
    assert fit((1000, 100), 32, 6) == (32, 3)
    assert fit((100, 1000), 32, 6) == (1, 12)


def test_half_blocks_of_an_odd_height() -> None:
    rows = half_blocks(Image.new("RGBA", (3, 3), (*RED, 255)))
    assert [r.text for r in rows] == ["▀▀▀", "▀▀▀"]
    assert next(iter(rows[1])).style.bgcolor is None  # no pixel under the last row


def test_cache_decodes_in_the_background_and_keeps_the_newest(tmp_path: Path) -> None:
    paths = []
    for n in range(3):
        path = tmp_path / f"{n}.png"
        two_colours((8 + n, 8)).save(path)
        paths.append(str(path))
    ready = threading.Event()
    cache = ThumbnailCache(size=2, on_ready=ready.set)
    assert cache.get(paths[0], 8, 4) is None  # queued, not waited for
    assert ready.wait(10)
    main_thread = threading.current_thread()
    assert cache._threads and main_thread not in cache._threads
    first = cache.get(paths[0], 8, 4)
    assert first is not None and first.rows
    cache.picture(paths[1], 8, 4)
    cache.picture(paths[2], 8, 4)
    assert cache.pending == 0
    assert cache.get(paths[0], 8, 4) is None  # evicted: the cache holds two


def test_renderer_choice(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CHATKEEP_IMAGES", raising=False)
    assert choose_renderer("off") == "off"
    assert choose_renderer("BLOCKS") == "blocks"
    # Not a terminal (as under pytest): auto, kitty and sixel all draw half blocks.
    assert choose_renderer(None) == "blocks"
    assert choose_renderer("kitty") == "blocks"
    monkeypatch.setenv("CHATKEEP_IMAGES", "off")
    assert choose_renderer(None) == "off"
    monkeypatch.setenv("CHATKEEP_IMAGES", "pictures")
    with pytest.raises(UnknownRenderer, match="CHATKEEP_IMAGES is 'pictures'; use one of auto"):
        choose_renderer(None)
    with pytest.raises(UnknownRenderer, match="--images is 'x'"):
        choose_renderer("x")


def noise_pictures(folder: Path, count: int) -> list[str]:
    """``count`` different pictures whose cells are nearly all different."""
    paths = []
    for n in range(count):
        path = folder / f"{n}.png"
        Image.effect_noise((64, 24), 40 + n % 50).convert("RGB").save(path)
        paths.append(str(path))
    return paths


def cells(rows: list) -> list[tuple[str, object]]:
    return [(segment.text, segment.style) for row in rows for segment in row]


def test_a_cached_picture_drawn_again_shows_the_same_cells(tmp_path: Path) -> None:
    """Only the last DRAWN pictures are kept as cells; one drawn again after
    many others (still cached as an image) looks exactly as it did."""
    first, *others = noise_pictures(tmp_path, DRAWN + 5)
    cache = ThumbnailCache(size=CACHE_SIZE)
    picture = cache.picture(first, 32, 6)
    drawn = picture.rows
    shown = cells(drawn)
    assert len(drawn) == 6 and {r.cell_length for r in drawn} == {32}
    for path in others:
        assert cache.picture(path, 32, 6).rows
    assert cache.picture(first, 32, 6) is picture  # cached, not decoded again
    again = picture.rows
    assert again is not drawn  # drawn anew
    assert cells(again) == shown


def test_cached_pictures_are_few_objects_for_the_garbage_collector(tmp_path: Path) -> None:
    """A picture drawn as cells is over a thousand objects that each full
    collection walks; the cache holds the rest as images, a few objects each."""
    paths = noise_pictures(tmp_path, 3 * DRAWN)
    cache = ThumbnailCache(size=CACHE_SIZE)
    for path in paths[:DRAWN]:
        assert cache.picture(path, 32, 6).rows
    gc.collect()
    before = len(gc.get_objects())
    for path in paths[DRAWN:]:
        assert cache.picture(path, 32, 6).rows
    gc.collect()
    assert len(cache._done) == 3 * DRAWN
    assert (len(gc.get_objects()) - before) / (2 * DRAWN) < 20  # drawn, each is ~1,200


# -- hostile pictures ------------------------------------------------------------


@pytest.mark.parametrize("size, alpha", [((13000, 13000), False), ((9400, 9400), True)])
def test_a_picture_bomb_is_refused_from_its_header(tmp_path: Path, size: tuple[int, int],
                                                   alpha: bool) -> None:
    """A PNG of half a megabyte claiming 169 million pixels would cost 2 GB
    and half a minute to decode: it is refused before a row is decoded."""
    path = png_bomb(tmp_path / "bomb.png", *size, alpha=alpha)
    started = time.perf_counter()
    picture = make_picture(str(path), 32, 6, "blocks")
    assert time.perf_counter() - started < 1
    assert picture.image is None
    assert picture.error == f"too large to show here ({size[0]:,} × {size[1]:,} pixels)"


def test_a_large_jpeg_is_shown_from_its_reduced_scale(tmp_path: Path) -> None:
    """A JPEG decodes at an eighth of its size: 8000 × 8000 is 1000 × 1000 to
    decode, far under the limit, and shows."""
    path = tmp_path / "huge.jpg"
    Image.new("RGB", (8000, 8000), RED).save(path, "JPEG", quality=50)
    picture = make_picture(str(path), 16, 6, "blocks")
    assert picture.error is None and picture.image is not None
    assert picture.image.size == (12, 12)


def test_a_text_file_named_jpg_is_refused_at_once(tmp_path: Path) -> None:
    """50 MB of PostScript-looking text named .jpg: Pillow's EPS reader would
    read it line by line for 20 s; only the formats a download's pictures
    come in are tried."""
    path = tmp_path / "notes.jpg"
    line = b"%% just some text in a file named like a photo\n"
    path.write_bytes(b"%!PS-Adobe-3.0\n" + line * (50 * 1024 * 1024 // len(line)))
    started = time.perf_counter()
    picture = make_picture(str(path), 16, 6, "blocks")
    assert time.perf_counter() - started < 1
    assert picture.error == "not a picture this reader can decode"


def test_a_fifo_named_as_a_photo_never_blocks(tmp_path: Path) -> None:
    path = tmp_path / "photo.jpg"
    os.mkfifo(path)
    result: list[Picture] = []
    worker = threading.Thread(target=lambda: result.append(make_picture(str(path), 8, 4,
                                                                        "blocks")),
                              daemon=True)
    worker.start()
    worker.join(5)
    if worker.is_alive():  # unblock it, so the run goes on
        with open(path, "wb"):
            pass
    assert result and result[0].error == "a FIFO, not a file"


def test_each_file_is_decoded_once_for_every_size(tmp_path: Path) -> None:
    """The pane's thumbnail, the gallery's cell and the viewer show one photo
    from one decode."""
    path = tmp_path / "photo.png"
    two_colours((300, 200)).save(path)
    ready = threading.Event()
    cache = ThumbnailCache(on_ready=ready.set)
    sizes = [(32, 6), (20, 6), (118, 36)]
    for columns, rows in sizes:
        cache.get(str(path), columns, rows)
    deadline = time.monotonic() + 10
    while cache.pending and time.monotonic() < deadline:
        ready.wait(0.1)
    pictures = [cache.get(str(path), *size) for size in sizes]
    assert all(p is not None and p.error is None for p in pictures)
    assert [p.image.size for p in pictures] == [(18, 12), (18, 12), (108, 72)]  # type: ignore
    assert cache.loaded == 1


def test_a_slow_picture_never_holds_back_the_others(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """A big picture waits for its own thread: pictures asked for after it
    are shown while it is still being decoded."""
    big = tmp_path / "big.png"
    png_bomb(big, 3000, 2000)  # six million pixels: big, but under the limit
    small = []
    for n in range(3):
        path = tmp_path / f"{n}.png"
        two_colours((40 + n, 30)).save(path)
        small.append(str(path))
    release = threading.Event()
    real = thumbnails.load_source

    def slow(path: str, box: tuple[int, int], *, small_only: bool = False) -> Image.Image:
        picture = real(path, box, small_only=small_only)
        if path == str(big):
            release.wait(20)  # a decode that takes its time
        return picture

    monkeypatch.setattr(thumbnails, "load_source", slow)
    cache = ThumbnailCache()
    assert cache.get(str(big), 32, 6) is None
    time.sleep(0.2)  # the big one is being decoded
    for path in small:
        cache.get(path, 32, 6)
    try:
        deadline = time.monotonic() + 10
        while any(cache.get(p, 32, 6) is None for p in small) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert all(cache.get(p, 32, 6) is not None for p in small)
        assert cache.get(str(big), 32, 6) is None  # still decoding
    finally:
        release.set()
    deadline = time.monotonic() + 10
    while cache.get(str(big), 32, 6) is None and time.monotonic() < deadline:
        time.sleep(0.02)
    shown = cache.get(str(big), 32, 6)
    assert shown is not None and shown.error is None
