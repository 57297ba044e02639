"""A download is untrusted: its texts and file names must never drive the
terminal. Every line chatkeep prints shows control characters, escape
sequences and bidi overrides visibly; --json keeps the exact text."""

from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from archiver.cli import main
from archiver.cli.base import json_text, terminal_text
from tests.support.cli import run_json
from tests.support.downloads import write_thread

T = 1_700_000_000_000
# Retitle the terminal, clear the screen, ring the bell, an 8-bit CSI, a
# carriage return that would overwrite the line, a right-to-left override.
HOSTILE = "\x1b]0;pwned\x07\x1b[2J\x9b31m\r\u202eevil\u202c\x7f\x00"
TITLE = f"Chat {HOSTILE}"
NAME = f"Mallory {HOSTILE}"


def hostile_download(root: Path) -> Path:
    dl = root / "facebook-jordanlee-2025"
    inbox = dl / "your_facebook_activity" / "messages" / "inbox"
    write_thread(inbox / f"chat{HOSTILE[:5]}_1", [
        {"sender_name": NAME, "timestamp_ms": T + 3000, "content": f"hello {HOSTILE}",
         "reactions": [{"reaction": HOSTILE, "actor": NAME}],
         "share": {"link": f"https://example.com/{HOSTILE}", "share_text": HOSTILE}},
        {"sender_name": NAME, "timestamp_ms": T + 2000,
         "photos": [{"uri": f"messages/inbox/x/photos/{HOSTILE}.jpg"}]},
        {"sender_name": NAME, "content": f"no time {HOSTILE}"},  # a warning quotes it
        {"sender_name": "Jordan Lee", "timestamp_ms": T + 1000, "content": "hi"},
    ], title=TITLE, participants=(NAME, "Jordan Lee"))
    broken = inbox / f"broken{HOSTILE[:8]}_2"  # its error line names the folder
    broken.mkdir()
    (broken / "message_1.json").write_text('{"participants": [', encoding="utf-8")
    zipped = root / "instagram-jordanlee-2025.zip"
    with zipfile.ZipFile(zipped, "w") as zf:
        zf.writestr(f"your_instagram_activity/messages/inbox/zip{HOSTILE[:6]}_3/message_1.json",
                    '{"messages": [')
    return dl, zipped


def cli(archive: Path, *args: str) -> tuple[int, bytes, bytes]:
    result = CliRunner().invoke(main, ["--archive", str(archive), *args], catch_exceptions=False)
    return result.exit_code, result.stdout_bytes, result.stderr_bytes


def assert_safe(output: bytes, *, html: bool = False) -> str:
    assert b"\x1b" not in output and b"\x07" not in output
    assert html or b"\r" not in output  # a line end to a browser, kept in HTML
    text = output.decode("utf-8")
    assert not [c for c in text if 0x80 <= ord(c) <= 0x9F or c in "\u202e\u202c\x7f\x00"]
    return text


@pytest.fixture
def hostile_archive(tmp_path: Path) -> Path:
    archive = tmp_path / "archive"
    dl, zipped = hostile_download(tmp_path)
    code, out, err = cli(archive, "import", str(dl), str(zipped))
    assert code == 1
    text = assert_safe(out) + assert_safe(err)
    assert "error: " in text and "broken␛]0;pw" in text and "zip␛]0;" in text
    assert "has no usable timestamp; skipped: {\"sender_name\": \"Mallory \\u001b]0;" in text
    return archive


def test_every_command_prints_escapes_visibly(hostile_archive: Path) -> None:
    for args in (["threads"], ["show", "1"], ["show", "Chat"], ["why", "1"], ["stats"], ["stats", "1"],
                 ["search", "hello"], ["search", "evil"], ["show", "Nothing"], ["check"],
                 ["show", "e"]):  # the last two: an error line listing titles
        code, out, err = cli(hostile_archive, *args, "--tz", "UTC") if args[0] in (
            "threads", "show", "search") else cli(hostile_archive, *args)
        assert code in (0, 1, 2), args
        assert_safe(out)
        assert_safe(err)
    _code, out, _err = cli(hostile_archive, "show", "1", "--tz", "UTC")
    shown = out.decode()
    assert "Chat ␛]0;pwned␇␛[2J\\x9b31m␍\\u202eevil\\u202c␡␀" in shown
    assert "hello ␛]0;pwned␇" in shown and "Mallory ␛]0;pwned␇" in shown


def test_json_keeps_the_exact_text(hostile_archive: Path) -> None:
    for args in (["show", "1"], ["threads"], ["search", "hello"], ["stats"], ["why", "1"]):
        code, out, err = cli(hostile_archive, *args, "--json")
        assert code == 0, err
        assert_safe(out)
        json.loads(out)
    shown = run_json(hostile_archive, "show", "1")
    assert shown["thread"]["title"] == TITLE
    hello = shown["messages"][-1]
    assert hello["text"] == f"hello {HOSTILE}" and hello["sender"] == NAME
    assert hello["reactions"] == [{"actor": NAME, "reaction": HOSTILE}]
    assert [c["title"] for c in run_json(hostile_archive, "threads")] == [TITLE]


@pytest.mark.parametrize("char", [chr(c) for c in (*range(0x20), 0x7F, *range(0x80, 0xA0))]
                         + list("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
                                "\u2028\u2029\ud800"))
def test_every_control_is_shown_and_json_round_trips(char: str) -> None:
    shown = terminal_text(f"a{char}b")
    if char in "\n\t":
        assert shown == f"a{char}b"
    else:
        assert shown.startswith("a") and shown.endswith("b") and char not in shown
        assert len(shown) > 2 and shown.isprintable()
    encoded = json_text({"t": f"a{char}b"})
    assert json.loads(encoded) == {"t": f"a{char}b"}
    assert all(c.isprintable() or c == " " for c in encoded)


def test_ordinary_text_is_untouched() -> None:
    for text in ("plain", "café ☕ 😂 \u200fשלום\u200e Zoë", "tab\there", "two\nlines", "مرحبا"):
        assert terminal_text(text) == text


def test_markdown_export_keeps_the_text_as_references(hostile_archive: Path,
                                                       tmp_path: Path) -> None:
    out = tmp_path / "chat.md"
    code, _out, err = cli(hostile_archive, "export", "1", "-o", str(out), "--tz", "UTC")
    assert code == 0, err
    text = assert_safe(out.read_bytes())
    assert "hello &#27;\\]0;pwned&#7;&#27;\\[2J&#155;31m" in text
    assert "&#8238;evil&#8236;&#127;&#0;" in text
    from markdown_it import MarkdownIt

    html = MarkdownIt().render(text)
    assert "\u202eevil\u202c" in html  # a viewer shows the text itself


def test_only_the_shared_helpers_print() -> None:
    """Every command prints through archiver.cli.base (say, print_json), so a
    new line of output cannot skip the cleaning."""
    root = Path(__file__).resolve().parents[1]
    for path in [*(root / "archiver" / "cli").glob("*.py"), root / "tui" / "cli.py",
                 root / "tui" / "app.py"]:
        if path.name == "base.py":
            continue
        source = path.read_text(encoding="utf-8")
        # Rich's console.print is allowed: what it draws is passed through
        # terminal_data first (the stats charts).
        calls = re.findall(r"click\.s?echo\(|(?<![\w.])print\(|sys\.std(?:out|err)\.write\(",
                           source)
        assert not calls, f"{path.name} calls {calls}"


@pytest.mark.parametrize("fmt", ["txt", "html", "json"])
def test_other_exports_keep_the_text_safe_to_print(hostile_archive: Path, tmp_path: Path,
                                                   fmt: str) -> None:
    """Text and HTML show the controls as the terminal does; JSON escapes
    them and reads back exactly."""
    out = tmp_path / f"chat.{fmt}"
    code, _out, err = cli(hostile_archive, "export", "1", "-o", str(out), "--format", fmt,
                          "--tz", "UTC")
    assert code == 0, err
    text = assert_safe(out.read_bytes(), html=fmt == "html")
    if fmt == "json":
        data = json.loads(text)
        assert data["thread"]["title"] == TITLE
        assert f"hello {HOSTILE}" in [m.get("text") for m in data["messages"]]
    else:
        assert "hello ␛]0;pwned␇␛[2J\\x9b31m" in text
