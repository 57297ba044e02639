"""The ``chatkeep`` group and the helpers every command shares.

Command modules import this one and nothing else of the CLI, so there is no
circle: ``archiver.cli`` (the package) gathers them onto the group.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, NoReturn

import click

from .. import views
from ..schema import ArchiveError, default_archive_dir, open_archive
from ..timefmt import UnknownZone, resolve_tz

# The reader's picture renderers (tui.thumbnails.MODES); plain chatkeep opens the reader.
IMAGE_CHOICES = ("auto", "kitty", "sixel", "blocks", "off")


def fail(message: str, code: int = 2) -> NoReturn:
    click.echo(f"chatkeep: {message}", err=True)
    sys.exit(code)


def archive_dir(ctx: click.Context) -> Path:
    return ctx.obj["archive"]


def open_ro(ctx: click.Context):
    try:
        return open_archive(archive_dir(ctx), readonly=True)
    except ArchiveError as exc:
        fail(str(exc))


def zone_option(name: str | None):
    try:
        return resolve_tz(name)
    except UnknownZone as exc:
        fail(str(exc))


def print_json(data: Any) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2))


def conversation_id(db: Any, ref: str) -> int:
    try:
        return views.resolve_conversation(db, ref)
    except (views.ThreadNotFound, views.AmbiguousThread) as exc:
        fail(str(exc))


@click.group(invoke_without_command=True)
@click.option(
    "--archive", "archive", type=click.Path(file_okay=False, path_type=Path),
    help="Archive folder (default: $CHATKEEP_ARCHIVE, else your user data folder).",
)
@click.option(
    "--images", type=click.Choice(IMAGE_CHOICES, case_sensitive=False),
    help="How the reader draws pictures (default: $CHATKEEP_IMAGES, else auto).",
)
@click.version_option(package_name="chatkeep")
@click.pass_context
def main(ctx: click.Context, archive: Path | None, images: str | None) -> None:
    """Keep your Facebook, Messenger and Instagram conversations.

    Run without a command to open the reader.
    """
    ctx.ensure_object(dict)
    ctx.obj["archive"] = archive or default_archive_dir()
    ctx.obj["images"] = images
    if ctx.invoked_subcommand is None:
        # The reader registers "browse" (tui.cli); the engine alone has no face.
        browse = main.get_command(ctx, "browse")
        if browse is None:
            click.echo(ctx.get_help())
            return
        ctx.invoke(browse)
