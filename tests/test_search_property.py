"""Search never fails on what a user types, and every plan agrees."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from archiver.read.search import SearchHit, parse_query, search
from archiver.store.database import Database
from archiver.store.opening import open_archive
from tests.support.searching import build_archive

# Pieces that FTS5, the filter parser or SQL LIKE would choke on if passed raw.
HOSTILE = [
    '"', '""', '"a', 'a"', "-", "--", "*", "-*", "OR", "AND", "NOT", "NEAR", "NEAR(", "NEAR/2",
    "(", ")", "{", "}", "^", ":", "+", "c++", "don't", "'", "%", "_", "\\", "[", "]", "\x00",
    "text:", "extra_text:cafe", "col:x", "from:", 'from:"', "from:ana", "-from:ana", "in:",
    'in:"', "in:book", "-in:1", "on:", "on:2023", 'on:"Dec 2023"', "on:2023-02-30",
    "after:2024", "before:Dec", "before:0001", "after:99999", "has:", "has:photo", "-has:link",
    "is:call", "is:nothing", "platform:instagram", "platform:", "cafe", "café", "Zoë", "tea",
    "birth*", "😂", "🥰", "é", "ß", "\u0301", "\u200b", "日本語", "OR OR", "-OR", '-"',
    '*"', "x*y", "**", "a:b:c",
]

query_text = st.one_of(
    st.text(),
    st.text(st.characters(exclude_categories=())),  # lone surrogates too
    st.lists(st.one_of(st.sampled_from(HOSTILE), st.text(max_size=6)), max_size=8).map(
        " ".join),
    st.lists(st.sampled_from(HOSTILE), max_size=6).map("".join),
)


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    archive: Path = build_archive(tmp_path_factory.mktemp("search-property"))
    database = open_archive(archive, readonly=True)
    yield database
    database.conn.close()


@settings(max_examples=400, deadline=None)
@given(text=query_text, rank=st.booleans(), limit=st.integers(min_value=-1, max_value=60))
def test_search_never_raises(db: Database, text: str, rank: bool,
                             limit: int) -> None:
    hits = search(db, text, rank=rank, limit=limit, tz="UTC")
    assert isinstance(hits, list) and len(hits) <= max(limit, 0)
    assert all(isinstance(h, SearchHit) and isinstance(h.snippet, str) for h in hits)
    assert len({h.id for h in hits}) == len(hits)


@settings(max_examples=150, deadline=None)
@given(text=query_text)
def test_every_plan_agrees(db: Database, text: str) -> None:
    chosen = [h.id for h in search(db, text, tz="UTC")]
    for driver in ("fts", "time", "time-probe", "thread-probe", "sender", "conversation", "kind",
                   "attachment", "reaction"):
        assert [h.id for h in search(db, text, tz="UTC", driver=driver)] == chosen, driver


@given(text=st.text())
def test_parse_query_never_raises(text: str) -> None:
    query = parse_query(text)
    expression = query.match_expression()
    assert expression is None or expression.count('"') % 2 == 0
