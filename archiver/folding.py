"""One folding of text for every match: search, its marks, and names.

SQLite's ``remove_diacritics`` strips only what Unicode decomposes (é → e), so
letters that are whole letters of their own (ł, đ, ø, æ, œ, ß, þ, ı…) would stay
apart from the plain letters users type for them. They are spelled out here
before the tokenizer sees them: in the text the index holds (a view feeds the
index, see ``schema.py``), in query words, and in the text the reader marks.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# Each letter and what users type for it. Upper case first spells the pair in
# capitals, which the tokenizer then lowers.
LETTERS: dict[str, str] = {
    "ł": "l", "Ł": "L", "đ": "d", "Đ": "D", "ð": "d", "Ð": "D", "ø": "o", "Ø": "O",
    "æ": "ae", "Æ": "AE", "œ": "oe", "Œ": "OE", "ß": "ss", "ẞ": "SS", "þ": "th", "Þ": "TH",
    "ı": "i", "ħ": "h", "Ħ": "H",
}
_TABLE = str.maketrans(LETTERS)
# Finding one of the letters is about 15 times cheaper than translating a
# string that has none, and most accented text has none (é, ã, ü decompose).
_ANY_LETTER = re.compile("[" + "".join(LETTERS) + "]")
_NON_WORD = re.compile(r"[\W_]+")

# Characters the search index takes as separators although SQLite's unicode61
# tokenizer (built on Unicode 6.1) would take them for letters: everything
# Unicode 14 does not class as a letter, number or mark (emoji such as 🤗 and
# 🫶, newer punctuation and symbols), and every code point still unassigned
# among the symbols (U+2000–2BFF, U+1F000–1FFFF), where emoji yet to come will
# be. So "được🤗" is indexed as "được" and "🤗". Frozen here, not computed from
# ``unicodedata``: an archive's index and its queries must split text alike
# whatever Python reads them. Private-use characters are separators too (the
# tokenizer's ``categories``).
SYMBOL_RANGES: tuple[tuple[int, int], ...] = (
    (0x58D, 0x58E), (0x605, 0x605), (0x61C, 0x61D), (0x7FE, 0x7FF), (0x888, 0x888),
    (0x890, 0x891), (0x8E2, 0x8E2), (0x9FD, 0x9FD), (0xA76, 0xA76), (0xC77, 0xC77),
    (0xC84, 0xC84), (0xD4F, 0xD4F), (0x1B7D, 0x1B7E), (0x2065, 0x2069), (0x2072, 0x2073),
    (0x208F, 0x208F), (0x209D, 0x209F), (0x20BA, 0x20CF), (0x20F1, 0x20FF), (0x218A, 0x218F),
    (0x23F4, 0x23FF), (0x2427, 0x243F), (0x244B, 0x245F), (0x2700, 0x2700), (0x2B4D, 0x2B4F),
    (0x2B5A, 0x2BFF), (0x2E3C, 0x2E5D), (0x32FF, 0x32FF), (0xA8FC, 0xA8FC), (0xAB5B, 0xAB5B),
    (0xAB6A, 0xAB6B), (0xFBC2, 0xFBC2), (0xFD40, 0xFD4F), (0xFDCF, 0xFDCF), (0xFDFE, 0xFDFF),
    (0x1018C, 0x1018E), (0x1019C, 0x1019C), (0x101A0, 0x101A0), (0x1056F, 0x1056F),
    (0x10877, 0x10878), (0x10AC8, 0x10AC8), (0x10AF0, 0x10AF6), (0x10B99, 0x10B9C),
    (0x10EAD, 0x10EAD), (0x10F55, 0x10F59), (0x10F86, 0x10F89), (0x110CD, 0x110CD),
    (0x11174, 0x11175), (0x111CD, 0x111CD), (0x111DB, 0x111DB), (0x111DD, 0x111DF),
    (0x11238, 0x1123D), (0x112A9, 0x112A9), (0x1144B, 0x1144F), (0x1145A, 0x1145B),
    (0x1145D, 0x1145D), (0x114C6, 0x114C6), (0x115C1, 0x115D7), (0x11641, 0x11643),
    (0x11660, 0x1166C), (0x116B9, 0x116B9), (0x1173C, 0x1173F), (0x1183B, 0x1183B),
    (0x11944, 0x11946), (0x119E2, 0x119E2), (0x11A3F, 0x11A46), (0x11A9A, 0x11A9C),
    (0x11A9E, 0x11AA2), (0x11C41, 0x11C45), (0x11C70, 0x11C71), (0x11EF7, 0x11EF8),
    (0x11FD5, 0x11FF1), (0x11FFF, 0x11FFF), (0x12474, 0x12474), (0x12FF1, 0x12FF2),
    (0x13430, 0x13438), (0x16A6E, 0x16A6F), (0x16AF5, 0x16AF5), (0x16B37, 0x16B3F),
    (0x16B44, 0x16B45), (0x16E97, 0x16E9A), (0x16FE2, 0x16FE2), (0x1BC9C, 0x1BC9C),
    (0x1BC9F, 0x1BCA3), (0x1CF50, 0x1CFC3), (0x1D1DE, 0x1D1EA), (0x1D800, 0x1D9FF),
    (0x1DA37, 0x1DA3A), (0x1DA6D, 0x1DA74), (0x1DA76, 0x1DA83), (0x1DA85, 0x1DA8B),
    (0x1E14F, 0x1E14F), (0x1E2FF, 0x1E2FF), (0x1E95E, 0x1E95F), (0x1ECAC, 0x1ECAC),
    (0x1ECB0, 0x1ECB0), (0x1ED2E, 0x1ED2E), (0x1F02C, 0x1F02F), (0x1F094, 0x1F09F),
    (0x1F0AF, 0x1F0B0), (0x1F0BF, 0x1F0C0), (0x1F0D0, 0x1F0D0), (0x1F0E0, 0x1F0FF),
    (0x1F10D, 0x1F10F), (0x1F12F, 0x1F12F), (0x1F16C, 0x1F16F), (0x1F19B, 0x1F1E5),
    (0x1F203, 0x1F20F), (0x1F23B, 0x1F23F), (0x1F249, 0x1F24F), (0x1F252, 0x1F2FF),
    (0x1F321, 0x1F32F), (0x1F336, 0x1F336), (0x1F37D, 0x1F37F), (0x1F394, 0x1F39F),
    (0x1F3C5, 0x1F3C5), (0x1F3CB, 0x1F3DF), (0x1F3F1, 0x1F3FF), (0x1F43F, 0x1F43F),
    (0x1F441, 0x1F441), (0x1F4F8, 0x1F4F8), (0x1F4FD, 0x1F4FF), (0x1F53E, 0x1F53F),
    (0x1F544, 0x1F54F), (0x1F568, 0x1F5FA), (0x1F641, 0x1F644), (0x1F650, 0x1F67F),
    (0x1F6C6, 0x1F6FF), (0x1F774, 0x1FBEF), (0x1FBFA, 0x1FFFF),
)


def index_separators() -> str:
    """Every character of :data:`SYMBOL_RANGES`, as the tokenizer's
    ``separators`` option takes them."""
    return "".join(chr(c) for low, high in SYMBOL_RANGES for c in range(low, high + 1))


def nfc(text: str) -> str:
    """``text`` in NFC: how keys, titles and names are compared, so that a
    download unzipped on macOS (NFD file names) and its zip (NFC) agree."""
    return text if text.isascii() else unicodedata.normalize("NFC", text)


def fold_letters(text: str) -> str:
    """``text`` with the letters above spelled out; all else as it is."""
    if text.isascii() or not _ANY_LETTER.search(text):
        return text
    return text.translate(_TABLE)


def sql_fold(expression: str) -> str:
    """SQL that folds ``expression`` as :func:`fold_letters` does (plain
    ``replace`` calls, so any SQLite can read the view that uses it). ASCII
    text, as long in bytes as in characters, skips them."""
    folded = expression
    for letter, plain in LETTERS.items():
        folded = f"replace({folded}, '{letter}', '{plain}')"
    return (f"CASE WHEN length(CAST({expression} AS BLOB)) = length({expression}) "
            f"THEN {expression} ELSE {folded} END")


@lru_cache(maxsize=65536)
def fold(text: str) -> str:
    """``text`` as names and titles are compared: without accents, case or
    punctuation, words single-spaced (``"Ágnes  Pataki!"`` → ``"agnes pataki"``)."""
    if text.isascii():
        return " ".join(_NON_WORD.sub(" ", text.lower()).split())
    decomposed = unicodedata.normalize("NFKD", fold_letters(text))
    bare = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    return " ".join(_NON_WORD.sub(" ", bare).split())


def at_word_start(needle: str, text: str) -> bool:
    """Whether folded ``needle`` is in folded ``text`` where a word starts
    (after a space or a newline, or at the start): "ana" is in "ana maria",
    not in "mariana" or "tanaka"."""
    start = text.find(needle)
    while start >= 0:
        if start == 0 or text[start - 1] in " \n":
            return True
        start = text.find(needle, start + 1)
    return False


def unfold_marks(original: str, marked: str, open_mark: str, close_mark: str) -> str:
    """Carry the marks that FTS5 put on ``fold_letters(original)`` (``marked``)
    back onto ``original``, so the reader marks "jadłem", not "jadlem".

    ``marked`` may be a window of the folded text (a snippet, with "…" at a
    cut end); its place is found by its text.
    """
    folded = fold_letters(original)
    if folded == original:
        return marked
    # Where each folded character came from.
    origin: list[int] = []
    for i, ch in enumerate(original):
        origin.extend([i] * len(LETTERS.get(ch, ch)))
    origin.append(len(original))
    plain = marked.replace(open_mark, "").replace(close_mark, "")
    lead = plain.startswith("…") and not folded.startswith("…")
    trail = plain.endswith("…") and not folded.endswith("…")
    body = plain[1 if lead else 0: len(plain) - 1 if trail else len(plain)]
    start = folded.find(body)
    if start < 0:
        return marked
    out: list[str] = ["…"] if lead else []
    pos = start  # position in the folded text
    rest = marked[1:] if lead else marked
    if trail:
        rest = rest[:-1]
    while rest:
        if rest.startswith(open_mark):
            out.append(open_mark)
            rest = rest[len(open_mark):]
            continue
        if rest.startswith(close_mark):
            out.append(close_mark)
            rest = rest[len(close_mark):]
            continue
        nxt = [i for i in (rest.find(open_mark), rest.find(close_mark)) if i >= 0]
        run = rest[: min(nxt)] if nxt else rest
        out.append(original[origin[pos]: origin[pos + len(run)]])
        pos += len(run)
        rest = rest[len(run):]
    if trail:
        out.append("…")
    return "".join(out)


def match_form(text: str | None) -> str:
    """The form of a text used to recognise the same message in two downloads
    (stored texts are already repaired): spaces collapsed, case folded."""
    if not text:
        return ""
    if text.isascii():
        return " ".join(text.split()).lower()
    return " ".join(text.split()).casefold()
