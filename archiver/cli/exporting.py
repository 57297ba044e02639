"""The ``chatkeep export`` command: a few lines over :mod:`archiver.export`."""

from __future__ import annotations

import os
from pathlib import Path

import click

from .base import conversation_id, fail, open_ro, say, zone_option

FORMAT_CHOICES = ("md", "html", "json", "txt")


@click.command("export")
@click.argument("thread", required=False)
@click.option(
    "-o", "--output", "output_text", metavar="PATH",
    help="File to write (default: <title>-<id>.<format> in the current folder; a name "
         "ending in / is a folder to write it into; - is standard output); "
         "with --all, the folder to write into (required).",
)
@click.option("--all", "export_every", is_flag=True, help="Export every conversation.")
@click.option(
    "--format", "fmt", type=click.Choice(FORMAT_CHOICES, case_sensitive=False), default="md",
    show_default=True,
    help="Markdown, an HTML page for browsers, JSON for programs, or plain text as show prints.",
)
@click.option("--after", metavar="DATE",
              help="Only messages after this day, month or year (as in search: after:2023).")
@click.option("--before", metavar="DATE",
              help="Only messages before this day, month or year (as in search).")
@click.option("--tz", help="Time zone for times (IANA name; default: this machine's).")
@click.pass_context
def export_cmd(
    ctx: click.Context, thread: str | None, output_text: str | None, export_every: bool,
    fmt: str, after: str | None, before: str | None, tz: str | None,
) -> None:
    """Write a conversation as Markdown, HTML, JSON or text; attachments are
    copied into <name>_media/ beside it (Markdown, HTML and JSON)."""
    from .. import export
    from ..read.conversations import get_conversation, list_conversations
    from .progress import counting_progress

    if export_every and thread:
        fail("give either THREAD or --all, not both")
    if not export_every and not thread:
        fail("name the conversation to export (THREAD), or use --all -o DIR")
    if export_every and output_text is None:
        fail("--all needs a folder to write into: --all -o DIR")
    if export_every and output_text == "-":
        fail("--all writes one file per conversation: give a folder (--all -o DIR)")
    output = _output_path(output_text)
    if export_every and output is not None and output.exists() and not output.is_dir():
        fail(f"{output} is a file; --all -o needs a folder")
    try:
        span = export.DateRange.parse(after, before)
    except export.BadDate as exc:
        fail(str(exc))
    zone = zone_option(tz)
    lo, hi = span.bounds_ms(zone)
    if lo is not None and hi is not None and lo >= hi:
        fail(f"no day is both after {after} and before {before}")
    db = open_ro(ctx)
    archive_dir = ctx.obj["archive"]
    try:
        if export_every:
            assert output is not None
            total = len(list_conversations(db, with_parts=False))
            with counting_progress("Exporting", total) as advance:
                paths = export.export_all(db, archive_dir, output, tz=zone, fmt=fmt, span=span,
                                          progress=advance)
            index = " (and index.html)" if fmt == "html" else ""
            say(f"Wrote {len(paths):,} conversation{'s' * (len(paths) != 1)} "
                       f"to {output}{index}")
            return
        assert thread is not None
        cid = conversation_id(db, thread)
        if span and export.select(db, cid, zone, span).empty:
            fail(f"no message of '{get_conversation(db, cid).title}' is "
                 f"{span.describe()}; nothing written", 1)
        slug = export.conversation_slug(get_conversation(db, cid))
        name = f"{slug}{export.EXTENSIONS[fmt]}"
        if output is None:
            output = Path.cwd() / name
        elif output_text is not None and output_text.endswith(("/", os.sep)):
            output.mkdir(parents=True, exist_ok=True)  # -o DIR/: a folder, made if need be
            output = output / name
        elif not export.is_stdout(output) and output.is_dir():
            output = output / name
        result = export.export_conversation(db, archive_dir, cid, output, fmt=fmt, tz=zone,
                                            span=span)
    except export.ExportRefused as exc:
        fail(f"{exc}; nothing written")
    except BrokenPipeError:
        raise  # -o - read by `| head`: the command group ends quietly
    except OSError as exc:
        fail(f"cannot write {exc.filename or output}: {exc.strerror or exc}", 1)
    media = f", {_count(result.media_copied, 'media file')} copied" if result.media_copied else ""
    missing = (f", {_count(result.media_missing, 'attachment')} not in the archive"
               if result.media_missing else "")
    pages = f", {len(result.pages)} pages" if len(result.pages) > 1 else ""
    if export.is_stdout(result.path):  # said apart from the export itself
        say(f"Wrote {_count(result.messages, 'message')} to standard output{missing} "
            "(attachments are not copied)", err=True)
        return
    say(f"Wrote {result.path} ({_count(result.messages, 'message')}{pages}{media}{missing})")


def _output_path(text: str | None) -> Path | None:
    """``-o``'s path: ``-`` is standard output; a file called ``-`` is
    given as ``./-``, which stays a path."""
    if text is None:
        return None
    if text == "-":
        return Path("-")
    path = Path(text)
    return path.absolute() if str(path) == "-" else path


def _count(n: int, noun: str) -> str:
    """``1 message``, ``2 messages``."""
    return f"{n:,} {noun}{'' if n == 1 else 's'}"
