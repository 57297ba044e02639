"""The engine stands without the reader, and every command is documented."""

from __future__ import annotations

import pkgutil
import subprocess
import sys
from pathlib import Path

import archiver
from archiver.cli import main

REPO = Path(__file__).resolve().parents[1]


def test_engine_never_imports_the_reader() -> None:
    modules = [m.name for m in pkgutil.walk_packages(archiver.__path__, prefix="archiver.")]
    assert {"archiver.cli.base", "archiver.dialects.meta_dyi"} <= set(modules)
    modules = [m for m in modules if m != "archiver.__main__"]
    code = (
        "import importlib, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'tui'))\n"
        "print(','.join(bad))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            cwd=REPO, check=True)
    assert len(modules) > 10
    assert result.stdout.strip() == ""


def test_every_command_is_in_the_readme() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    missing = [name for name in main.commands if f"chatkeep {name}" not in readme]
    assert missing == []


def test_chatkeep_without_a_command_opens_the_reader(tmp_path, monkeypatch) -> None:
    from click.testing import CliRunner

    import tui.app
    import tui.cli

    opened = []
    monkeypatch.setattr(tui.app, "run_reader", lambda archive, **kw: opened.append((archive, kw)))
    result = CliRunner().invoke(tui.cli.main, ["--archive", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert opened == [(tmp_path, {"thread": None, "tz": None, "images": None})]
    result = CliRunner().invoke(tui.cli.main, ["--archive", str(tmp_path), "browse", "Ana",
                                               "--tz", "UTC"])
    assert opened[-1] == (tmp_path, {"thread": "Ana", "tz": "UTC", "images": None})


def test_commands_other_than_the_reader_never_load_textual(tmp_path) -> None:
    """Textual is the slowest import; only the reader may pay for it."""
    script = (
        "import sys\n"
        "from tui.cli import main\n"
        "try:\n"
        f"    main(['--archive', {str(tmp_path)!r}, 'threads', '--json'])\n"
        "except SystemExit:\n"
        "    pass\n"
        "sys.stderr.write(repr(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('textual', 'tui.app'))))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], cwd=REPO, capture_output=True, check=False,
                          text=True, timeout=60)
    assert done.stderr.strip().splitlines()[-1] == "[]"
