"""Reading the times Meta writes on HTML pages, in every language.

A page time is a wall-clock time with no zone, in the account's language at
download time: ``Mar 12, 2024 11:03:54pm``, ``12 Mar 2020, 15:31``,
``2021年4月30日 下午8:11``, ``١٢ مارس ٢٠٢٤ ١١:٠٣:٥٤ م``, ``07:59 23 tháng 3, 2024``.
Rather than one pattern per language, a time is read as its parts: the clock
(``h:mm`` or ``h:mm:ss``), a four-digit year, a month (a name from
:data:`LANGUAGES`, or a number marked as one: ``4月``, ``tháng 3``, ``3월``),
the day (the one number left), and a morning/afternoon word. Words that are
none of these (``at``, ``de``, ``г.``, a weekday) are ignored; a number left
over, a missing part, or an impossible date makes the time unreadable, never
guessed. A new language is one entry of :data:`LANGUAGES`.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date

MINUTE = 60_000
SECOND = 1_000
_DAY_MS = 86_400_000
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()


@dataclass(frozen=True)
class Language:
    """Month names (index 0 is January; each a tuple of the forms seen:
    abbreviations with or without their dot, full and genitive names) and
    the words for before and after noon."""

    months: tuple[tuple[str, ...], ...]
    am: tuple[str, ...] = ()
    pm: tuple[str, ...] = ()


def _en_like(names: str, short: str) -> tuple[tuple[str, ...], ...]:
    return tuple((full, ab) for full, ab in zip(names.split(), short.split(), strict=True))


LANGUAGES: dict[str, Language] = {
    "en": Language(
        (*_en_like("january february march april may june july august september october "
                   "november december", "jan feb mar apr may jun jul aug sep oct nov dec"),),
        am=("am", "a.m."), pm=("pm", "p.m."),
    ),
    "es": Language(
        _en_like("enero febrero marzo abril mayo junio julio agosto septiembre octubre "
                 "noviembre diciembre", "ene feb mar abr may jun jul ago sept oct nov dic"),
        am=("a. m.", "a.m."), pm=("p. m.", "p.m."),
    ),
    "fr": Language(
        (("janvier", "janv"), ("février", "févr", "fév"), ("mars",), ("avril", "avr"),
         ("mai",), ("juin",), ("juillet", "juil"), ("août",), ("septembre", "sept"),
         ("octobre", "oct"), ("novembre", "nov"), ("décembre", "déc")),
    ),
    "nl": Language(
        _en_like("januari februari maart april mei juni juli augustus september oktober "
                 "november december", "jan feb mrt apr mei jun jul aug sep okt nov dec"),
    ),
    "de": Language(
        (("januar", "jan", "jänner"), ("februar", "feb"), ("märz", "mär"), ("april", "apr"),
         ("mai",), ("juni", "jun"), ("juli", "jul"), ("august", "aug"),
         ("september", "sep", "sept"), ("oktober", "okt"), ("november", "nov"),
         ("dezember", "dez")),
    ),
    "it": Language(
        _en_like("gennaio febbraio marzo aprile maggio giugno luglio agosto settembre ottobre "
                 "novembre dicembre", "gen feb mar apr mag giu lug ago set ott nov dic"),
    ),
    "pt": Language(
        _en_like("janeiro fevereiro março abril maio junho julho agosto setembro outubro "
                 "novembro dezembro", "jan fev mar abr mai jun jul ago set out nov dez"),
    ),
    "pl": Language(
        (("stycznia", "styczeń", "sty"), ("lutego", "luty", "lut"), ("marca", "marzec"),
         ("kwietnia", "kwiecień", "kwi"), ("maja", "maj"), ("czerwca", "czerwiec", "cze"),
         ("lipca", "lipiec", "lip"), ("sierpnia", "sierpień", "sie"),
         ("września", "wrzesień", "wrz"), ("października", "październik", "paź"),
         ("listopada", "listopad", "lis"), ("grudnia", "grudzień", "gru")),
    ),
    "tr": Language(
        _en_like("ocak şubat mart nisan mayıs haziran temmuz ağustos eylül ekim kasım aralık",
                 "oca şub mar nis may haz tem ağu eyl eki kas ara"),
        am=("öö",), pm=("ös",),
    ),
    "hu": Language(
        (("január", "jan"), ("február", "febr"), ("március", "márc"), ("április", "ápr"),
         ("május", "máj"), ("június", "jún"), ("július", "júl"), ("augusztus", "aug"),
         ("szeptember", "szept"), ("október", "okt"), ("november", "nov"),
         ("december", "dec")),
        am=("de.",), pm=("du.",),
    ),
    "ro": Language(
        _en_like("ianuarie februarie martie aprilie mai iunie iulie august septembrie "
                 "octombrie noiembrie decembrie", "ian feb mar apr mai iun iul aug sept oct "
                 "noi dec"),
    ),
    "sv": Language(
        _en_like("januari februari mars april maj juni juli augusti september oktober "
                 "november december", "jan feb mar apr maj jun jul aug sep okt nov dec"),
    ),
    "da": Language(
        _en_like("januar februar marts april maj juni juli august september oktober "
                 "november december", "jan feb mar apr maj jun jul aug sep okt nov dec"),
    ),
    "cs": Language(
        (("ledna", "leden", "led"), ("února", "únor", "úno"), ("března", "březen", "bře"),
         ("dubna", "duben", "dub"), ("května", "květen", "kvě"), ("června", "červen", "čvn"),
         ("července", "červenec", "čvc"), ("srpna", "srpen", "srp"), ("září", "zář"),
         ("října", "říjen", "říj"), ("listopadu", "listopad"), ("prosince", "prosinec", "pro")),
    ),
    "id": Language(
        _en_like("januari februari maret april mei juni juli agustus september oktober "
                 "november desember", "jan feb mar apr mei jun jul agu sep okt nov des"),
    ),
    "ru": Language(
        (("января", "январь", "янв"), ("февраля", "февраль", "февр", "фев"),
         ("марта", "март", "мар"), ("апреля", "апрель", "апр"), ("мая", "май"),
         ("июня", "июнь", "июн"), ("июля", "июль", "июл"), ("августа", "август", "авг"),
         ("сентября", "сентябрь", "сент", "сен"), ("октября", "октябрь", "окт"),
         ("ноября", "ноябрь", "нояб", "ноя"), ("декабря", "декабрь", "дек")),
    ),
    "uk": Language(
        (("січня", "січень", "січ"), ("лютого", "лютий", "лют"), ("березня", "березень", "бер"),
         ("квітня", "квітень", "квіт"), ("травня", "травень", "трав"),
         ("червня", "червень", "черв"), ("липня", "липень", "лип"),
         ("серпня", "серпень", "серп"), ("вересня", "вересень", "вер"),
         ("жовтня", "жовтень", "жовт"), ("листопада", "листопад", "лист"),
         ("грудня", "грудень", "груд")),
    ),
    "el": Language(
        (("ιανουαρίου", "ιαν"), ("φεβρουαρίου", "φεβ"), ("μαρτίου", "μαρ"),
         ("απριλίου", "απρ"), ("μαΐου", "μαΐ"), ("ιουνίου", "ιουν"), ("ιουλίου", "ιουλ"),
         ("αυγούστου", "αυγ"), ("σεπτεμβρίου", "σεπ"), ("οκτωβρίου", "οκτ"),
         ("νοεμβρίου", "νοε"), ("δεκεμβρίου", "δεκ")),
        am=("π.μ.",), pm=("μ.μ.",),
    ),
    "ar": Language(
        (("يناير", "كانون الثاني"), ("فبراير", "شباط"), ("مارس", "آذار"),
         ("أبريل", "ابريل", "نيسان"), ("مايو", "أيار"), ("يونيو", "حزيران"),
         ("يوليو", "تموز"), ("أغسطس", "آب"), ("سبتمبر", "أيلول"),
         ("أكتوبر", "اكتوبر", "تشرين الأول"), ("نوفمبر", "تشرين الثاني"),
         ("ديسمبر", "كانون الأول")),
        am=("ص",), pm=("م",),
    ),
    "bn": Language(
        (("জানুয়ারী", "জানুয়ারি"), ("ফেব্রুয়ারী", "ফেব্রুয়ারি"), ("মার্চ",), ("এপ্রিল",),
         ("মে",), ("জুন",), ("জুলাই",), ("আগস্ট", "আগষ্ট"), ("সেপ্টেম্বর",), ("অক্টোবর",),
         ("নভেম্বর",), ("ডিসেম্বর",)),
        am=("পূর্বাহ্ণ",), pm=("অপরাহ্ণ",),
    ),
    "hi": Language(
        (("जनवरी",), ("फ़रवरी", "फरवरी"), ("मार्च",), ("अप्रैल",), ("मई",), ("जून",),
         ("जुलाई",), ("अगस्त",), ("सितंबर", "सितम्बर"), ("अक्टूबर",), ("नवंबर", "नवम्बर"),
         ("दिसंबर", "दिसम्बर")),
        am=("पूर्वाह्न",), pm=("अपराह्न",),
    ),
    "th": Language(
        (("มกราคม", "ม.ค."), ("กุมภาพันธ์", "ก.พ."), ("มีนาคม", "มี.ค."),
         ("เมษายน", "เม.ย."), ("พฤษภาคม", "พ.ค."), ("มิถุนายน", "มิ.ย."),
         ("กรกฎาคม", "ก.ค."), ("สิงหาคม", "ส.ค."), ("กันยายน", "ก.ย."),
         ("ตุลาคม", "ต.ค."), ("พฤศจิกายน", "พ.ย."), ("ธันวาคม", "ธ.ค.")),
    ),
    # Numbered months (tháng 3, 4月, 3월) are read by _MONTH_NUMBER; these
    # languages bring only their morning and afternoon words.
    "vi": Language((), am=("sáng",), pm=("chiều", "tối")),
    "zh": Language((), am=("上午", "凌晨", "早上"), pm=("下午", "晚上", "中午")),
    "ja": Language((), am=("午前",), pm=("午後",)),
    "ko": Language((), am=("오전",), pm=("오후",)),
}


class TimeUnreadable(ValueError):
    """A page time that cannot be read for certain."""


def _fold(text: str) -> str:
    return unicodedata.normalize("NFC", text).casefold()


def _tables() -> tuple[dict[str, int], dict[str, bool]]:
    months: dict[str, int] = {}
    noon: dict[str, bool] = {}
    for lang in LANGUAGES.values():
        for number, forms in enumerate(lang.months, 1):
            for form in forms:
                for word in {_fold(form), _fold(form).rstrip(".")}:
                    if months.setdefault(word, number) != number:
                        raise AssertionError(f"month name {word!r} means two months")
        for words, after in ((lang.am, False), (lang.pm, True)):
            for word in words:
                if noon.setdefault(_fold(word), after) != after:
                    raise AssertionError(f"{word!r} is both morning and afternoon")
    return months, noon


MONTHS, NOON = _tables()


def _alternation(words: list[str]) -> str:
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


# A letter or digit on either side means the word is part of another one.
_EDGE_L, _EDGE_R = r"(?<![^\W_])", r"(?![^\W_])"
_MONTH_WORD = re.compile(rf"{_EDGE_L}({_alternation(list(MONTHS))})\.?{_EDGE_R}")
# Chinese, Japanese and Korean words stand without spaces (日下午8:11).
_NOON_WORD = re.compile(
    rf"{_EDGE_L}({_alternation([w for w in NOON if w[0] < chr(0x3000)])}){_EDGE_R}"
    rf"|({_alternation([w for w in NOON if w[0] >= chr(0x3000)])})"
)
# The clock: h:mm or h:mm:ss.
_CLOCK = re.compile(r"(?<!\d)(\d{1,2}):(\d{2})(?::(\d{2}))?(?!\d)")
# A month written as a number: tháng 3, 4月, 3월, 3 月.
_MONTH_NUMBER = re.compile(r"tháng\s*(\d{1,2})(?!\d)|(?<!\d)(\d{1,2})\s*[月월]")
_NUMBER = re.compile(r"\d+")
# Separators and marks that are not spaces: RLM/LRM and other direction marks,
# and every space-like character, made a plain space.
_SPACES = dict.fromkeys(map(ord, "\u00a0\u2007\u202f\u2009\u200a\u3000"), " ")
_SPACES.update(dict.fromkeys(map(ord, "\u200e\u200f\u061c\u202a\u202b\u202c\u202d\u202e"
                                       "\u2066\u2067\u2068\u2069\u200b"), None))


def _digit_table() -> dict[int, str]:
    """Every decimal digit of another script (Arabic-Indic, Persian, Bengali,
    Devanagari, Thai, full-width…) as its ASCII digit."""
    table: dict[int, str] = {}
    for start in (0x0660, 0x06F0, 0x07C0, 0x0966, 0x09E6, 0x0A66, 0x0AE6, 0x0B66, 0x0BE6,
                  0x0C66, 0x0CE6, 0x0D66, 0x0E50, 0x0ED0, 0x0F20, 0x1040, 0x17E0, 0xFF10):
        for n in range(10):
            table[start + n] = str(n)
    return table


_TABLE = {**_SPACES, **_digit_table()}


def normalise(text: str) -> str:
    """The time text as read: NFC, direction marks gone, every space a plain
    space, every digit ASCII."""
    return " ".join(unicodedata.normalize("NFC", text).translate(_TABLE).split())


# The date part of a time (the text without its clock) → (day number, noon
# word: None, False for morning, True for afternoon). Days repeat across a
# page, so each is read once.
_DATES: dict[str, tuple[int, bool | None]] = {}


def parse_time(text: str) -> tuple[int, int]:
    """``(wall-clock ms since 1970 as if the time were UTC, precision in ms)``
    of a page time; :class:`TimeUnreadable` when it cannot be read for
    certain (missing or extra parts, an impossible date)."""
    clean = " ".join(text.split()) if text.isascii() else normalise(text)
    m = _CLOCK.search(clean)
    if m is None:
        raise TimeUnreadable(text)
    hour, minute = int(m.group(1)), int(m.group(2))
    second = m.group(3)
    rest = f"{clean[:m.start()]} # {clean[m.end():]}"
    known = _DATES.get(rest)
    if known is None:
        if len(_DATES) > 4096:
            _DATES.clear()
        known = _DATES[rest] = _read_date(rest, text)
    days, afternoon = known
    if afternoon is not None:
        if not 1 <= hour <= 12:
            raise TimeUnreadable(text)
        hour = hour % 12 + (12 if afternoon else 0)
    if hour > 23 or minute > 59 or (second is not None and int(second) > 59):
        raise TimeUnreadable(text)
    ms = days * _DAY_MS + hour * 3_600_000 + minute * 60_000
    if second is None:
        return ms, MINUTE
    return ms + int(second) * 1000, SECOND


def _read_date(rest: str, original: str) -> tuple[int, bool | None]:
    folded = _fold(rest)
    month: int | None = None
    numbered = _MONTH_NUMBER.search(folded)
    if numbered:
        month = int(numbered.group(1) or numbered.group(2))
        folded = folded[:numbered.start()] + " " + folded[numbered.end():]
    afternoon: bool | None = None
    words = _MONTH_WORD.findall(folded)
    if words:
        if month is not None or len({MONTHS[w] for w in words}) != 1:
            # Two different months named: unreadable, never a guess.
            raise TimeUnreadable(original)
        month = MONTHS[words[0]]
        folded = _MONTH_WORD.sub(" ", folded)
    noons = [a or b for a, b in _NOON_WORD.findall(folded)]
    if len(noons) > 1:
        raise TimeUnreadable(original)
    if noons:
        afternoon = NOON[noons[0]]
    numbers = _NUMBER.findall(folded)
    years = [n for n in numbers if len(n) == 4]
    days = [n for n in numbers if len(n) <= 2]
    if month is None or len(years) != 1 or len(days) != 1 or len(numbers) != 2:
        raise TimeUnreadable(original)
    try:
        day = date(int(years[0]), month, int(days[0]))
    except ValueError:
        raise TimeUnreadable(original) from None
    return day.toordinal() - _EPOCH_ORDINAL, afternoon


# "UTC+01:00", "UTC-8", "GMT+5:30", "UTC−08:00" (a minus sign), "UTC".
_OFFSET = re.compile(r"(?:UTC|GMT)\s*(?:([+\-−])\s*(\d{1,2})(?::?(\d{2}))?)?(?![\w])")


def find_offset(text: str) -> tuple[int, int, int] | None:
    """``(start, end, offset in minutes)`` of the first ``UTC±HH:MM`` in
    ``text`` (a bare ``UTC`` is 0), or None."""
    m = _OFFSET.search(normalise(text))
    if m is None:
        return None
    if m.group(1) is None:
        return m.start(), m.end(), 0
    minutes = int(m.group(2)) * 60 + int(m.group(3) or 0)
    if minutes > 14 * 60:
        return None
    return m.start(), m.end(), -minutes if m.group(1) in "-−" else minutes


def parse_offset(text: str) -> int:
    """Minutes east of UTC for ``+02:00``, ``-8``, ``UTC-08:00``, ``+0530``;
    ValueError for anything else."""
    t = normalise(text).upper().replace("−", "-")
    if t in ("UTC", "GMT", "Z", "0"):
        return 0
    m = re.fullmatch(r"(?:UTC|GMT)?\s*([+-])(\d{1,2})(?::?(\d{2}))?", t)
    if m is None:
        raise ValueError(f"'{text}' is not an offset such as +02:00 or -08:00")
    minutes = int(m.group(2)) * 60 + int(m.group(3) or 0)
    if minutes > 14 * 60 or int(m.group(3) or 0) > 59:
        raise ValueError(f"'{text}' is not an offset such as +02:00 or -08:00")
    return -minutes if m.group(1) == "-" else minutes


def format_offset(minutes: int) -> str:
    """``+02:00`` for 120, ``-08:00`` for -480."""
    sign = "-" if minutes < 0 else "+"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def tidy(text: str) -> str:
    """``text`` in NFC with direction marks gone and its spaces made single
    plain spaces, its digits as written: :func:`normalise` of it has the
    same length, character for character."""
    return " ".join(unicodedata.normalize("NFC", text).translate(_SPACES).split())


# Where a date may start: a word, or a number glued to the word before it
# (Ana Costaが2019年7月13日).
_STARTS = re.compile(r"(?<!\S)\S|(?<!\d)\d")
_CLOCK_AT_END = re.compile(r"(?<!\d)\d{1,2}:\d{2}(?::\d{2})?\s*$")


def date_at_end(text: str) -> int | None:
    """Where the date (with or without its clock) that ends ``text``
    begins, ``text`` as :func:`tidy` gives it: the start of the shortest
    tail that reads as a whole date, taking in a clock written just before
    it (``07:59 23 tháng 3, 2024``); None when no tail reads as one."""
    clean = normalise(text)
    if len(clean) != len(text):
        return None  # not tidied: positions would not be the text's
    for m in reversed(list(_STARTS.finditer(clean))):
        tail = clean[m.start():]
        clocks = list(_CLOCK.finditer(tail))
        if len(clocks) > 1:
            return None  # two clocks: this is no date and time
        rest = tail if not clocks else f"{tail[:clocks[0].start()]} # {tail[clocks[0].end():]}"
        try:
            _read_date(rest, tail)
        except TimeUnreadable:
            continue
        start = m.start()
        if not clocks and (before := _CLOCK_AT_END.search(clean[:start])):
            start = before.start()
        return start
    return None
