"""Markdown export of hostile text: nothing a message (or a name) says can change
the document's structure, and every message reads back as the text it was.

The export is parsed with markdown-it-py, both as CommonMark and with GitHub's
extensions (tables, strikethrough, autolinked URLs).
"""

from __future__ import annotations

import re
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt
from markdown_it.token import Token

from archiver.export import escape_inline, escape_lines, export_markdown, join_hard, split_lines
from archiver.read.conversations import list_conversations
from archiver.store.opening import open_archive
from tests.support.exports import (
    HOSTILE_SENDER,
    HOSTILE_SHARES,
    HOSTILE_TITLE,
    OTHER,
    SAFE_LINK,
    hostile_messages,
    import_thread,
    ms,
    share_messages,
)

LISBON = ZoneInfo("Europe/Lisbon")
COMMONMARK = MarkdownIt("commonmark")
GFM = MarkdownIt("gfm-like")
DAY_HEADING = re.compile(r"\d{4}-\d{2}-\d{2}, (Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day")
PLAIN_INLINE = {"text", "softbreak", "hardbreak", "strong_open", "strong_close", "em_open",
                "em_close"}


@pytest.fixture(scope="module")
def hostile_export(tmp_path_factory: pytest.TempPathFactory) -> str:
    tmp_path = tmp_path_factory.mktemp("hostile")
    archive = import_thread(tmp_path, hostile_messages(), title=HOSTILE_TITLE, folder="evil_666",
                            participants=(HOSTILE_SENDER, OTHER, "- <u>list</u> |"))
    db = open_archive(archive, readonly=True)
    [conv] = list_conversations(db, with_parts=False)
    out = tmp_path / "evil.md"
    export_markdown(db, archive, conv.id, out, tz=LISBON)
    return out.read_text(encoding="utf-8")


def expected(text: str) -> str:
    """What a message reads back as: its lines, without trailing empty ones."""
    return "\n".join(split_lines(text))


def inline_text(children: list[Token]) -> str:
    """The text of inline tokens, hard breaks as newlines; fails on anything
    that is not plain text, a break or our own emphasis."""
    out = []
    for tok in children:
        if tok.type == "text":
            out.append(tok.content)
        elif tok.type in ("hardbreak", "softbreak"):
            out.append("\n")
        elif tok.type in ("link_open", "link_close") and tok.markup == "linkify":
            pass  # GitHub turns bare URLs into links; the text stays
        else:
            assert tok.type in PLAIN_INLINE, f"unexpected {tok.type} token"
    return "".join(out)


@pytest.mark.parametrize("parser", [COMMONMARK, GFM], ids=["commonmark", "gfm"])
def test_structure_survives_hostile_text(hostile_export: str, parser: MarkdownIt) -> None:
    tokens = parser.parse(hostile_export)
    types = [t.type for t in tokens]
    headings = [(t.tag, tokens[i + 1].content) for i, t in enumerate(tokens)
                if t.type == "heading_open"]
    assert [h for h in headings if h[0] == "h1"] == [("h1", escape_inline(HOSTILE_TITLE,
                                                                          heading=True))]
    assert [tag for tag, _ in headings if tag != "h1"] == ["h2"]  # one day
    assert all(DAY_HEADING.fullmatch(content) for tag, content in headings if tag == "h2")
    forbidden = {"html_block", "code_block", "fence", "hr", "ordered_list_open", "table_open"}
    assert not forbidden & set(types)
    assert types.count("bullet_list_open") == 1 and types.count("list_item_open") == 4
    with_reactions = sum(1 for m in hostile_messages() if "reactions" in m)
    assert types.count("blockquote_open") == with_reactions
    inline_types = {c.type for t in tokens if t.type == "inline" for c in t.children or ()}
    assert not {"html_inline", "code_inline", "image", "s_open"} & inline_types
    html = parser.render(hostile_export)
    for tag in ("<script", "<div", "<img", "<b>", "<!--", "<?php", "<details", "<u>"):
        assert tag not in html


@pytest.mark.parametrize("parser", [COMMONMARK, GFM], ids=["commonmark", "gfm"])
def test_every_message_reads_back_verbatim(hostile_export: str, parser: MarkdownIt) -> None:
    tokens = parser.parse(hostile_export)
    senders, bodies, reactions = [], [], []
    in_quote = in_list = False
    for i, tok in enumerate(tokens):
        if tok.type.startswith("blockquote_"):
            in_quote = tok.type == "blockquote_open"
        elif tok.type.startswith("bullet_list_"):
            in_list = tok.type == "bullet_list_open"  # the header
        if tok.type != "inline" or tokens[i - 1].type != "paragraph_open" or in_list:
            continue
        if in_quote:
            reactions.append(inline_text(tok.children or []))
            continue
        children = [c for c in tok.children or [] if not (c.type == "text" and not c.content)]
        assert [c.type for c in children[:3]] == ["strong_open", "text", "strong_close"]
        senders.append(children[1].content)
        rest = children[4:]  # after the time: a soft break, then the body
        assert children[3].type == "text" and re.fullmatch(r" \d\d:\d\d", children[3].content)
        if rest:
            assert rest[0].type == "softbreak"
            rest = rest[1:]
        bodies.append(inline_text(rest))
    messages = hostile_messages()
    assert bodies == [expected(m["content"]) for m in messages]
    assert senders == [m["sender_name"] for m in messages]
    assert reactions == [f"<b> {HOSTILE_SENDER}\n❤ # {OTHER}"] * len(
        [m for m in messages if "reactions" in m])


def test_header_names_read_back(hostile_export: str) -> None:
    tokens = COMMONMARK.parse(hostile_export)
    title = next(tokens[i + 1] for i, t in enumerate(tokens) if t.type == "heading_open")
    assert inline_text(title.children or []) == HOSTILE_TITLE
    items = [inline_text(t.children or []) for i, t in enumerate(tokens)
             if t.type == "inline" and tokens[i - 2].type == "list_item_open"]
    assert items[1] == f"Participants: {HOSTILE_SENDER}, - <u>list</u> |, {OTHER}"


def _without_autolinks(children: list[Token]) -> list[Token]:
    """Inline tokens with GitHub's autolinks taken out and the text around them
    joined: a bare URL (or linkify's ``//host``) in a name stays its text."""
    out: list[Token] = []
    for tok in children:
        if tok.type in ("link_open", "link_close") and tok.markup == "linkify":
            continue
        if tok.type == "text" and not tok.content:
            continue
        if tok.type == "text" and out and out[-1].type == "text":
            out[-1] = Token("text", "", 0, content=out[-1].content + tok.content)
            continue
        out.append(tok)
    return out


# Any text at all, not only the ones we thought of.
ALPHABET = "#>-+*_`~=|\\[]()<>&;!:.019 \t\nab\u00a0\u2028\x0c\r/\"'"


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet=ALPHABET, min_size=1, max_size=40))
@example("0>//0.0")  # linkify takes //0.0 for a link inside the name
def test_any_text_reads_back_verbatim(text: str) -> None:
    src = f"**{escape_inline(text)}** 10:00"
    lines = escape_lines(text)
    if lines:
        src += "\n" + join_hard(lines)
    for parser in (COMMONMARK, GFM):
        tokens = parser.parse(src)
        assert [t.type for t in tokens] == ["paragraph_open", "inline", "paragraph_close"]
        children = _without_autolinks(tokens[1].children or [])
        assert [c.type for c in children[:3]] == ["strong_open", "text", "strong_close"]
        assert children[1].content == re.sub(r"\r\n|\r|\n", " ", text)
        assert inline_text(children[5:]) == expected(text)


LINKIFY_HTML = MarkdownIt("gfm-like", {"html": True, "linkify": True})


@pytest.mark.parametrize("text", [
    "https://a.example/<img src=https://evil.example/p.png>",
    "see https://a.example/*<img src=https://evil.example/p.png>*",
    "www.a.example/`<img src=https://evil.example/p.png>`",
    "<img src=https://evil.example/p.png>https://a.example/<script>alert(1)</script>",
])
def test_a_url_before_a_tag_never_lets_the_tag_through(tmp_path: Path, text: str) -> None:
    """linkify takes a backslash right after a URL into the link, so ``\\<``
    would leave the tag after it live: ``<`` and ``>`` are entities instead."""
    archive = import_thread(tmp_path, [
        {"sender_name": OTHER, "timestamp_ms": ms("2021-03-04T10:00"), "content": text}],
        title=text, folder="url_1", participants=(text, OTHER))
    db = open_archive(archive, readonly=True)
    [conv] = list_conversations(db, with_parts=False)
    out = tmp_path / "url.md"
    export_markdown(db, archive, conv.id, out, tz=LISBON)
    written = out.read_text(encoding="utf-8")
    assert "<" not in written and ">" not in written.replace("\n> ", "\n")  # our quotes only
    assert "\\<" not in written and "&lt;img src=https://evil.example/p.png&gt;" in written
    html = LINKIFY_HTML.render(written)
    assert "<img" not in html and "<script" not in html
    assert 'src="https://evil.example' not in html


def test_only_http_share_links_become_links_in_markdown(tmp_path: Path) -> None:
    archive = import_thread(tmp_path, share_messages(), title="Shares", folder="shares_1")
    db = open_archive(archive, readonly=True)
    [conv] = list_conversations(db, with_parts=False)
    out = tmp_path / "shares.md"
    export_markdown(db, archive, conv.id, out, tz=LISBON)
    text = out.read_text(encoding="utf-8")
    for parser in (COMMONMARK, GFM):
        tokens = [c for t in parser.parse(text) if t.type == "inline" for c in t.children or ()]
        # (GitHub's viewer also links what looks like a URL in any text.)
        hrefs = [t.attrGet("href") for t in tokens
                 if t.type == "link_open" and t.markup != "linkify"]
        assert hrefs == [SAFE_LINK]
        words = "".join(t.content for t in tokens if t.type == "text")
        for link, _label in HOSTILE_SHARES[:-1]:
            assert link.strip() in words  # shown, as text
