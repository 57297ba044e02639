"""The Insights screen (`i`), driven with Pilot: what it shows for the whole
archive and for one conversation, and that it says it is computing meanwhile."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from textual.pilot import Pilot

from tests.support.reader import ANA, DAYS, PER_DAY, drive, open_ana, reader, screen_text
from tui.components import insights_screen
from tui.components.insights_screen import COMPUTING, InsightsScreen


async def computed(pilot: Pilot) -> None:
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def test_from_the_list_the_whole_archive(reader_archive: Path) -> None:
    app = reader(reader_archive)

    async def scenario(pilot: Pilot) -> None:
        await pilot.press("i")
        await computed(pilot)
        screen = app.screen
        assert isinstance(screen, InsightsScreen) and screen.conversation is None
        every = sum(c.messages for c in app.conversations)  # as the list counts them
        assert screen.data is not None and screen.data.messages == every
        text = screen_text(app)
        assert f"Insights  the whole archive  {every:,} messages, 2019–2021, times in UTC" in text
        for heading in ("Messages per month", "Weekday × hour", "Who writes"):
            assert heading in text
        assert "Silence" in text and "Streak" in text

    drive(app, scenario, size=(80, 24))


def test_from_a_conversation_that_conversation_and_back(reader_archive: Path) -> None:
    app = reader(reader_archive)

    async def scenario(pilot: Pilot) -> None:
        pane = await open_ana(pilot)
        before = pane.cursor
        await pilot.press("i")
        await computed(pilot)
        screen = app.screen
        assert isinstance(screen, InsightsScreen)
        assert screen.conversation is not None and screen.conversation.title == ANA
        text = screen_text(app)
        assert f"{PER_DAY * DAYS:,} messages, 2020, times in UTC" in text
        # 12 days in a row, 8 to 19 September 2020, half the messages each.
        assert "Streak  12 days" in text and "2020-09-08 → 09-19" in text
        assert "Silence none" in text
        assert text.count("50%") == 2
        # Every message sits at its UTC hour: 06:00 on, 45 a day, one every 7 minutes.
        grid = screen.data.by_weekday_hour  # type: ignore[union-attr]
        assert sum(map(sum, grid)) == PER_DAY * DAYS
        assert all(grid[d][h] == 0 for d in range(7) for h in range(6))
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is not screen and app.pane.cursor == before
        assert app.pane.has_focus

    drive(app, scenario, size=(80, 24))


def test_says_computing_until_the_figures_are_in(reader_archive: Path, monkeypatch) -> None:
    release = threading.Event()
    real = insights_screen.insights

    def slow(*args: Any, **kwargs: Any) -> Any:
        release.wait(10)
        return real(*args, **kwargs)

    monkeypatch.setattr(insights_screen, "insights", slow)
    app = reader(reader_archive)

    async def scenario(pilot: Pilot) -> None:
        await pilot.press("i")
        await pilot.pause()
        text = screen_text(app)
        assert COMPUTING in text and "Messages per month" not in text
        release.set()
        await computed(pilot)
        text = screen_text(app)
        assert COMPUTING not in text and "Messages per month" in text

    drive(app, scenario, size=(80, 24))


def test_reader_keys_wait_behind_the_screen(reader_archive: Path) -> None:
    app = reader(reader_archive)

    async def scenario(pilot: Pilot) -> None:
        await pilot.press("i")
        await computed(pilot)
        await pilot.press("slash", "e", "d")
        await pilot.pause()
        assert isinstance(app.screen, InsightsScreen)
        await pilot.press("i")  # i again closes it
        await pilot.pause()
        assert not isinstance(app.screen, InsightsScreen)

    drive(app, scenario, size=(80, 24))


def test_closed_before_the_figures_are_in(reader_archive: Path, monkeypatch) -> None:
    # A big archive takes seconds: the user closes the screen meanwhile. The
    # figures that arrive after it has gone must not bring the reader down.
    release = threading.Event()
    done = threading.Event()
    real = insights_screen.insights

    def slow(*args: Any, **kwargs: Any) -> Any:
        release.wait(10)
        try:
            return real(*args, **kwargs)
        finally:
            done.set()

    monkeypatch.setattr(insights_screen, "insights", slow)
    app = reader(reader_archive)

    async def scenario(pilot: Pilot) -> None:
        await pilot.press("i")
        await pilot.pause()
        assert isinstance(app.screen, InsightsScreen)
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, InsightsScreen)
        release.set()
        assert done.wait(10)
        for _ in range(5):
            await pilot.pause(0.05)
        assert app.return_code is None  # still running
        assert not isinstance(app.screen, InsightsScreen)
        await pilot.press("i")  # and it opens again, with its figures
        await computed(pilot)
        assert "Messages per month" in screen_text(app)

    drive(app, scenario, size=(80, 24))
