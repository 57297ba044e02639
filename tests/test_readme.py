"""The README's first command and its Usage section work together on a fresh
clone: the first command imports the demo into the archive every Usage line
then reads, and each Usage line, run in order, finds something there."""

from __future__ import annotations

import glob
import re
import shlex
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.support.paths import REPO
from tui.cli import main

README = (REPO / "README.md").read_text(encoding="utf-8")


def _blocks() -> list[str]:
    return re.findall(r"```sh\n(.*?)```", README, flags=re.DOTALL)


def _usage_lines() -> list[str]:
    usage = README[README.index("## Usage"):]
    block = re.search(r"```sh\n(.*?)```", usage, flags=re.DOTALL)
    assert block is not None
    return [line for line in block.group(1).splitlines() if line.strip()]


def _chatkeep(args: list[str], archive: Path) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, args, env={"CHATKEEP_ARCHIVE": str(archive)},
                                catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def test_first_command_sets_the_archive_the_usage_lines_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = _blocks()[0].strip()
    steps = [step.strip() for step in first.split("&&")]
    exports = [s for s in steps if s.startswith("export CHATKEEP_ARCHIVE=")]
    assert exports, "the first command must choose the archive the Usage lines read"
    # No Usage line names another archive: they all read the one exported.
    assert not any("--archive" in shlex.split(line, comments=True) for line in _usage_lines())

    monkeypatch.chdir(tmp_path)
    (tmp_path / "sample_exports").symlink_to(REPO / "sample_exports")
    archive = tmp_path / "demo-archive"
    imports = [s for s in steps if s.startswith("chatkeep import")]
    assert len(imports) == 1
    args = shlex.split(imports[0])[1:]
    expanded = [m for a in args for m in (sorted(glob.glob(a)) if "*" in a else [a])]
    code, out, err = _chatkeep(expanded, archive)
    assert code == 0, err
    # The demo imports without a warning: a first import that warns reads as a failure.
    assert "warning:" not in out + err
    assert steps[-1] == "chatkeep"  # and then opens the reader

    ran = 0
    for line in _usage_lines():
        argv = shlex.split(line, comments=True)
        assert argv[0] == "chatkeep", line
        if argv == ["chatkeep"]:
            continue  # the reader: tests/tui drive it
        code, out, err = _chatkeep(argv[1:], archive)
        assert code == 0, (line, out, err)
        assert out.strip(), (line, err)
        for nothing in ("No messages match", "no conversation matches", "Nothing was imported"):
            assert nothing not in out + err, (line, out, err)
        if argv[1] == "search":
            assert "see you" in out.lower(), out
        if "-o" in argv:
            target = tmp_path / argv[argv.index("-o") + 1]
            assert target.exists(), line
            if target.is_dir():
                assert (target / "index.html").exists()
        ran += 1
    assert ran == len(_usage_lines()) - 1


def test_the_development_map_names_every_module() -> None:
    """A newcomer finds any module in the README's map of the code."""
    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = text[text.index("## Development"):]
    section = section[: section.index("\n## ", 4)] if "\n## " in section[4:] else section
    words = set(re.findall(r"[\w.]+", section))
    modules = [p for root in ("archiver", "tui") for p in (REPO / root).rglob("*.py")
               if p.name != "__init__.py"]
    assert len(modules) > 60
    missing = sorted(str(p.relative_to(REPO)) for p in modules
                     if p.name not in words and p.stem not in words)
    assert missing == []
