"""Times: stored as UTC milliseconds, shown in a chosen zone, written in ISO 8601."""

from __future__ import annotations

import functools
from datetime import UTC, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


class UnknownZone(ValueError):
    pass


def resolve_tz(name: str | None) -> tzinfo:
    """The zone called ``name`` (IANA, any case: ``utc``, ``europe/lisbon``),
    or the machine's local zone when no name is given. An empty name is an
    error, not the local zone: it is more likely a script's empty variable."""
    if name is not None:
        if not name.strip():
            raise UnknownZone(
                "the time zone is empty (give an IANA name such as Europe/Lisbon)"
            )
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError, OSError):
            pass
        folded = _zone_names().get(name.strip().casefold())
        if folded is not None:
            return ZoneInfo(folded)
        raise UnknownZone(f"unknown time zone '{name}' (use an IANA name such as Europe/Lisbon)")
    local = datetime.now().astimezone().tzinfo
    assert local is not None
    return local


def _zone_names() -> dict[str, str]:
    """Every IANA zone name by its case-folded form (read only when a name
    was not found as typed)."""
    from zoneinfo import available_timezones

    return {n.casefold(): n for n in available_timezones()}


def tz_name(tz: tzinfo) -> str:
    key = getattr(tz, "key", None)
    if key:
        return str(key)
    return datetime.now(tz).tzname() or "local time"


def local(ms: int, tz: tzinfo) -> datetime:
    return datetime.fromtimestamp(ms / 1000, tz)


def silence_days(before_ms: int, after_ms: int, tz: tzinfo) -> int:
    """The calendar days in ``tz`` between two messages that hold none: a
    message at 23:50 and the next at 00:10 two days later leave one. The one
    definition of a silence (``stats`` and ``audit``); a day is a day across
    a change to or from summer time."""
    return max(0, (local(after_ms, tz).date() - local(before_ms, tz).date()).days - 1)


def now_iso() -> str:
    """Now, in UTC, as the archive records when something happened
    (``2024-05-01T12:00:00Z``)."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def iso(ms: int | None, precision: int | None = None) -> str | None:
    """``2016-01-01T14:03:10.123Z``; with the precision of a time a download
    gave to the second or minute (HTML pages), ``…T14:03:10Z`` or
    ``…T14:03Z``: never digits the download did not have. Whole-number
    arithmetic and one cached date per day: exports call this for every
    message."""
    if ms is None:
        return None
    seconds, milli = divmod(int(ms), 1000)
    day, second = divmod(seconds, 86_400)
    hour, second = divmod(second, 3600)
    minute, second = divmod(second, 60)
    if precision is not None:
        if precision >= 60_000:
            return f"{_iso_day(day)}T{hour:02d}:{minute:02d}Z"
        return f"{_iso_day(day)}T{hour:02d}:{minute:02d}:{second:02d}Z"
    return f"{_iso_day(day)}T{hour:02d}:{minute:02d}:{second:02d}.{milli:03d}Z"


@functools.lru_cache(maxsize=4096)
def _iso_day(day: int) -> str:
    return (datetime(1970, 1, 1, tzinfo=UTC) + timedelta(days=day)).strftime("%Y-%m-%d")
