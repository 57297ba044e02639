"""The reader's test archive and how the tests drive the reader.

One small archive, built from Meta-style downloads written here: a long
Facebook conversation (several pages of the reading pane, every kind of
message), a group chat, and an Instagram chat. Then Pilot helpers and what the
screen shows.
"""

from __future__ import annotations

import asyncio
import html
import json
import os
import re
import struct
import wave
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

# Before Textual is imported anywhere: no animations, so Pilot sees end states.
os.environ["TEXTUAL_ANIMATIONS"] = "none"

from PIL import Image, ImageDraw
from textual.pilot import Pilot
from textual.widgets import Static

from archiver.ingest.importer import import_downloads
from tests.support.downloads import write_thread
from tui.app import ChatkeepReader
from tui.components.reading_pane import ReadingPane

OWNER = "Jordan Lee"
ANA = "Ana María González"
START = datetime(2020, 9, 8, 6, 0, tzinfo=UTC)
DAYS = 12
PER_DAY = 45  # 540 messages: three pages of 200
THIRTEENTH_FIRST = "Good morning on the thirteenth"
SEARCH_WORD = "pomegranate"
LONG_TEXT = (
    "This is a long message that goes on and on so that the reading pane has to wrap "
    "it over several rows, even on a wide terminal, because nobody writes like this "
    "except people who have a great deal to say about the weather and the sea."
)
ANA_FOLDER = "your_facebook_activity/messages/inbox/anamariagonzalez_10001"
PHOTO = f"{ANA_FOLDER}/photos/sunset.jpg"
# Message number → (its attachment field, file name under ANA_FOLDER or a link).
MEDIA: dict[int, tuple[str, str]] = {
    21: ("gifs", "gifs/wave.gif"),
    22: ("sticker", "stickers/smile.png"),
    23: ("videos", "videos/boat trip.mp4"),
    24: ("audio_files", "audio/voice note.wav"),
    25: ("files", "files/menu.pdf"),
    26: ("photos", "photos/lost_in_the_download.jpg"),
    27: ("photos", "https://scontent.example.com/v/expired_photo_n.jpg"),
}
SNOW = "Snow again ❄️ and sun ☀️ on the hats"


def ms(when: datetime) -> int:
    return int(when.timestamp() * 1000)


def ana_messages() -> list[dict[str, Any]]:
    """The long conversation, oldest first (written newest first, as Meta does)."""
    out: list[dict[str, Any]] = []
    n = 0
    for day in range(DAYS):
        base = START + timedelta(days=day)
        for i in range(PER_DAY):
            when = base + timedelta(minutes=7 * i + (2 if day == 5 else 0))
            sender = ANA if (n // 3) % 2 == 0 else OWNER
            msg: dict[str, Any] = {
                "sender_name": sender, "timestamp_ms": ms(when),
                "content": f"Message number {n} about day {day}",
            }
            if day == 5 and i == 0:  # 2020-09-13
                msg["content"] = THIRTEENTH_FIRST
            if n == 7:
                msg["content"] = LONG_TEXT
            if n == 12:
                msg["reactions"] = [{"reaction": "❤", "actor": OWNER},
                                    {"reaction": "😂", "actor": ANA}]
            if n == 20:
                del msg["content"]
                msg["photos"] = [{"uri": PHOTO, "creation_timestamp": ms(when) // 1000}]
            if n in MEDIA:
                field, name = MEDIA[n]
                uri = name if name.startswith("https:") else f"{ANA_FOLDER}/{name}"
                msg[field] = {"uri": uri} if field == "sticker" else [{"uri": uri}]
            if n == 30:
                msg["content"] = "Look at this"
                msg["share"] = {"link": "https://example.com/boats", "share_text": "Boats"}
            if n == 40:
                msg["content"] = "Ana called you."
                msg["call_duration"] = 754
            if n == 50:
                msg["content"] = "You unsent a message"
                msg["is_unsent"] = True
            if n == 60:
                msg["sender_name"] = ANA
                msg["content"] = f"{ANA} named the group Sea people."
            if n == 300:
                msg["content"] = f"The {SEARCH_WORD} tree is finally blooming"
            if n == 420:
                msg["content"] = f"Bring a {SEARCH_WORD} tomorrow"
            out.append(msg)
            n += 1
    out[-1]["content"] = "The very last message"
    return out


def picture(size: tuple[int, int] = (96, 64)) -> Image.Image:
    """A sunset: sky above, sea below, a sun in the middle (the same bytes every run)."""
    image = Image.new("RGB", size, (250, 150, 60))
    draw = ImageDraw.Draw(image)
    width, height = size
    draw.rectangle((0, height * 2 // 3, width, height), fill=(20, 60, 140))
    draw.ellipse((width // 2 - 10, height // 3, width // 2 + 10, height // 3 + 20),
                 fill=(255, 230, 80))
    return image


def mp4_header(seconds: int) -> bytes:
    """The smallest MP4 a player's header reader accepts: ftyp, then moov/mvhd."""
    mvhd = struct.pack(">I4sB3xIIII", 108, b"mvhd", 0, 0, 0, 1000, seconds * 1000) + bytes(80)
    moov = struct.pack(">I4s", 8 + len(mvhd), b"moov") + mvhd
    return struct.pack(">I4s4sI", 16, b"ftyp", b"isom", 0) + moov


def write_media(folder: Path) -> None:
    """The files of the long conversation's attachments (one is left out)."""
    for sub in ("photos", "gifs", "stickers", "videos", "audio", "files"):
        (folder / sub).mkdir(parents=True, exist_ok=True)
    picture().save(folder / "photos" / "sunset.jpg", "JPEG", quality=90)
    frames = [picture((40, 40)), Image.new("RGB", (40, 40), (20, 160, 60))]
    frames[0].save(folder / "gifs" / "wave.gif", save_all=True, append_images=frames[1:],
                   duration=200, loop=0)
    sticker = Image.new("RGBA", (32, 32), (0, 0, 0, 0))
    ImageDraw.Draw(sticker).ellipse((2, 2, 30, 30), fill=(255, 210, 0, 255))
    sticker.save(folder / "stickers" / "smile.png")
    (folder / "videos" / "boat trip.mp4").write_bytes(mp4_header(42))
    with wave.open(str(folder / "audio" / "voice note.wav"), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(1)
        w.setframerate(8000)
        w.writeframes(bytes(8000 * 3))  # three seconds of silence
    (folder / "files" / "menu.pdf").write_bytes(b"%PDF-1.4\n% a menu\n%%EOF\n")


def build_archive(root: Path) -> Path:
    """Write the downloads under ``root`` and import them; returns the archive folder."""
    fb = root / "facebook-jordanlee-2025"
    (fb / "profile_information").mkdir(parents=True)
    (fb / "profile_information" / "profile_information.json").write_text(
        json.dumps({"profile_v2": {"name": {"full_name": OWNER}}}), encoding="utf-8"
    )
    inbox = fb / "your_facebook_activity" / "messages" / "inbox"
    ana = ana_messages()
    write_thread(inbox / "anamariagonzalez_10001", list(reversed(ana)), title=ANA,
                 participants=(ANA, OWNER))
    write_media(fb / ANA_FOLDER)
    crew_start = datetime(2021, 3, 1, 18, 0, tzinfo=UTC)
    write_thread(
        inbox / "crew_10002",
        [
            {"sender_name": name, "timestamp_ms": ms(crew_start + timedelta(minutes=k)),
             "content": text}
            for k, (name, text) in enumerate(
                [("Sam Okafor", "Who is bringing the boat?"), (OWNER, "Me"),
                 ("Lee Chen", "I'll bring snacks"), ("Sam Okafor", SNOW)]
            )
        ][::-1],
        title="Crew", participants=("Sam Okafor", "Lee Chen", OWNER),
    )
    ig = root / "instagram-jordanlee-2025"
    ig_start = datetime(2019, 5, 4, 12, 0, tzinfo=UTC)
    write_thread(
        ig / "your_instagram_activity" / "messages" / "inbox" / "sam_20001",
        [
            {"sender_name": "sam.okafor", "timestamp_ms": ms(ig_start), "content": "nice photo"},
            {"sender_name": OWNER, "timestamp_ms": ms(ig_start + timedelta(minutes=3)),
             "content": "thanks!"},
        ][::-1],
        title="sam.okafor", participants=("sam.okafor", OWNER),
    )
    archive = root / "archive"
    report = import_downloads(archive, [fb, ig], copy_media=True)
    assert not report.errors, report.errors
    return archive


SHOWN_ARCHIVE = "/home/jordan/.local/share/chatkeep"


async def pictures_ready(pilot: Any) -> None:
    """Wait for the thumbnail thread to decode what was asked, then repaint."""
    cache = pilot.app.thumbnails
    for _ in range(500):
        await pilot.pause()
        if cache is None or not cache.pending:
            break
        await asyncio.sleep(0.01)
    await pilot.pause()


def drive(app: Any, scenario: Callable[[Any], Awaitable[None]],
          size: tuple[int, int] = (120, 40)) -> None:
    """Run ``app`` headless at ``size`` and play ``scenario(pilot)`` on it."""

    async def main() -> None:
        async with app.run_test(size=size) as pilot:
            await pilot.pause()
            await scenario(pilot)

    asyncio.run(main())


def reader(archive: Path, **kwargs: Any) -> ChatkeepReader:
    return ChatkeepReader(archive, tz="UTC", **kwargs)


async def status_line(pilot: Pilot) -> str:
    """The message on the status line above the footer of the screen showing,
    as the terminal draws it ("" while the line is hidden). The rows drawn are
    read back; where they show every letter of the message the line was given,
    that message is returned whole (the rows break it at words, or inside a
    long path), else the rows joined by spaces, so a comparison fails."""
    app = pilot.app
    for _ in range(50):  # on a loaded machine laying the line out may take more turns
        await pilot.pause()
        found = app.screen.query("#status")
        if not found:
            return ""
        status = found.first(Static)
        if not status.display:
            return ""
        if status.region.height > 0:
            break
    rows = status.render_lines(status.region.reset_offset)  # padding and all, as drawn
    drawn = " ".join(strip.text for strip in rows).split()
    message = str(status.content)
    if drawn and "".join(drawn) == "".join(message.split()):
        return message
    return " ".join(drawn)


def screen_text(app: ChatkeepReader) -> str:
    """The words on the screen (from a screenshot, markup stripped)."""
    return html.unescape(re.sub(r"<[^>]+>", "", app.export_screenshot())).replace("\xa0", " ")


def screen_lines(app: ChatkeepReader) -> list[str]:
    """The screen's rows as plain text, as the terminal would show them.

    Read from the screen's compositor, a private attribute: Textual (8.2) has
    no public call that gives the rows as text. Its public ``export_screenshot``
    gives an SVG (``screen_text`` reads the words from it), but Rich writes each
    run of text there at a pixel offset and leaves runs of spaces out, so rows
    and columns could only be rebuilt by reverse-engineering Rich's SVG layout,
    which is no steadier; ``Screen.get_selected_text`` gives the text selected
    with the mouse, not the screen."""
    return [strip.text for strip in app.screen._compositor.render_strips()]


def record_frames(app: ChatkeepReader) -> list[list[str]]:
    """Every frame ``app`` paints from now on, as the rows of the screen
    (what a terminal would show, however briefly, on a loaded machine)."""
    frames: list[list[str]] = []
    display = app._display

    def painting(screen: Any, update: Any) -> None:
        if update is not None and not app._batch_count:
            frames.append([strip.text for strip in screen._compositor.render_strips()])
        display(screen, update)

    app._display = painting  # type: ignore[method-assign]
    return frames


def shown(pane: ReadingPane) -> str:
    return "\n".join(pane.visible_text())


async def open_ana(pilot: Pilot) -> ReadingPane:
    await pilot.press("f", *"ana", "enter")
    await pilot.pause()
    return pilot.app.pane
