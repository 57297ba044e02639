"""A download whose every name, title, text and file name looks like Rich markup."""

from __future__ import annotations

from pathlib import Path

from tests.support.downloads import write_thread

# Names that Rich or Textual would read as markup if they were ever passed as
# a string: a closing tag that crashes, a tag that swallows the text, a
# terminal hyperlink (OSC 8) and a clickable action.
MARKUP_NAMES = ("Jo [/s]", "Sam [he/him]", "[link=https://evil.example]click",
                "[@click=app.quit]")
MARKUP_TITLE = "Plans [/s] [link=https://evil.example]click[/link] [@click=app.quit]"
MARKUP_FILE = 'notes [draft="v2"].pdf'
MARKUP_PHOTO = "[@click=app.quit]pic.png"
MARKUP_MISSING = "[link=https:evil.example]gone [b].jpg"  # a file name holds no slash


def markup_download(root: Path) -> Path:
    """A Facebook download whose every name, title, text, reaction and file
    name looks like Rich markup (one file it names is not in the download)."""
    from PIL import Image

    dl = root / "facebook-jordanlee-2025"
    folder = dl / "your_facebook_activity" / "messages" / "inbox" / "plans_1"
    base = "your_facebook_activity/messages/inbox/plans_1"
    t = 1_700_000_000_000
    messages: list[dict] = [
        {"sender_name": name, "timestamp_ms": t + 60_000 * i,
         "content": f"{name} says [b]hi[/b] [/]",
         "reactions": [{"reaction": "[/]", "actor": name}]}
        for i, name in enumerate(MARKUP_NAMES)
    ]
    messages += [
        {"sender_name": MARKUP_NAMES[0], "timestamp_ms": t + 600_000,
         "files": [{"uri": f"{base}/files/{MARKUP_FILE}"}]},
        {"sender_name": MARKUP_NAMES[1], "timestamp_ms": t + 660_000,
         "photos": [{"uri": f"{base}/photos/{MARKUP_PHOTO}"}]},
        {"sender_name": MARKUP_NAMES[2], "timestamp_ms": t + 720_000,
         "photos": [{"uri": f"{base}/photos/{MARKUP_MISSING}"}]},
        {"sender_name": MARKUP_NAMES[3], "timestamp_ms": t + 780_000, "content": "look",
         "share": {"link": "https://example.com/[@click=app.quit]",
                   "share_text": "[link=https://evil.example]share[/link]"}},
    ]
    write_thread(folder, messages[::-1], title=MARKUP_TITLE, participants=MARKUP_NAMES)
    (folder / "files").mkdir()
    (folder / "files" / MARKUP_FILE).write_bytes(b"%PDF-1.4\n% notes\n%%EOF\n")
    (folder / "photos").mkdir()
    Image.new("RGB", (24, 16), (200, 40, 40)).save(folder / "photos" / MARKUP_PHOTO, "PNG")
    return dl
