"""``chatkeep audit``: am I missing messages? A few lines over :mod:`archiver.read.audit`."""

from __future__ import annotations

from datetime import datetime, tzinfo
from typing import Any

import click

from .base import archive_dir, print_json, say, zone_option

LISTED = 20  # items listed per section (--json lists them all)


@click.command("audit")
@click.option("--json", "as_json", is_flag=True, help="Print the audit as JSON only.")
@click.pass_context
def audit_cmd(ctx: click.Context, as_json: bool) -> None:
    """Am I missing messages? Per download and thread, what the files held
    against what the archive holds; skipped messages and rejected files;
    missing media; encrypted chats never imported; long silences. Works from
    what each import recorded: the downloads need not be at hand."""
    from ..read.audit import audit_archive

    zone = zone_option(None)
    report = audit_archive(archive_dir(ctx), zone)
    if as_json:
        print_json(report.as_json())
        return
    _print(report, zone)


def _date(iso: str | None, zone: tzinfo) -> str:
    """A stored UTC time as the day it was in ``zone``."""
    if not iso:
        return "?"
    return datetime.fromisoformat(iso).astimezone(zone).strftime("%Y-%m-%d")


def _n(count: int, word: str) -> str:
    return f"{count:,} {word}{'s' if count != 1 else ''}"


def _listed(items: list[Any]) -> list[Any]:
    return items[:LISTED]


def _more(items: list[Any]) -> None:
    if len(items) > LISTED:
        say(f"  … and {len(items) - LISTED:,} more (--json lists them all)")


def _print(report: Any, zone: tzinfo) -> None:
    from ..read.audit import BUSY_DAYS, BUSY_MESSAGES, SILENCE_DAYS

    say("Downloads: messages their files held → messages in the archive")
    if not report.downloads:
        say("  none imported yet")
    for d in report.downloads:
        head = f"  {d['name']} ({d['platform']}, imported {_date(d['imported'], zone)}): "
        if not d["recorded"]:
            say(head + f"{d['in_archive']:,} messages in the archive; what its files "
                       "held was not recorded (imported by an older chatkeep; import it "
                       "again to record it)")
            continue
        extra = [
            f"{d['skipped']:,} skipped" if d["skipped"] else "",
            _n(d["rejected"], "file") + " rejected" if d["rejected"] else "",
            f"{d['missing']:,} MISSING" if d["missing"] else "",
        ]
        said = "; ".join(x for x in extra if x)
        say(head + f"{d['held']:,} → {d['in_archive']:,}" + (f" ({said})" if said else ""))
        if d["not_read"]:
            shown = ", ".join(d["not_read"][:3]) + (", …" if len(d["not_read"]) > 3 else "")
            say(f"    its import was interrupted: {len(d['not_read']):,} "
                f"not read yet ({shown}); run the same import again to finish it")
        if d.get("time_offset"):
            say(f"    HTML, times read in {d['time_offset']} ({d['time_basis']})")
        if d.get("only_in_html"):
            say(f"    {_n(d['only_in_html'], 'message')} only in this HTML download "
                "(not in the JSON download of the same conversations)")
        for t in d["threads"]:
            if t["skipped"] or t["missing"]:
                say(
                    f"    {t['conversation_title']} ({t['conversation']}, {t['thread']}): "
                    f"{t['held']:,} → {t['in_archive']:,}"
                    + (f", {t['skipped']:,} skipped" if t["skipped"] else "")
                    + (f", {t['missing']:,} MISSING" if t["missing"] else "")
                )
    sections: list[tuple[str, list[Any], Any]] = [
        ("Skipped messages", report.skipped,
         lambda s: f"{s['where']}: {s['reason']}"),
        ("Rejected files", report.rejected,
         lambda r: f"{r['path']}: {r['problem']} ({r['download']})"),
        ("Media the downloads did not hold", report.media_not_in_download,
         lambda m: f"{m['title']} ({m['conversation']}): {_n(m['attachments'], 'attachment')}"
                   f" ({', '.join(m['names'][:3])}{', …' if len(m['names']) > 3 else ''})"),
        ("Media missing from the archive's media/ folder (chatkeep check prints the fix)",
         report.media_missing_from_archive,
         lambda m: f"{m['path']} ({_n(m['attachments'], 'attachment')})"),
        (("Encrypted-chat continuations never imported (import the Messenger "
          "end-to-end encrypted chats download)"), report.cutover_without_continuation,
         lambda c: f"{c['title']} ({c['conversation']}): moved to encrypted chats after "
                   f"{_date(c['last'], zone)}"),
        ((f"Long silences ({SILENCE_DAYS}+ days between busy stretches of "
          f"{BUSY_MESSAGES}+ messages in {BUSY_DAYS} days: a missing part or download?)"),
         report.silences,
         lambda s: f"{s['title']} ({s['conversation']}): {_date(s['from'], zone)} → "
                   f"{_date(s['to'], zone)}, "
                   f"{s['days']:,} days"),
    ]
    for title, items, line in sections:
        say(f"{title}: {len(items):,}" if items else f"{title}: none")
        for item in _listed(items):
            say("  " + line(item))
        _more(items)
    found = report.findings()
    say("Nothing looks missing." if not found else
               f"{_n(found, 'thing')} to look at (above).")
