"""Names, titles, texts and file names are data, never Rich markup: each
command prints them exactly as written, with no crash (``Jo [/s]`` closes a
tag that was never opened) and no terminal hyperlink (``[link=…]`` would send
an OSC 8 escape to a terminal)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from archiver.cli import main
from tests.support.markup import (
    MARKUP_FILE,
    MARKUP_MISSING,
    MARKUP_NAMES,
    MARKUP_PHOTO,
    MARKUP_TITLE,
    markup_download,
)

OSC8 = "\x1b]8;"


def cli(archive: Path, *args: str) -> tuple[int, str]:
    """Run a command as on a colour terminal (Rich then draws styles and links)."""
    env = {"FORCE_COLOR": "1", "COLUMNS": "200", "TERM": "xterm-256color"}
    result = CliRunner(env=env).invoke(main, ["--archive", str(archive), *args],
                                       catch_exceptions=False)
    return result.exit_code, result.stdout + result.stderr


@pytest.fixture(scope="module")
def markup_archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("markup")
    archive = root / "archive"
    code, out = cli(archive, "import", str(markup_download(root)))
    assert code == 0, out
    assert "media missing:       1" in out
    assert OSC8 not in out
    return archive


def plain(text: str) -> str:
    """The output with colour codes removed (OSC 8 links would survive this)."""
    import re

    return re.sub(r"\x1b\[[0-9;]*m", "", text)


@pytest.mark.parametrize("args, shown", [
    (["threads"], [MARKUP_TITLE]),
    (["show", "1", "--tz", "UTC"], [MARKUP_TITLE, *MARKUP_NAMES, MARKUP_FILE, MARKUP_PHOTO,
                                    MARKUP_MISSING, "[link=https://evil.example]share[/link]",
                                    "Jo [/s] says [b]hi[/b] [/]"]),
    (["search", "says", "--tz", "UTC"], [MARKUP_TITLE, *MARKUP_NAMES]),
    (["why", "1"], [MARKUP_TITLE]),
    (["stats"], ["Jo [/s]", "Sam [he/him]", "[@click=app.quit]", "[link=https://evil.exa"]),
    (["stats", "1"], [MARKUP_TITLE, "Jo [/s] [/]", "Sam [he/him]", "[@click=app.quit]"]),
    (["stats", "1", "--after", "2020-01-01"], ["Jo [/s]", "messages after 2020-01-01"]),
    (["audit"], [MARKUP_MISSING]),
    (["check"], ["archive OK"]),
])
def test_every_command_prints_markup_as_written(markup_archive: Path, args: list[str],
                                                shown: list[str]) -> None:
    code, out = cli(markup_archive, *args)
    assert code == 0, out
    assert OSC8 not in out
    text = plain(out)
    for expected in shown:
        assert expected in text, (args, expected)


def test_check_names_a_missing_file_of_a_markup_name(markup_archive: Path,
                                                     tmp_path: Path) -> None:
    import shutil

    archive = Path(shutil.copytree(markup_archive, tmp_path / "archive"))
    pdf = next(p for p in (archive / "media").rglob("*.pdf"))
    pdf.unlink()
    code, out = cli(archive, "check")
    assert code == 1 and OSC8 not in out
    assert f"{pdf} is missing" in plain(out)
    code, out = cli(archive, "audit")
    assert OSC8 not in out and f"media/{pdf.parent.name}/{pdf.name}" in plain(out)


def test_a_colour_terminal_is_what_the_tests_see(markup_archive: Path) -> None:
    """The check above would be empty if Rich drew no styles here."""
    _code, out = cli(markup_archive, "stats")
    assert "\x1b[" in out
    assert os.environ.get("FORCE_COLOR") is None  # set for the runner only


def test_import_errors_and_export_paths_print_markup_as_written(markup_archive: Path,
                                                               tmp_path: Path) -> None:
    """An error line naming a folder of markup, and the file an export wrote."""
    dl = tmp_path / "facebook-jordanlee-2026"
    broken = dl / "your_facebook_activity" / "messages" / "inbox" / "[link=https:evil]x[b]_9"
    broken.mkdir(parents=True)
    (broken / "message_1.json").write_text('{"participants": [', encoding="utf-8")
    code, out = cli(tmp_path / "archive", "import", str(dl))
    assert code in (1, 2) and OSC8 not in out
    assert f"{broken}/message_1.json" in plain(out)
    target = tmp_path / "[b]notes[/b] [link=https:evil]x.md"
    code, out = cli(markup_archive, "export", "1", "-o", str(target))
    assert code == 0, out
    assert OSC8 not in out and str(target) in plain(out) and target.is_file()
