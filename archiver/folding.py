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
