"""Meta's pseudo-messages: reaction notices folded into the reaction they
announce, and every event shown with who did it."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.pilot import Pilot

from tests.support.cli import db_rows, run
from tests.support.downloads import write_thread

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
    from tests.support.reader import drive
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


# -- every form of Meta's notices, on Facebook and Instagram, in JSON and HTML ------------

T0 = 1_650_000_000_000
MIN = 60_000
FB_ROOT = "your_facebook_activity/messages/inbox"
IG_ROOT = "your_instagram_activity/messages/inbox"


def _write_notice_downloads(root: Path) -> list[Path]:
    """A Facebook download with each form of reaction notice, and an
    Instagram one with a group's "NAME liked a message"."""
    fb = root / "facebook-jordanlee-2025"
    write_thread(fb / FB_ROOT / "sofia_7", [
        {"sender_name": FRIEND, "timestamp_ms": T0 + 5 * MIN,
         "content": "Sofia reacted 😮 to your message "},  # no message shows 😮
        {"sender_name": FRIEND, "timestamp_ms": T0 + 4 * MIN, "content": "Reacted 👍 to your message "},
        {"sender_name": FRIEND, "timestamp_ms": T0 + 3 * MIN, "content": f"{FRIEND} reacted ❤️ to your message"},
        {"sender_name": FRIEND, "timestamp_ms": T0 + 2 * MIN, "content": "Sofia reacted 🤜 to your message "},
        {"sender_name": OWNER, "timestamp_ms": T0 + MIN, "content": "fist bump?",
         "reactions": [{"reaction": "🤜", "actor": FRIEND}, {"reaction": "❤", "actor": FRIEND},
                       {"reaction": "👍", "actor": FRIEND}]},
    ], title=FRIEND, participants=(FRIEND, OWNER))
    # A first name of two words: its sender's name starts with it.
    write_thread(fb / FB_ROOT / "maryann_8", [
        {"sender_name": "Mary Ann Smith", "timestamp_ms": T0 + 2 * MIN,
         "content": "Mary Ann reacted 👏 to your message "},
        {"sender_name": OWNER, "timestamp_ms": T0 + MIN, "content": "passed my exam",
         "reactions": [{"reaction": "👏", "actor": "Mary Ann Smith"}]},
    ], title="Mary Ann Smith", participants=("Mary Ann Smith", OWNER))
    ig = root / "instagram-jordan.lee-2025"
    write_thread(ig / IG_ROOT / "crew_9", [
        {"sender_name": "Marco Bianchi", "timestamp_ms": T0 + 4 * MIN,
         "content": "Marco Bianchi liked a message"},  # no message shows his like
        {"sender_name": "Liu Yang", "timestamp_ms": T0 + 3 * MIN, "content": "Liked a message"},
        {"sender_name": FRIEND, "timestamp_ms": T0 + 2 * MIN, "content": f"{FRIEND} liked a message"},
        {"sender_name": "jordan.lee", "timestamp_ms": T0 + MIN, "content": "pizza tonight",
         "reactions": [{"reaction": "❤", "actor": FRIEND}]},
    ], title="Crew", participants=(FRIEND, "Marco Bianchi", "Liu Yang", "jordan.lee"))
    return [fb, ig]


@pytest.fixture
def notices(tmp_path: Path) -> Path:
    archive = tmp_path / "archive"
    code, _, err = run(archive, "import", *map(str, _write_notice_downloads(tmp_path / "dl")))
    assert code == 0, err
    return archive


def test_every_notice_form_is_an_event(notices: Path) -> None:
    texts = db_rows(notices, "SELECT kind, text FROM messages WHERE text LIKE '%a message%' "
                             "OR text LIKE '%your message%' ORDER BY text")
    assert texts and {kind for kind, _ in texts} == {"system"}
    assert len(texts) == 8


def test_a_notice_folds_into_the_reaction_it_announces_whatever_its_form(notices: Path) -> None:
    code, out, err = run(notices, "show", "--tz", "UTC", "sofia")
    assert code == 0, err
    # First name only, full name with U+FE0F, no name: each folded.
    assert "🤜 to your message" not in out and "❤️ to your message" not in out
    assert "Reacted 👍" not in out
    assert "🤜 Sofia Rossi" in out
    # A notice no message shows stays, named by the text.
    assert "· Sofia reacted 😮 to your message" in out
    code, out, err = run(notices, "show", "--tz", "UTC", "mary")
    assert code == 0, err
    assert "👏 Mary Ann Smith" in out and "reacted 👏" not in out
    code, out, err = run(notices, "show", "--tz", "UTC", "crew")
    assert code == 0, err
    assert f"{FRIEND} liked a message" not in out  # her ❤ is on "pizza tonight"
    assert "· Marco Bianchi liked a message" in out
    assert "· Liu Yang: Liked a message" in out
    assert not any(line.endswith("Marco Bianchi") for line in out.splitlines())  # no bubble


@pytest.mark.parametrize("fmt", ["md", "html", "txt", "json"])
def test_every_export_names_who_did_an_event(notices: Path, tmp_path: Path, fmt: str) -> None:
    out = tmp_path / f"crew.{fmt}"
    code, _, err = run(notices, "export", "crew", "--format", fmt, "-o", str(out))
    assert code == 0, err
    text = out.read_text(encoding="utf-8")
    if fmt == "md":
        block = text[text.index("**Liu Yang**"):]
        assert block.splitlines()[1] == "*Liked a message*"
    elif fmt == "html":
        assert ('<span class="actor" dir="auto">Liu Yang</span>: '
                '<p class="text" dir="auto">Liked a message</p>') in text
        # A text that names its actor is not named twice.
        assert '<p class="text" dir="auto">Marco Bianchi liked a message</p>' in text
        assert '<span class="actor" dir="auto">Marco Bianchi</span>' not in text
        assert f"{FRIEND} liked a message" not in text  # folded into her ❤
    elif fmt == "txt":
        assert "· Liu Yang: Liked a message" in text
    else:
        import json

        events = [m for m in json.loads(text)["messages"] if m["kind"] == "system"]
        assert {m["text"]: m["actor"] for m in events} == {
            "Liked a message": "Liu Yang", "Marco Bianchi liked a message": "Marco Bianchi"}


def test_the_html_dialect_reads_notices_by_the_same_rules(tmp_path: Path) -> None:
    """An Instagram group's "NAME liked a message" in an HTML download is an
    event folded into the like the message above shows, as from JSON."""
    def block(sender: str, inner: str, when: str) -> str:
        return (f'<div class="_a6-g"><div class="_2ph_ _a6-h _a6-i">{sender}</div>'
                f'<div class="_2ph_ _a6-p"><div>{inner}</div></div>'
                f'<div class="_3-94 _a6-o"><div class="_a72d">{when}</div></div></div>')

    page = (
        '<!DOCTYPE html><html><head><meta charset="utf-8" /><title>Crew</title></head><body>'
        '<div class="_aoaa"><div>Generated by Jordan Lee on Tuesday, March 12, 2024 at '
        '11:30:00 PM UTC+01:00</div></div><div class="_a706" role="main">'
        + block("", "<div></div><div>Sofia reacted 🤜 to your message</div>",
                "Mar 12, 2024 9:04:00pm")  # a notice without a sender
        + block("Marco Bianchi", "<div></div><div>Marco Bianchi liked a message</div>",
                "Mar 12, 2024 9:03:00pm")
        + block(FRIEND, f"<div></div><div>{FRIEND} liked a message</div>",
                "Mar 12, 2024 9:02:00pm")
        + block("Jordan Lee", '<div></div><div>pizza tonight</div><div></div><div></div>'
                f'<ul class="_a6-q"><li><span>❤{FRIEND}</span></li><li><span>🤜{FRIEND}</span></li></ul>',
                "Mar 12, 2024 9:01:00pm")
        + "</div></body></html>")
    folder = tmp_path / "instagram-jordanlee-2024-03-12-html" / IG_ROOT / "crew_9"
    folder.mkdir(parents=True)
    (folder / "message_1.html").write_text(page, encoding="utf-8")
    archive = tmp_path / "archive"
    code, _, err = run(archive, "import", str(tmp_path / "instagram-jordanlee-2024-03-12-html"))
    assert code == 0, err
    assert db_rows(archive, "SELECT kind, text FROM messages ORDER BY timestamp_ms") == [
        ("text", "pizza tonight"), ("system", f"{FRIEND} liked a message"),
        ("system", "Marco Bianchi liked a message"),
        ("system", "Sofia reacted 🤜 to your message")]
    code, out, err = run(archive, "show", "--tz", "UTC", "crew")
    assert code == 0, err
    assert f"❤ {FRIEND}" in out and f"{FRIEND} liked a message" not in out
    assert f"🤜 {FRIEND}" in out and "reacted 🤜" not in out
    assert "· Marco Bianchi liked a message" in out


def test_a_shared_link_is_shown_once(tmp_path: Path) -> None:
    link = "https://example.com/recipes/bolo-rei"
    folder = tmp_path / "dl" / "messages" / "inbox" / "sofia_7"
    write_thread(folder, [
        {"sender_name": FRIEND, "timestamp_ms": T0 + MIN, "content": link,
         "share": {"link": link, "share_text": link}},
        {"sender_name": FRIEND, "timestamp_ms": T0, "content": "look at this one",
         "share": {"link": link}},
    ], title=FRIEND, participants=(FRIEND, OWNER))
    archive = tmp_path / "archive"
    assert run(archive, "import", str(tmp_path / "dl"))[0] == 0
    for fmt in ("html", "md", "txt"):
        out = tmp_path / f"sofia.{fmt}"
        code, _, err = run(archive, "export", "sofia", "--format", fmt, "-o", str(out))
        assert code == 0, err
        text = out.read_text(encoding="utf-8")
        # Each message shows the link once (HTML and Markdown: as a link's
        # text, and its target).
        shown = {"html": f">{link}<", "md": f"[{link}]({link})",
                 "txt": link}[fmt]
        assert text.count("look at this one") == 1
        assert text.count(shown) == 2, (fmt, text)
    code, out, _ = run(archive, "show", "sofia")
    assert out.count(link) == 2
