"""The reader, driven with Pilot as a person would: every key binding, checked
by what ends up on the screen (or on disk)."""

from __future__ import annotations

import json
import os
import re
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, OptionList

from tests.support.reader import (
    ANA,
    DAYS,
    LONG_TEXT,
    PER_DAY,
    SEARCH_WORD,
    THIRTEENTH_FIRST,
    build_archive,
    drive,
    open_ana,
    pictures_ready,
    reader,
    screen_lines,
    screen_text,
    shown,
    status_line,
)
from tui import desktop
from tui.app import ChatkeepReader
from tui.components.conversation_list import ConversationList
from tui.components.date_jump import DateJump
from tui.components.export_format import ExportFormat
from tui.components.help_screen import HelpScreen
from tui.components.no_archive import NoArchiveScreen
from tui.components.reading_pane import ReadingPane
from tui.messages import ConversationChosen, CursorMoved, PicturesReady

LAST = PER_DAY * DAYS - 1


async def press_o(pilot: Pilot) -> None:
    """``o``, then the opener's answer (it is awaited off the UI thread)."""
    await pilot.press("o")
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


# -- the conversation list -----------------------------------------------------


def test_list_most_recent_first_with_badges_dates_counts(reader_archive: Path) -> None:
    app = reader(reader_archive)

    async def scenario(pilot: Pilot) -> None:
        conversations = app.query_one(ConversationList)
        assert [c.title for c in conversations.shown] == ["Crew", ANA, "sam.okafor"]
        prompts = [str(o.prompt) for o in conversations.options._options]
        assert prompts[0].startswith("Crew\nFB  2021-03-01  4")
        assert prompts[1].endswith(f"FB  2020-09-19  {PER_DAY * DAYS}")
        assert prompts[2].startswith("sam.okafor\nIG  2019-05-04  2")
        assert "Choose a conversation" in str(app.query_one("#placeholder").render())

    drive(app, scenario)


def test_the_count_under_the_list_agrees_in_number(tmp_path: Path) -> None:
    """Three conversations are "3 conversations"; one is "1 conversation"."""
    from archiver.ingest.importer import import_downloads
    from tests.support.downloads import write_thread

    download = tmp_path / "facebook-jordanlee-2026" / "your_facebook_activity" / "messages"
    write_thread(download / "inbox" / "nadia_10009",
                 [{"sender_name": "Nadia", "timestamp_ms": 1_700_000_000_000, "content": "Hi"}],
                 title="Nadia", participants=("Nadia", "Jordan Lee"))
    archive = tmp_path / "archive"
    import_downloads(archive, [tmp_path / "facebook-jordanlee-2026"], copy_media=False)

    async def scenario(pilot: Pilot) -> None:
        count = str(pilot.app.query_one("#conversation-count").render())
        assert count == expected

    for path, expected in ((archive, "1 conversation"), (build_archive(tmp_path / "three"),
                                                          "3 conversations")):
        drive(reader(path), scenario)


def test_a_long_list_shows_a_screenful_first_then_the_rest(
    reader_archive: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Thousands of conversations: the first are on screen at once, the rest
    follow a batch per screen update, in order, and a filter typed meanwhile
    lists only what it matches."""
    from tui.components import conversation_list

    monkeypatch.setattr(conversation_list, "FIRST_OPTIONS", 1)
    monkeypatch.setattr(conversation_list, "MORE_OPTIONS", 1)
    app = reader(reader_archive)

    def titles(options: OptionList) -> list[str]:
        return [str(o.prompt).split("\n")[0] for o in options._options]

    async def scenario(pilot: Pilot) -> None:
        conversations = app.query_one(ConversationList)
        options = conversations.options
        assert titles(options) == ["Crew", ANA, "sam.okafor"]
        conversations.apply_filter("")
        assert titles(options) == ["Crew"]
        # A conversation further down, chosen elsewhere: listed at once.
        conversations.select(conversations.shown[2].id)
        assert options.highlighted == 2
        assert titles(options) == ["Crew", ANA, "sam.okafor"]
        conversations.apply_filter("")
        conversations.apply_filter("oka")
        await pilot.pause()
        assert titles(options) == ["Crew", "sam.okafor"]
        assert "2 of 3" in str(app.query_one("#conversation-count").render())

    drive(app, scenario)


def test_filter_as_you_type_then_enter_opens(reader_archive: Path) -> None:
    app = reader(reader_archive)

    async def scenario(pilot: Pilot) -> None:
        conversations = app.query_one(ConversationList)
        await pilot.press("f", *"lee c")  # a participant's name, not a title
        assert [c.title for c in conversations.shown] == ["Crew"]
        for _ in range(5):
            await pilot.press("backspace")
        # Punctuation and case are ignored, as search ignores them: the title
        # "sam.okafor" and Crew's "Sam Okafor" both match.
        await pilot.press(*"SAM.")
        assert [c.title for c in conversations.shown] == ["Crew", "sam.okafor"]
        await pilot.press("down", "enter")
        await pilot.pause()
        assert "thanks!" in shown(app.pane)
        assert "sam.okafor" in str(app.query_one("#pane-title").render())

    drive(app, scenario)


def test_the_filter_matches_from_the_start_of_a_word(reader_archive: Path) -> None:
    app = reader(reader_archive)

    async def scenario(pilot: Pilot) -> None:
        conversations = app.query_one(ConversationList)
        await pilot.press("f", *"kafor")  # inside "Okafor": no word starts so
        assert conversations.shown == []
        for _ in range(5):
            await pilot.press("backspace")
        await pilot.press(*"oka")
        assert [c.title for c in conversations.shown] == ["Crew", "sam.okafor"]

    drive(app, scenario)


def test_arrows_and_enter_in_the_list(reader_archive: Path) -> None:
    app = reader(reader_archive)

    async def scenario(pilot: Pilot) -> None:
        await pilot.press("down", "enter")
        await pilot.pause()
        assert app.pane.conversation.title == ANA
        assert app.focused is app.pane

    drive(app, scenario)


# -- the reading pane ----------------------------------------------------------------


def test_opens_at_the_last_message(reader_archive: Path) -> None:
    app = reader(reader_archive)

    async def scenario(pilot: Pilot) -> None:
        pane = await open_ana(pilot)
        rows = pane.visible_text()
        assert rows[-1].endswith("The very last message")
        assert pane.cursor == LAST
        assert f"{LAST + 1}/{LAST + 1}" in str(app.query_one("#pane-position").render())

    drive(app, scenario)


def test_g_and_G_home_and_end(reader_archive: Path) -> None:
    app = reader(reader_archive)

    async def scenario(pilot: Pilot) -> None:
        pane = await open_ana(pilot)
        await pilot.press("g")
        rows = pane.visible_text()
        assert rows[0].strip("─ ") == "2020-09-08, Tuesday"
        assert rows[1] == ANA
        assert rows[2] == "06:00  Message number 0 about day 0"
        assert pane.cursor == 0
        await pilot.press("G")
        assert pane.visible_text()[-1].endswith("The very last message")
        assert pane.cursor == LAST
        await pilot.press("home")
        assert pane.scroll_y == 0 and pane.cursor == 0
        await pilot.press("end")
        assert "The very last message" in shown(pane)

    drive(app, scenario)


def test_page_keys(reader_archive: Path) -> None:
    app = reader(reader_archive)

    async def scenario(pilot: Pilot) -> None:
        pane = await open_ana(pilot)
        await pilot.press("g")
        height = pane.scrollable_content_region.height
        first_screen = pane.visible_text()
        await pilot.press("pagedown")
        assert pane.scroll_y == height - 1
        assert pane.visible_text()[0] == first_screen[-1]  # one row of overlap
        assert pane.cursor > 0
        await pilot.press("pagedown", "pagedown", "pageup", "pageup", "pageup")
        assert pane.scroll_y == 0
        assert pane.visible_text() == first_screen

    drive(app, scenario)


def test_up_down_move_the_selected_message(reader_archive: Path) -> None:
    app = reader(reader_archive)

    async def scenario(pilot: Pilot) -> None:
        pane = await open_ana(pilot)
        await pilot.press("g", "down", "down", "down")
        assert pane.cursor == 3
        assert pane.selected.text == "Message number 3 about day 0"
        await pilot.press("up")
        assert pane.cursor == 2
        assert "3/" in str(app.query_one("#pane-position").render())
        # Walking down past the screen keeps the selected message in view.
        for _ in range(40):
            await pilot.press("down")
        assert pane.cursor == 42
        assert any("Message number 42 " in row for row in pane.visible_text())

    drive(app, scenario)


def test_mouse_wheel_and_click(reader_archive: Path) -> None:
    app = reader(reader_archive)

    async def scenario(pilot: Pilot) -> None:
        from textual.events import MouseScrollDown, MouseScrollUp

        pane = await open_ana(pilot)
        await pilot.press("g")
        for _ in range(5):
            pane.post_message(MouseScrollDown(pane, 5, 5, 0, 0, 0, False, False, False))
        await pilot.pause()
        assert pane.scroll_y > 0
        assert "Message number 0 " not in shown(pane)
        # The selected message scrolled away: down starts from the first one seen.
        await pilot.press("down")
        assert pane.cursor == pane.rows.position_at(round(pane.scroll_y))
        assert pane.cursor > 1
        for _ in range(20):
            pane.post_message(MouseScrollUp(pane, 5, 5, 0, 0, 0, False, False, False))
        await pilot.pause()
        assert pane.scroll_y == 0
        await pilot.click(ReadingPane, offset=(10, 5))  # a message's row
        assert pane.cursor == pane.rows.position_at(5)
        assert pane.cursor > 0

    drive(app, scenario)


def test_every_kind_of_message_is_shown(reader_archive: Path) -> None:
    app = reader(reader_archive)

    async def scenario(pilot: Pilot) -> None:
        pane = await open_ana(pilot)
        await pilot.press("g")
        seen: list[str] = []
        for _ in range(8):
            seen.extend(pane.visible_text())
            await pilot.press("pagedown")
        text = "\n".join(seen)
        assert "Jordan Lee (you)" in text  # the owner is marked
        assert "❤ Jordan Lee  😂 Ana María González" in text  # reactions and who
        # The original name, size and what v and o do; the path is in the viewer,
        # not wrapped over rows of the conversation.
        assert re.search(r"▣ photo sunset\.jpg · [\d.]+ (KB|bytes) · v views, o opens", text)
        assert "/media/" not in text
        assert "▶ boat trip.mp4" in text and "video · 132 bytes · 42 s · v views, o opens" in text
        assert "audio · 24.0 KB · 3 s" in text and "▤ menu.pdf" in text
        assert "lost_in_the_download.jpg · missing: not in the download" in text
        # A reason too long to follow the name on its row has rows of its own, whole.
        assert ("▣ photo expired_photo_n.jpg\n"
                "       missing: a remote link, never a file in the download") in text
        assert "↗ Boats https://example.com/boats" in text
        assert "☎ Call, 12 min 34 s" in text
        assert "(unsent a message)" in text
        assert "· Ana María González named the group Sea people." in text

    drive(app, scenario)


def test_long_messages_wrap_at_80_columns(reader_archive: Path) -> None:
    app = reader(reader_archive)

    async def scenario(pilot: Pilot) -> None:
        pane = await open_ana(pilot)
        await pilot.press("g")
        rows = pane.visible_text()
        width = pane.scrollable_content_region.width
        assert all(len(r) <= width for r in rows)
        start = next(i for i, r in enumerate(rows) if "This is a long message" in r)
        body = [rows[start][7:]] + [r[7:] for r in rows[start + 1:start + 6]]
        assert " ".join(body).startswith(LONG_TEXT[:150])

    drive(app, scenario, size=(80, 24))


def test_resize_keeps_the_top_message(reader_archive: Path) -> None:
    app = reader(reader_archive)

    async def scenario(pilot: Pilot) -> None:
        pane = await open_ana(pilot)
        await pilot.press("d", *"2020-09-13", "enter")
        top = pane.visible_text()[2]
        await pilot.resize_terminal(80, 24)
        await pilot.pause()
        assert top in pane.visible_text()[:3]

    drive(app, scenario)


# -- moving ----------------------------------------------------------------------


def test_jump_to_a_date(reader_archive: Path) -> None:
    app = reader(reader_archive)

    async def scenario(pilot: Pilot) -> None:
        pane = await open_ana(pilot)
        await pilot.press("d")
        assert isinstance(app.screen, DateJump)
        await pilot.press(*"2020-09-13", "enter")
        assert not isinstance(app.screen, DateJump)
        rows = pane.visible_text()
        assert rows[0].strip("─ ") == "2020-09-13, Sunday"
        assert rows[2].endswith(THIRTEENTH_FIRST)
        assert pane.selected.text == THIRTEENTH_FIRST
        # After the last message: the last one, and a word about it.
        await pilot.press("d", *"2030-01-01", "enter")
        assert pane.cursor == LAST
        assert (await status_line(pilot)) == (
            "No messages on or after 2030-01-01; showing the last one.")

    drive(app, scenario)


def test_jump_to_a_date_that_is_not_one(reader_archive: Path) -> None:
    app = reader(reader_archive)

    async def scenario(pilot: Pilot) -> None:
        await open_ana(pilot)
        await pilot.press("d", *"someday", "enter")
        assert isinstance(app.screen, DateJump)
        assert "not a date" in str(app.screen.query_one("#date-jump-hint").render())
        await pilot.press(*["backspace"] * 7, *"01/09/2020", "enter")
        hint = str(app.screen.query_one("#date-jump-hint").render())
        assert hint.startswith("'01/09/2020' is ambiguous (2020-09-01 or 2020-01-09?). Use 2023-")
        await pilot.press("escape")
        assert not isinstance(app.screen, DateJump)

    drive(app, scenario)


# -- search --------------------------------------------------------------------------


async def search_for(pilot: Pilot, query: str) -> None:
    from tui.components.search_screen import SearchScreen

    await pilot.press("slash")
    assert isinstance(pilot.app.screen, SearchScreen)
    await pilot.press(*query)
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def test_search_enter_opens_the_hit_highlighted_and_n_N_step(reader_archive: Path) -> None:
    app = reader(reader_archive)

    async def scenario(pilot: Pilot) -> None:
        await search_for(pilot, SEARCH_WORD)
        results = app.screen.query_one("#search-results")
        assert results.option_count == 2
        newest = str(results.get_option_at_index(0).prompt)
        assert "Bring a pomegranate tomorrow" in newest and ANA in newest
        await pilot.press("enter")
        await pilot.pause()
        pane = app.pane
        assert pane.conversation.title == ANA
        assert pane.cursor == 420 and pane.hit == 420
        assert any(f"Bring a {SEARCH_WORD} tomorrow" in r for r in pane.visible_text())
        # The searched word is marked inside the opened message, and only it.
        marked = [
            seg.text for y in range(pane.size.height) for seg in pane.render_line(y)
            if seg.style is not None and seg.style.reverse and seg.style.bold
        ]
        assert SEARCH_WORD in marked
        assert all(m.strip().casefold() == SEARCH_WORD for m in marked if m.strip())
        await pilot.press("n")
        assert pane.cursor == 300 and pane.hit == 300
        assert any(f"The {SEARCH_WORD} tree" in r for r in pane.visible_text())
        await pilot.press("n")
        assert (await status_line(pilot)) == "No more results."
        await pilot.press("N")
        assert pane.cursor == 420
        # Opening a conversation from the list ends the marking.
        app.post_message(ConversationChosen(pane.conversation.id))
        await pilot.pause()
        assert pane.marked_query is None

    drive(app, scenario)


def test_search_marks_the_match_and_escape_closes(reader_archive: Path) -> None:
    app = reader(reader_archive)

    async def scenario(pilot: Pilot) -> None:
        from tui.components.search_screen import SearchScreen

        await search_for(pilot, "thirteenth")
        results = app.screen.query_one("#search-results")
        prompt = results.get_option_at_index(0).prompt
        marked = [prompt.plain[s.start:s.end] for s in prompt.spans if "reverse" in str(s.style)]
        assert [m.casefold() for m in marked] == ["thirteenth"]
        await pilot.press(*" zzzzqqq")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert "No messages match" in str(app.screen.query_one("#search-status").render())
        await pilot.press("escape")
        assert not isinstance(app.screen, SearchScreen)

    drive(app, scenario)


def test_the_search_screen_names_filters_it_did_not_understand(reader_archive: Path) -> None:
    app = reader(reader_archive)

    async def scenario(pilot: Pilot) -> None:
        await search_for(pilot, "after:garbage in:nonexistent [b]x")
        status = str(app.screen.query_one("#search-status").render())
        assert status.splitlines() == [
            "after:garbage is not a date, searched as words.",
            "in:nonexistent matches no conversation.",
            "No messages match.",
        ]

    drive(app, scenario)


def test_n_without_a_search(reader_archive: Path) -> None:
    app = reader(reader_archive)

    async def scenario(pilot: Pilot) -> None:
        await pilot.press("n")
        assert (await status_line(pilot)) == "No search results yet: press / to search."

    drive(app, scenario)


# -- acting ------------------------------------------------------------------------


def test_export_asks_the_format_and_remembers_it(
    own_archive: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    app = reader(own_archive)

    async def scenario(pilot: Pilot) -> None:
        pane = await open_ana(pilot)
        stem = f"Ana-María-González-{pane.conversation.id}"
        await pilot.press("e")
        assert "Export this conversation as:" in screen_text(app)
        await pilot.press("enter")  # Markdown is offered first
        await app.workers.wait_for_complete()
        await pilot.pause()
        written = list(tmp_path.glob("*.md"))
        assert [p.name for p in written] == [f"{stem}.md"]
        text = written[0].read_text(encoding="utf-8")
        assert text.startswith(f"# {ANA}\n")
        assert "The very last message" in text
        assert (await status_line(pilot)) == (
            f"Exported 540 messages to {written[0]}, attachments in {stem}_media/")

        await pilot.press("e", "h")  # HTML by its letter
        await app.workers.wait_for_complete()
        await pilot.pause()
        page = tmp_path / f"{stem}.html"
        assert "The very last message" in page.read_text(encoding="utf-8")
        page.unlink()
        await pilot.press("e", "enter")  # HTML is now the one offered
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert page.is_file()
        await pilot.press("e", "escape")  # cancelled: nothing more written
        await app.workers.wait_for_complete()
        assert sorted(p.suffix for p in tmp_path.iterdir() if p.is_file()) == [".html", ".md"]

    drive(app, scenario)


def offered_format(app: ChatkeepReader) -> str | None:
    """The format the export question highlights (Enter takes it)."""
    assert isinstance(app.screen, ExportFormat)
    option = app.screen.query_one(OptionList).highlighted_option
    return option.id if option is not None else None


def test_the_export_format_is_remembered_in_the_next_session(
    own_archive: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    monkeypatch.chdir(out)
    first = reader(own_archive)

    async def choose_html(pilot: Pilot) -> None:
        await open_ana(pilot)
        await pilot.press("e")
        assert offered_format(first) == "md"  # nothing remembered yet
        await pilot.press("h")
        await first.workers.wait_for_complete()
        await pilot.pause()
        await pilot.press("q")

    drive(first, choose_html)
    [page] = out.glob("*.html")
    kept = own_archive / "reader.json"
    assert kept.stat().st_mode & 0o777 == 0o600  # private, as the database is
    assert json.loads(kept.read_text(encoding="utf-8")) == {"export_format": "html"}

    second = reader(own_archive)

    async def export_again(pilot: Pilot) -> None:
        await open_ana(pilot)
        await pilot.press("e")
        assert "Export this conversation as:" in screen_text(second)
        assert offered_format(second) == "html"
        await pilot.press("enter")
        await second.workers.wait_for_complete()
        await pilot.pause()

    page.unlink()
    drive(second, export_again)
    assert "The very last message" in page.read_text(encoding="utf-8")
    assert list(out.glob("*.md")) == []


@pytest.mark.parametrize("kept", ["not json {", '["html"]', '{"export_format": "pdf"}', None])
def test_a_remembered_format_that_cannot_be_used_is_ignored(
    own_archive: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kept: str | None
) -> None:
    """Damaged or foreign contents, or a reader.json that is a folder (so it can
    be neither read nor replaced): Markdown is offered and exporting works.
    Nothing is said about contents; a folder is named once, at the start."""
    monkeypatch.chdir(tmp_path)
    if kept is None:
        (own_archive / "reader.json").mkdir()
    else:
        (own_archive / "reader.json").write_text(kept, encoding="utf-8")
    app = reader(own_archive)

    async def scenario(pilot: Pilot) -> None:
        said = await status_line(pilot)  # as the screen comes up
        if kept is None:
            assert said == (f"{own_archive / 'reader.json'} is a folder, not a file: the "
                            "reader's choices are not remembered.")
        else:
            assert said == ""
        await open_ana(pilot)
        await pilot.press("e")
        assert offered_format(app) == "md"
        await pilot.press("h")
        await app.workers.wait_for_complete()
        said = await status_line(pilot)
        assert said.startswith("Exported 540 messages to ") and "reader.json" not in said

    drive(app, scenario)
    assert [p.suffix for p in tmp_path.iterdir() if p.is_file()] == [".html"]
    assert list(own_archive.glob(".reader-*")) == []  # no half-written file left behind
    if kept is None:
        assert (own_archive / "reader.json").is_dir()
    else:
        assert reader(own_archive).export_format == "html"  # replaced by a good one


def test_open_attachment(reader_archive: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    opened: list[Path] = []
    monkeypatch.setattr(desktop, "open_in_viewer", opened.append)
    app = reader(reader_archive)

    async def scenario(pilot: Pilot) -> None:
        pane = await open_ana(pilot)
        await pilot.press("g", *["down"] * 19)
        await pilot.press("o")
        assert opened == []
        assert (await status_line(pilot)) == "The selected message has no attachment."
        await pilot.press("down")  # message 20 holds the photo
        await press_o(pilot)
        assert len(opened) == 1
        assert opened[0].is_file()
        assert opened[0].parent.parent == reader_archive / "media"
        assert pane.selected.attachments[0].path in str(opened[0])

    drive(app, scenario)


def test_copy_the_selected_message(reader_archive: Path) -> None:
    app = reader(reader_archive)

    async def scenario(pilot: Pilot) -> None:
        await open_ana(pilot)
        await pilot.press("c")
        assert app.clipboard == "The very last message"
        assert (await status_line(pilot)) == "Copied the message's text."

    drive(app, scenario)


def test_actions_before_a_conversation_is_open(reader_archive: Path) -> None:
    app = reader(reader_archive)

    async def scenario(pilot: Pilot) -> None:
        for key, said in [("e", "Open a conversation first."),
                          ("o", "Open a conversation and select a message first."),
                          ("c", "Open a conversation and select a message first."),
                          ("d", "Open a conversation first.")]:
            await pilot.press("n")  # something else on the status line first
            assert (await status_line(pilot)) == "No search results yet: press / to search."
            await pilot.press(key)
            assert app.screen is app.screen_stack[0]  # no dialog opened
            assert (await status_line(pilot)) == said, key

    drive(app, scenario)


def test_help_screen(reader_archive: Path) -> None:
    app = reader(reader_archive)

    async def scenario(pilot: Pilot) -> None:
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        assert "jump to a date" in screen_text(app)
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)

    drive(app, scenario)


def test_l_hides_and_shows_the_list(reader_archive: Path) -> None:
    app = reader(reader_archive)

    async def scenario(pilot: Pilot) -> None:
        pane = await open_ana(pilot)
        narrow = pane.size.width
        await pilot.press("l")
        await pilot.pause()
        assert not app.query_one(ConversationList).display
        assert pane.size.width > narrow
        assert pane.visible_text()[-1].endswith("The very last message")
        await pilot.press("l")
        await pilot.pause()
        assert app.query_one(ConversationList).display

    drive(app, scenario)


def test_q_quits(reader_archive: Path) -> None:
    app = reader(reader_archive)

    async def scenario(pilot: Pilot) -> None:
        await open_ana(pilot)
        await pilot.press("q")
        await pilot.pause()
        assert not app.is_running

    drive(app, scenario)


# -- opening ---------------------------------------------------------------------------


def test_browse_thread_opens_it(reader_archive: Path) -> None:
    app = reader(reader_archive, thread="crew")

    async def scenario(pilot: Pilot) -> None:
        await pilot.pause()
        assert app.pane.conversation.title == "Crew"
        assert "I'll bring snacks" in shown(app.pane)

    drive(app, scenario)


def test_no_archive_says_how_to_import(tmp_path: Path) -> None:
    app = reader(tmp_path / "nowhere")

    async def scenario(pilot: Pilot) -> None:
        assert isinstance(app.screen, NoArchiveScreen)
        text = screen_text(app)
        assert "no archive at" in text and "chatkeep import PATH" in text
        await pilot.press("q")
        await pilot.pause()
        assert not app.is_running

    drive(app, scenario, size=(80, 24))


def test_empty_archive_says_so(empty_archive: Path) -> None:
    app = reader(empty_archive)

    async def scenario(pilot: Pilot) -> None:
        placeholder = str(app.query_one("#placeholder").render())
        assert "The archive is empty" in placeholder
        assert "chatkeep import PATH" in placeholder
        await pilot.press("slash", "escape", "d", "g", "G")  # nothing breaks
        await pilot.press("q")
        await pilot.pause()
        assert not app.is_running

    drive(app, scenario, size=(80, 24))


def test_reads_while_an_import_holds_the_database(reader_archive: Path) -> None:
    """WAL: a writer in the middle of a transaction does not stop the reader."""
    writer = sqlite3.connect(reader_archive / "chatkeep.db", isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("UPDATE conversations SET title = title WHERE id = 1")
    try:
        app = reader(reader_archive)

        async def scenario(pilot: Pilot) -> None:
            pane = await open_ana(pilot)
            await pilot.press("g")
            assert "Message number 0 " in shown(pane)

        drive(app, scenario)
    finally:
        writer.execute("ROLLBACK")
        writer.close()


def test_the_readers_own_connection_refuses_writes(reader_archive: Path) -> None:
    """Not only can open_archive open read-only: the reader does so, for the
    list, the pane and everything else it reads with."""
    app = reader(reader_archive)

    async def scenario(pilot: Pilot) -> None:
        pane = await open_ana(pilot)
        assert app.db is not None and pane.db is app.db
        conn = app.db.conn
        with pytest.raises(sqlite3.OperationalError, match="readonly|read-only|query_only"):
            conn.execute("UPDATE conversations SET title = 'changed'")
        conn.execute("PRAGMA query_only = 0")  # the file itself is opened read-only
        with pytest.raises(sqlite3.OperationalError, match="readonly"):
            conn.execute("UPDATE conversations SET title = 'changed'")

    drive(app, scenario)
    conn = sqlite3.connect(reader_archive / "chatkeep.db")
    try:
        assert conn.execute("SELECT COUNT(*) FROM conversations WHERE title = 'changed'"
                            ).fetchone() == (0,)
    finally:
        conn.close()


def test_the_reader_shows_times_and_days_in_its_zone(reader_archive: Path) -> None:
    """Auckland is UTC+12 in September and UTC+13 in March: 06:00Z is 18:00
    the same day, and the crew's 18:00Z on 1 March is the 2nd there."""
    app = ChatkeepReader(reader_archive, tz="Pacific/Auckland")

    async def scenario(pilot: Pilot) -> None:
        prompts = [str(o.prompt) for o in app.query_one(ConversationList).options._options]
        assert prompts[0].startswith("Crew\nFB  2021-03-02  4")
        pane = await open_ana(pilot)
        await pilot.press("g")
        rows = pane.visible_text()
        assert rows[0].strip("─ ") == "2020-09-08, Tuesday"
        assert rows[2] == "18:00  Message number 0 about day 0"
        await pilot.press("G")
        rows = pane.visible_text()
        assert rows[-1] == "23:08  The very last message"  # 11:08Z

    drive(app, scenario)


def test_browse_with_a_thread_that_names_nothing(
    reader_archive: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from tui.app import run_reader

    with pytest.raises(SystemExit) as exit_:
        run_reader(reader_archive, thread="nobody by that name", tz="UTC")
    assert exit_.value.code == 2
    assert "no conversation matches 'nobody by that name'" in capsys.readouterr().err


def test_browse_with_an_unknown_zone(
    reader_archive: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from tui.app import run_reader

    with pytest.raises(SystemExit) as exit_:
        run_reader(reader_archive, tz="Mars/Olympus")
    assert exit_.value.code == 2
    assert "unknown time zone 'Mars/Olympus'" in capsys.readouterr().err


def test_paging_up_from_the_end_through_estimated_pages(reader_archive: Path) -> None:
    """Opened at the end, the pages above are estimates until they are reached;
    paging up still moves by exactly a screen (what was at the top is now at the
    bottom) and shows every message on the way."""
    app = reader(reader_archive)

    async def scenario(pilot: Pilot) -> None:
        app.pane.page_size = 7  # many small pages
        pane = await open_ana(pilot)
        screen = pane.visible_text()
        seen = set(screen)
        steps = 0
        while pane.scroll_y > 0:
            await pilot.press("pageup")
            above = pane.visible_text()
            if pane.scroll_y > 0:
                assert above[-1] == screen[0]
            else:
                assert screen[0] in above
            seen.update(above)
            screen = above
            steps += 1
        assert steps > 10
        assert screen[0].strip("─ ") == "2020-09-08, Tuesday"
        numbers = {int(r.split("number ")[1].split()[0]) for r in seen if "Message number" in r}
        special = {7, 20, 30, 40, 50, 60, 5 * PER_DAY, 300, 420}  # other texts (conftest)
        assert numbers == set(range(LAST)) - special

    drive(app, scenario)


def test_r_reloads_after_an_import(tmp_path: Path) -> None:
    """The reader stays open while an import adds to the archive; r shows it."""
    from archiver.ingest.importer import import_downloads
    from tests.support.downloads import write_thread
    from tests.support.reader import build_archive

    archive = build_archive(tmp_path)
    app = reader(archive)

    async def scenario(pilot: Pilot) -> None:
        pane = await open_ana(pilot)
        await pilot.press("g")
        newer = tmp_path / "facebook-jordanlee-2026" / "your_facebook_activity" / "messages"
        write_thread(newer / "inbox" / "nadia_10009",
                     [{"sender_name": "Nadia", "timestamp_ms": 1_700_000_000_000,
                       "content": "Hello from a later download"}],
                     title="Nadia", participants=("Nadia", "Jordan Lee"))
        report = import_downloads(archive, [tmp_path / "facebook-jordanlee-2026"],
                                  copy_media=False)
        assert report.messages_added == 1
        conversations = app.query_one(ConversationList)
        assert "Nadia" not in [c.title for c in conversations.conversations]
        await pilot.press("r")
        await pilot.pause()
        assert conversations.conversations[0].title == "Nadia"  # the most recent
        assert pane.conversation.title == ANA and pane.cursor == 0

    drive(app, scenario)


# -- pictures ------------------------------------------------------------------


def picture_rows(pane: ReadingPane) -> list[str]:
    return [line for line in pane.visible_text() if "▀" in line or "▄" in line]


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
def test_photos_gifs_and_stickers_show_as_thumbnails(
    reader_archive: Path, size: tuple[int, int]
) -> None:
    app = reader(reader_archive)

    async def scenario(pilot: Pilot) -> None:
        pane = await open_ana(pilot)
        await pilot.press("g", *["down"] * 20)  # the photo
        pane.show_at_top(20)
        await pictures_ready(pilot)
        text = shown(pane)
        assert "▣ photo sunset.jpg" in text
        rows = picture_rows(pane)
        assert len(rows) >= 4
        # Drawn in the body's column, at most THUMB_COLUMNS wide.
        assert all(r.startswith("       ") and len(r.strip()) <= 32 for r in rows)
        picture = app.thumbnails.get(pane.selected.attachments[0].file, 32, 6)
        assert picture is not None and picture.error is None
        assert picture.image.size == (18, 12)  # 96×64 kept in shape
        pane.show_at_top(21)  # the GIF, then the sticker
        await pictures_ready(pilot)
        assert "▣ gif wave.gif" in shown(pane) and picture_rows(pane)
        pane.show_at_top(22)
        await pictures_ready(pilot)
        assert "☺ sticker smile.png" in shown(pane) and picture_rows(pane)

    drive(app, scenario, size=size)


def test_images_off_shows_names_and_paths_only(reader_archive: Path) -> None:
    app = reader(reader_archive, images="off")

    async def scenario(pilot: Pilot) -> None:
        pane = await open_ana(pilot)
        pane.show_at_top(20)
        await pilot.pause()
        text = shown(pane)
        assert app.thumbnails is None
        assert "▣ photo sunset.jpg" in text and not picture_rows(pane)
        # Without picture rows the next message follows the name at once.
        lines = pane.visible_text()
        at = next(i for i, line in enumerate(lines) if "sunset.jpg" in line)
        after = next(i for i, line in enumerate(lines) if "Message number 21" in line)
        assert after - at <= 3 and "/media/" not in text

    drive(app, scenario, size=(80, 24))


def test_a_picture_that_cannot_be_decoded_says_why(
    reader_archive: Path, tmp_path: Path
) -> None:
    app = reader(reader_archive)

    async def scenario(pilot: Pilot) -> None:
        pane = await open_ana(pilot)
        pane.show_at_top(20)
        await pictures_ready(pilot)
        photo = pane.selected.attachments[0].file
        # As if the file had been damaged in the archive folder since.
        cache = app.thumbnails
        from tui.thumbnails import Picture

        [key] = [k for k in cache._done if k[0] == photo]
        cache._store(key, Picture(None, "damaged picture (truncated)"))
        pane.refresh()
        await pilot.pause()
        text = shown(pane)
        assert "(cannot show it: damaged picture" in text and "(truncated))" in text
        assert "▀" not in text.split("Message number 21")[0]

    drive(app, scenario, size=(80, 24))


def test_filter_ignores_accents_and_letters_as_search_does(tmp_path: Path) -> None:
    from tests.support.cli import run
    from tests.support.downloads import write_thread

    inbox = tmp_path / "dl" / "messages" / "inbox"
    for key, name in (("michal_1", "Michał Kowalski"), ("agnes_2", "Ágnes Pataki"),
                      ("zoe_3", "Zoë Faure")):
        write_thread(inbox / key, [{"sender_name": name, "timestamp_ms": 1000, "content": "hi"}],
                     title=name, participants=(name, "Jordan Lee"))
    archive = tmp_path / "archive"
    assert run(archive, "import", str(tmp_path / "dl"))[0] == 0
    app = reader(archive)

    async def scenario(pilot: Pilot) -> None:
        conversations = app.query_one(ConversationList)
        await pilot.press("f")
        for typed, titles in (("michal", ["Michał Kowalski"]), ("AGNES", ["Ágnes Pataki"]),
                              ("zoe f", ["Zoë Faure"])):
            await pilot.press(*typed)
            assert [c.title for c in conversations.shown] == titles, typed
            for _ in typed:
                await pilot.press("backspace")

    drive(app, scenario)


# -- the viewer and the gallery --------------------------------------------------


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
def test_viewer_steps_through_the_media_and_esc_goes_back(
    reader_archive: Path, size: tuple[int, int]
) -> None:
    from tui.components.media_viewer import MediaViewer

    app = reader(reader_archive)

    async def scenario(pilot: Pilot) -> None:
        pane = await open_ana(pilot)
        pane.move_cursor(20)
        await pilot.press("enter")
        await pictures_ready(pilot)
        assert isinstance(app.screen, MediaViewer)
        caption = str(app.screen.query_one("#viewer-caption").render())
        assert caption.startswith("1 of 8 · photo · sunset.jpg")
        # The path of the copy, for other programs, whole on its own row(s).
        path = pane.selected.attachments[0].file
        shown_rows = caption.splitlines()[1:]
        assert "".join(row.strip() for row in shown_rows).endswith(path.split("/media/")[1])
        assert sum("▀" in line for line in screen_text(app).splitlines()) >= size[1] // 2
        await pilot.press("right", "right", "right")
        assert str(app.screen.query_one("#viewer-caption").render()).startswith(
            "4 of 8 · video · boat trip.mp4")
        assert "o opens it with the system's player" in screen_text(app)
        await pilot.press("left")
        assert "3 of 8 · sticker" in str(app.screen.query_one("#viewer-caption").render())
        await pilot.press("escape")
        assert not isinstance(app.screen, MediaViewer)
        assert pane.cursor == 22  # the sticker's message
        await pilot.press("v")  # v opens it too
        assert isinstance(app.screen, MediaViewer)

    drive(app, scenario, size=size)


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
def test_gallery_newest_first_and_enter_jumps(reader_archive: Path, size: tuple[int, int]) -> None:
    from tui.components.media_gallery import GalleryGrid, MediaGallery

    app = reader(reader_archive)

    async def scenario(pilot: Pilot) -> None:
        pane = await open_ana(pilot)
        await pilot.press("m")
        await pictures_ready(pilot)
        assert isinstance(app.screen, MediaGallery)
        grid = app.screen.query_one(GalleryGrid)
        assert [a.label for _, a in grid.items][:2] == [
            "expired_photo_n.jpg", "lost_in_the_download.jpg"]
        text = screen_text(app)
        assert "8 media, newest first" in text and "sunset.jpg" in text and "▀" in text
        await pilot.press("right", "right")  # menu.pdf
        await pilot.press("enter")
        assert not isinstance(app.screen, MediaGallery)
        assert pane.cursor == 25 and pane.selected.attachments[0].label == "menu.pdf"

    drive(app, scenario, size=size)


def test_o_opens_a_card_and_says_when_there_is_no_viewer(
    reader_archive: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    opened: list[Path] = []
    monkeypatch.setattr(desktop, "open_in_viewer", opened.append)
    app = reader(reader_archive)

    async def scenario(pilot: Pilot) -> None:
        pane = await open_ana(pilot)
        pane.move_cursor(23)
        await press_o(pilot)
        assert opened and opened[0].suffix == ".mp4" and opened[0].is_file()
        assert (await status_line(pilot)) == f"Opened boat trip.mp4: {opened[0]}"
        pane.move_cursor(26)
        await pilot.press("o")
        assert (await status_line(pilot)) == (
            "lost_in_the_download.jpg is not in the archive: not in the download.")

        def no_viewer(path: Path) -> None:
            raise desktop.NoViewer("xdg-open")

        monkeypatch.setattr(desktop, "open_in_viewer", no_viewer)
        pane.move_cursor(24)
        await press_o(pilot)
        note = await status_line(pilot)
        assert note.startswith("This system has no xdg-open to open files with; the file is /")
        assert "Errno" not in note and note.endswith(".wav")

    drive(app, scenario)


def failing_opener(folder: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An xdg-open that fails as it does on a machine without a desktop (exit 3),
    first on PATH; returns the file it writes the path it was given to."""
    folder.mkdir()
    told = folder / "told"
    script = folder / "xdg-open"
    script.write_text(f'#!/bin/sh\necho "$1" > {told}\nexit 3\n', encoding="utf-8")
    script.chmod(0o755)
    monkeypatch.setenv("PATH", f"{folder}:{os.environ['PATH']}")
    return told


def test_o_says_so_when_the_viewer_fails(
    reader_archive: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    told = failing_opener(tmp_path / "bin", monkeypatch)
    app = reader(reader_archive)

    async def scenario(pilot: Pilot) -> None:
        pane = await open_ana(pilot)
        pane.move_cursor(20)
        await press_o(pilot)
        path = pane.selected.attachments[0].file
        assert told.read_text(encoding="utf-8").strip() == path  # it was asked
        note = await status_line(pilot)
        assert not note.startswith("Opened")
        assert note == (f"Could not open sunset.jpg (xdg-open ended with exit status 3); "
                        f"the file is {path}")

    drive(app, scenario)


def test_a_failing_opener_raises(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    failing_opener(tmp_path / "bin", monkeypatch)
    with pytest.raises(desktop.ViewerFailed) as failed:
        desktop.open_in_viewer(tmp_path / "photo.jpg")
    assert failed.value.status == 3


def test_no_viewer_is_found_without_xdg_open(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(desktop.shutil, "which", lambda name: None)
    with pytest.raises(desktop.NoViewer):
        desktop.open_in_viewer(Path("/nonexistent.jpg"))


# -- rough edges -------------------------------------------------------------------


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
def test_search_hit_shown_with_context_and_nothing_over_it(
    reader_archive: Path, size: tuple[int, int]
) -> None:
    app = reader(reader_archive)

    async def scenario(pilot: Pilot) -> None:
        await pilot.press("slash", *SEARCH_WORD)
        await app.workers.wait_for_complete()
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        pane = app.pane
        rows = pane.visible_text()
        at = next(i for i, r in enumerate(rows) if SEARCH_WORD in r)
        assert 2 <= at <= len(rows) - 3  # context above and below
        assert SEARCH_WORD in screen_text(app)  # on the screen itself, not under a toast
        assert not app.screen.query("Toast")
        header = str(app.query_one("#pane-position").render())
        assert header.startswith("Result 1 of 2")

    drive(app, scenario, size=size)


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
def test_header_keeps_cross_app_and_frozen_marks(
    reader_archive: Path, monkeypatch: pytest.MonkeyPatch, size: tuple[int, int]
) -> None:
    import tui.app

    real = tui.app.get_conversation

    def frozen(db: Any, cid: int, **kwargs: Any) -> Any:
        conv = real(db, cid, **kwargs)
        conv.title = "A very long conversation title that cannot fit at eighty columns"
        conv.cross_app = conv.frozen = True
        return conv

    monkeypatch.setattr(tui.app, "get_conversation", frozen)
    app = reader(reader_archive)

    async def scenario(pilot: Pilot) -> None:
        await open_ana(pilot)
        header = screen_lines(app)[0]
        assert "⇄" in header and "❄" in header
        if size[0] >= 100:
            assert "cross-app" in header and "frozen" in header

    drive(app, scenario, size=size)


def test_notifications_wrap_at_words_above_the_footer(reader_archive: Path) -> None:
    app = reader(reader_archive)
    name = "/home/jordan/exports/Ana-Maria-Gonzalez-and-the-whole-sailing-club-2020.md"

    async def scenario(pilot: Pilot) -> None:
        await open_ana(pilot)
        app.notify(f"Exported 540 messages to {name}, attachments beside it")
        await pilot.pause()
        lines = screen_lines(app)
        assert any(line.strip() == name + "," for line in lines)  # whole, on a line of its own
        assert lines[-2].strip().endswith("attachments beside it")
        assert not app.screen.query("Toast")

    drive(app, scenario, size=(80, 24))


def test_below_sixty_columns_the_list_steps_aside(reader_archive: Path) -> None:
    app = reader(reader_archive)

    async def scenario(pilot: Pilot) -> None:
        await pilot.pause()
        conversations = app.query_one(ConversationList)
        assert conversations.display and conversations.size.width >= 50
        await open_ana(pilot)
        assert not conversations.display
        assert app.pane.size.width >= 45
        await pilot.press("l")
        assert conversations.display

    drive(app, scenario, size=(56, 24))


def test_tab_never_traps_keys_in_the_filter(reader_archive: Path) -> None:
    app = reader(reader_archive)

    async def scenario(pilot: Pilot) -> None:
        await open_ana(pilot)
        for _ in range(4):
            await pilot.press("tab")
            assert not isinstance(app.focused, Input)
        await pilot.press("f", *"cr", "escape", "tab", "tab")
        assert not isinstance(app.focused, Input)
        assert app.query_one("#conversation-filter", Input).value == ""  # Esc empties it
        await pilot.press("q")
        assert not app.is_running

    drive(app, scenario, size=(80, 24))


def test_emoji_with_a_selector_keep_borders_intact(reader_archive: Path) -> None:
    app = reader(reader_archive)

    async def scenario(pilot: Pilot) -> None:
        await pilot.press("f", *"crew", "enter")
        await pilot.pause()
        pane = app.pane
        assert "Snow again ❄ and sun ☀ on the hats" in shown(pane)
        width = pane.scrollable_content_region.width
        assert {pane.render_line(y).cell_length for y in range(pane.size.height)} == {width}
        assert "\ufe0f" not in "".join(pane.visible_text())

    drive(app, scenario, size=(80, 24))


def test_escape_in_the_filter_empties_it(reader_archive: Path) -> None:
    app = reader(reader_archive)

    async def scenario(pilot: Pilot) -> None:
        conversations = app.query_one(ConversationList)
        await pilot.press("f", *"zzz")
        assert str(app.query_one("#conversation-count").render()) == "0 of 3"
        await pilot.press("escape")
        assert app.query_one("#conversation-filter", Input).value == ""
        assert len(conversations.shown) == 3
        assert str(app.query_one("#conversation-count").render()) == "3 conversations"
        assert isinstance(app.focused, OptionList)
        # What was highlighted stays highlighted.
        await pilot.press("f", *"crew", "escape")
        assert conversations.shown[conversations.options.highlighted].title == "Crew"

    drive(app, scenario)


def test_ctrl_c_quits(reader_archive: Path) -> None:
    app = reader(reader_archive)

    async def scenario(pilot: Pilot) -> None:
        await open_ana(pilot)
        await pilot.press("ctrl+c")
        await pilot.pause()
        assert not app.is_running  # gone, not a "press ctrl+q to quit" on its status line

    drive(app, scenario)


def test_down_in_an_empty_search_box_keeps_the_keys(reader_archive: Path) -> None:
    app = reader(reader_archive)

    async def scenario(pilot: Pilot) -> None:
        await pilot.press("slash", "down", *"pomegranate")
        box = app.screen.query_one("#search-input", Input)
        assert app.focused is box and box.value == "pomegranate"
        await pilot.pause(0.3)
        await app.workers.wait_for_complete()
        await pilot.pause()
        await pilot.press("down")  # with hits, down goes to them
        assert isinstance(app.focused, OptionList)

    drive(app, scenario)


def test_keys_typed_while_the_list_fills_are_not_lost(
    reader_archive: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A slow start (a loaded machine): the list is filled a moment after the
    # screen is up. Keys typed meanwhile are played once it is. The test says
    # when that moment comes, so a busy machine cannot change the order.
    fill = ConversationList.fill
    waiting: list[ConversationList] = []
    monkeypatch.setattr(ConversationList, "fill", lambda self: waiting.append(self))
    app = reader(reader_archive)

    async def scenario(pilot: Pilot) -> None:
        for _ in range(100):
            if waiting:
                break
            await pilot.pause(0.02)
        assert app.query_one(ConversationList).shown == []  # not filled yet
        await pilot.press("down", "enter")
        await pilot.pause()
        assert app.pane.conversation is None
        fill(waiting[0])
        for _ in range(100):
            await pilot.pause(0.02)
            if app.pane.conversation is not None:
                break
        conv = app.pane.conversation
        assert conv is not None and conv.title == app.conversations[1].title

    drive(app, scenario)


def test_messages_that_arrive_while_the_reader_closes_do_not_crash_it(
    reader_archive: Path,
) -> None:
    # On a loaded machine the pane's last messages (its cursor moved, pictures
    # decoded, a conversation chosen) can reach the app after Textual has
    # removed the widgets on the way out. Quitting must stay quiet.
    app = reader(reader_archive)

    async def scenario(pilot: Pilot) -> None:
        pane = await open_ana(pilot)
        await pane.remove()
        app.post_message(CursorMoved(3))
        app.post_message(PicturesReady())
        app.post_message(ConversationChosen(app.conversations[0].id))
        await pilot.pause()
        await pilot.pause()
        assert app.return_code is None  # still running: nothing crashed it

    drive(app, scenario)


def test_notices_never_cover_the_conversation(reader_archive: Path, tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    app = reader(reader_archive)

    async def scenario(pilot: Pilot) -> None:
        pane = await open_ana(pilot)
        await pilot.press("e", "enter")
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert (await status_line(pilot)).startswith("Exported 540 messages")
        assert not list(app.screen.query("Toast"))
        status = app.query_one("#status").region
        assert status.height > 0 and not status.overlaps(pane.region)

    drive(app, scenario, size=(80, 24))


def test_in_the_viewer_notices_never_cover_the_picture(
    reader_archive: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tui.components.media_viewer import MediaViewer

    failing_opener(tmp_path / "bin", monkeypatch)
    app = reader(reader_archive)

    async def scenario(pilot: Pilot) -> None:
        pane = await open_ana(pilot)
        pane.move_cursor(20)
        await pilot.press("v")
        await pictures_ready(pilot)
        assert isinstance(app.screen, MediaViewer)
        await press_o(pilot)
        assert (await status_line(pilot)).startswith("Could not open sunset.jpg")
        assert not list(app.screen.query("Toast"))
        status = app.screen.query_one("#status")
        canvas = app.screen.query_one("#viewer-canvas")
        assert "Could not open sunset.jpg" in str(status.render())
        assert status.region.height > 0 and not status.region.overlaps(canvas.region)

    drive(app, scenario, size=(80, 24))


async def burst(pilot: Pilot, keys: str) -> None:
    """Keys arriving together, as a fast typist's or a terminal's read gives
    them: all queued before the first is handled."""
    from textual import events

    for key in keys:
        pilot.app.post_message(events.Key("slash" if key == "/" else key, key))
    for _ in range(5):
        await pilot.pause()


def test_letters_typed_at_once_after_f_or_slash_are_not_lost(reader_archive: Path) -> None:
    app = reader(reader_archive)

    async def scenario(pilot: Pilot) -> None:
        await burst(pilot, "fcrew")
        assert app.query_one("#conversation-filter", Input).value == "crew"
        await pilot.press("escape")
        await burst(pilot, "/pomegranate")
        assert app.screen.query_one("#search-input", Input).value == "pomegranate"

    drive(app, scenario)
