"""``chatkeep import``: a few lines over :func:`archiver.ingest.importer.import_downloads`."""

from __future__ import annotations

import contextlib
import os
import signal
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click

from ..store.opening import ArchiveError
from .base import archive_dir, fail, print_json, say


@click.command("import")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--no-media", is_flag=True, help="Do not copy attachments into the archive.")
@click.option(
    "--platform", type=click.Choice(["facebook", "instagram", "messenger"], case_sensitive=False),
    help="Which app the download comes from, when chatkeep cannot tell.",
)
@click.option(
    "--html-offset", metavar="OFFSET",
    help="The offset (+02:00) or time zone (Europe/Paris) an HTML download's times are "
    "in, when the download does not say or its media times disagree.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON only.")
@click.pass_context
def import_cmd(
    ctx: click.Context, paths: tuple[Path, ...], no_media: bool, platform: str | None,
    html_offset: str | None, as_json: bool,
) -> None:
    """Import downloads: folders, .zip files (all parts of one download
    together) or single thread .json or .html files."""
    from ..ingest.importer import ImportInterrupted, import_downloads
    from ..store.lock import ImportBusy
    from .progress import import_progress

    if html_offset is not None:
        from ..ingest.dialects.meta_html import user_plan

        try:
            user_plan(html_offset)
        except ValueError as exc:
            fail(f"--html-offset: {exc}; nothing was imported")
    missing = [str(p) for p in paths if not os.path.lexists(p)]
    if missing:
        # Said before anything is made: a typo never leaves an empty archive behind.
        fail(f"no such file or folder: {', '.join(missing)}; nothing was imported")
    folder = archive_dir(ctx)
    new_archive = not os.path.lexists(folder)
    report = None
    try:
        with _stop_signals_interrupt(), import_progress(enabled=not as_json) as progress:
            report = import_downloads(
                archive_dir(ctx), list(paths), copy_media=not no_media,
                platform=platform, progress=progress, html_offset=html_offset,
            )
    except ImportBusy as exc:
        fail(str(exc))
    except ArchiveError as exc:
        fail(str(exc))
    except ImportInterrupted as exc:
        fail(str(exc), 1)
    except KeyboardInterrupt:
        if report is None:  # before the archive was open: nothing of it was kept
            fail("import interrupted before it read anything: run the same command to import",
                 1)
        # Otherwise the import had finished (the bar was closing): say what it did.
    except OSError as exc:
        fail(f"cannot write the archive at {archive_dir(ctx)} ({exc.strerror or exc})")
    assert report is not None
    with _summary_uninterrupted():
        _report(ctx, report, as_json, folder, new_archive)


@contextlib.contextmanager
def _summary_uninterrupted() -> Iterator[None]:
    """The import is done: Ctrl-C no longer cuts its few lines of summary."""
    try:
        previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    except ValueError:  # not the main thread: leave the signal alone
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _report(ctx: click.Context, report: Any, as_json: bool, folder: Path,
            new_archive: bool) -> None:
    """The summary of a finished import, and its exit code."""
    if report.fatal and new_archive:
        _remove_empty_archive(folder)
    if as_json:
        print_json(report.as_json())
    elif report.fatal:
        for err in report.errors:
            say(f"error: {err['path']}: {err['error']}", err=True)
        say(_headline(report) + (f"; no archive was made at {folder}" if new_archive else ""))
    else:
        for err in report.errors:
            say(f"error: {err['path']}: {err['error']}", err=True)
        _print_import_summary(report)
        if report.messages_added:
            _print_joins(archive_dir(ctx))
    if report.fatal:
        sys.exit(2)
    if report.errors:
        sys.exit(1)


def _remove_empty_archive(folder: Path) -> None:
    from ..store.lock import LOCK_NAME

    """The archive this import made, when it imported nothing: a path that
    holds no conversations must not leave an empty 1.4 MB archive behind.
    Only the files an empty archive has are removed, and only if they are all
    there is (anything else keeps the folder)."""

    for name in ("chatkeep.db-wal", "chatkeep.db-shm", "chatkeep.db", LOCK_NAME):
        with contextlib.suppress(FileNotFoundError):
            (folder / name).unlink()
    with contextlib.suppress(OSError):
        (folder / "media").rmdir()  # only when empty
        folder.rmdir()


def _headline(report: Any) -> str:
    """What the import did, in words: something, nothing new, or nothing."""
    if report.messages_added:
        return f"Imported {', '.join(report.downloads)}"
    if report.threads:
        return (f"Nothing new in {', '.join(report.downloads)}: every message was already "
                "in the archive")
    if report.errors:
        return f"Nothing was imported; see the error{'s' * (len(report.errors) > 1)} above"
    return "Nothing was imported"


@contextlib.contextmanager
def _stop_signals_interrupt() -> Iterator[None]:
    """SIGTERM and SIGHUP (a closed terminal) stop the import as Ctrl-C does:
    the batch in progress is rolled back, the rest is kept, the lock is let go
    and the reading process ends, instead of dying half-way."""

    def interrupt(signum: int, _frame: object) -> None:
        raise KeyboardInterrupt

    previous = {}
    try:
        for signum in (signal.SIGTERM, signal.SIGHUP):
            previous[signum] = signal.signal(signum, interrupt)
    except ValueError:  # not the main thread: leave the signals alone
        pass
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


JOINS_SHOWN = 5


def _print_joins(folder: Path) -> None:
    """Why the archive holds fewer conversations and messages than were read:
    threads joined into one conversation, and the other app's copies of a
    message counted once, in words, conversation by conversation."""
    from ..read.conversations import list_conversations
    from ..store.opening import open_archive

    try:
        db = open_archive(folder, readonly=True)
    except ArchiveError:
        return
    try:
        conversations = list_conversations(db)
        copies = dict(db.execute(
            "SELECT conversation_id, COUNT(*) FROM messages WHERE duplicate_of IS NOT NULL "
            "GROUP BY conversation_id").fetchall())
    finally:
        db.conn.close()
    joined = [c for c in conversations if len(c.parts) > 1]
    total = sum(c.messages for c in conversations)
    lines = [(f"The archive holds {len(conversations):,} conversation"
             f"{'s' * (len(conversations) != 1)} and {total:,} message{'s' * (total != 1)}.")]
    if joined:
        lines.append("Threads of one conversation found in several downloads are joined,"
                     " each message counted once:")
    titles = Counter(c.title for c in joined[:JOINS_SHOWN])
    for conv in joined[:JOINS_SHOWN]:
        apps = sorted({PLATFORM_WORDS.get(p.platform, p.platform) for p in conv.parts})
        where = (f"its {' and '.join(apps)} threads" if len(apps) > 1
                 else f"{len(conv.parts)} {apps[0]} threads")
        # Two joined conversations of one name are told apart by their ids.
        named = f"{conv.title} ({conv.id})" if titles[conv.title] > 1 else conv.title
        line = f"  {named}: {where}"
        n = copies.get(conv.id, 0)
        if n:
            line += f"; {n:,} message{'s were' if n != 1 else ' was'} in both and count once"
        lines.append(line)
    if len(joined) > JOINS_SHOWN:
        lines.append(f"  and {len(joined) - JOINS_SHOWN:,} more")
    if joined:
        lines.append("  (chatkeep why NAME says why; chatkeep unlink NAME splits one)")
    say("\n".join(lines))


# How the summary names each download's app.
PLATFORM_WORDS = {"facebook": "Facebook", "instagram": "Instagram",
                  "messenger": "encrypted-chat"}


def _print_import_summary(report: Any) -> None:
    lines = [
        _headline(report),
        f"  threads read:        {report.threads:,}"
        + (f" ({report.threads_unchanged:,} unchanged)" if report.threads_unchanged else ""),
        f"  messages added:      {report.messages_added:,}",
        f"  already present:     {report.messages_already_present:,}",
        f"  media copied:        {report.media_copied:,}",
        f"  media missing:       {report.media_missing:,}"
        + (" (not in the download: each message says which)" if report.media_missing else ""),
        *([f"  media restored:      {report.media_restored:,}"] if report.media_restored else []),
        *([f"  media found:         {report.media_found:,} (missing from an earlier import)"]
          if report.media_found else []),
        f"  rejected files:      {len(report.errors):,}",
        f"  warnings:            {len(report.warnings):,}",
    ]
    lines.extend(f"  {line}" for line in report.time_offsets)
    say("\n".join(lines))
    for warning in report.warnings[:20]:
        say(f"  warning: {warning}")
    if len(report.warnings) > 20:
        say(f"  … and {len(report.warnings) - 20:,} more warnings (--json lists them all)")
