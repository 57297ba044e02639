"""Characters that drive or reorder a terminal, and how to show them.

A download is untrusted: a message, a title or a file name may hold terminal
escapes (``ESC ] 0 ;`` retitles the terminal, ``ESC [ 2 J`` clears it,
U+009B is an 8-bit CSI) or bidirectional overrides that reorder what follows.
Everything chatkeep prints (the CLI, through ``archiver.cli.base.say``) and
the text and HTML exports show them visibly instead (``␛``, ``\\x9b``,
``\\u202e``); JSON writes them as ``\\u`` escapes, which parse back to the
same text.
"""

from __future__ import annotations

import re

# Bidirectional embeddings, overrides and isolates: one in a title could
# reverse the rest of the line, or every line after it on some terminals.
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_LINE_SEPARATORS = frozenset("\u2028\u2029")


def _visible(char: str) -> str:
    code = ord(char)
    if code < 0x20:
        return chr(0x2400 + code)  # the Control Pictures block: ␛, ␇, ␍, …
    if code == 0x7F:
        return "\u2421"  # ␡
    if code <= 0x9F:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}"  # a bidi control, a line separator, a lone surrogate


# The characters _unsafe() accepts, as one class: a message with none of them
# (nearly every one) is checked in C and returned as it is.
_UNSAFE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\u2028\u2029\ud800-\udfff]"
)


def _unsafe(char: str) -> bool:
    code = ord(char)
    return ((code < 0x20 and char not in "\n\t") or 0x7F <= code <= 0x9F
            or char in _BIDI_CONTROLS or char in _LINE_SEPARATORS
            or 0xD800 <= code <= 0xDFFF)


def terminal_text(text: str, keep: str = "") -> str:
    """``text`` with every character that could drive or reorder a terminal
    (C0 and C1 controls but newline and tab, DEL, bidi controls, line
    separators, lone surrogates) replaced by a visible stand-in; the
    characters in ``keep`` are left as they are."""
    if text.isascii() and text.isprintable():
        return text  # the common case, checked at C speed
    if not _UNSAFE.search(text):
        return text
    return _UNSAFE.sub(lambda m: m[0] if m[0] in keep else _visible(m[0]), text)


def json_safe(text: str) -> str:
    """JSON text (from ``json.dumps(..., ensure_ascii=False)``) with what
    JSON leaves raw (DEL, C1, bidi controls, line separators, lone
    surrogates) written as a ``\\u`` escape: the same data, safe to print."""
    if text.isascii() and "\x7f" not in text:  # JSON escapes the other ASCII controls
        return text
    if not _UNSAFE.search(text):
        return text
    return _UNSAFE.sub(lambda m: f"\\u{ord(m[0]):04x}", text)
