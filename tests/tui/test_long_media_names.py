"""Long media names in the reader: on one row, shortened in the middle so
that their start and extension show, measured in cells (CJK and emoji take
two); whole in the viewer, with the file's path."""

from __future__ import annotations

from pathlib import Path

import pytest
from rich.cells import cell_len
from textual.pilot import Pilot

from tests.support.exports import import_thread, ms, tiny_png, uri
from tests.support.reader import drive, mp4_header, pictures_ready, reader, screen_lines
from tui.message_lines import shortened

FOLDER = "mayachen_10"
META_VIDEO = "279876543219876_1234567890123456_8765432109876543210_n.mp4"
LONG_VIDEO = "family_reunion_at_the_lake_house_2024_with_grandma_grandpa_and_all_the_cousins_final_2.mp4"
CJK_PHOTO = "東京の夏休みの思い出の写真_浅草寺と隅田川の花火大会_二〇二四年八月十五日.jpg"
CJK_FILE = "旅行の記録🌊をまとめた長い名前のファイル_京都と大阪と奈良_最終版.pdf"
GONE = "lost_on_the_way_" + "abcdefghij" * 7 + ".jpg"  # missing from the download
# Message position → (attachment field, name, file bytes or None when missing).
MEDIA = {
    0: ("videos", META_VIDEO, mp4_header(42)),
    1: ("videos", LONG_VIDEO, mp4_header(7)),
    2: ("photos", CJK_PHOTO, tiny_png(90)),
    3: ("files", CJK_FILE, b"%PDF-1.4\n%%EOF\n"),
    4: ("photos", GONE, None),
}


def long_names_archive(tmp_path: Path) -> Path:
    messages = [
        {"sender_name": "Maya Chen", "timestamp_ms": ms("2024-05-01T10:00") + at * 60_000,
         "content": f"attachment {at}", field: [{"uri": uri(FOLDER, f"media/{name}")}]}
        for at, (field, name, _data) in MEDIA.items()
    ]
    assert len(LONG_VIDEO) == 90 and cell_len(CJK_PHOTO) > 70
    return import_thread(tmp_path, messages, title="Maya Chen", folder=FOLDER,
                         participants=("Maya Chen", "Jordan Lee"),
                         files={f"media/{name}": data for _f, name, data in MEDIA.values()
                                if data is not None})


def shown_name(lines: list[str], name: str) -> str:
    """The name as the one row showing it has it: from its first characters
    to its extension, whole or with its middle left out. Fails when the name
    starts on no row or on several, or its extension is not on the same row."""
    start, extension = name[:4], name[name.rindex("."):]
    rows = [line for line in lines if start in line]
    assert len(rows) == 1, (name, rows)
    row = rows[0]
    at = row.index(start)
    end = row.find(extension, at)
    assert end > 0, (name, row)
    return row[at:end + len(extension)]


def is_middle_cut(shown: str, name: str) -> bool:
    head, ellipsis, tail = shown.partition("…")
    return (bool(ellipsis) and len(head) >= 4 and name.startswith(head)
            and name.endswith(tail) and tail.endswith(name[name.rindex("."):]))


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
def test_a_long_name_takes_one_row_cut_in_the_middle(
    tmp_path: Path, size: tuple[int, int]
) -> None:
    app = reader(long_names_archive(tmp_path))

    async def scenario(pilot: Pilot) -> None:
        await pilot.press("enter")
        await pilot.pause()
        pane = app.pane
        for position, (_field, name, _data) in MEDIA.items():
            pane.show_at_top(position)
            await pictures_ready(pilot)
            lines = screen_lines(app)
            shown = shown_name(lines, name)
            if name == META_VIDEO and size[0] == 120:  # its 58 characters fit the card
                assert shown == name
            else:
                assert is_middle_cut(shown, name), (name, shown)
            # In the pane's column, and no piece of the name's middle on another row.
            assert cell_len(shown) <= pane.scrollable_content_region.width - 7
            middle = name[len(name) // 2 - 3:len(name) // 2 + 3]
            assert not [line for line in lines if middle in line and shown not in line], name
        text = "\n".join(screen_lines(app))
        assert "missing: not in the download" in text

    drive(app, scenario, size=size)


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
def test_the_gallery_and_the_viewer_keep_the_extension_and_the_whole_name(
    tmp_path: Path, size: tuple[int, int]
) -> None:
    from tui.components.media_viewer import MediaViewer

    app = reader(long_names_archive(tmp_path))

    async def scenario(pilot: Pilot) -> None:
        await pilot.press("enter")
        await pilot.pause()
        await pilot.press("m")
        await pictures_ready(pilot)
        lines = screen_lines(app)
        for _field, name, _data in MEDIA.values():  # each caption in its 16 cells
            shown = shown_name(lines, name)
            assert is_middle_cut(shown, name) and cell_len(shown) <= 16, (name, shown)
        await pilot.press("escape")
        app.pane.show_at_top(3)  # the CJK file: the viewer has its name and path whole
        await pilot.press("v")
        await pilot.pause()
        assert isinstance(app.screen, MediaViewer)
        caption = str(app.screen.query_one("#viewer-caption").render())
        assert f"4 of 5 · file · {CJK_FILE} · 15 bytes" in caption
        path = app.screen.current[1].file  # shown as if in the default folder (conftest)
        shown_path = "".join(row.strip() for row in caption.splitlines()[1:])
        assert shown_path.endswith("/media/" + path.split("/media/")[1])
        # The note under it: the name cut to leave room for what o does.
        note = next(line for line in screen_lines(app) if "o opens it" in line).strip()
        assert note.endswith(": o opens it with the system's player")
        assert cell_len(note) <= size[0]
        name = note.removesuffix(": o opens it with the system's player")
        assert name == CJK_FILE or is_middle_cut(name, CJK_FILE)

    drive(app, scenario, size=size)


@pytest.mark.parametrize(("name", "cells", "expected"), [
    (META_VIDEO, 26, "2798765432198…543210_n.mp4"),
    (META_VIDEO, 58, META_VIDEO),
    ("東京の夏休みの思い出.jpg", 12, "東京の….jpg"),  # 11 cells: never half a character
    ("👨\u200d👩\u200d👧" * 6 + ".png", 9, "👨\u200d👩\u200d👧" * 2 + "….png"),  # emoji whole
    ("cafe\u0301" * 10 + ".jpg", 10, "cafe\u0301c….jpg"),  # the accent stays on its letter
])
def test_shortened_counts_cells_and_keeps_characters_whole(
    name: str, cells: int, expected: str
) -> None:
    assert shortened(name, cells) == expected
    assert cell_len(shortened(name, cells)) <= cells
