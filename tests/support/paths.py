"""The repository's folders the tests read."""

from __future__ import annotations

from pathlib import Path

TESTS = Path(__file__).resolve().parent.parent
FIXTURES = TESTS / "fixtures"
REPO = TESTS.parent
SAMPLES = REPO / "sample_exports"
SHARED_FIXTURES = REPO.parent / "shared" / "fixtures"
