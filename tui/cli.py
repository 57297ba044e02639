"""The ``chatkeep`` command: the engine's commands plus ``browse``, the reader.

The engine (``archiver``) never imports the reader, so the command that opens
it is added here, and the console script points at this module.
"""

from __future__ import annotations

from pathlib import Path

import click

from archiver.cli import main

__all__ = ["main"]


@main.command()
@click.argument("thread", required=False)
@click.option("--tz", help="Time zone for times (IANA name; default: this machine's).")
@click.pass_context
def browse(ctx: click.Context, thread: str | None = None, tz: str | None = None) -> None:
    """Open the terminal reader (plain chatkeep does the same)."""
    # Imported here: Textual is only loaded when the reader opens, so every
    # other command starts quickly.
    from tui.app import run_reader

    archive: Path = ctx.obj["archive"]
    run_reader(archive, thread=thread, tz=tz)
