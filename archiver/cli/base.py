"""The ``chatkeep`` group and the helpers every command shares.

Command modules import this one and nothing else of the CLI, so there is no
circle: ``archiver.cli`` (the package) gathers them onto the group.

Everything a command prints goes through :func:`say` (lines of text) or
:func:`print_json`. A download is untrusted: a message, a title or a file name
may hold terminal escapes (``ESC ] 0 ;`` retitles the terminal, ``ESC [ 2 J``
clears it, U+009B is an 8-bit CSI) or bidirectional overrides that reorder
what follows. :func:`terminal_text` (``archiver.controls``) shows such
characters visibly instead (``␛``, ``\\x9b``, ``\\u202e``); JSON escapes
them, so it stays exact.
"""

from __future__ import annotations

import dataclasses
import json
import os
import sqlite3
import sys
from pathlib import Path
from typing import Any, NoReturn

import click

from ..controls import json_safe, terminal_text
from ..read import names
from ..store.opening import ArchiveError, default_archive_dir, describe_error, open_archive
from ..timefmt import UnknownZone, resolve_tz

# The reader's picture renderers (tui.thumbnails.MODES); plain chatkeep opens the reader.
IMAGE_CHOICES = ("auto", "kitty", "sixel", "blocks", "off")
ARCHIVE_HELP = "Archive folder (default: $CHATKEEP_ARCHIVE, else your user data folder)."
TZ_HELP = "Time zone for dates and times (IANA name, any case; default: this machine's)."


def terminal_data(value: Any) -> Any:
    """A copy of ``value`` (strings, dicts, lists, tuples, dataclasses) with
    :func:`terminal_text` applied to every string, dict keys included: for
    figures drawn by Rich, which prints its own styling and so cannot go
    through :func:`say`."""
    if isinstance(value, str):
        return terminal_text(value)
    if isinstance(value, dict):
        return {terminal_data(k): terminal_data(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(terminal_data(v) for v in value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.replace(value, **{
            f.name: terminal_data(getattr(value, f.name))
            for f in dataclasses.fields(value) if f.init
        })
    return value


def say(text: str = "", *, err: bool = False, styled: bool = False) -> None:
    """Print a line of text made from data, safe for the terminal. ``styled``:
    the line carries chatkeep's own colours around pieces already passed
    through :func:`terminal_text`, so it is printed as it is."""
    click.echo(text if styled else terminal_text(text), err=err)


def json_text(data: Any, *, indent: int | None = None) -> str:
    """JSON that any terminal shows as it is (see :func:`archiver.controls.json_safe`)."""
    return json_safe(json.dumps(data, ensure_ascii=False, indent=indent))


def fail(message: str, code: int = 2) -> NoReturn:
    say(f"chatkeep: {message}", err=True)
    sys.exit(code)


def archive_dir(ctx: click.Context) -> Path:
    return ctx.obj["archive"]


def open_ro(ctx: click.Context):
    try:
        return open_archive(archive_dir(ctx), readonly=True)
    except ArchiveError as exc:
        fail(str(exc))


def zone_option(name: str | None):
    """The zone a command was given (its own ``--tz``, else the one given
    before the command name), or the machine's."""
    if name is None:
        ctx = click.get_current_context(silent=True)
        root = ctx.find_root() if ctx is not None else None
        name = (root.obj or {}).get("tz") if root is not None else None
    try:
        return resolve_tz(name)
    except UnknownZone as exc:
        fail(str(exc))


def print_json(data: Any) -> None:
    click.echo(json_text(data, indent=2))


def conversation_id(db: Any, ref: str) -> int:
    try:
        return names.resolve_conversation(db, ref)
    except (names.ThreadNotFound, names.AmbiguousThread) as exc:
        fail(str(exc))


def _remember(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
    """``--archive`` or ``--tz`` given after the command name: kept where the
    group keeps them, so they mean the same wherever they are typed."""
    if value is not None:
        root = ctx.find_root()
        root.ensure_object(dict)
        root.obj[param.name] = value
    return value


# Commands that print no dates or times still accept --tz (quietly), so that a
# --tz typed anywhere is never an error.
_TIMELESS = {"import", "check", "unlink"}


class ChatkeepGroup(click.Group):
    """The group: every command also takes ``--archive`` and ``--tz``; a
    closed pipe ends quietly; an archive SQLite cannot read is one sentence."""

    def add_command(self, cmd: click.Command, name: str | None = None) -> None:
        have = {p.name for p in cmd.params}
        if "archive" not in have:
            cmd.params.append(click.Option(
                ["--archive"], type=click.Path(file_okay=False, path_type=Path),
                expose_value=False, callback=_remember, help=ARCHIVE_HELP,
            ))
        if "tz" not in have:
            cmd.params.append(click.Option(
                ["--tz"], expose_value=False, callback=_remember, help=TZ_HELP,
                hidden=(name or cmd.name) in _TIMELESS,
            ))
        super().add_command(cmd, name)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except BrokenPipeError:
            _quiet_stdout()
            sys.exit(0)
        except sqlite3.DatabaseError as exc:
            archive = (ctx.obj or {}).get("archive") or default_archive_dir()
            fail(describe_error(exc, archive))
        except ArchiveError as exc:
            fail(str(exc))


def _quiet_stdout() -> None:
    """The reader of our output went away (``| head``): nothing more to say,
    and nothing for Python to complain about when it flushes at exit."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


def _upgrade_progress(label: str, total: int) -> Any:
    """The upgrade's progress bar; Rich is imported only when an upgrade runs."""
    from .progress import counting_progress

    return counting_progress(label, total)


@click.group(cls=ChatkeepGroup, invoke_without_command=True)
@click.option(
    "--archive", "archive", type=click.Path(file_okay=False, path_type=Path), help=ARCHIVE_HELP,
)
@click.option("--tz", "tz", help=TZ_HELP + " Given alone, the reader opens in it.")
@click.option(
    "--images", type=click.Choice(IMAGE_CHOICES, case_sensitive=False),
    help="How the reader draws pictures (default: $CHATKEEP_IMAGES, else auto).",
)
@click.version_option(package_name="chatkeep")
@click.pass_context
def main(ctx: click.Context, archive: Path | None, tz: str | None, images: str | None) -> None:
    """Keep your Facebook, Messenger and Instagram conversations.

    Run without a command to open the reader.
    """
    ctx.ensure_object(dict)
    from ..store import migrations

    migrations.upgrade_progress = _upgrade_progress
    # A command's own --archive (parsed after this) replaces this one.
    ctx.obj.setdefault("archive", archive or default_archive_dir())
    ctx.obj["images"] = images
    if tz is not None:
        ctx.obj["tz"] = tz
    if ctx.invoked_subcommand is None:
        # The reader registers "browse" (tui.cli); the engine alone has no face.
        browse = main.get_command(ctx, "browse")
        if browse is None:
            click.echo(ctx.get_help())
            return
        ctx.invoke(browse)
