"""The ``chatkeep`` command line: a thin layer over the engine.

``base`` holds the group and the helpers every command shares; each other
module holds one family of commands (plain ``click.command``s) and imports only
``base``. This package adds them all to the group, in one place, so ``from
archiver.cli import main`` gives the whole command (the reader adds ``browse``
the same way in ``tui/cli.py``).
"""

from .auditing import audit_cmd
from .base import main
from .checking import check_cmd
from .exporting import export_cmd
from .importing import import_cmd
from .linking import link_cmd, unlink_cmd, why_cmd
from .reading import show, stats, threads
from .searching import search_cmd

for _command in (import_cmd, threads, show, stats, search_cmd, export_cmd, link_cmd, unlink_cmd,
                 why_cmd, check_cmd, audit_cmd):
    main.add_command(_command)

__all__ = ["main"]
