"""Shared test fixtures: fresh archives and the fixture folders."""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import settings

from archiver.cli import main
from archiver.ingest.text import mojibake

TESTS = Path(__file__).parent
FIXTURES = TESTS / "fixtures"
REPO = TESTS.parent
SAMPLES = REPO / "sample_exports"
SHARED_FIXTURES = REPO.parent / "shared" / "fixtures"

# Property tests explore new inputs on a developer's machine; in CI they replay
# the same ones, so a run fails only for a change, never for a lucky draw.
settings.register_profile("ci", derandomize=True, database=None)
if os.environ.get("CI"):
    settings.load_profile("ci")


@pytest.fixture
def shared_fixtures() -> Path:
    """../shared/fixtures (other projects' files); skipped where absent."""
    if not SHARED_FIXTURES.is_dir():
        pytest.skip("../shared/fixtures is not present")
    return SHARED_FIXTURES


@pytest.fixture
def archive(tmp_path: Path) -> Path:
    """A path for a fresh archive folder (created by the first import)."""
    return tmp_path / "archive"


def run(archive: Path, *args: str) -> tuple[int, str, str]:
    """Run the chatkeep CLI on ``archive``; returns (exit code, stdout, stderr)."""
    result = CliRunner().invoke(main, ["--archive", str(archive), *args], catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def run_json(archive: Path, *args: str) -> object:
    code, out, err = run(archive, *args, "--json")
    assert code in (0, 1), err
    return json.loads(out)


def write_thread(folder: Path, messages: list[dict], *, title: str = "Thread",
                 participants: tuple[str, ...] = ("Ana", "Jordan Lee"), part: int = 1) -> Path:
    """Write one Meta DYI part file the way Meta does (every string mojibake)."""
    folder.mkdir(parents=True, exist_ok=True)
    data = {
        "participants": [{"name": p} for p in participants],
        "messages": messages,
        "title": title,
        "is_still_participant": True,
        "thread_path": f"inbox/{folder.name}",
    }
    path = folder / f"message_{part}.json"
    path.write_text(json.dumps(mojibake(data)), encoding="ascii")
    return path



def db_rows(archive: Path, sql: str, params: tuple = ()) -> list[tuple]:
    """Rows of a query on the archive's database, read directly."""
    conn = sqlite3.connect(archive / "chatkeep.db")
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def without(value: Any, *keys: str) -> Any:
    """``value`` (JSON) with the given keys removed at every depth: ids differ
    between two archives that hold the same messages."""
    if isinstance(value, dict):
        return {k: without(v, *keys) for k, v in value.items() if k not in keys}
    if isinstance(value, list):
        return [without(v, *keys) for v in value]
    return value


@pytest.fixture(scope="module")
def demo_archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo downloads (sample_exports/: Facebook, Instagram, encrypted
    chats) imported into an archive, once per test module."""
    archive = tmp_path_factory.mktemp("demo") / "archive"
    code, _out, err = run(archive, "import", *(str(p) for p in sorted(SAMPLES.iterdir())
                                              if p.is_dir()))
    assert code == 0, err
    return archive


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
