"""``chatkeep link``, ``unlink`` and ``why``: joining and splitting
conversations by hand, and saying why threads were joined (see store/crossapp)."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, tzinfo
from typing import Any, NoReturn

import click

from ..folding import nfc
from ..read import names, totals
from ..read.conversations import get_conversation
from ..records import PLATFORMS
from ..store.opening import open_archive
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
        return names.resolve_conversation(db, ref), None
    except (names.ThreadNotFound, names.AmbiguousThread) as exc:
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
    _print_owners(data.get("owners", []), zone)


def _print_owners(people: list[dict[str, Any]], zone: tzinfo) -> None:
    """Who the owners of the conversation's downloads are: one person under
    one name, or several people, and why."""
    zname = tz_name(zone)

    def owned(person: dict[str, Any], name: str) -> str:
        return f"{name} ({', '.join(person['downloads'][name])})"

    for person in people:
        if len(person["names"]) > 1:
            say(f"Owners shown as one person, {person['shown']}: "
                + ", ".join(owned(person, n) for n in person["names"]))
            for why in person["joined"]:
                a, b = why["names"]
                if why["rule"] == "manual":
                    say(f"  {a} = {b}: joined with chatkeep link --person on "
                        f"{_day(why['created'], zone)} {zname}")
                else:
                    n, cids = why["matched"], why["conversations"]
                    say(f"  {a} = {b}: the same {n} message{'s' if n != 1 else ''}, each sent "
                        "by the owner of the download it came from "
                        f"(conversation{'s' if len(cids) != 1 else ''} "
                        f"{', '.join(map(str, cids))})")
        for split in person["kept_apart"]:
            a, b = split["names"]
            say(f"Owners kept apart by hand: {a} / {b} (chatkeep unlink --person on "
                f"{_day(split['created'], zone)} {zname})")
    if len(people) > 1:
        say("Owners of different people's downloads, each under their own name: "
            + ", ".join(p["shown"] for p in people)
            + " (no message shows them to be one person; chatkeep link --person A B "
            "joins two)")


def _explain(ctx: click.Context, thread: str, as_json: bool) -> None:
    from ..store import crossapp

    db = open_ro(ctx)
    cid, _ = _resolve(db, thread)
    data = crossapp.explain(db, cid)
    if as_json:
        print_json(data)
        return
    _print_explanation(data, get_conversation(db, cid).title, zone_option(None))


def _owner(db: Any, name: str) -> str:
    """The download owner's name ``name`` means (case and accents ignored)."""
    from ..store import crossapp

    found = crossapp.owner_names(db.conn, name)
    if len(found) == 1:
        return found[0]
    owners = sorted({d["owner"] for d in totals.stats(db)["downloads"] if d["owner"]})
    listed = ", ".join(f"'{o}'" for o in owners) or "none is known"
    if found:
        fail(f"'{name}' could be the owner {' or '.join(map(repr, found))}; give the name "
             "exactly")
    fail(f"'{name}' is not the owner of any download (owners: {listed})")


def _people(ctx: click.Context, names: tuple[str, ...], join: bool, as_json: bool) -> None:
    """``link --person A B`` and ``unlink --person A``."""
    from ..store import crossapp

    if len(names) != (2 if join else 1):
        fail("link --person takes two owners' names" if join
             else "unlink --person takes one owner's name")
    db = _open_rw(ctx)
    owners = [_owner(db, n) for n in names]
    if join and owners[0] == owners[1]:
        fail(f"'{owners[0]}' is one name already")
    try:
        aliases = (crossapp.join_people(db, owners[0], owners[1]) if join
                   else crossapp.split_person(db, owners[0]))
    except sqlite3.OperationalError as exc:
        _busy(exc)
    if as_json:
        print_json({"aliases": aliases})
        return
    if join:
        shown = aliases.get(owners[0], owners[0])
        say(f"{owners[0]} and {owners[1]} are one person, shown as {shown}. "
            f"Undo with: chatkeep unlink --person \"{owners[1]}\"")
    else:
        say(f"{owners[0]} is shown under their own name, apart from every other owner.")


@click.command("link")
@click.argument("threads", nargs=-1, required=True)
@click.option("--explain", is_flag=True, help="Say why THREAD's parts were joined (as 'why').")
@click.option("--person", is_flag=True,
              help="Join two downloads' owners as one person: link --person NAME_A NAME_B.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON only.")
@click.pass_context
def link_cmd(
    ctx: click.Context, threads: tuple[str, ...], explain: bool, person: bool, as_json: bool
) -> None:
    """Join two conversations into one: chatkeep link THREAD_A THREAD_B.

    THREAD is a conversation's id or title as 'threads' prints it, or one
    thread as platform:key (see 'why'). With --person, the two are the names
    of two downloads' owners, who are then shown as one person. The choice
    is kept across imports; 'unlink' undoes it.
    """
    from ..store import crossapp

    if person:
        _people(ctx, threads, True, as_json)
        return
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
    conv = get_conversation(db, cid)
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
@click.option("--person", is_flag=True,
              help="Show a download's owner under their own name: unlink --person NAME.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON only.")
@click.pass_context
def unlink_cmd(ctx: click.Context, thread: str, person: bool, as_json: bool) -> None:
    """Split a conversation back into its threads, one conversation each.

    Given one thread as platform:key (see 'why'), take only that thread out.
    With --person, THREAD is a download owner's name, then shown apart from
    every other owner's. The choice is kept across imports; 'link' undoes it.
    """
    from ..store import crossapp

    if person:
        _people(ctx, (thread,), False, as_json)
        return
    db = _open_rw(ctx)
    cid, only = _resolve(db, thread)
    try:
        ids = crossapp.split_by_hand(db, cid, only)
    except crossapp.LinkError as exc:
        fail(str(exc))
    except sqlite3.OperationalError as exc:
        _busy(exc)
    convs = [get_conversation(db, c) for c in ids]
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
