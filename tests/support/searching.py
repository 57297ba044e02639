"""The search tests' archive: a Facebook and an Instagram download with known
answers (accents, emoji, every attachment kind, one chat seen in both apps)."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from archiver.ingest.importer import import_downloads
from archiver.store.opening import DB_NAME
from tests.support.downloads import write_thread

FB = "your_facebook_activity/messages/inbox"
IG = "your_instagram_activity/messages/inbox"
ANA = "Ana María González"
ME = "Jordan Lee"
CHLOE = "Chloé Moreau"
# Indexes search can use when the schema has them; the fixture adds them so that
# every plan runs (search works without them, only slower).
OPTIONAL_INDEXES = {
    "idx_messages_sender_timestamp_ms": "messages (sender, timestamp_ms)",
    "idx_messages_kind_timestamp_ms": "messages (kind, timestamp_ms)",
}


def ms(when: str) -> int:
    return int(datetime.fromisoformat(when).replace(tzinfo=UTC).timestamp() * 1000)


def msg(sender: str, when: str, text: str | None = None, **extra: object) -> dict:
    m: dict = {"sender_name": sender, "timestamp_ms": ms(when)}
    if text is not None:
        m["content"] = text
    m.update(extra)
    return m


def newest_first(messages: list[dict]) -> list[dict]:
    return sorted(messages, key=lambda m: -m["timestamp_ms"])


def write_downloads(root: Path) -> list[Path]:
    """A Facebook and an Instagram download, written the way Meta writes them."""
    fb, ig = root / "facebook-jordanlee", root / "instagram-jordanlee"
    ana = f"{FB}/anamariagonzalez_1001"
    write_thread(fb / ana, newest_first([
        msg(ANA, "2021-03-05T09:00", "Café com leite amanhã?"),
        msg(ME, "2021-03-05T09:05", "Sure, the usual café"),
        msg(ME, "2022-07-14T20:00", "I love c++ templates"),
        msg(ANA, "2022-07-14T20:01", "I don't like C at all"),
        msg(ANA, "2023-12-01T00:30", "Happy birthday Jordan!"),
        msg(ME, "2023-12-24T18:00", "Look at our tree",
            photos=[{"uri": f"{ana}/photos/xmas_tree.jpg"}]),
        msg(ANA, "2023-12-25T10:00", "Receita boa",
            share={"link": "https://example.com/bolo-rei",
                   "share_text": "Receita de Bolo-Rei tradicional"}),
        msg(ANA, "2024-01-02T12:00", "The video chat ended.", call_duration=125, type="Call"),
        msg(ME, "2024-01-03T08:00", "You unsent a message", is_unsent=True),
        msg(ME, "2024-02-14T21:00", "Dinner at Café de Flore?",
            reactions=[{"reaction": "❤", "actor": ANA}]),
        msg(ANA, "2024-02-14T21:05", "Oui! Très bien"),
        msg(ME, "2020-05-01T08:00", "tea tea tea, always tea"),
        msg(ANA, "2024-04-01T08:00",
            "maybe some tea later with lemonade plus cookies, whatever you like best"),
    ]), title=ANA, participants=(ANA, ME))
    club = f"{FB}/bookclub_2002"
    write_thread(fb / club, newest_first([
        msg("Zoë", "2020-01-10T19:00", "Next book: Naïve Super"),
        msg(CHLOE, "2020-01-10T19:02", "Zoë, great pick!"),
        msg(ME, "2020-01-11T09:00", "Jordan Lee named the group Book club 📚."),
        msg(CHLOE, "2023-06-01T18:00", gifs=[{"uri": f"{club}/gifs/dance.gif"}]),
        msg("Zoë", "2023-06-02T18:00", audio_files=[{"uri": f"{club}/audio/voice_note.mp4"}]),
        msg(ME, "2023-06-03T18:00", sticker={"uri": f"{club}/stickers/thumbs.png"}),
        msg(CHLOE, "2023-06-04T18:00", files=[{"uri": f"{club}/files/reading_list.pdf"}]),
        msg("Zoë", "2023-06-05T18:00", "watch this trailer",
            videos=[{"uri": f"{club}/videos/trailer.mp4"}]),
        msg(CHLOE, "2023-06-06T18:00", "NEAR the end AND OR NOT"),
    ]), title="Book club 📚", participants=("Zoë", CHLOE, ANA, ME))
    sam = [
        msg("Sam O'Connor", "2022-02-01T10:00", "dup one"),
        msg(ME, "2022-02-01T10:01", "dup two"),
        msg("Sam O'Connor", "2022-02-01T10:02", "dup three"),
    ]
    write_thread(fb / f"{FB}/samoconnor_4004", newest_first(sam), title="Sam O'Connor",
                 participants=("Sam O'Connor", ME))
    maya = f"{IG}/maya_3003"
    write_thread(ig / maya, newest_first([
        msg("Maya Tanaka", "2022-05-05T10:00", "cafe crawl this weekend?"),
        msg(ME, "2022-05-05T10:10", "Count me in, coffee and croissants"),
        msg("Maya Tanaka", "2023-12-01T12:00", "photo dump",
            photos=[{"uri": f"{maya}/photos/crawl.jpg"}]),
        msg("Maya Tanaka", "2024-03-01T09:00", "birthday party on Saturday"),
    ]), title="Maya Tanaka", participants=("Maya Tanaka", ME))
    # The same chat seen again in the Instagram download: kept once.
    write_thread(ig / f"{IG}/samoconnor_5005", newest_first(sam), title="Sam O'Connor",
                 participants=("Sam O'Connor", ME))
    return [fb, ig]


def build_archive(root: Path) -> Path:
    """Import the fixture downloads into ``root/archive`` and return it."""
    downloads = write_downloads(root / "downloads")
    archive = root / "archive"
    for attempt in range(2):
        report = import_downloads(archive, downloads, copy_media=False)
        if not report.errors or attempt:
            break
    assert report.errors == [], report.errors
    conn = sqlite3.connect(archive / DB_NAME)
    with conn:
        for name, target in OPTIONAL_INDEXES.items():
            conn.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {target}")
    conn.close()
    return archive
