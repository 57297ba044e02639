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
from archiver.text import mojibake

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
