"""Normalised records that every dialect reader produces and the store consumes.

Readers know nothing of SQL and the store knows nothing of Facebook: these plain
dataclasses are the only thing they share.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

PLATFORMS: tuple[str, ...] = ("facebook", "instagram", "messenger")
# What Messenger's encrypted-chat download writes as the uri of a file it lost.
FAILED_MEDIA = "Failed to download media"
# A message's kind: what it is, whatever the download called it.
KINDS: tuple[str, ...] = ("text", "media", "sticker", "share", "call", "system", "unsent")


@dataclass(slots=True)
class Reaction:
    actor: str
    reaction: str
    timestamp_ms: int | None = None


@dataclass(slots=True)
class Attachment:
    """A file a message refers to.

    ``uri`` is the text the download gives; ``remote`` is set when it is a web
    address (old Instagram, expired CDN links) rather than a file in the download.
    ``missing`` is set when the download itself says the file is not there
    (Messenger's encrypted chats write "Failed to download media" as the uri).
    """

    kind: str
    uri: str
    remote: bool = False
    missing: bool = False


@dataclass(slots=True)
class Message:
    sender: str
    timestamp_ms: int
    kind: str = "text"
    text: str | None = None
    unsent: bool = False
    edited: bool = False
    reactions: list[Reaction] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)
    share_link: str | None = None
    share_text: str | None = None
    call_seconds: int | None = None
    call_missed: bool | None = None
    # Fields the reader did not map, kept verbatim (repaired) so nothing is lost.
    extra: dict[str, Any] | None = None
    # How much of the time the download gave: None to the millisecond, 1000
    # to the second, 60000 to the minute (HTML pages).
    time_precision: int | None = None
    # The download format it was read from: None for JSON, "html".
    format: str | None = None


@dataclass(slots=True)
class ThreadInfo:
    """What a thread says about itself. Filled while its messages are read,
    because in Meta's files the metadata may follow the messages."""

    title: str | None = None
    participants: list[str] = field(default_factory=list)
    image_uri: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
