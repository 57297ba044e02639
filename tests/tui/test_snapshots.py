"""Snapshots of the reader's main screens at 80×24 and 120×40 (times in UTC).

Update after a deliberate change of look with ``pytest tests/tui --snapshot-update``
and check the new SVGs in ``tests/tui/__snapshots__/`` by eye.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from textual.pilot import Pilot

from archiver.read.conversations import Conversation
from tests.support.reader import pictures_ready
from tui.app import ChatkeepReader

SMALL = (80, 24)
LARGE = (120, 40)
OPEN_ANA = ["f", *"ana", "enter"]


def reader(archive: Path) -> ChatkeepReader:
    return ChatkeepReader(archive, tz="UTC")  # pictures as half blocks, as everywhere


def pressing(*keys: str) -> Callable[[Pilot], Awaitable[None]]:
    """Press ``keys``, then wait for the pictures they bring on screen (decoded
    in the background, so a screenshot taken at once could miss them)."""

    async def run(pilot: Pilot) -> None:
        await pilot.press(*keys)
        await pictures_ready(pilot)

    return run


async def searched(pilot: Pilot) -> None:
    await pilot.press("slash", *"pomegranate")
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


@pytest.mark.parametrize("size", [SMALL, LARGE], ids=["80x24", "120x40"])
def test_start(snap_compare, reader_archive: Path, size: tuple[int, int]) -> None:
    assert snap_compare(reader(reader_archive), terminal_size=size)


@pytest.mark.parametrize("size", [SMALL, LARGE], ids=["80x24", "120x40"])
def test_conversation_end(snap_compare, reader_archive: Path, size: tuple[int, int]) -> None:
    assert snap_compare(reader(reader_archive), run_before=pressing(*OPEN_ANA), terminal_size=size)


@pytest.mark.parametrize("size", [SMALL, LARGE], ids=["80x24", "120x40"])
def test_conversation_start_with_kinds(
    snap_compare, reader_archive: Path, size: tuple[int, int]
) -> None:
    keys = [*OPEN_ANA, "g", *["down"] * 12]  # the message with reactions selected
    assert snap_compare(reader(reader_archive), run_before=pressing(*keys), terminal_size=size)


@pytest.mark.parametrize("size", [SMALL, LARGE], ids=["80x24", "120x40"])
def test_search_results(snap_compare, reader_archive: Path, size: tuple[int, int]) -> None:
    assert snap_compare(reader(reader_archive), run_before=searched, terminal_size=size)


def test_search_hit_opened(snap_compare, reader_archive: Path) -> None:
    async def opened(pilot: Pilot) -> None:
        await searched(pilot)
        await pilot.press("enter")
        await pictures_ready(pilot)

    assert snap_compare(reader(reader_archive), run_before=opened, terminal_size=LARGE)


def test_date_jump(snap_compare, reader_archive: Path) -> None:
    keys = [*OPEN_ANA, "d", *"2020-09-13"]
    assert snap_compare(reader(reader_archive), run_before=pressing(*keys), terminal_size=SMALL)


def test_after_date_jump(snap_compare, reader_archive: Path) -> None:
    keys = [*OPEN_ANA, "d", *"2020-09-13", "enter"]
    assert snap_compare(reader(reader_archive), run_before=pressing(*keys), terminal_size=SMALL)


def test_help(snap_compare, reader_archive: Path) -> None:
    assert snap_compare(reader(reader_archive), run_before=pressing("question_mark"),
                        terminal_size=SMALL)


def test_list_hidden(snap_compare, reader_archive: Path) -> None:
    keys = [*OPEN_ANA, "g", "l"]
    assert snap_compare(reader(reader_archive), run_before=pressing(*keys), terminal_size=SMALL)


def test_no_archive(snap_compare, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)  # a relative path, so the screen is the same everywhere
    assert snap_compare(reader(Path("no-archive-here")), terminal_size=SMALL)


def test_empty_archive(snap_compare, empty_archive: Path) -> None:
    assert snap_compare(reader(empty_archive), terminal_size=SMALL)


def at_message(position: int) -> Callable[[Pilot], Awaitable[None]]:
    """Open Ana's conversation with message ``position`` at the top."""

    async def run(pilot: Pilot) -> None:
        await pilot.press(*OPEN_ANA)
        await pilot.pause()
        pilot.app.pane.show_at_top(position)
        await pictures_ready(pilot)

    return run


@pytest.mark.parametrize("size", [SMALL, LARGE], ids=["80x24", "120x40"])
def test_photo_gif_sticker_thumbnails(
    snap_compare, reader_archive: Path, size: tuple[int, int]
) -> None:
    assert snap_compare(reader(reader_archive), run_before=at_message(20), terminal_size=size)


@pytest.mark.parametrize("size", [SMALL, LARGE], ids=["80x24", "120x40"])
def test_cards_and_missing_files(
    snap_compare, reader_archive: Path, size: tuple[int, int]
) -> None:
    assert snap_compare(reader(reader_archive), run_before=at_message(23), terminal_size=size)


async def insights_computed(pilot: Pilot) -> None:
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


@pytest.mark.parametrize("size", [SMALL, LARGE], ids=["80x24", "120x40"])
def test_insights_of_a_conversation(
    snap_compare, reader_archive: Path, size: tuple[int, int]
) -> None:
    async def opened(pilot: Pilot) -> None:
        await pilot.press(*OPEN_ANA, "i")
        await insights_computed(pilot)

    assert snap_compare(reader(reader_archive), run_before=opened, terminal_size=size)


def test_insights_of_the_whole_archive(snap_compare, reader_archive: Path) -> None:
    async def opened(pilot: Pilot) -> None:
        await pilot.press("i")
        await insights_computed(pilot)

    assert snap_compare(reader(reader_archive), run_before=opened, terminal_size=SMALL)


def then(first: Callable[[Pilot], Awaitable[None]], *keys: str) -> Callable[[Pilot], Awaitable[None]]:
    async def run(pilot: Pilot) -> None:
        await first(pilot)
        await pilot.press(*keys)
        await pictures_ready(pilot)

    return run


@pytest.mark.parametrize("size", [SMALL, LARGE], ids=["80x24", "120x40"])
def test_viewer(snap_compare, reader_archive: Path, size: tuple[int, int]) -> None:
    assert snap_compare(reader(reader_archive), run_before=then(at_message(20), "enter"),
                        terminal_size=size)


@pytest.mark.parametrize("size", [SMALL, LARGE], ids=["80x24", "120x40"])
def test_gallery(snap_compare, reader_archive: Path, size: tuple[int, int]) -> None:
    assert snap_compare(reader(reader_archive), run_before=then(at_message(20), "m"),
                        terminal_size=size)


def test_search_hit_opened_at_80_columns(snap_compare, reader_archive: Path) -> None:
    async def opened(pilot: Pilot) -> None:
        await searched(pilot)
        await pilot.press("enter")
        await pictures_ready(pilot)

    assert snap_compare(reader(reader_archive), run_before=opened, terminal_size=SMALL)


@pytest.mark.parametrize("size", [SMALL, LARGE], ids=["80x24", "120x40"])
def test_header_marks_and_a_wrapped_notification(
    snap_compare, reader_archive: Path, monkeypatch: pytest.MonkeyPatch, size: tuple[int, int]
) -> None:
    import tui.app

    real = tui.app.get_conversation

    def frozen(db: object, cid: int, **kwargs: int | None) -> Conversation:
        conv = real(db, cid, **kwargs)  # type: ignore[arg-type]
        conv.title = "A very long conversation title that cannot fit at eighty columns"
        conv.cross_app = conv.frozen = True
        return conv

    monkeypatch.setattr(tui.app, "get_conversation", frozen)

    async def run(pilot: Pilot) -> None:
        await pressing(*OPEN_ANA)(pilot)
        pilot.app.notify("Exported 540 messages to /home/jordan/exports/"
                         "Ana-Maria-Gonzalez-and-the-whole-sailing-club-2020.md", timeout=60)
        await pilot.pause()

    assert snap_compare(reader(reader_archive), run_before=run, terminal_size=size)


def test_narrow_terminal_list_then_conversation(snap_compare, reader_archive: Path) -> None:
    assert snap_compare(reader(reader_archive), run_before=pressing(*OPEN_ANA),
                        terminal_size=(56, 24))


@pytest.mark.parametrize("size", [SMALL, LARGE], ids=["80x24", "120x40"])
def test_emoji_with_selectors(snap_compare, reader_archive: Path, size: tuple[int, int]) -> None:
    assert snap_compare(reader(reader_archive), run_before=pressing("f", *"crew", "enter"),
                        terminal_size=size)
