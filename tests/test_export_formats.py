"""HTML, JSON and text exports, and the choice of messages by date
(``--after``/``--before``) in every format."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote

import pytest

from archiver.export import (
    DateRange,
    export_all,
    export_conversation,
    export_html,
    export_json,
    export_markdown,
    export_text,
    select,
)
from archiver.export import html as html_export
from archiver.read.conversations import list_conversations
from archiver.store.opening import open_archive
from archiver.timefmt import iso
from tests.support.cli import run
from tests.support.exports import (
    ANA,
    FOLDER,
    JORDAN,
    LISBON,
    PHOTO,
    every_kind_files,
    every_kind_messages,
    import_thread,
    ms,
    only_conversation,
)


def open_ro(archive: Path):
    return open_archive(archive, readonly=True)


@pytest.fixture
def ana(tmp_path: Path) -> Path:
    """An archive with one conversation of every message kind (as test_export's)."""
    return import_thread(tmp_path, every_kind_messages(), title=ANA, folder=FOLDER,
                         files=every_kind_files())


def conversation_titled(archive: Path, title: str) -> int:
    db = open_ro(archive)
    [cid] = [c.id for c in list_conversations(db, with_parts=False) if c.title == title]
    return cid


# --------------------------------------------------------------------------- JSON


def test_json_export_round_trips_every_message(ana: Path, tmp_path: Path) -> None:
    out = tmp_path / "ana.json"
    db = open_ro(ana)
    cid = only_conversation(ana)
    result = export_json(db, ana, cid, out, tz=LISBON)
    doc = json.loads(out.read_text(encoding="utf-8"))
    source = every_kind_messages()
    assert result.messages == len(source) == len(doc["messages"])
    for sent, got in zip(source, doc["messages"], strict=True):
        assert got["sender"] == sent["sender_name"]
        stamp = iso(sent["timestamp_ms"])
        assert got["time"] == stamp
        assert got["unsent"] == bool(sent.get("is_unsent"))
        assert [(r["reaction"], r["actor"]) for r in got["reactions"]] == [
            (r["reaction"], r["actor"]) for r in sent.get("reactions", [])]
        files = [a["uri"] for key in ("photos", "videos") for a in sent.get(key, [])]
        if "sticker" in sent:
            files.append(sent["sticker"]["uri"])
        assert [a["uri"] for a in got["attachments"]] == files
        if "share" in sent:
            assert got["share"] == {"link": sent["share"]["link"],
                                    "text": sent["share"]["share_text"]}
        if "call_duration" in sent:
            assert got["call"]["seconds"] == sent["call_duration"]
        if "content" in sent and "call_duration" not in sent:
            assert got["text"] == sent["content"].removesuffix(" (edited)")
        assert got["downloads"] == ["facebook-jordanlee-2025"]
    # Every field show --json has, with the same values.
    code, shown, err = run(ana, "show", "Ana", "--json")
    assert code == 0, err
    shown_doc = json.loads(shown)
    assert doc["thread"] == shown_doc["thread"]
    for plain, full in zip(shown_doc["messages"], doc["messages"], strict=True):
        for key, value in plain.items():
            if key == "attachments":
                for a, b in zip(value, full["attachments"], strict=True):
                    assert a.items() <= b.items()
            else:
                assert full[key] == value
    assert doc["downloads"][0]["name"] == "facebook-jordanlee-2025"
    assert doc["selection"] == {"after": None, "before": None, "messages": 13,
                                "first": "2016-01-01T14:03:10.000Z",
                                "last": "2016-07-02T10:07:00.000Z"}


def test_json_attachments_point_at_their_copies(ana: Path, tmp_path: Path) -> None:
    out = tmp_path / "x" / "ana.json"
    db = open_ro(ana)
    export_json(db, ana, only_conversation(ana), out, tz=LISBON)
    doc = json.loads(out.read_text(encoding="utf-8"))
    atts = [a for m in doc["messages"] for a in m["attachments"]]
    copied = [a["export_file"] for a in atts if a["export_file"]]
    assert len(copied) == 4  # photo, sticker, video, the photo again
    assert all((out.parent / f).is_file() for f in copied)
    assert (out.parent / copied[0]).read_bytes() == PHOTO
    missing = [a for a in atts if a["missing"]]
    assert [a["name"] for a in missing] == ["gone.jpg"] and missing[0]["export_file"] is None
    [remote] = [a for a in atts if a["remote"]]
    assert remote["export_file"] is None and remote["path"].startswith("https://")


def test_json_names_both_downloads_of_a_cross_app_message(
    demo_archive: Path, tmp_path: Path
) -> None:
    db = open_ro(demo_archive)
    cid = conversation_titled(demo_archive, "Maya Chen")
    out = tmp_path / "maya.json"
    export_json(db, demo_archive, cid, out, tz=LISBON)
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert doc["thread"]["cross_app"] is True
    assert {d["name"] for d in doc["downloads"]} == {
        "facebook-jordanlee-2025", "instagram-jordan.lee-2024"}
    seen = {tuple(m["downloads"]) for m in doc["messages"]}
    assert ("facebook-jordanlee-2025", "instagram-jordan.lee-2024") in seen
    assert len(doc["messages"]) == doc["thread"]["messages"]


# --------------------------------------------------------------------------- text


def test_text_export_is_what_show_prints(ana: Path, tmp_path: Path) -> None:
    out = tmp_path / "ana.txt"
    db = open_ro(ana)
    export_text(db, ana, only_conversation(ana), out, tz=LISBON)
    code, shown, err = run(ana, "show", "Ana", "--tz", "Europe/Lisbon")
    assert code == 0, err
    text = out.read_text(encoding="utf-8")
    assert text == shown
    assert "\x1b" not in text
    assert "── 2016-01-01, Friday ──" in text and "Hello there" in text


# --------------------------------------------------------------------------- dates


@pytest.mark.parametrize("fmt", ["md", "html", "json", "txt"])
def test_after_and_before_choose_the_same_messages_in_every_format(
    ana: Path, tmp_path: Path, fmt: str
) -> None:
    # after:2016-01-01 starts on the 2nd; before:2016-07-02 ends on the 1st (Lisbon time).
    span = DateRange.parse("2016-01-01", "2016-07-02")
    out = tmp_path / f"ana.{fmt}"
    db = open_ro(ana)
    result = export_conversation(db, ana, only_conversation(ana), out, fmt=fmt,
                                 tz=LISBON, span=span)
    text = out.read_text(encoding="utf-8")
    # Kept: Jan 2 (share, call, missed call) and the unsent message at 00:30 on July 2
    # in Lisbon... which is July 2, so excluded: 3 messages.
    assert result.messages == 3
    assert "Hello there" not in text and "again" not in text
    assert "Look:" in text


def test_date_range_follows_the_time_zone(ana: Path) -> None:
    db = open_ro(ana)
    cid = only_conversation(ana)
    # 2016-07-01T23:30Z is July 2 in Lisbon but July 1 in UTC.
    from zoneinfo import ZoneInfo

    span = DateRange.parse("2016-06", "2016-07-02")
    lisbon = select(db, cid, LISBON, span)
    utc = select(db, cid, ZoneInfo("UTC"), span)
    assert lisbon.conv.messages == 0 and lisbon.empty
    assert utc.conv.messages == 1 and utc.conv.first_ms == ms("2016-07-01T23:30:00")


def test_whole_periods_are_excluded_as_in_search(ana: Path) -> None:
    db = open_ro(ana)
    cid = only_conversation(ana)
    assert select(db, cid, LISBON, DateRange.parse("2015", None)).conv.messages == 13
    assert select(db, cid, LISBON, DateRange.parse("2016", None)).empty
    assert select(db, cid, LISBON, DateRange.parse(None, "2016")).empty
    assert select(db, cid, LISBON, DateRange.parse(None, "Feb 2016")).conv.messages == 8
    assert select(db, cid, LISBON, DateRange.parse("Jan 2016", None)).conv.messages == 5


def test_markdown_header_says_which_messages(ana: Path, tmp_path: Path) -> None:
    db = open_ro(ana)
    out = tmp_path / "a.md"
    export_markdown(db, ana, only_conversation(ana), out, tz=LISBON,
                    span=DateRange.parse("Jan 2016", None))
    text = out.read_text(encoding="utf-8")
    assert "- Messages: 5 · 2016-07-02 → 2016-07-02 (times in Europe/Lisbon)\n" in text
    assert "- Only messages after Jan 2016\n" in text


def test_export_all_with_dates_leaves_out_empty_conversations(
    demo_archive: Path, tmp_path: Path
) -> None:
    db = open_ro(demo_archive)
    paths = export_all(db, demo_archive, tmp_path / "all", tz=LISBON, fmt="txt",
                       span=DateRange.parse("2023-12", None))
    titles = sorted(p.read_text(encoding="utf-8").split("  (")[0] for p in paths)
    assert titles == ["Ana María González", "Bartłomiej Nowak", "Sofia Rossi", "Weekend crew",
                      "Zoë Martin"]
    for path in paths:
        for day in re.findall(r"── (\d{4}-\d\d-\d\d)", path.read_text(encoding="utf-8")):
            assert day >= "2024-01-01"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--after", "soon"], "--after 'soon' is not a date"),
        (["--before", "2023-02-30"], "--before '2023-02-30' is not a date"),
        (["--after", "12/01/2023"], "--after '12/01/2023' is ambiguous (2023-01-12 or 2023-12-01?)"),
        (["--after", "31/12/2023"], ("--after '31/12/2023' is not in year-first order (write "
                                    "2023-12-31) (use 2023-12-01, 2023-12, 2023 or \"Dec 2023\")")),
        (["--after", "2024", "--before", "2024-06"], "no day is both after 2024 and before"),
        (["--format", "pdf"], "Invalid value for '--format'"),
    ],
)
def test_cli_date_and_format_errors(ana: Path, args: list[str], message: str) -> None:
    code, _out, err = run(ana, "export", "Ana", *args)
    assert code == 2 and message in err and "Traceback" not in err


def test_cli_nothing_in_the_range_writes_nothing(ana: Path, tmp_path: Path) -> None:
    out = tmp_path / "a.html"
    code, _out, err = run(ana, "export", "Ana", "--format", "html", "--after", "2020",
                          "-o", str(out))
    assert code == 1 and "no message of 'Ana María González' is after 2020" in err
    assert not out.exists()


@pytest.mark.parametrize("fmt", ["html", "json", "txt"])
def test_cli_names_the_file_after_the_format(
    ana: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fmt: str
) -> None:
    monkeypatch.chdir(tmp_path)
    code, out, err = run(ana, "export", "Ana", "--format", fmt, "--before", "2016-07")
    assert code == 0, err
    cid = only_conversation(ana)
    written = tmp_path / f"Ana-María-González-{cid}.{fmt}"
    assert out.startswith(f"Wrote {written} (8 messages") and written.is_file()


# --------------------------------------------------------------------------- HTML


class PageParser(HTMLParser):
    """Collects elements by class, links and media sources of a page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.classes: list[str] = []
        self.links: list[str] = []
        self.sources: list[tuple[str, str]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        self.classes.extend(f"{tag}.{c}" for c in (a.get("class") or "").split())
        if tag == "a" and a.get("href"):
            self.links.append(a["href"] or "")
        if tag in ("img", "video", "audio") and a.get("src"):
            self.sources.append((tag, a["src"] or ""))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parse_page(path: Path) -> PageParser:
    parser = PageParser()
    parser.feed(path.read_text(encoding="utf-8"))
    parser.close()
    return parser


def test_html_page_shows_every_kind_of_message(ana: Path, tmp_path: Path) -> None:
    out = tmp_path / "out" / "Ana chat.html"
    db = open_ro(ana)
    result = export_html(db, ana, only_conversation(ana), out, tz=LISBON)
    assert result.messages == 13 and result.media_copied == 3 and result.media_missing == 1
    page = parse_page(out)
    text = "".join(page.text)
    assert page.classes.count("section.day") == 3  # Jan 1, Jan 2, Jul 2 (Lisbon)
    assert "Friday, 2016-01-01" in text
    assert "📞 Call, 12 min 34 s" in text and "Missed call" in text
    assert "unsent a message" in text and "edited" in text
    assert "❤ Jordan Lee" in text and "😂 Jordan Lee" in text
    assert "photo missing: gone.jpg" in text
    assert page.classes.count("div.missing") == 1
    kinds = sorted(tag for tag, _ in page.sources)
    assert kinds == ["img", "img", "img", "video"]
    for _tag, src in page.sources:
        assert src.startswith("Ana%20chat_media/")
        assert (out.parent / unquote(src)).is_file()
    assert "https://example.com/a page (1)?x=1&y=2" in page.links
    assert "https://scontent.example.com/v/remote_photo.jpg" in page.links
    assert not any(src.startswith("http") for _, src in page.sources)  # remote never embedded
    assert page.classes.count("div.event") == 1  # "named the group" is an event


def test_html_owner_is_on_the_right(demo_archive: Path, tmp_path: Path) -> None:
    db = open_ro(demo_archive)
    out = tmp_path / "maya.html"
    cid = conversation_titled(demo_archive, "Maya Chen")
    export_html(db, demo_archive, cid, out, tz=LISBON)
    html = out.read_text(encoding="utf-8")
    sides = re.findall(
        r'<article class="msg (me|them)" id="m\d+">\n<div class="who" dir="auto">([^<]+)<', html)
    assert {name for side, name in sides if side == "me"} == {"Jordan Lee"}
    assert {name for side, name in sides if side == "them"} == {"Maya Chen"}
    assert "Cross-app conversation (Facebook ↔ Instagram), read-only since December 2023" in html
    assert "Meta ended these cross-app chats" in html


def test_long_conversations_are_split_into_linked_pages(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(html_export, "SPLIT_OVER", 20)
    monkeypatch.setattr(html_export, "PAGE_MESSAGES", 10)
    # 45 messages, 4 a day (6 hours apart), over 12 days.
    messages = [{"sender_name": ANA if i % 2 else JORDAN,
                 "timestamp_ms": ms("2020-03-01T01:00") + i * 6 * 3_600_000,
                 "content": f"message {i}"} for i in range(45)]
    archive = import_thread(tmp_path, messages, title=ANA, folder="long_1")
    db = open_ro(archive)
    out = tmp_path / "out" / "long.html"
    (tmp_path / "out").mkdir()
    # An earlier export of the same file in smaller pages left more of them.
    monkeypatch.setattr(html_export, "PAGE_MESSAGES", 4)
    earlier = export_html(db, archive, only_conversation(archive), out, tz=LISBON)
    stale = tmp_path / "out" / "long_page9.html"
    assert stale in earlier.pages
    monkeypatch.setattr(html_export, "PAGE_MESSAGES", 10)
    result = export_html(db, archive, only_conversation(archive), out, tz=LISBON)
    names = [p.name for p in result.pages]
    # Pages of 10 cut back to the start of a day (4 messages a day): 8 each, 5 last.
    assert names == ["long.html"] + [f"long_page{n}.html" for n in range(2, 7)]
    assert not stale.exists()
    seen: list[str] = []
    for number, path in enumerate(result.pages, 1):
        page = parse_page(path)
        text = "".join(page.text)
        on_page = re.findall(r"message \d+", text)
        assert on_page[0] == f"message {(number - 1) * 8}"
        seen += on_page
        if number > 1:
            assert names[number - 2] in page.links
        if number < len(names):
            assert names[number] in page.links
        days = re.findall(r"<h2><time datetime=\"([\d-]+)\"", path.read_text(encoding="utf-8"))
        assert len(days) == len(set(days))
    assert seen == [f"message {i}" for i in range(45)]
    assert result.messages == 45


def test_export_all_html_writes_an_index(demo_archive: Path, tmp_path: Path) -> None:
    db = open_ro(demo_archive)
    paths = export_all(db, demo_archive, tmp_path / "all", tz=LISBON, fmt="html")
    index = tmp_path / "all" / "index.html"
    page = parse_page(index)
    assert sorted(unquote(link) for link in page.links) == sorted(p.name for p in paths)
    text = "".join(page.text)
    assert "cross-app" in text and "frozen" in text and "Maya Chen" in text
    rows = re.findall(r'<td class="title"><a href="([^"]+)"', index.read_text(encoding="utf-8"))
    assert unquote(rows[0]).startswith("Ana-María-González-")  # most recent first
    for path in paths:
        assert "index.html" in parse_page(path).links


# --------------------------------------------------------------------------- the edges of a range


@pytest.fixture(scope="module")
def edges(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Messages on both sides of each edge of April 2023 (UTC): the last
    millisecond of March 31, the first of April 1, the last of April 30 and
    the first of May 1."""
    times = ["2023-03-31T23:59:59.999", "2023-04-01T00:00:00.000", "2023-04-15T12:00:00.000",
             "2023-04-30T23:59:59.999", "2023-05-01T00:00:00.000"]
    messages = [{"sender_name": ANA, "timestamp_ms": ms(t), "content": f"at {t}"} for t in times]
    return import_thread(tmp_path_factory.mktemp("edges"), messages, title="Edges",
                         folder="edges_1")


@pytest.mark.parametrize("fmt", ["json", "md", "txt", "html"])
def test_a_range_keeps_its_first_and_last_day_whole(
    edges: Path, tmp_path: Path, fmt: str
) -> None:
    """``--after 2023-03-31 --before 2023-05-01`` is April: a message at its
    first millisecond and one at its last are written, the ones a
    millisecond outside are not."""
    out = tmp_path / f"edges.{fmt}"
    code, said, err = run(edges, "export", "Edges", "--format", fmt, "-o", str(out),
                          "--after", "2023-03-31", "--before", "2023-05-01", "--tz", "UTC")
    assert code == 0, err
    text = out.read_text(encoding="utf-8")
    kept = ["2023-04-01T00:00:00.000", "2023-04-15T12:00:00.000", "2023-04-30T23:59:59.999"]
    assert [t for t in re.findall(r"at (2023-[\d:T.-]+)", text)] == kept
    assert "(3 messages" in said
    if fmt == "json":
        assert [m["time"] for m in json.loads(text)["messages"]] == [f"{t}Z" for t in kept]


def test_a_range_of_one_day_holds_that_day_whole(edges: Path, tmp_path: Path) -> None:
    out = tmp_path / "day.json"
    code, _, err = run(edges, "export", "Edges", "--format", "json", "-o", str(out),
                       "--after", "2023-03-31", "--before", "2023-04-02", "--tz", "UTC")
    assert code == 0, err
    assert [m["text"] for m in json.loads(out.read_text(encoding="utf-8"))["messages"]] == [
        "at 2023-04-01T00:00:00.000"]


def test_cli_format_takes_any_case(ana: Path, tmp_path: Path) -> None:
    out = tmp_path / "ana.html"
    code, _out, err = run(ana, "export", "Ana", "--format", "HTML", "-o", str(out))
    assert code == 0, err
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
