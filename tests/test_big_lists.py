"""One thread with tens of thousands of participants, one message with as many
reactions: every view lists each once, in order, and the reader shows them
without laying out a line per reaction. (benchmarks/bench_big_lists.py runs
the same at 1,000,000 and prints the times.)"""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.pilot import Pilot

from archiver.read.conversations import get_conversation, list_conversations
from archiver.store.opening import open_archive
from tests.support.cli import run, run_json
from tests.support.reader import drive
from tui.app import ChatkeepReader
from tui.components.conversation_list import LISTED_NAMES
from tui.message_lines import REACTIONS_SHOWN

SIZE = 20_000
T = 1_700_000_000_000


def write_download(root: Path) -> Path:
    """Written as text: building the JSON as Python objects would cost more
    than importing it. Every name appears twice, as a careless download might."""
    inbox = root / "messages" / "inbox"
    (inbox / "crowd_1").mkdir(parents=True)
    people = ",".join(f'{{"name": "Person {i % SIZE}"}}' for i in range(2 * SIZE))
    (inbox / "crowd_1" / "message_1.json").write_text(
        f'{{"participants": [{people}, {{"name": "Jordan Lee"}}], "title": "Crowd", '
        f'"messages": [{{"sender_name": "Person 7", "timestamp_ms": {T}, "content": "hi"}}]}}',
        encoding="ascii")
    (inbox / "popular_2").mkdir(parents=True)
    reactions = ",".join(f'{{"reaction": "\\u00e2\\u009d\\u00a4", "actor": "Fan {i % SIZE}"}}'
                         for i in range(2 * SIZE))
    (inbox / "popular_2" / "message_1.json").write_text(
        '{"participants": [{"name": "Star"}, {"name": "Jordan Lee"}], "title": "Popular", '
        f'"messages": [{{"sender_name": "Jordan Lee", "timestamp_ms": {T + 60_000}, '
        f'"content": "wow"}}, {{"sender_name": "Star", "timestamp_ms": {T}, '
        f'"content": "look at this", "reactions": [{reactions}, '
        '{"reaction": "\\u00f0\\u009f\\u0098\\u0082", "actor": "Star"}]}]}', encoding="ascii")
    return root


@pytest.fixture(scope="module")
def big_archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("big")
    archive = root / "archive"
    report = run_json(archive, "import", "--no-media", str(write_download(root / "dl")))
    assert report["errors"] == [] and report["messages_added"] == 3
    return archive


def test_every_participant_once_in_order(big_archive: Path) -> None:
    crowd = next(c for c in run_json(big_archive, "threads") if c["title"] == "Crowd")
    people = crowd["participants"]
    assert len(people) == SIZE + 1 and len(set(people)) == SIZE + 1
    assert people == sorted(people)  # listed by name, as for any conversation
    code, out, _ = run(big_archive, "threads", "--tz", "UTC")
    assert code == 0 and "Crowd" in out


def test_a_bounded_list_of_names_begins_as_the_full_one(big_archive: Path) -> None:
    """The reader's list reads a few names per conversation (the first by
    name); ``threads --json`` still lists everyone."""
    db = open_archive(big_archive, readonly=True)
    full = {c.title: c.participants for c in list_conversations(db)}
    few = {c.title: c.participants for c in list_conversations(db, names=50)}
    assert len(full["Crowd"]) == SIZE + 1
    assert few["Crowd"] == full["Crowd"][:50] == ["Jordan Lee", "Person 0", "Person 1",
                                                  "Person 10", "Person 100", *full["Crowd"][5:50]]
    assert few["Popular"] == full["Popular"] == ["Jordan Lee", "Star"]
    assert [c.participants for c in list_conversations(db, names=0)] == [[], []]
    crowd = next(c.id for c in list_conversations(db, names=0) if c.title == "Crowd")
    assert get_conversation(db, crowd).participants == full["Crowd"]
    assert get_conversation(db, crowd, names=50).participants == full["Crowd"][:50]


def test_bounded_names_of_conversations_joined_from_several_threads(demo_archive: Path) -> None:
    """A joined conversation's first names come from all of its threads, with the
    owner's other-app name folded into one, as in the full list."""
    db = open_archive(demo_archive, readonly=True)
    full = list_conversations(db)
    assert any(len({p.platform for p in c.parts}) > 1 for c in full)  # a joined one is there
    for bound in (1, 2, 3, LISTED_NAMES):
        few = list_conversations(db, names=bound)
        assert [c.id for c in few] == [c.id for c in full]
        for short, whole in zip(few, full, strict=True):
            assert short.participants == whole.participants[:len(short.participants)]
            assert len(short.participants) >= min(bound, len(whole.participants)) - 1
            one = get_conversation(db, whole.id, names=bound)
            assert one.participants == short.participants
    assert ([c.participants for c in list_conversations(db, names=LISTED_NAMES)]
            == [c.participants for c in full])


def test_every_reaction_once_in_order(big_archive: Path) -> None:
    shown = run_json(big_archive, "show", "Popular")
    reactions = shown["messages"][0]["reactions"]
    assert len(reactions) == SIZE + 1
    assert reactions[:2] == [{"actor": "Fan 0", "reaction": "❤"},
                             {"actor": "Fan 1", "reaction": "❤"}]
    assert reactions[-1] == {"actor": "Star", "reaction": "😂"}
    code, out, _ = run(big_archive, "show", "Popular", "--tz", "UTC")
    assert code == 0 and f"❤ Fan {SIZE - 1}" in out


def test_reader_filters_by_participant_and_counts_reactions(big_archive: Path) -> None:
    app = ChatkeepReader(big_archive, tz="UTC")
    more = SIZE + 1 - REACTIONS_SHOWN

    async def scenario(pilot: Pilot) -> None:
        # The list holds the first names by name, not all 20,001.
        crowd = next(c for c in app.conversations if c.title == "Crowd")
        assert len(crowd.participants) == LISTED_NAMES
        await pilot.press("f", *"person 10009")
        await pilot.pause()
        assert [c.title for c in app.query_one("#conversations").shown] == ["Crowd"]
        await pilot.press("ctrl+u", *"popular", "enter")
        await pilot.pause()
        await pilot.press("g")
        rows = app.pane.visible_text()
        text = "\n".join(rows)
        assert "look at this" in text
        assert f"… {more:,} more: ❤ {more - 1:,} 😂 1" in " ".join(text.split())
        assert len(rows) < 40  # one short block, not a line per reaction

    drive(app, scenario, size=(100, 30))


def test_a_thread_without_a_title_is_named_after_its_first_fifty(tmp_path: Path) -> None:
    folder = tmp_path / "dl" / "messages" / "inbox" / "untitled_1"
    folder.mkdir(parents=True)
    people = ",".join(f'{{"name": "P{i}"}}' for i in range(SIZE))
    (folder / "message_1.json").write_text(
        f'{{"participants": [{people}], "messages": '
        f'[{{"sender_name": "P1", "timestamp_ms": {T}, "content": "hi"}}]}}', encoding="ascii")
    archive = tmp_path / "archive"
    run_json(archive, "import", str(tmp_path / "dl"))
    [conv] = run_json(archive, "threads")
    assert conv["title"] == ", ".join(f"P{i}" for i in range(50)) + f" and {SIZE - 50:,} others"
    assert len(conv["participants"]) == SIZE
