"""The engine stands without the reader, and every command is documented."""

from __future__ import annotations

import ast
import pkgutil
import subprocess
import sys
from pathlib import Path

import archiver
from archiver.cli import main

REPO = Path(__file__).resolve().parents[1]


def test_engine_never_imports_the_reader() -> None:
    modules = [m.name for m in pkgutil.walk_packages(archiver.__path__, prefix="archiver.")]
    assert {"archiver.cli.base", "archiver.ingest.dialects.meta_dyi"} <= set(modules)
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


# What each stage of the engine may not import, directly or through another
# module: reading downloads and reading the archive are independent, the store
# knows neither, and nothing below the CLI draws on a terminal.
FORBIDDEN = {
    "archiver.ingest": ("archiver.read", "archiver.cli", "archiver.export", "rich"),
    "archiver.read": ("archiver.ingest", "archiver.cli", "archiver.export", "rich"),
    "archiver.store": ("archiver.ingest", "archiver.read", "archiver.cli", "archiver.export",
                       "rich"),
    "archiver.export": ("archiver.ingest", "archiver.cli", "rich"),
    "archiver": ("tui", "textual"),
}


def _imports(path: Path, module: str) -> set[str]:
    """Every module ``module`` (at ``path``) imports, at any depth of its code,
    except under ``if TYPE_CHECKING:`` (names for type hints only)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    skipped: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skipped.update(id(n) for child in node.body for n in ast.walk(child))
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                parts = parts[: len(parts) - node.level + 1]
                base = ".".join(parts + ([base] if base else []))
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def _graph() -> dict[str, set[str]]:
    root = REPO / "archiver"
    graph = {}
    for path in root.rglob("*.py"):
        parts = list(path.relative_to(REPO).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        graph[".".join(parts)] = _imports(path, ".".join(parts))
    return graph


def _within(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def test_the_engine_stages_keep_their_layers() -> None:
    graph = _graph()
    assert {"archiver.ingest.pipeline", "archiver.read.search", "archiver.store.schema"} <= set(
        graph)
    broken = []
    for module in graph:
        for stage, forbidden in FORBIDDEN.items():
            if not _within(module, stage) or (stage == "archiver" and module == "archiver.cli"):
                continue
            # Follow imports within the engine, breadth first.
            seen, todo = {module}, [module]
            while todo:
                current = todo.pop()
                for name in graph.get(current, ()):
                    if any(_within(name, bad) for bad in forbidden):
                        broken.append(f"{current} imports {name} (reached from {stage})")
                    elif name in graph and name not in seen:
                        seen.add(name)
                        todo.append(name)
    assert sorted(set(broken)) == []


def test_the_import_linter_contracts_hold() -> None:
    """The same layers as import-linter contracts (pyproject.toml), for
    ``lint-imports`` on a developer's machine; kept in step with FORBIDDEN."""
    import importlinter  # noqa: F401 (in the test extra)

    lint = Path(sys.executable).with_name("lint-imports")
    done = subprocess.run([str(lint)], cwd=REPO, capture_output=True, text=True, check=False,
                          timeout=120)
    assert done.returncode == 0, done.stdout[-2000:]
    assert "5 kept, 0 broken" in done.stdout


def test_no_module_uses_another_modules_private_names() -> None:
    """A name with a leading underscore is its module's own: nothing else in
    the engine imports it or reaches it through the module."""
    broken = []
    for path in sorted((REPO / "archiver").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        modules: set[str] = set()  # names the file binds to modules of the engine
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module != "__future__":
                ours = node.level > 0 or (node.module or "").startswith("archiver")
                for alias in node.names:
                    if alias.name.startswith("_"):
                        broken.append(f"{path.relative_to(REPO)} imports {alias.name}")
                    elif ours:
                        modules.add(alias.asname or alias.name)
            elif isinstance(node, ast.Import):
                modules.update(a.asname or a.name.split(".")[0] for a in node.names
                               if a.name.startswith("archiver"))
        for node in ast.walk(tree):
            if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                    and node.value.id in modules and node.attr.startswith("_")
                    and not node.attr.startswith("__")):
                broken.append(f"{path.relative_to(REPO)} uses {node.value.id}.{node.attr}")
    assert broken == []


def test_only_dialects_name_a_download_format() -> None:
    """A new format is one new dialect: the pipeline, the importer and the
    store know formats only through the Dialect object."""
    from archiver.ingest.dialects import DIALECTS

    names = {d.name for d in DIALECTS}
    assert len(names) == 4
    named = []
    for path in sorted((REPO / "archiver").rglob("*.py")):
        relative = path.relative_to(REPO).as_posix()
        if relative.startswith(("archiver/ingest/dialects/", "archiver/cli/")):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                named.extend(f"{relative}: {n}" for n in names if n in node.value)
            elif isinstance(node, ast.ImportFrom):
                named.extend(f"{relative} imports {node.module}.{a.name}" for a in node.names
                             if a.name in names or (node.module or "").split(".")[-1] in names)
    assert named == []


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


def test_reading_commands_never_load_sqlite_utils(demo_archive, tmp_path) -> None:
    """Importing sqlite-utils alone cost a reading command more than the rest of
    its start-up; only a new archive's first tables are declared through it."""
    commands = [
        ["threads", "--json"], ["show", "1", "--json"], ["search", "the", "--json"],
        ["stats", "--json"], ["audit", "--json"], ["check", "--json"], ["why", "1"],
        ["export", "1", "--format", "html", "-o", str(tmp_path / "one.html")],
        ["export", "--all", "--format", "json", "-o", str(tmp_path / "all")],
    ]
    script = (
        "import contextlib, io, pkgutil, importlib, sys\n"
        "from tui.cli import main\n"
        "import tui\n"
        "loaded = []\n"
        f"for args in {commands!r}:\n"
        "    with contextlib.redirect_stdout(io.StringIO()):\n"
        "        try:\n"
        f"            main(['--archive', {str(demo_archive)!r}, *args])\n"
        "        except SystemExit as exit:\n"
        "            assert not exit.code, (args, exit.code)\n"
        "    if 'sqlite_utils' in sys.modules:\n"
        "        loaded.append(args[0])\n"
        "for m in pkgutil.walk_packages(tui.__path__, prefix='tui.'):\n"
        "    importlib.import_module(m.name)\n"
        "if 'sqlite_utils' in sys.modules:\n"
        "    loaded.append('the reader')\n"
        "print(loaded)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], cwd=REPO, capture_output=True,
                          check=False, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "[]"
    # The archive was read through: every command found the demo's messages.
    assert (tmp_path / "one.html").stat().st_size > 1000
    assert len(list((tmp_path / "all").rglob("*.json"))) >= 3
