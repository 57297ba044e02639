"""``chatkeep check``: is the archive whole?"""

from __future__ import annotations

import json
import sys

import click

from ..check import check_archive
from ..schema import ArchiveError


@click.command("check")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON only.")
@click.pass_context
def check_cmd(ctx: click.Context, as_json: bool) -> None:
    """Check the archive: the database, the search index, message order and
    the copied media. Exits with 1 when something is wrong."""
    try:
        report = check_archive(ctx.obj["archive"])
    except ArchiveError as exc:
        click.echo(f"chatkeep: {exc}", err=True)
        sys.exit(2)
    if as_json:
        click.echo(json.dumps(report.as_json(), ensure_ascii=False, indent=2))
    else:
        for problem in report.problems:
            click.echo(problem)
        click.echo(
            f"{report.summary()} ({report.messages:,} messages, "
            f"{report.media_files:,} media files checked)"
        )
    if not report.ok:
        sys.exit(1)
