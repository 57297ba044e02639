"""The reading pane's virtual layout, without a screen: rows map to the right
messages whatever order the pages are laid out in."""

from __future__ import annotations

import random
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from rich.console import Console

from archiver.read.conversations import Conversation, list_conversations
from archiver.store.opening import open_archive
from tests.support.reader import LONG_TEXT, PER_DAY
from tui.conversation_layout import ConversationLayout
from tui.message_lines import GUTTER, PLAIN_STYLES, MessageLayout

UTC = ZoneInfo("UTC")


def ana(db) -> Conversation:
    return next(c for c in list_conversations(db) if c.messages == PER_DAY * 12)


def make_layout(archive: Path, *, width: int = 60, page_size: int = 7):
    db = open_archive(archive, readonly=True)
    conv = ana(db)
    lines = MessageLayout(Console(width=200), width, UTC, PLAIN_STYLES)
    return ConversationLayout(db, conv.id, conv.messages, lines.block, page_size=page_size)


def all_rows(layout: ConversationLayout) -> list[tuple[str, int]]:
    out = []
    y = 0
    while (row := layout.row(y)) is not None:
        out.append((row.strip.text.rstrip(), row.position))
        y += 1
    return out


def test_rows_in_order_and_complete(reader_archive: Path) -> None:
    layout = make_layout(reader_archive)
    rows = all_rows(layout)
    positions = [p for _, p in rows]
    assert positions == sorted(positions)
    assert set(positions) == set(range(PER_DAY * 12))
    texts = [t for t, _ in rows]
    assert texts[0].strip("─ ") == "2020-09-08, Tuesday"
    assert sum(1 for t in texts if "2020-09-" in t and t.startswith("─")) == 12  # day rows
    assert layout.height == len(rows)


def test_long_message_wrapped_to_width(reader_archive: Path) -> None:
    layout = make_layout(reader_archive, width=50)
    _, body, end = layout.block_rows(7)
    wrapped = [layout.row(y).strip.text for y in range(body, end)]
    assert len(wrapped) > 3
    assert all(len(t) <= 50 for t in wrapped)
    assert " ".join(t[GUTTER:].strip() for t in wrapped) == LONG_TEXT


def test_any_order_of_layout_gives_the_same_rows(reader_archive: Path) -> None:
    """Jumping around (pages measured out of order, estimates corrected) never
    changes what a row shows once the pages around it are laid out."""
    expected = all_rows(make_layout(reader_archive))
    layout = make_layout(reader_archive)
    rng = random.Random(1)
    for _ in range(30):
        position = rng.randrange(PER_DAY * 12)
        _, body, _ = layout.block_rows(position)
        assert layout.row(body).position == position
        layout.refresh_estimate()
    assert all_rows(layout) == expected


def test_anchor_survives_measuring_pages_above(reader_archive: Path) -> None:
    layout = make_layout(reader_archive)
    last = layout.page_count - 1
    layout.measure(last)
    start, _, _ = layout.block_rows(PER_DAY * 12 - 1)
    anchor = layout.anchor(start)
    for page in range(last):  # everything above becomes exact
        layout.measure(page)
    layout.refresh_estimate()
    assert layout.row(layout.row_of(anchor)).position == PER_DAY * 12 - 1


def test_pages_leave_the_cache(reader_archive: Path) -> None:
    layout = make_layout(reader_archive)
    layout.cached_pages = 4
    all_rows(layout)
    assert layout.cached_messages() <= 4 * 7
    assert layout.row(0).strip.text.startswith("─")  # laid out again on demand


@pytest.mark.parametrize("width", [30, 80])
def test_every_row_fits(reader_archive: Path, width: int) -> None:
    layout = make_layout(reader_archive, width=width)
    y = 0
    while (row := layout.row(y)) is not None:
        assert row.strip.cell_length == width
        y += 1
    assert y == layout.height
