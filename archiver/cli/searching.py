"""The ``chatkeep search`` command: a few lines over :func:`archiver.read.search.search`."""

from __future__ import annotations

import json
import sqlite3
import sys

import click

from .base import conversation_id, fail, open_ro, print_json, say, terminal_text, zone_option


# A query may start with -word (exclude it): words click does not know as
# options are the query's.
@click.command("search", context_settings={"ignore_unknown_options": True})
@click.argument("query", nargs=-1, required=True, type=click.UNPROCESSED)
@click.option("--limit", default=50, show_default=True, type=click.IntRange(min=1),
              help="How many messages to show.")
@click.option("--thread", help="Search one conversation (its id, or words of its title).")
@click.option("--rank", is_flag=True, help="Most relevant first (default: newest first).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON only.")
@click.option("--tz", help="Time zone for dates and times (IANA name; default: this machine's).")
@click.pass_context
def search_cmd(
    ctx: click.Context, query: tuple[str, ...], limit: int, thread: str | None, rank: bool,
    as_json: bool, tz: str | None,
) -> None:
    """Search every message, newest first.

    \b
    QUERY: words (all must match; case and accents ignored), "a phrase",
    prefix*, -word, a OR b, and filters:
      from:NAME  in:THREAD  after:DATE  before:DATE  on:DATE
      (DATE: 2023-12-01, 2023-12, 2023 or "Dec 2023", whole days/months/years)
      has:photo|video|audio|file|gif|sticker|attachment|link|reaction
      platform:facebook|instagram|messenger  is:unsent|call|system
    """
    from ..read.search import COUNT_CAP, QueryTooComplex, count_hits, query_notes, search
    from ..timefmt import local

    zone = zone_option(tz)
    db = open_ro(ctx)
    cid = conversation_id(db, thread) if thread else None
    text = " ".join(query)
    try:
        hits = search(db, text, limit=limit, rank=rank, conversation_id=cid, tz=zone)
        # Said on standard error, so that standard output stays the results.
        notes = query_notes(db, text, conversation_id=cid, tz=zone)
        if len(hits) == limit:
            total = count_hits(db, text, conversation_id=cid, tz=zone, cap=COUNT_CAP + 1)
            if total > limit:
                of = f"more than {COUNT_CAP:,}" if total > COUNT_CAP else f"{total:,}"
                notes.append(f"showing {limit:,} of {of}; --limit N for more")
    except QueryTooComplex as exc:
        fail(str(exc))
    except sqlite3.Error as exc:  # a damaged archive: one line, never a traceback
        fail(f"search failed: {exc}")
    if as_json:
        print_json([hit.as_json() for hit in hits])
    elif not hits:
        say(f"No messages match {json.dumps(text, ensure_ascii=False)}.", err=True)
    else:
        colour = sys.stdout.isatty()
        for hit in hits:
            when = local(hit.timestamp_ms, zone).strftime("%Y-%m-%d %H:%M")
            # Data is made safe piece by piece, so that the colours stay.
            say(hit_line(when, terminal_text(hit.sender), terminal_text(hit.thread), hit.snippet,
                      colour), styled=True)
    for note in notes:
        say(f"chatkeep: {note}", err=True)


def hit_line(when: str, sender: str, thread: str, snippet: str, colour: bool) -> str:
    """``date time  sender  in thread: snippet``, matches coloured on a terminal
    and in ``[brackets]`` otherwise."""
    from ..read.search import snippet_parts

    pieces = []
    for text, hit in snippet_parts(snippet):
        text = terminal_text(text)
        if not hit:
            pieces.append(text)
        elif colour:
            pieces.append(click.style(text, fg="yellow", bold=True))
        else:
            pieces.append(f"[{text}]")
    body = "".join(pieces)
    if colour:
        when = click.style(when, dim=True)
        sender = click.style(sender, bold=True)
        thread = click.style(thread, fg="cyan")
    return f"{when}  {sender}  in {thread}: {body}"
