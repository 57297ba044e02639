"""Fixtures shared by every test: fresh archives, the demo archive, the shared
fixture folder. Helpers live in ``tests/support``."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import settings

from tests.support.cli import run
from tests.support.paths import SAMPLES, SHARED_FIXTURES

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


@pytest.fixture(scope="module")
def demo_archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo downloads (sample_exports/: Facebook, Instagram, encrypted
    chats) imported into an archive, once per test module."""
    archive = tmp_path_factory.mktemp("demo") / "archive"
    code, _out, err = run(archive, "import", *(str(p) for p in sorted(SAMPLES.iterdir())
                                              if p.is_dir()))
    assert code == 0, err
    return archive
