"""The ``chatkeep`` command: the engine's commands plus ``browse``, the reader.

The engine (``archiver``) never imports the reader, so the command that opens
it is added here, and the console script points at this module.
"""

from __future__ import annotations

from pathlib import Path

import click

from archiver.cli import main
from archiver.cli.base import IMAGE_CHOICES

__all__ = ["main"]


@click.command()
@click.argument("thread", required=False)
@click.option("--tz", help="Time zone for times (IANA name; default: this machine's).")
@click.option(
    "--images", type=click.Choice(IMAGE_CHOICES, case_sensitive=False),
    help="Pictures as Kitty or Sixel graphics, half blocks, or off "
         "(default: $CHATKEEP_IMAGES, else auto: the best the terminal has).",
)
@click.pass_context
def browse(ctx: click.Context, thread: str | None = None, tz: str | None = None,
           images: str | None = None) -> None:
    """Open the terminal reader (plain chatkeep does the same)."""
    # Imported here: Textual is only loaded when the reader opens, so every
    # other command starts quickly.
    from tui.app import run_reader

    archive: Path = ctx.obj["archive"]
    if tz is None:  # chatkeep --tz ZONE (before the command name, or with none)
        tz = ctx.find_root().obj.get("tz")
    run_reader(archive, thread=thread, tz=tz, images=images or ctx.obj.get("images"))


main.add_command(browse)
