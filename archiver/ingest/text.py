"""Repairing the text of Meta's downloads.

Meta's DYI JSON writes every UTF-8 *byte* as its own ``\\u00XX`` escape, so a
parsed "café" reads "cafÃ©". Re-encoding as Latin-1 and decoding as UTF-8 undoes
it; when either step fails the string was real text (characters above U+00FF) or
genuine Latin-1 (bytes that are not UTF-8), and it is kept as it is. The rule is
idempotent on clean text, and it also repairs files whose mojibake was re-saved
as literal characters.
"""

from __future__ import annotations

import math
import os
from typing import Any

INT64 = range(-(1 << 63), 1 << 63)


class OddNumbers:
    """How many numbers :func:`repair_any` turned into text so far: a reader
    compares the count before and after a message to warn about it."""

    seen = 0


def repair(s: str) -> str:
    """Return ``s`` with Meta's mojibake undone, or ``s`` unchanged."""
    if s.isascii():
        return s
    try:
        return s.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return s


def repair_any(value: Any) -> Any:
    """Repair every string inside a JSON value (dict keys included). Numbers no
    column holds (beyond 64 bits, infinite, NaN) become their text, counted in
    :class:`OddNumbers`."""
    if isinstance(value, str):
        if type(value) is not str:  # jsonstream.odd_numbers.RawNumber: the file's own text
            OddNumbers.seen += 1
            return str(value)
        return repair(value)
    if isinstance(value, list):
        return [repair_any(v) for v in value]
    if isinstance(value, dict):
        return {repair(k) if isinstance(k, str) else k: repair_any(v) for k, v in value.items()}
    if type(value) is int and value not in INT64:
        OddNumbers.seen += 1
        return str(value)
    if type(value) is float and not math.isfinite(value):
        OddNumbers.seen += 1
        return repr(value)  # "inf", "-inf", "nan": the parser kept no text
    return value


def has_surrogates(s: str) -> bool:
    """True when ``s`` holds a lone surrogate: a file name's byte that is not
    UTF-8 (Python reads it as U+DC80–U+DCFF), or a ``\\udfff`` escape."""
    return not s.isascii() and any("\ud800" <= c <= "\udfff" for c in s)


def clean_text(s: str) -> str:
    """``s`` with each lone surrogate replaced by U+FFFD (what no UTF-8 text,
    and so no column of the archive, can hold)."""
    if s.isascii():
        return s
    return "".join("\ufffd" if "\ud800" <= c <= "\udfff" else c for c in s)


def fs_bytes(s: str) -> str:
    """A file name as its bytes, for a message about a name that is not UTF-8
    (``b'caf\\xe9_1'``)."""
    return repr(os.fsencode(s))
