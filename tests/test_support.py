"""The tests' own house: helpers come from tests/support, benchmarks and the
sample script import it as it is, and the one download writer writes what
Meta writes."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

from archiver.ingest.text import repair_any
from tests.support.downloads import write_thread
from tests.support.paths import REPO, TESTS


def _imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


def test_test_files_take_helpers_from_the_support_package_only() -> None:
    wrong = []
    for path in sorted(TESTS.rglob("*.py")):
        for module in _imported_modules(path):
            last = module.rsplit(".", 1)[-1]
            if module.startswith("tests.") and (last == "conftest" or last.startswith("test_")):
                wrong.append(f"{path.relative_to(REPO)} imports {module}")
    assert wrong == []


def test_nothing_patches_the_import_path() -> None:
    """Benchmarks and scripts run as modules from the repository's root."""
    scripts = [*(REPO / "benchmarks").glob("*.py"), *TESTS.rglob("*.py"),
               *(REPO / "sample_exports").glob("*.py")]
    assert len(scripts) > 60
    patched = []
    for path in scripts:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and ast.unparse(node.func).endswith(
                    ("sys.path.insert", "sys.path.append", "spec_from_file_location")):
                patched.append(str(path.relative_to(REPO)))
    assert patched == []


def test_every_benchmark_imports_as_a_module_from_the_root() -> None:
    names = sorted(p.stem for p in (REPO / "benchmarks").glob("*.py") if p.stem != "__init__")
    assert {"bench_search", "bench_reader", "bench_import", "floor"} <= set(names)
    code = "import importlib\n" + "".join(f"importlib.import_module('benchmarks.{n}')\n"
                                           for n in names)
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True,
                          check=False, timeout=120)
    assert done.returncode == 0, done.stderr


def test_a_written_thread_is_meta_s_bytes_and_repairs_to_what_was_given(tmp_path: Path) -> None:
    messages = [{"sender_name": "Zoë", "timestamp_ms": 2, "content": "café 😂"}]
    path = write_thread(tmp_path / "zoe_1", messages, title="Zoë", participants=("Zoë", "Jo"))
    raw = path.read_bytes()
    assert raw.isascii() and b"\\u00c3\\u00a9" in raw  # é as Meta writes it: two bytes
    data = json.loads(raw)
    assert repair_any(data) == {
        "participants": [{"name": "Zoë"}, {"name": "Jo"}], "messages": messages,
        "title": "Zoë", "is_still_participant": True, "thread_path": "inbox/zoe_1"}
