"""The dates every search filter and date option takes: a whole year, month
or day (``2023``, ``2023-12``, ``2023-12-01``, ``Dec 2023``), never a time,
never a day and month that could be read either way."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, tzinfo


@dataclass(frozen=True)
class Period:
    """A whole year, month or day, in no particular time zone."""

    start: date
    unit: str  # "year" | "month" | "day"

    def end(self) -> date | None:
        """The first day after the period (None past year 9999)."""
        s = self.start
        try:
            if self.unit == "year":
                return date(s.year + 1, 1, 1)
            if self.unit == "month":
                return date(s.year + (s.month == 12), s.month % 12 + 1, 1)
            return date.fromordinal(s.toordinal() + 1)
        except ValueError:
            return None

    def bounds_ms(self, tz: tzinfo) -> tuple[int | None, int | None]:
        """[start, end) in UTC milliseconds, the period taken in zone ``tz``."""
        return _ms(self.start, tz), _ms(self.end(), tz)


_ISO_DATE = re.compile(r"(\d{4})(?:[-/.](\d{1,2})(?:[-/.](\d{1,2}))?)?")


# Day and month in either order, then the year: 01/12/2023 is 1 December in
# Lisbon and 12 January in New York, so it is refused with both readings.
_NUMERIC_DATE = re.compile(r"(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})")
_TIME = re.compile(r"\d{1,2}:\d{2}|\d\s*[ap]\.?m\b|T\d", re.IGNORECASE)

# The forms every date option and filter takes, for the messages that refuse one.
DATE_FORMS = '2023-12-01, 2023-12, 2023 or "Dec 2023"'


def parse_period(text: str) -> Period | None:
    """``2023-12-01``, ``2023-12``, ``2023``, ``Dec 2023``, ``1 Dec 2023`` … as a
    whole day, month or year; None when it is not a date with a year, when
    its numbers could be read two ways (``01/12/2023``: only the year-first
    ISO order is read), or when it holds a time (a date is a whole day)."""
    text = text.strip()
    try:
        m = _ISO_DATE.fullmatch(text)
        if m:
            year, month, day = m.groups()
            unit = "day" if day else "month" if month else "year"
            return _period(date(int(year), int(month or 1), int(day or 1)), unit)
        if not any(c.isalpha() for c in text) or _TIME.search(text):
            return None
        from dateutil import parser

        # Parse twice with different defaults: a field that differs was not typed.
        a = parser.parse(text, default=datetime(2000, 1, 1))
        b = parser.parse(text, default=datetime(2001, 2, 2, 1, 1))
    except (ValueError, OverflowError, TypeError):
        return None
    if a.year != b.year or a.hour == b.hour:
        return None
    unit = "year" if a.month != b.month else "month" if a.day != b.day else "day"
    return _period(a.date(), unit)


def date_problem(text: str) -> str:
    """Why ``text`` is not a date, as the words that follow it in a message:
    ``is ambiguous (2023-12-01 or 2023-01-12?)``, ``holds a time …``, or
    ``is not a date``."""
    text = text.strip()
    m = _NUMERIC_DATE.fullmatch(text)
    if m:
        first, second, year = (int(g) for g in m.groups())
        readings = []
        for day, month in ((first, second), (second, first)):
            try:
                readings.append(date(year, month, day).isoformat())
            except ValueError:
                continue
        readings = list(dict.fromkeys(readings))
        if len(readings) == 2:
            return f"is ambiguous ({readings[0]} or {readings[1]}?)"
        if readings:
            return f"is not in year-first order (write {readings[0]})"
    if _TIME.search(text) and parse_period(_TIME.split(text)[0].strip(" ,T")) is not None:
        return f"holds a time; dates are whole days (write {_TIME.split(text)[0].strip(' ,T')})"
    return "is not a date"


def _period(start: date, unit: str) -> Period | None:
    if not 1000 <= start.year <= 9998:
        return None
    return Period(start, unit)


def _ms(day: date | None, tz: tzinfo) -> int | None:
    if day is None:
        return None
    return int(datetime(day.year, day.month, day.day, tzinfo=tz).timestamp() * 1000)
