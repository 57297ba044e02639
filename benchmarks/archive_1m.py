"""The big archive the search and reader benchmarks share."""

from __future__ import annotations

import time
from pathlib import Path

from archiver.ingest.importer import import_downloads
from tests.support.generate import generate_facebook


def build_archive(archive: Path, download: Path, messages: int) -> None:
    """Generate a Facebook download of ``messages`` messages (unless it is
    there already) and import it into ``archive`` without media."""
    if not download.exists():
        started = time.perf_counter()
        generate_facebook(download, messages, seed=0)
        print(f"generated {messages:,} messages in {time.perf_counter() - started:.0f} s")
    started = time.perf_counter()
    report = import_downloads(archive, [download], copy_media=False)
    if report.errors:
        raise SystemExit(f"import failed: {report.errors[:3]}")
    print(f"imported {report.messages_added:,} messages in {time.perf_counter() - started:.0f} s")
