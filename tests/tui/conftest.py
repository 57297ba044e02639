"""Fixtures for the reader's Pilot and snapshot tests: the reader's archive
(built once a session by ``tests.support.reader``), a copy of it, an empty one."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

# Before Textual is imported anywhere: no animations, so Pilot sees end states.
os.environ["TEXTUAL_ANIMATIONS"] = "none"

import pytest

from tests.support.reader import SHOWN_ARCHIVE, build_archive


@pytest.fixture(autouse=True)
def stable_paths(monkeypatch: pytest.MonkeyPatch) -> None:
    """Paths into a test archive are shown as if it were in the default folder,
    so screenshots are the same wherever the tests run."""
    import tui.message_lines

    monkeypatch.setattr(tui.message_lines, "shown_path",
                        lambda file: re.sub(r"^.*/archive/media/", f"{SHOWN_ARCHIVE}/media/", file))


@pytest.fixture(scope="session")
def reader_archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_archive(tmp_path_factory.mktemp("reader"))


@pytest.fixture
def own_archive(reader_archive: Path, tmp_path: Path) -> Path:
    """A copy of the reader's archive, for a test that leaves something in its
    folder (the choices the reader remembers) that other tests must not see."""
    return Path(shutil.copytree(reader_archive, tmp_path / "archive"))


@pytest.fixture(scope="session")
def empty_archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from archiver.store.opening import open_archive

    folder = tmp_path_factory.mktemp("empty") / "archive"
    open_archive(folder).conn.close()
    return folder
