"""The ``chatkeep export`` command: a few lines over :mod:`archiver.export`."""

from __future__ import annotations

from pathlib import Path

import click

from .base import conversation_id, fail, open_ro, zone_option


@click.command("export")
@click.argument("thread", required=False)
@click.option(
    "-o", "--output", type=click.Path(path_type=Path),
    help="File to write (default: <title>-<id>.md in the current folder); "
         "with --all, the folder to write into (required).",
)
@click.option("--all", "export_every", is_flag=True, help="Export every conversation.")
@click.option("--tz", help="Time zone for times (IANA name; default: this machine's).")
@click.pass_context
def export_cmd(
    ctx: click.Context, thread: str | None, output: Path | None, export_every: bool,
    tz: str | None,
) -> None:
    """Write a conversation as Markdown, with its attachments in <name>_media/."""
    from .. import export, views
    from ..progress import counting_progress

    if export_every and thread:
        fail("give either THREAD or --all, not both")
    if not export_every and not thread:
        fail("name the conversation to export (THREAD), or use --all -o DIR")
    if export_every and output is None:
        fail("--all needs a folder to write into: --all -o DIR")
    if export_every and output is not None and output.exists() and not output.is_dir():
        fail(f"{output} is a file; --all -o needs a folder")
    zone = zone_option(tz)
    db = open_ro(ctx)
    archive_dir = ctx.obj["archive"]
    try:
        if export_every:
            assert output is not None
            total = len(views.list_conversations(db, with_parts=False))
            with counting_progress("Exporting", total) as advance:
                paths = export.export_all(db, archive_dir, output, tz=zone, progress=advance)
            click.echo(f"Wrote {len(paths):,} conversation{'s' * (len(paths) != 1)} to {output}")
            return
        assert thread is not None
        cid = conversation_id(db, thread)
        name = f"{export.conversation_slug(views.get_conversation(db, cid))}.md"
        if output is None:
            output = Path.cwd() / name
        elif output.is_dir():
            output = output / name
        result = export.export_markdown(db, archive_dir, cid, output, tz=zone)
    except OSError as exc:
        fail(f"cannot write {exc.filename or output}: {exc.strerror or exc}", 1)
    media = f", {result.media_copied:,} media files copied" if result.media_copied else ""
    missing = f", {result.media_missing:,} missing" if result.media_missing else ""
    click.echo(f"Wrote {result.path} ({result.messages:,} messages{media}{missing})")
