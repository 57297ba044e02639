"""chatkeep's engine: read Meta's downloads, keep them in SQLite, search and export.

This package never imports the reader (``tui``) or Textual.
"""

__version__ = "0.1.0"
