"""Meta's pseudo-messages: reaction notices folded into the reaction they
announce, and every event shown with who did it."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.pilot import Pilot

from tests.conftest import db_rows, run, write_thread

OWNER, FRIEND = "Jordan Lee", "Sofia Rossi"


@pytest.fixture
def archive(tmp_path: Path) -> Path:
    folder = tmp_path / "dl" / "messages" / "inbox" / "sofia_7"
    # Newest first, as Meta writes them.
    write_thread(folder, [
        {"sender_name": FRIEND, "timestamp_ms": 1_600_000_400_000, "content": "Liked a message"},
        {"sender_name": FRIEND, "timestamp_ms": 1_600_000_300_000,
         "content": "Reacted ❤ to your message"},
        {"sender_name": FRIEND, "timestamp_ms": 1_600_000_200_000,
         "content": f"{FRIEND} reacted 😢 to your message "},
        {"sender_name": OWNER, "timestamp_ms": 1_600_000_100_000, "content": "my cat is ill",
         "reactions": [{"reaction": "😢", "actor": FRIEND}]},
    ], title=FRIEND, participants=(FRIEND, OWNER))
    archive = tmp_path / "archive"
    code, _, err = run(archive, "import", str(tmp_path / "dl"))
    assert code == 0, err
    return archive


def test_notices_are_kept_in_the_archive(archive: Path) -> None:
    assert db_rows(archive, "SELECT kind, text FROM messages ORDER BY timestamp_ms") == [
        ("text", "my cat is ill"),
        ("system", f"{FRIEND} reacted 😢 to your message "),
        ("system", "Reacted ❤ to your message"),
        ("system", "Liked a message"),
    ]


def test_show_folds_a_notice_into_its_reaction_and_names_actors(archive: Path) -> None:
    code, out, err = run(archive, "show", "--tz", "UTC", "sofia")
    assert code == 0, err
    lines = out.splitlines()
    assert "reacted 😢" not in out
    assert "         😢 Sofia Rossi" in lines
    # A notice whose reaction no message shows stays, with its actor.
    assert any(line.endswith(f"· {FRIEND}: Reacted ❤ to your message") for line in lines)
    assert any(line.endswith(f"· {FRIEND}: Liked a message") for line in lines)


def test_markdown_export_folds_the_notice(archive: Path, tmp_path: Path) -> None:
    out = tmp_path / "sofia.md"
    code, _, err = run(archive, "export", "sofia", "-o", str(out))
    assert code == 0, err
    text = out.read_text(encoding="utf-8")
    assert "reacted 😢" not in text and "> 😢 Sofia Rossi" in text
    assert "*Reacted ❤ to your message*" in text


def test_the_reader_folds_the_notice_and_names_actors(archive: Path) -> None:
    from tests.tui.conftest import drive
    from tui.app import ChatkeepReader

    app = ChatkeepReader(archive, tz="UTC")

    async def scenario(pilot: Pilot) -> None:
        await pilot.press("f", *"sofia", "enter")
        await pilot.pause()
        text = "\n".join(app.pane.visible_text())
        assert "reacted 😢" not in text
        assert f"· {FRIEND}: Liked a message" in text
        assert f"· {FRIEND}: Reacted ❤ to your message" in text
        # Moving up from the last message steps over the folded notice.
        await pilot.press("G", "k", "k")
        assert app.pane.selected is not None and app.pane.selected.text == "my cat is ill"

    drive(app, scenario)
