"""HTML export of hostile text: the Markdown-hostile texts (and names, titles
and reactions) read back from the page, through an HTML parser, as exactly the
text they were, and add no element, attribute or link of their own."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from archiver.export import export_html
from archiver.read.conversations import list_conversations
from archiver.store.opening import open_archive
from tests.support.exports import (
    HOSTILE_SENDER,
    HOSTILE_SHARES,
    HOSTILE_TITLE,
    LISBON,
    OTHER,
    SAFE_LINK,
    hostile_messages,
    import_thread,
    share_messages,
)

# Every element and attribute the templates write; anything else came from a message.
TAGS = {"html", "head", "meta", "title", "style", "body", "div", "header", "h1", "dl", "dt", "dd",
        "aside", "strong", "nav", "main", "section", "h2", "time", "article", "p", "em", "ul",
        "li", "a", "img", "video", "audio", "footer", "span", "details", "summary", "ol",
        "bdi", "svg", "rect", "figure", "figcaption"}
ATTRIBUTES = {"charset", "name", "content", "http-equiv", "lang", "class", "id", "datetime",
              "href", "rel", "title", "role", "aria-label", "aria-current", "src", "alt",
              "loading", "decoding", "controls", "preload", "dir", "aria-hidden",
              # the insights charts (inline SVG)
              "viewbox", "preserveaspectratio", "width", "height", "x", "y", "rx", "fill",
              "fill-opacity",
              # bars' lengths and labels' places (numbers the export computes)
              "style"}
THIRD = "- <u>list</u> |"


class Reader(HTMLParser):
    """Reads messages back from the page: the text of each ``p.text``, each
    ``div.who`` and each reaction, and every tag and attribute seen."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: set[str] = set()
        self.attributes: set[str] = set()
        self.hrefs: list[str] = []
        self.fields: list[tuple[str, str]] = []  # (class, text)
        self._open: list[str | None] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        self.attributes.update(name for name, _ in attrs)
        a = dict(attrs)
        if tag == "a":
            self.hrefs.append(a.get("href") or "")
        if tag in ("meta", "img"):
            return  # void elements
        wanted = {"text", "who", "h1", "banner", "share"} & set((a.get("class") or "").split())
        field = next(iter(wanted), None)
        if tag == "h1":
            field = "h1"
        if tag == "li" and self._open and self._open[-1] == "reactions":
            field = "reaction"
        if tag == "ul" and "reactions" in (a.get("class") or ""):
            field = "reactions"
        if field and field != "reactions":
            self.fields.append((field, ""))
        self._open.append(field)

    def handle_endtag(self, tag: str) -> None:
        if self._open:
            self._open.pop()

    def handle_data(self, data: str) -> None:
        for i in range(len(self._open) - 1, -1, -1):
            if self._open[i] not in (None, "reactions"):
                name, text = self.fields[-1]
                self.fields[-1] = (name, text + data)
                return

    def texts(self, name: str) -> list[str]:
        return [text for field, text in self.fields if field == name]


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory) -> Reader:
    tmp_path = tmp_path_factory.mktemp("hostile-html")
    archive = import_thread(tmp_path, hostile_messages(), title=HOSTILE_TITLE, folder="evil_666",
                            participants=(HOSTILE_SENDER, OTHER, THIRD))
    db = open_archive(archive, readonly=True)
    [conv] = list_conversations(db, with_parts=False)
    out = tmp_path / "evil.html"
    export_html(db, archive, conv.id, out, tz=LISBON)
    reader = Reader()
    reader.feed(out.read_text(encoding="utf-8"))
    reader.close()
    return reader


def test_no_markup_comes_from_messages(page: Reader) -> None:
    assert page.tags <= TAGS, page.tags - TAGS
    assert page.attributes <= ATTRIBUTES, page.attributes - ATTRIBUTES
    assert {"script", "iframe", "object", "embed", "form", "u", "b", "br"}.isdisjoint(page.tags)
    assert not any(name.startswith("on") for name in page.attributes)
    assert "img" not in page.tags and "video" not in page.tags  # no media in these messages
    assert all(h.startswith(("http://", "https://", "#d")) for h in page.hrefs)  # or a day of the page


def test_every_message_reads_back_verbatim(page: Reader) -> None:
    messages = hostile_messages()
    texts = page.texts("text")
    # A browser reads CR LF and CR as LF (HTML's input stream), as read_text does.
    assert texts == [re.sub(r"\r\n?", "\n", m["content"]) for m in messages]


def test_names_reactions_and_title_read_back(page: Reader) -> None:
    messages = hostile_messages()
    # A name is shown where the sender changes: here, every message (they alternate).
    assert page.texts("who") == [m["sender_name"] for m in messages
                                 if "left the group" not in m["content"]
                                 and "named the group" not in m["content"]]
    reactions = page.texts("reaction")
    assert reactions[:2] == [f"<b> {HOSTILE_SENDER}", f"❤ # {OTHER}"]
    assert len(reactions) == 2 * sum(1 for m in messages if "reactions" in m)
    assert page.texts("h1") == [HOSTILE_TITLE]


def test_only_http_share_links_become_links(tmp_path) -> None:
    """A ``javascript:``, ``data:`` or scheme-less share is its text, never a
    link; an http(s) one is a link."""
    archive = import_thread(tmp_path, share_messages(), title="Shares", folder="shares_1")
    db = open_archive(archive, readonly=True)
    [conv] = list_conversations(db, with_parts=False)
    out = tmp_path / "shares.html"
    export_html(db, archive, conv.id, out, tz=LISBON)
    page = Reader()
    page.feed(out.read_text(encoding="utf-8"))
    page.close()
    # (the page's own "Jump to a date" links are to its days: #d2021-03-04)
    assert [h for h in page.hrefs if not h.startswith("#d")] == [SAFE_LINK]
    shares = page.texts("share")
    assert len(shares) == len(HOSTILE_SHARES)
    for shown, (link, _label) in zip(shares[:-1], HOSTILE_SHARES, strict=False):
        assert " ".join(link.split()) in " ".join(shown.split())
