"""``chatkeep check``: is the archive whole? And ``--repair`` for what it can fix."""

from __future__ import annotations

import sys

import click

from ..store.opening import ArchiveError
from .base import fail, print_json, say


@click.command("check")
@click.option("--repair", is_flag=True,
              help="Rebuild the search index and the order of messages, then check again.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON only.")
@click.pass_context
def check_cmd(ctx: click.Context, repair: bool, as_json: bool) -> None:
    """Check the archive: the database, the search index, message order and
    the copied media. Prints the command that fixes each problem, and exits
    with 1 when something is wrong."""
    from ..read.check import check_archive, repair_archive

    try:
        if repair:
            for step in repair_archive(ctx.obj["archive"]):
                say(f"Repaired: {step}.", err=as_json)
        report = check_archive(ctx.obj["archive"])
    except ArchiveError as exc:
        fail(str(exc))
    if as_json:
        print_json(report.as_json())
    else:
        for problem, fix in zip(report.problems, report.fixes, strict=True):
            say(problem)
            say(f"  fix: {fix}")
        say(report.summary())
    if not report.ok:
        sys.exit(1)
