"""What the reader paints while a conversation opens: each frame shows it
whole (title, position, text at the pane's width) or not at all. On a loaded
machine a frame between two steps stays on screen long enough to be seen."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.pilot import Pilot

from tests.support.reader import ANA, drive, reader, record_frames, screen_lines, status_line

SIZES = [(80, 24), (120, 40)]


def conversation_frames(frames: list[list[str]]) -> list[list[str]]:
    """The rows right of the list (the header, then the pane) of each frame
    that shows any of Ana's conversation there."""
    right = [[row.split("▕", 1)[1] for row in rows if "▕" in row] for rows in frames]
    return [rows for rows in right if any(ANA in row or "Message" in row for row in rows)]


def assert_whole(rows: list[str]) -> None:
    header = rows[0]
    assert ANA in header and "540/540  2020-09-19 11:08" in header, header
    # Every message's text on one row, as the pane's width allows: never
    # "Message" on one row and "number 533" under it.
    texts = [row for row in rows if "Message" in row]
    assert texts and all("about day" in row for row in texts), "\n".join(rows)


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "120x40"])
def test_a_conversation_named_at_the_start_is_first_painted_whole(
    reader_archive: Path, size: tuple[int, int]
) -> None:
    app = reader(reader_archive, thread="ana maria")
    frames = record_frames(app)

    async def scenario(pilot: Pilot) -> None:
        for _ in range(5):
            await pilot.pause()
        assert app.pane.conversation is not None and app.pane.conversation.title == ANA

    drive(app, scenario, size=size)
    shown = conversation_frames(frames)
    assert shown
    for rows in shown:
        assert_whole(rows)
    # Nor does the first frame offer the list's "Choose a conversation" first.
    assert not any("Choose a conversation" in row for rows in frames for row in rows)


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "120x40"])
def test_a_conversation_chosen_in_the_list_is_painted_whole(
    reader_archive: Path, size: tuple[int, int]
) -> None:
    app = reader(reader_archive)
    recorded: list[list[list[str]]] = []

    async def scenario(pilot: Pilot) -> None:
        await pilot.press("f", *"ana")
        await pilot.pause()
        recorded.append(record_frames(app))  # from the Enter on
        await pilot.press("enter")
        for _ in range(5):
            await pilot.pause()
        assert app.pane.conversation is not None

    drive(app, scenario, size=size)
    shown = conversation_frames(recorded[0])
    assert shown
    for rows in shown:
        assert_whole(rows)


def test_a_name_that_matches_nothing_leaves_the_list_and_its_hint(reader_archive: Path) -> None:
    app = reader(reader_archive, thread="nobody by that name")

    async def scenario(pilot: Pilot) -> None:
        message = await status_line(pilot)
        assert "no conversation matches 'nobody by that name'" in message
        text = "\n".join(screen_lines(app))
        assert "Choose a conversation on the left" in text and app.pane.conversation is None

    drive(app, scenario, size=(80, 24))
