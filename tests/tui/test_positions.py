"""Jump targets: the binary search agrees with SQLite's own answer."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from archiver.read.conversations import list_conversations
from archiver.read.timeline import first_on_or_after, first_on_or_after_by_scan
from archiver.store.opening import open_archive
from tests.support.reader import DAYS, PER_DAY, START, ms
from tui.positions import place_of_message


def test_first_on_or_after_matches_a_scan(reader_archive: Path) -> None:
    db = open_archive(reader_archive, readonly=True)
    conv = next(c for c in list_conversations(db) if c.messages == PER_DAY * DAYS)
    moments = [START - timedelta(days=1), START, START + timedelta(minutes=1)]
    moments += [START + timedelta(hours=5 * k, minutes=3) for k in range(DAYS * 5)]
    moments += [datetime(2030, 1, 1, tzinfo=UTC)]
    for moment in moments:
        expected = first_on_or_after_by_scan(db, conv.id, ms(moment))
        assert first_on_or_after(db, conv.id, ms(moment)) == expected, moment
    assert first_on_or_after(db, conv.id, ms(START)) == 0
    assert first_on_or_after(db, conv.id, ms(datetime(2030, 1, 1, tzinfo=UTC))) is None
    assert first_on_or_after(db, 999_999, 0) is None


def test_place_of_message(reader_archive: Path) -> None:
    db = open_archive(reader_archive, readonly=True)
    mid, cid, position = db.execute(
        "SELECT id, conversation_id, position FROM messages WHERE position = 42 LIMIT 1"
    ).fetchone()
    assert place_of_message(db, mid) == (cid, position)
    assert place_of_message(db, 10**9) is None
