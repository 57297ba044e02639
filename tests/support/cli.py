"""Run the chatkeep command on an archive and read what it left."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from archiver.cli import main


def run(archive: Path, *args: str) -> tuple[int, str, str]:
    """Run the chatkeep CLI on ``archive``; returns (exit code, stdout, stderr)."""
    result = CliRunner().invoke(main, ["--archive", str(archive), *args], catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def run_json(archive: Path, *args: str) -> Any:
    """Run the CLI with ``--json`` and return what it printed, parsed."""
    code, out, err = run(archive, *args, "--json")
    assert code in (0, 1), err
    return json.loads(out)


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
