"""``chatkeep browse THREAD``: the conversation is chosen by the one matching
rule (``names.resolve_conversation``: case, accents and punctuation ignored, a
whole title wins over longer ones holding it), before the reader starts; a
name that fits several conversations or none is an error, and the reader
never starts."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from textual.pilot import Pilot
from textual.widgets import Label

from archiver.ingest.importer import import_downloads
from tests.support.downloads import write_thread
from tests.support.reader import OWNER, drive, ms
from tui.app import ChatkeepReader
from tui.cli import main

WHEN = datetime(2022, 5, 1, 9, 0, tzinfo=UTC)
# Title → the one message of that conversation.
CONVERSATIONS = {
    "Zoë": "Only Zoë and me here",
    "Zoë Martin": "Martin's boat is ready",
    "Seán O’Brien": "Sláinte from Dublin",
    "Ágnes Pataki": "Pataki family dinner",
    "Ágnes Kovács": "Kovács sends the tickets",
}


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("browse")
    inbox = root / "download" / "messages" / "inbox"
    for n, (title, text) in enumerate(CONVERSATIONS.items()):
        write_thread(
            inbox / f"thread_{n}",
            [{"sender_name": title, "timestamp_ms": ms(WHEN) + n * 60_000, "content": text}],
            title=title, participants=(title, OWNER),
        )
    archive = root / "archive"
    report = import_downloads(archive, [root / "download"], copy_media=False)
    assert not report.errors and report.messages_added == len(CONVERSATIONS)
    return archive


@pytest.fixture
def started(monkeypatch: pytest.MonkeyPatch) -> list[ChatkeepReader]:
    """The readers the command starts, built as it builds them, not run."""
    apps: list[ChatkeepReader] = []
    monkeypatch.setattr(ChatkeepReader, "run", lambda self, *a, **kw: apps.append(self))
    return apps


def browse(archive: Path, *args: str) -> object:
    return CliRunner().invoke(main, ["--archive", str(archive), "browse", *args, "--tz", "UTC"])


@pytest.mark.parametrize("typed, title", [
    ("ZOE MARTIN", "Zoë Martin"),  # case and accents
    ("o'brien", "Seán O’Brien"),  # punctuation: ' for ’
    ("AGNES pataki", "Ágnes Pataki"),
    ("zoë", "Zoë"),  # also part of "Zoë Martin": the whole title wins
])
def test_browse_opens_the_conversation_a_folded_name_names(
    archive: Path, started: list[ChatkeepReader], typed: str, title: str
) -> None:
    result = browse(archive, typed)
    assert result.exit_code == 0, result.output
    [app] = started
    app.own_process = False  # this test process starts many readers

    async def scenario(pilot: Pilot) -> None:
        await pilot.pause()
        header = str(app.query_one("#pane-title", Label).render())
        assert header.startswith(f"{title}  FB")
        shown = "\n".join(app.pane.visible_text())
        assert CONVERSATIONS[title] in shown
        assert not any(text in shown for other, text in CONVERSATIONS.items() if other != title)

    drive(app, scenario, size=(80, 24))


def test_browse_with_a_name_that_fits_several_lists_them(
    archive: Path, started: list[ChatkeepReader]
) -> None:
    result = browse(archive, "agnes")
    assert result.exit_code == 2
    lines = result.stderr.splitlines()
    assert lines[0] == "chatkeep: 'agnes' names 2 conversations; give one's id:"
    assert len(lines) == 3  # then one line for each, with what tells them apart
    assert sorted(line.split("  ")[2] for line in lines[1:]) == ["Ágnes Kovács", "Ágnes Pataki"]
    assert all(line.endswith("(facebook, last 2022-05-01, 1 message)") for line in lines[1:])
    assert "Traceback" not in result.output
    assert started == []  # the reader never took over the screen


def test_browse_with_a_name_that_fits_none(
    archive: Path, started: list[ChatkeepReader]
) -> None:
    result = browse(archive, "Zoe Martinez")
    assert result.exit_code == 2
    assert result.stderr == (
        "chatkeep: no conversation matches 'Zoe Martinez'; did you mean \"Zoë Martin\" (2)?"
        " (see: chatkeep threads)\n"
    )
    assert result.stdout == ""
    assert started == []
