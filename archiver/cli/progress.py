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
    """A callback for the importer that drives a bar on standard error."""
    if not enabled or not sys.stderr.isatty():
        yield None
        return
    console = Console(stderr=True)
    with Progress(
        TextColumn("[bold]Importing"), BarColumn(), MofNCompleteColumn(),
        TextColumn("conversations · {task.fields[messages]:,} messages · "
                   "{task.fields[rate]:,.0f}/s"),
        TimeRemainingColumn(), console=console, transient=True,
    ) as bar:
        task = bar.add_task("import", total=None, messages=0, rate=0.0)
        state = {"messages": 0}

        def progress(event: str, n: int, total: int) -> None:
            if event == "file":
                bar.update(task, completed=n - 1, total=total)
            else:
                state["messages"] += n
                elapsed = bar.tasks[0].elapsed or 0.0
                rate = state["messages"] / elapsed if elapsed else 0.0
                bar.update(task, messages=state["messages"], rate=rate, advance=1)

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
