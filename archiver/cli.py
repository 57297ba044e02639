"""The ``chatkeep`` command. Each command is a few lines over a library call."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, NoReturn

import click

from . import views
from .schema import ArchiveError, default_archive_dir, open_archive
from .timefmt import UnknownZone, local, resolve_tz


def _fail(message: str, code: int = 2) -> NoReturn:
    click.echo(f"chatkeep: {message}", err=True)
    sys.exit(code)


def _archive_dir(ctx: click.Context) -> Path:
    return ctx.obj["archive"]


def _open_ro(ctx: click.Context):
    try:
        return open_archive(_archive_dir(ctx), readonly=True)
    except ArchiveError as exc:
        _fail(str(exc))


def _tz(name: str | None):
    try:
        return resolve_tz(name)
    except UnknownZone as exc:
        _fail(str(exc))


def _print_json(data: Any) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2))


def _conversation_id(db: Any, ref: str) -> int:
    try:
        return views.resolve_conversation(db, ref)
    except (views.ThreadNotFound, views.AmbiguousThread) as exc:
        _fail(str(exc))


@click.group(invoke_without_command=True)
@click.option(
    "--archive", "archive", type=click.Path(file_okay=False, path_type=Path),
    help="Archive folder (default: $CHATKEEP_ARCHIVE, else your user data folder).",
)
@click.version_option(package_name="chatkeep")
@click.pass_context
def main(ctx: click.Context, archive: Path | None) -> None:
    """Keep your Facebook, Messenger and Instagram conversations.

    Run without a command to open the reader.
    """
    ctx.ensure_object(dict)
    ctx.obj["archive"] = archive or default_archive_dir()
    if ctx.invoked_subcommand is None:
        # The reader registers "browse" (tui.cli); the engine alone has no face.
        browse = main.get_command(ctx, "browse")
        if browse is None:
            click.echo(ctx.get_help())
            return
        ctx.invoke(browse)


@main.command("import")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--no-media", is_flag=True, help="Do not copy attachments into the archive.")
@click.option(
    "--platform", type=click.Choice(["facebook", "instagram", "messenger"]),
    help="Which app the download comes from, when chatkeep cannot tell.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON only.")
@click.pass_context
def import_cmd(
    ctx: click.Context, paths: tuple[Path, ...], no_media: bool, platform: str | None,
    as_json: bool,
) -> None:
    """Import downloads: folders, .zip files (all parts of one download
    together) or single thread .json files."""
    from .importer import ImportBusy, import_downloads
    from .progress import import_progress

    try:
        with import_progress(enabled=not as_json) as progress:
            report = import_downloads(
                _archive_dir(ctx), list(paths), copy_media=not no_media,
                platform=platform, progress=progress,
            )
    except ImportBusy as exc:
        _fail(str(exc))
    except ArchiveError as exc:
        _fail(str(exc))
    except KeyboardInterrupt:
        _fail("import interrupted; everything imported so far is kept. "
              "Run the same command again to finish it.", 1)
    except OSError as exc:
        _fail(f"cannot write the archive at {_archive_dir(ctx)} ({exc.strerror or exc})")
    if as_json:
        _print_json(report.as_json())
    else:
        for err in report.errors:
            click.echo(f"error: {err['path']}: {err['error']}", err=True)
        _print_import_summary(report)
    if report.fatal:
        sys.exit(2)
    if report.errors:
        sys.exit(1)


def _print_import_summary(report: Any) -> None:
    lines = [
        f"Imported {', '.join(report.downloads) or 'nothing'}",
        f"  conversations read:  {report.threads:,}"
        + (f" ({report.threads_unchanged:,} unchanged)" if report.threads_unchanged else ""),
        f"  messages added:      {report.messages_added:,}",
        f"  already present:     {report.messages_already_present:,}",
        f"  media copied:        {report.media_copied:,}",
        f"  media missing:       {report.media_missing:,}",
        f"  rejected files:      {len(report.errors):,}",
        f"  warnings:            {len(report.warnings):,}",
    ]
    click.echo("\n".join(lines))
    for warning in report.warnings[:20]:
        click.echo(f"  warning: {warning}")
    if len(report.warnings) > 20:
        click.echo(f"  … and {len(report.warnings) - 20:,} more warnings (--json lists them all)")


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON only.")
@click.option("--tz", help="Time zone for dates (IANA name; default: this machine's).")
@click.pass_context
def threads(ctx: click.Context, as_json: bool, tz: str | None) -> None:
    """List conversations, most recent first."""
    db = _open_ro(ctx)
    convs = views.list_conversations(db)
    if as_json:
        _print_json([c.as_json() for c in convs])
        return
    zone = _tz(tz)
    if not convs:
        click.echo("The archive is empty. Import a download: chatkeep import PATH")
        return
    for c in convs:
        last = local(c.last_ms, zone).strftime("%Y-%m-%d") if c.last_ms else "          "
        marks = "".join(
            m for m, on in ((" [cross-app]", c.cross_app), (" [frozen]", c.frozen)) if on
        )
        click.echo(
            f"{c.id:>6}  {last}  {c.messages:>8,}  {'/'.join(c.platforms):<20} {c.title}{marks}"
        )


@main.command()
@click.argument("thread")
@click.option("--json", "as_json", is_flag=True, help="Print JSON only.")
@click.option("--tz", help="Time zone for times (IANA name; default: this machine's).")
@click.pass_context
def show(ctx: click.Context, thread: str, as_json: bool, tz: str | None) -> None:
    """Print one conversation."""
    db = _open_ro(ctx)
    cid = _conversation_id(db, thread)
    conv = views.get_conversation(db, cid)
    if as_json:
        # Streamed so that a huge conversation never sits in memory.
        out = sys.stdout
        out.write('{"thread": ' + json.dumps(conv.as_json(), ensure_ascii=False)
                  + ', "messages": [')
        for i, msg in enumerate(views.iter_messages(db, cid)):
            out.write(("," if i else "") + "\n  " + json.dumps(msg.as_json(), ensure_ascii=False))
        out.write("\n]}\n")
        return
    from .render import message_lines

    zone = _tz(tz)
    me = views.owners(db)
    click.echo(f"{conv.title}  ({conv.messages:,} messages, {'/'.join(conv.platforms)})")
    day = None
    for msg in views.iter_messages(db, cid):
        when = local(msg.timestamp_ms, zone)
        if when.date() != day:
            day = when.date()
            click.echo(f"\n── {when.strftime('%Y-%m-%d, %A')} ──")
        for line in message_lines(msg, when, me):
            click.echo(line)


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON only.")
@click.pass_context
def stats(ctx: click.Context, as_json: bool) -> None:
    """What the archive holds, per platform and download."""
    db = _open_ro(ctx)
    data = views.stats(db)
    if as_json:
        _print_json(data)
        return
    click.echo(f"Archive: {_archive_dir(ctx)}")
    click.echo(
        f"{data['conversations']:,} conversations, {data['messages']:,} messages"
        + (f", {data['first'][:10]} → {data['last'][:10]}" if data["first"] else "")
    )
    for platform, figures in data["platforms"].items():
        click.echo(f"  {platform:<10} {figures['messages']:>10,} messages "
                   f"{figures['threads']:>6,} threads")
    click.echo(f"  cross-app conversations: {data['cross_app']:,}")
    click.echo(f"  media files: {data['media_files']:,} (missing: {data['media_missing']:,})")
    click.echo("Downloads:")
    for d in data["downloads"]:
        owner = f", owner {d['owner']}" if d["owner"] else ""
        click.echo(f"  {d['name']} ({d['platform']}{owner}): {d['messages']:,} messages, "
                   f"{d['threads']:,} threads, imported {d['imported']}")


# Commands that live in modules of their own.
from .export_cli import export_cmd
from .link_cli import link_cmd, unlink_cmd, why_cmd
from .search_cli import search_cmd

for _command in (search_cmd, export_cmd, link_cmd, unlink_cmd, why_cmd):
    main.add_command(_command)

from .check_cli import check_cmd

main.add_command(check_cmd)
