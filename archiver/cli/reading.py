"""``chatkeep threads``, ``show`` and ``stats``: reading the archive."""

from __future__ import annotations

import sys
from typing import Any

import click

from ..read import totals
from ..read.conversations import get_conversation, list_conversations
from ..read.messages import iter_messages
from ..timefmt import local
from .base import (
    archive_dir,
    conversation_id,
    fail,
    json_text,
    open_ro,
    print_json,
    say,
    terminal_data,
    zone_option,
)


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON only.")
@click.option("--tz", help="Time zone for dates (IANA name; default: this machine's).")
@click.pass_context
def threads(ctx: click.Context, as_json: bool, tz: str | None) -> None:
    """List conversations, most recent first."""
    db = open_ro(ctx)
    # Participants are only printed in JSON: the table reads none of them.
    convs = list_conversations(db, names=None if as_json else 0)
    if as_json:
        print_json([c.as_json() for c in convs])
        return
    zone = zone_option(tz)
    if not convs:
        say("The archive is empty. Import a download: chatkeep import PATH")
        return
    for c in convs:
        last = local(c.last_ms, zone).strftime("%Y-%m-%d") if c.last_ms else "          "
        marks = "".join(
            m for m, on in ((" [cross-app]", c.cross_app), (" [frozen]", c.frozen)) if on
        )
        say(
            f"{c.id:>6}  {last}  {c.messages:>8,}  {'/'.join(c.platforms):<20} {c.title}{marks}"
        )


@click.command()
@click.argument("thread")
@click.option("--json", "as_json", is_flag=True, help="Print JSON only.")
@click.option("--tz", help="Time zone for times (IANA name; default: this machine's).")
@click.pass_context
def show(ctx: click.Context, thread: str, as_json: bool, tz: str | None) -> None:
    """Print one conversation."""
    db = open_ro(ctx)
    cid = conversation_id(db, thread)
    conv = get_conversation(db, cid)
    if as_json:
        # Streamed so that a huge conversation never sits in memory.
        out = sys.stdout
        out.write('{"thread": ' + json_text(conv.as_json())
                  + ', "messages": [')
        for i, msg in enumerate(iter_messages(db, cid)):
            out.write(("," if i else "") + "\n  " + json_text(msg.as_json()))
        out.write("\n]}\n")
        return
    from ..export import select
    from ..export.text import conversation_lines

    zone = zone_option(tz)
    for line in conversation_lines(db, select(db, cid, zone), zone):
        say(line)


@click.command()
@click.argument("thread", required=False)
@click.option("--after", metavar="DATE", help="Only messages after DATE (as search's after:).")
@click.option("--before", metavar="DATE", help="Only messages before DATE (as search's before:).")
@click.option("--tz", help="Time zone for dates and hours (IANA name; default: this machine's).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON only.")
@click.pass_context
def stats(ctx: click.Context, thread: str | None, after: str | None, before: str | None,
          tz: str | None, as_json: bool) -> None:
    """What the archive (or one conversation) holds, and how it looks over
    the years: per month and year, per person, weekday and hour, streaks,
    media, reactions and reply times."""
    from ..read.insights import BadPeriod, insights, period_bounds

    db = open_ro(ctx)
    zone = zone_option(tz)
    try:
        start, end = period_bounds(after, before, zone)
    except BadPeriod as exc:
        fail(str(exc))
    cid = conversation_id(db, thread) if thread is not None else None
    found = insights(db, cid, tz=zone, start_ms=start, end_ms=end)
    if cid is not None:
        conv = get_conversation(db, cid)
        if as_json:
            print_json({"conversation": conv.as_json(), **found.as_json()})
            return
        say(f"{conv.title}  ({conv.messages:,} messages, {'/'.join(conv.platforms)})")
        _print_insights(terminal_data(found), zone, after, before)
        return
    data = totals.stats(db)
    if as_json:
        # The archive's own figures stay as they were; the period, when given,
        # narrows the message figures.
        print_json({**data, **found.as_json()})
        return
    if not data["messages"]:
        say(f"The archive at {archive_dir(ctx)} holds no messages yet. "
            "Import a download: chatkeep import PATH")
        return
    say(f"Archive: {archive_dir(ctx)}")
    say(
        f"{data['conversations']:,} conversations, {data['messages']:,} messages"
        + (f", {data['first'][:10]} → {data['last'][:10]}" if data["first"] else "")
    )
    for platform, figures in data["platforms"].items():
        say(f"  {platform:<10} {figures['messages']:>10,} messages "
                   f"{figures['threads']:>6,} threads")
    say(f"  cross-app conversations: {data['cross_app']:,}")
    say(f"  media files: {data['media_files']:,} (missing: {data['media_missing']:,})")
    say("Downloads:")
    for d in data["downloads"]:
        owner = f", owner {d['owner']}" if d["owner"] else ""
        say(f"  {d['name']} ({d['platform']}{owner}): {d['messages']:,} messages, "
                   f"{d['threads']:,} threads, imported {d['imported']}")
    _print_insights(terminal_data(found), zone, after, before)


def _print_insights(figures: Any, zone: Any, after: str | None, before: str | None) -> None:
    from rich.console import Console
    from rich.text import Text

    from .charts import report

    period = " ".join(f"{name} {value}" for name, value in (("after", after), ("before", before))
                      if value)
    console = Console(highlight=False)
    console.print()
    if period:
        console.print(Text(f"{figures.messages:,} messages {period}", style="bold"))
    if not figures.messages and not period:
        console.print(Text("No messages.", style="dim"))
        return
    console.print(report(figures, zone))
