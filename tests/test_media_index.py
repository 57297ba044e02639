"""Finding an attachment's file in a download: the quick test that lets an
import skip resolving a uri never answers "no" where resolving finds a file
or says the uri points outside the download."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from archiver.ingest.media import OUTSIDE, MediaIndex
from archiver.ingest.sources import DownloadTree, open_download

FILES = [
    "your_facebook_activity/messages/inbox/ana_1/photos/a.jpg",
    "your_facebook_activity/messages/inbox/ana_1/message_1.json",
    "messages/stickers_used/b.png",
    "photos/c.gif",
    "d.mp4",
]
FOLDERS = ["", "your_facebook_activity/messages/inbox/ana_1", "elsewhere/bo_2"]


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DownloadTree]:
    root = tmp_path_factory.mktemp("download")
    for name in FILES:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(b"x")
    opened = open_download([Path(root)])
    yield opened
    opened.close()


PIECES = ["messages", "inbox", "ana_1", "photos", "a.jpg", "b.png", "c.gif", "d.mp4",
          "e.jpg", "..", ".", "", "your_facebook_activity", "stickers_used", "C:"]
uris = st.builds(
    lambda prefix, parts, sep, end: prefix + sep.join(parts) + end,
    st.sampled_from(["", "/", "./", "https://x/", "/messages/", "/your_", "\\"]),
    st.lists(st.sampled_from(PIECES), min_size=1, max_size=6),
    st.sampled_from(["/", "\\", "//"]),
    st.sampled_from(["", "/", "/."]),
)


@settings(max_examples=300, deadline=None)
@given(uri=uris)
def test_a_uri_skipped_resolves_to_nothing(tree: DownloadTree, uri: str) -> None:
    index = MediaIndex(tree)
    if not index.may_resolve(uri):
        assert [index.resolve(uri, folder) for folder in FOLDERS] == [None] * len(FOLDERS)


def test_the_quick_test_passes_what_resolves(tree: DownloadTree) -> None:
    index = MediaIndex(tree)
    for uri in ("messages/inbox/ana_1/photos/a.jpg", "photos/a.jpg/", "./photos/c.gif",
                "/messages/stickers_used/b.png", "../d.mp4", "C:\\d.mp4"):
        assert index.may_resolve(uri), uri
    assert index.resolve("../d.mp4", "") == OUTSIDE
    for uri in ("messages/inbox/ana_1/photos/e.jpg", "https://x/a.jpg", "e.jpg"):
        assert not index.may_resolve(uri), uri
