"""Holding Ctrl-C (and SIGTERM, SIGHUP) back for a moment.

Some steps must happen together or not at all, as far as the person watching
is concerned: a batch's COMMIT and the count of what it kept. A signal landing
between the two would make the import say "nothing of it was kept yet" about
messages the archive holds. :func:`held` delays such signals to the end of
the step, then delivers them as they would have been.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Callable, Iterator
from typing import Any

_HELD = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


@contextlib.contextmanager
def held() -> Iterator[None]:
    """Run the body whole: a signal that arrives meanwhile is delivered after
    it, to the handler that was in place. Outside the main thread (where
    Python runs no signal handler) this does nothing."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[int] = []

    def hold(signum: int, _frame: Any) -> None:
        caught.append(signum)

    previous: dict[int, Callable[..., Any] | int | None] = {}
    try:
        for signum in _HELD:
            previous[signum] = signal.signal(signum, hold)
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        for signum in dict.fromkeys(caught):
            handler = previous.get(signum)
            if callable(handler):
                handler(signum, None)
            elif handler == signal.SIG_DFL:
                signal.raise_signal(signum)
