"""``chatkeep link``, ``unlink`` and ``why``: joining and splitting
conversations by hand, and saying why threads were joined (see crossapp.py)."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, tzinfo
from typing import Any, NoReturn

import click

from ..folding import nfc
from ..read import views
from ..records import PLATFORMS
from ..store.schema import open_archive
from ..timefmt import tz_name
from .base import fail, open_ro, print_json, say, zone_option

_RULES = {
    "content": "same messages",
    "cutover": "continued after end-to-end encryption",
    "manual": "joined by hand",
}


def _resolve(db: Any, ref: str) -> tuple[int, str | None]:
    """(conversation id, thread ref or None) for what the user typed: a
    conversation id or title as elsewhere, or a thread as ``platform:key``."""
    platform, sep, key = ref.partition(":")
    if sep and platform in PLATFORMS:
        row = db.execute(
            "SELECT conversation_id FROM threads WHERE platform = ? AND key = ?",
            (platform, nfc(key)),
        ).fetchone()
        if row:
            return int(row[0]), ref
    try:
        return views.resolve_conversation(db, ref), None
    except (views.ThreadNotFound, views.AmbiguousThread) as exc:
        fail(str(exc))


def _open_rw(ctx: click.Context) -> Any:
    open_ro(ctx).conn.close()  # fails cleanly when there is no archive yet
    try:
        return open_archive(ctx.obj["archive"])
    except (sqlite3.OperationalError, OSError) as exc:
        fail(f"cannot write the archive at {ctx.obj['archive']} ({exc})")


def _busy(exc: sqlite3.OperationalError) -> NoReturn:
    fail(f"the archive is busy ({exc}); is an import running? Try again when it ends.")


def _day(iso: str | None, zone: tzinfo = UTC) -> str:
    """A stored UTC time (ISO 8601) as ``YYYY-MM-DD HH:MM`` in ``zone``."""
    if not iso:
        return "?"
    try:
        when = datetime.fromisoformat(iso)
    except ValueError:
        return iso[:16].replace("T", " ")
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.astimezone(zone).strftime("%Y-%m-%d %H:%M")


def _print_explanation(data: dict[str, Any], title: str, zone: tzinfo = UTC) -> None:
    from ..store import crossapp

    zname = tz_name(zone)
    threads = data["threads"]
    say(f"{title} (conversation {data['conversation']}): "
               f"{len(threads)} thread{'s' if len(threads) != 1 else ''}")
    for t in threads:
        where = ", ".join(
            p["download"] + (f" ({p['section']})" if p["section"] else "") for p in t["parts"]
        )
        dup = f", {t['duplicates']} also in another thread" if t["duplicates"] else ""
        say(f"  {t['thread']}  \"{t['title']}\"  {t['messages']} messages{dup}, "
            f"{_day(t['first'], zone)} → {_day(t['last'], zone)} {zname}  [{where}]")
    if not data["links"]:
        say("Nothing was joined to it.")
    for link in data["links"]:
        a, b = link["threads"]
        say(f"Joined {a} + {b}: {_RULES.get(link['rule'], link['rule'])}")
        if link["rule"] == "content":
            say(
                f"  {link['matched']} messages have the same time and text in both "
                f"(the smaller thread has {link['compared']} messages in the time both cover, "
                f"{_day(link['window'][0], zone)} → {_day(link['window'][1], zone)} {zname}); "
                f"needed: at least {crossapp.MIN_MATCHED} and "
                f"{int(crossapp.MIN_MATCHED_SHARE * 100)}% of those"
            )
        elif link["rule"] == "cutover":
            say(
                f"  the Facebook thread was moved to end-to-end encryption "
                f"({crossapp.CUTOVER_SECTION}) and the encrypted chat starts "
                f"{link['gap_days']} days after it ends, with the same people "
                f"({', '.join(link['people'])})"
            )
        elif link["rule"] == "manual":
            say(f"  with chatkeep link on {_day(link['created'], zone)} {zname}")
        for ref, (first, last) in sorted(link.get("ranges", {}).items()):
            say(f"  {ref}: {_day(first, zone)} → {_day(last, zone)} {zname}")
    for split in data["kept_apart"]:
        a, b = split["threads"]
        say(f"Kept apart by hand: {a} / {b} "
            f"(chatkeep unlink on {_day(split['created'], zone)} {zname})")


def _explain(ctx: click.Context, thread: str, as_json: bool) -> None:
    from ..store import crossapp

    db = open_ro(ctx)
    cid, _ = _resolve(db, thread)
    data = crossapp.explain(db, cid)
    if as_json:
        print_json(data)
        return
    _print_explanation(data, views.get_conversation(db, cid).title, zone_option(None))


@click.command("link")
@click.argument("threads", nargs=-1, required=True)
@click.option("--explain", is_flag=True, help="Say why THREAD's parts were joined (as 'why').")
@click.option("--json", "as_json", is_flag=True, help="Print JSON only.")
@click.pass_context
def link_cmd(ctx: click.Context, threads: tuple[str, ...], explain: bool, as_json: bool) -> None:
    """Join two conversations into one: chatkeep link THREAD_A THREAD_B.

    THREAD is a conversation's id or title as 'threads' prints it, or one
    thread as platform:key (see 'why'). The choice is kept across imports;
    'unlink' undoes it.
    """
    from ..store import crossapp

    if explain:
        if len(threads) != 1:
            fail("link --explain takes one THREAD")
        _explain(ctx, threads[0], as_json)
        return
    if len(threads) != 2:
        fail("link takes two THREADs: chatkeep link THREAD_A THREAD_B")
    db = _open_rw(ctx)
    ends = [_resolve(db, t) for t in threads]
    refs: list[int | str] = [ref or cid for cid, ref in ends]
    try:
        cid = crossapp.join_by_hand(db, refs[0], refs[1])
    except crossapp.LinkError as exc:
        fail(str(exc))
    except sqlite3.OperationalError as exc:
        _busy(exc)
    conv = views.get_conversation(db, cid)
    if as_json:
        print_json(conv.as_json())
        return
    if ends[0][0] == ends[1][0]:
        say(f"Already one conversation: {conv.title} ({cid}).")
        return
    say(f"Joined into {conv.title} ({cid}): {conv.messages:,} messages, "
               f"{'/'.join(conv.platforms)}. Undo with: chatkeep unlink {cid}")


@click.command("unlink")
@click.argument("thread")
@click.option("--json", "as_json", is_flag=True, help="Print JSON only.")
@click.pass_context
def unlink_cmd(ctx: click.Context, thread: str, as_json: bool) -> None:
    """Split a conversation back into its threads, one conversation each.

    Given one thread as platform:key (see 'why'), take only that thread out.
    The choice is kept across imports; 'link' undoes it.
    """
    from ..store import crossapp

    db = _open_rw(ctx)
    cid, only = _resolve(db, thread)
    try:
        ids = crossapp.split_by_hand(db, cid, only)
    except crossapp.LinkError as exc:
        fail(str(exc))
    except sqlite3.OperationalError as exc:
        _busy(exc)
    convs = [views.get_conversation(db, c) for c in ids]
    if as_json:
        print_json([c.as_json() for c in convs])
        return
    if len(convs) == 1:
        say(f"{convs[0].title} ({cid}) is a single thread; nothing to split.")
        return
    say(f"Split into {len(convs)} conversations:")
    for c in convs:
        say(f"  {c.id:>6}  {c.messages:>8,}  {'/'.join(c.platforms):<20} {c.title}")


@click.command("why")
@click.argument("thread")
@click.option("--json", "as_json", is_flag=True, help="Print JSON only.")
@click.pass_context
def why_cmd(ctx: click.Context, thread: str, as_json: bool) -> None:
    """Say why a conversation's threads were joined: the rule, the matched
    messages and each thread's time range."""
    _explain(ctx, thread, as_json)
