"""Time zones: times are stored as UTC milliseconds and shown in a chosen zone."""

from __future__ import annotations

from datetime import datetime, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


class UnknownZone(ValueError):
    pass


def resolve_tz(name: str | None) -> tzinfo:
    """The zone called ``name`` (IANA), or the machine's local zone."""
    if name:
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            raise UnknownZone(f"unknown time zone '{name}' (use an IANA name such as Europe/Lisbon)")
    local = datetime.now().astimezone().tzinfo
    assert local is not None
    return local


def tz_name(tz: tzinfo) -> str:
    key = getattr(tz, "key", None)
    if key:
        return str(key)
    return datetime.now(tz).tzname() or "local time"


def local(ms: int, tz: tzinfo) -> datetime:
    return datetime.fromtimestamp(ms / 1000, tz)
