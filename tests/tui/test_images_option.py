"""``--images`` on ``chatkeep`` and ``chatkeep browse``, and ``$CHATKEEP_IMAGES``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import tui.app
from archiver.cli.base import IMAGE_CHOICES
from tui.cli import main
from tui.thumbnails import MODES


@pytest.fixture
def started(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """The readers that would have started, with their arguments."""
    runs: list[dict[str, Any]] = []

    class Recorder:
        # As the reader after opening a readable archive.
        problem = None
        missing = False
        db = None

        def __init__(self, archive: Path, **kwargs: Any) -> None:
            runs.append(kwargs)

        def run(self) -> None:
            pass

    monkeypatch.setattr(tui.app, "ChatkeepReader", Recorder)
    monkeypatch.delenv("CHATKEEP_IMAGES", raising=False)
    return runs


def invoke(archive: Path, *args: str, env: dict[str, str] | None = None) -> Any:
    return CliRunner().invoke(main, ["--archive", str(archive), *args], env=env)


def test_the_cli_offers_every_renderer() -> None:
    assert IMAGE_CHOICES == MODES


def test_images_before_or_after_the_command(
    reader_archive: Path, started: list[dict[str, Any]]
) -> None:
    assert invoke(reader_archive, "--images", "off").exit_code == 0
    assert invoke(reader_archive, "browse", "--images", "off").exit_code == 0
    # Not a terminal: auto and the graphics protocols fall back to half blocks.
    assert invoke(reader_archive, "browse", "--images", "kitty").exit_code == 0
    assert invoke(reader_archive, "browse").exit_code == 0
    assert [r["images"] for r in started] == ["off", "off", "blocks", "blocks"]


def test_environment_choice_and_its_errors(
    reader_archive: Path, started: list[dict[str, Any]]
) -> None:
    assert invoke(reader_archive, env={"CHATKEEP_IMAGES": "off"}).exit_code == 0
    assert started[-1]["images"] == "off"
    result = invoke(reader_archive, env={"CHATKEEP_IMAGES": "photos"})
    assert result.exit_code == 2
    assert result.stderr == (
        "chatkeep: CHATKEEP_IMAGES is 'photos'; use one of auto, kitty, sixel, blocks, off\n"
    )
    result = invoke(reader_archive, "browse", "--images", "pretty")
    assert result.exit_code == 2 and "'pretty' is not one of" in result.stderr
