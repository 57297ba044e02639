"""Progress bars for long work: shown on a terminal, silent otherwise."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
)


@contextmanager
def import_progress(enabled: bool = True) -> Iterator[object]:
    """A callback for the importer that drives a bar on standard error. The
    importer calls it as each batch is kept, so the bar counts what the
    archive holds, never what was only read."""
    if not enabled or not sys.stderr.isatty():
        yield None
        return
    console = Console(stderr=True)
    with Progress(
        TextColumn("[bold]Importing"), BarColumn(), MofNCompleteColumn(),
        TextColumn("conversations saved · {task.fields[messages]:,} messages · "
                   "{task.fields[rate]:,.0f}/s"),
        TimeRemainingColumn(), console=console, transient=True,
    ) as bar:
        task = bar.add_task("import", total=None, messages=0, rate=0.0)

        def progress(saved: int, found: int, messages: int) -> None:
            elapsed = bar.tasks[0].elapsed or 0.0
            rate = messages / elapsed if elapsed else 0.0
            bar.update(task, completed=saved, total=found, messages=messages, rate=rate)

        yield progress


@contextmanager
def counting_progress(label: str, total: int, enabled: bool = True) -> Iterator[object]:
    """A callback ``advance()`` for counted work (export --all)."""
    if not enabled or not sys.stderr.isatty():
        yield lambda: None
        return
    with Progress(
        TextColumn(f"[bold]{label}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
        console=Console(stderr=True), transient=True,
    ) as bar:
        task = bar.add_task(label, total=total)
        yield lambda: bar.advance(task)
