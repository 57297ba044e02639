"""Small conversations the export tests share: one of every kind of message,
and one of hostile text (Markdown, HTML and Rich look-alikes)."""

from __future__ import annotations

import struct
import zlib
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from archiver.ingest.importer import import_downloads
from archiver.read.conversations import list_conversations
from archiver.store.opening import open_archive
from tests.support.downloads import write_thread

LISBON = ZoneInfo("Europe/Lisbon")
DOWNLOAD = "facebook-jordanlee-2025"
INBOX = "your_facebook_activity/messages/inbox"


def ms(stamp: str) -> int:
    """Epoch milliseconds of an ISO time in UTC ("2016-01-01T14:03")."""
    return int(datetime.fromisoformat(stamp).replace(tzinfo=UTC).timestamp() * 1000)


def tiny_png(grey: int) -> bytes:
    """A valid 1×1 greyscale PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(bytes([0, grey]))) + chunk(b"IEND", b""))


def import_thread(
    tmp_path: Path, messages: list[dict], *, title: str, folder: str,
    participants: tuple[str, ...] = ("Ana María González", "Jordan Lee"),
    files: dict[str, bytes] | None = None, archive: Path | None = None,
) -> Path:
    """Write one Meta DYI thread (messages given oldest first) in a Facebook
    download, import it, and return the archive folder."""
    download = tmp_path / "downloads" / DOWNLOAD
    thread_dir = download / INBOX / folder
    for rel, data in (files or {}).items():
        path = thread_dir / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    write_thread(thread_dir, list(reversed(messages)), title=title, participants=participants)
    archive = archive or tmp_path / "archive"
    report = import_downloads(archive, [download])
    assert not report.errors, report.errors
    return archive


def uri(folder: str, rel: str) -> str:
    # As a 2025 download writes it: without the your_facebook_activity/ root.
    return f"messages/inbox/{folder}/{rel}"


ANA, JORDAN = "Ana María González", "Jordan Lee"
FOLDER = "anamariagonzalez_10153"
PHOTO = tiny_png(128)


def every_kind_messages() -> list[dict]:
    """A conversation holding every kind of message, oldest first."""
    return [
        {"sender_name": ANA, "timestamp_ms": ms("2016-01-01T14:03:10"), "content": "Hello there",
         "reactions": [{"reaction": "❤", "actor": JORDAN}]},
        {"sender_name": JORDAN, "timestamp_ms": ms("2016-01-01T14:05:00"),
         "photos": [{"uri": uri(FOLDER, "photos/10001.png"), "creation_timestamp": 1451657100}]},
        {"sender_name": ANA, "timestamp_ms": ms("2016-01-01T14:06:00"),
         "photos": [{"uri": uri(FOLDER, "photos/gone.jpg"), "creation_timestamp": 1451657160}]},
        {"sender_name": JORDAN, "timestamp_ms": ms("2016-01-01T14:07:00"),
         "content": "First line\n# not a heading\n\n    four spaces in\n1. not a list *really*"},
        {"sender_name": ANA, "timestamp_ms": ms("2016-01-01T23:59:00"),
         "sticker": {"uri": uri(FOLDER, "stickers/sticker_1.png"), "ai_stickers": []}},
        {"sender_name": JORDAN, "timestamp_ms": ms("2016-01-02T09:00:00"), "content": "Look:",
         "share": {"link": "https://example.com/a page (1)?x=1&y=2",
                   "share_text": "A [good] read"}},
        {"sender_name": ANA, "timestamp_ms": ms("2016-01-02T09:10:00"),
         "content": "Ana called you.", "call_duration": 754},
        {"sender_name": ANA, "timestamp_ms": ms("2016-01-02T09:15:00"),
         "content": "You missed a call from Ana.", "call_duration": 0, "missed": True},
        # 23:30 UTC is 00:30 the next day in Lisbon's summer time.
        {"sender_name": ANA, "timestamp_ms": ms("2016-07-01T23:30:00"), "is_unsent": True},
        {"sender_name": JORDAN, "timestamp_ms": ms("2016-07-02T10:00:00"),
         "content": "Jordan Lee named the group Trip <planning>."},
        {"sender_name": ANA, "timestamp_ms": ms("2016-07-02T10:05:00"),
         "content": "See you at 8 (edited)",
         "reactions": [{"reaction": "😂", "actor": JORDAN}, {"reaction": "👍", "actor": ANA}]},
        {"sender_name": JORDAN, "timestamp_ms": ms("2016-07-02T10:06:00"),
         "videos": [{"uri": uri(FOLDER, "videos/clip one.mp4"), "creation_timestamp": 1}]},
        # The same photo under another name: one copy in the export's media folder.
        {"sender_name": ANA, "timestamp_ms": ms("2016-07-02T10:07:00"), "content": "again",
         "photos": [{"uri": uri(FOLDER, "photos/10002.png"), "creation_timestamp": 1},
                    {"uri": "https://scontent.example.com/v/remote_photo.jpg",
                     "creation_timestamp": 1}]},
    ]


def every_kind_files() -> dict[str, bytes]:
    return {
        "photos/10001.png": PHOTO,
        "photos/10002.png": PHOTO,
        "stickers/sticker_1.png": tiny_png(7),
        "videos/clip one.mp4": b"\x00\x00\x00\x18ftypmp42 not really a video",
    }


def only_conversation(archive: Path) -> int:
    db = open_archive(archive, readonly=True)
    convs = list_conversations(db, with_parts=False)
    assert len(convs) == 1
    return convs[0].id



# Texts that would change a Markdown or HTML document if written raw.
HOSTILE_TEXTS = [
    "# heading", "## two", "###### six", "#hashtag", "#", "> quote", ">> nested", ">",
    "- item", "+ item", "* item", "*", "-", "+", "1. one", "1) one", "2020. A year", "1.",
    "10000000000. big", "- [ ] task", "| a | b |\n|---|---|\n| 1 | 2 |", "a | b\n--- | ---",
    "    four spaces", "\tone tab", "  \t mixed", "```python\nprint(1)\n```", "~~~\nfence\n~~~",
    "``", "`code`", "``double ` tick``", "Title\n===", "Title\n---", "Title\n= =", "---", "***",
    "___", "* * *", "- - -", "====", "+++", "**bold** and *em* and _em_ and __strong__",
    "snake_case_name and 2*3*4", "[link](http://example.com)", "![img](x.png)",
    "[ref]: http://example.com", "[ref]", "[^1]: footnote", "<script>alert(1)</script>",
    "<div>\nblock\n</div>", "<!-- comment -->", "<?php echo 1; ?>", "<![CDATA[x]]>",
    "<!DOCTYPE html>", "<br>", "x <b>bold</b> y", "<http://autolink.example>",
    "<foo@example.com>", "http://example.com/bare_url_with_under_scores?a=1&b=2",
    "you & me, AT&T, &&, &x", "__init__ and _private and trailing_",
    "&amp; &lt; &#35; &#x41; &copy; & &; &#;", "back\\slash \\* \\", "\\", "\\\\", "ends with\\",
    "a\\\nb", "trailing two spaces  ", "line one  \nline two", "trailing tab\t",
    "a\n\nb", "a\n\n\nb", "\n\nleading blank lines", "trailing newline\n", "   ",
    "\u00a0nbsp lead and trail\u00a0", "~~strike~~", "~single~", "$math$ $$x$$",
    "::: container", "Term\n: definition", "| pipe", "emoji 🎉 <b>", "\r\nwindows\r\nlines",
    "cr\ronly", "line\u2028separator", "form\x0cfeed", "*(unsent a message)*",
    "**Jordan Lee** 12:00", "## 2020-01-01, Wednesday", "> ❤ Jordan Lee",
    "- Platforms: Facebook Messenger", "*emphasis across\nlines*", "_under\nscores_",
    "    \n    indented code after blank", "<details><summary>x</summary>",
    "javascript:alert(1)", "[x](javascript:alert(1))", "1. a\n2. b\n3. c",
    "text\n# heading after text\n> quote after text\n- list after text",
]
# Texts Meta's files hold as events are written in italics; still verbatim.
HOSTILE_EVENTS = ["<b>Eve</b> left the group.", "*Eve* named the group # | `x`."]
HOSTILE_SENDER = "*Eve* <img src=x> [x](y) # | `"
OTHER = "Jordan Lee"
HOSTILE_TITLE = "# <Evil> | *title* `x` #"


def hostile_messages() -> list[dict]:
    """The texts above, oldest first, a minute apart, some with reactions."""
    messages = []
    for i, text in enumerate(HOSTILE_TEXTS + HOSTILE_EVENTS):
        msg: dict = {
            "sender_name": HOSTILE_SENDER if i % 2 else OTHER,
            "timestamp_ms": ms("2021-03-04T10:00") + i * 60_000,
            "content": text,
        }
        if i % 7 == 0:
            msg["reactions"] = [{"reaction": "<b>", "actor": HOSTILE_SENDER},
                                {"reaction": "❤", "actor": "# " + OTHER}]
        messages.append(msg)
    return messages


# Share links a message may carry: only http(s) ones may become links.
HOSTILE_SHARES = [
    ("javascript:alert(1)", "click me"), ("JavaScript:alert(2)", None),
    (" javascript:alert(3)", "spaced"), ("java\tscript:alert(4)", "tab"),
    ("data:text/html,<script>alert(5)</script>", "data"), ("vbscript:msgbox(6)", "vb"),
    ("//evil.example/x", "no scheme"), ("file:///etc/passwd", "a file"),
    ("https://example.com/fine?a=1&b=2", "fine"),
]
SAFE_LINK = "https://example.com/fine?a=1&b=2"


def share_messages() -> list[dict]:
    """A message sharing each link above, oldest first, a minute apart."""
    return [{"sender_name": OTHER, "timestamp_ms": ms("2021-03-04T10:00") + i * 60_000,
             "content": f"share {i}", "share": {"link": link, **({"share_text": text} if text
                                                                  else {})}}
            for i, (link, text) in enumerate(HOSTILE_SHARES)]
