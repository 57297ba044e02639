"""Writing Meta HTML thread pages from Meta-JSON-shaped messages: the HTML side
of the fake-download writer (``downloads`` writes the JSON side).

Used by ``benchmarks/bench_html.py`` (the same messages as a JSON download, as HTML) and
to write the hand-made fixtures in ``tests/fixtures/html``. Six layout
generations (FB-1, IG-1, IG-2, IG-3, FB-2, FB-3) and the time formats of
several languages; every text is escaped.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from html import escape
from typing import Any

GENERATIONS = ("FB-1", "IG-1", "IG-2", "IG-3", "FB-2", "FB-3")

_BLOCK = {
    "FB-1": ('<div class="pam _3-95 _2pi0 _2lej uiBoxWhite noborder">',
             '<div class="_3-96 _2pio _2lek _2lel">{s}</div>',
             '<div class="_3-96 _2let">{c}</div>', '<div class="_3-94 _2lem">{t}</div>'),
    "IG-1": ('<div class="pam _3-95 _2ph- _2lej uiBoxWhite noborder">',
             '<div class="_3-95 _2pim _2lek _2lel">{s}</div>',
             '<div class="_3-95 _2let">{c}</div>', '<div class="_3-94 _2lem">{t}</div>'),
    "IG-2": ('<div class="pam _3-95 _2ph- _a6-g uiBoxWhite noborder">',
             '<div class="_3-95 _2pim _a6-h _a6-i">{s}</div>',
             '<div class="_3-95 _a6-p">{c}</div>', '<div class="_3-94 _a6-o">{t}</div>'),
    "IG-3": ('<div class="pam _3-95 _2ph- _a6-g uiBoxWhite noborder">',
             '<h2 class="_3-95 _2pim _a6-h _a6-i">{s}</h2>',
             '<div class="_3-95 _a6-p">{c}</div>', '<div class="_3-94 _a6-o">{t}</div>'),
    "FB-2": ('<div class="_3-95 _a6-g">', '<div class="_2ph_ _a6-h _a6-i">{s}</div>',
             '<div class="_2ph_ _a6-p">{c}</div>',
             '<div class="_3-94 _a6-o"><div class="_a72d">{t}</div></div>'),
    "FB-3": ('<div class="_a6-g">', '<div class="_2ph_ _a6-h _a6-i">{s}</div>',
             '<div class="_2ph_ _a6-p">{c}</div>',
             '<div class="_3-94 _a6-o"><div class="_a72d">{t}</div></div>'),
}
_STYLE = ("<style>._a6-g{margin:4px}._2let{padding:2px}._a6-o{color:#999}"
          ".uiBoxWhite{background:#fff}</style>")


# -- times, as each language writes them ----------------------------------------------

_EN = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
_RU = ["янв", "фев", "мар", "апр", "мая", "июн", "июл", "авг", "сен", "окт", "ноя", "дек"]
_NL = ["jan.", "feb.", "mrt.", "apr.", "mei", "jun.", "jul.", "aug.", "sep.", "okt.", "nov.", "dec."]
_FR = ["janv", "févr", "mars", "avr", "mai", "juin", "juil", "août", "sept", "oct", "nov", "déc"]
_AR = ["يناير", "فبراير", "مارس", "أبريل", "مايو", "يونيو", "يوليو", "أغسطس", "سبتمبر", "أكتوبر", "نوفمبر", "ديسمبر"]
_ES = ["ene.", "feb.", "mar.", "abr.", "may.", "jun.", "jul.", "ago.", "sept.", "oct.", "nov.", "dic."]
_AR_DIGITS = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")


def _h12(d: datetime) -> tuple[int, str]:
    return (d.hour % 12 or 12), ("am" if d.hour < 12 else "pm")


def _fb1_en(d: datetime) -> str:
    h, ap = _h12(d)
    return f"{_EN[d.month - 1]} {d.day}, {d.year}, {h}:{d.minute:02d} {ap.upper()}"


def _fb1_es(d: datetime) -> str:
    return f"{d.day} {_ES[d.month - 1]} {d.year} {d.hour}:{d.minute:02d}"


def _fb1_zh(d: datetime) -> str:
    h, ap = _h12(d)
    return f"{d.year}年{d.month}月{d.day}日 {'上午' if ap == 'am' else '下午'}{h}:{d.minute:02d}"


def _en_gb(d: datetime) -> str:
    return f"{d.day} {_EN[d.month - 1]} {d.year}, {d.hour:02d}:{d.minute:02d}"


def _ig_ru(d: datetime) -> str:
    return f"{d.day} {_RU[d.month - 1]} {d.year} г., {d.hour:02d}:{d.minute:02d}"


def _ig2_en(d: datetime) -> str:
    h, ap = _h12(d)
    return f"{_EN[d.month - 1]} {d.day}, {d.year}, {h}:{d.minute:02d}\u202f{ap.upper()}"


def _ig2_nl(d: datetime) -> str:
    h, ap = _h12(d)
    return f"{_NL[d.month - 1]} {d.day:02d}, {d.year} {h}:{d.minute:02d}\u202f{ap}"


def _ig3_fr(d: datetime) -> str:
    h, ap = _h12(d)
    return f"{_FR[d.month - 1]} {d.day:02d}, {d.year} {h}:{d.minute:02d} {ap}"


def _fb_en(d: datetime) -> str:
    h, ap = _h12(d)
    return f"{_EN[d.month - 1]} {d.day:02d}, {d.year} {h}:{d.minute:02d}:{d.second:02d}{ap}"


def _fb_vi(d: datetime) -> str:
    h, ap = _h12(d)
    return (f"Tháng {d.month} {d.day:02d}, {d.year} {h}:{d.minute:02d}:{d.second:02d} "
            f"{'sáng' if ap == 'am' else 'chiều'}")


def _fb_ar(d: datetime) -> str:
    h, ap = _h12(d)
    text = f"{d.day} {_AR[d.month - 1]} {d.year} {h}:{d.minute:02d}:{d.second:02d}"
    return "\u200f" + text.translate(_AR_DIGITS) + " " + ("ص" if ap == "am" else "م")


TIME_STYLES: dict[str, Callable[[datetime], str]] = {
    "fb1_en": _fb1_en, "fb1_es": _fb1_es, "fb1_zh": _fb1_zh, "en_gb": _en_gb,
    "ig_ru": _ig_ru, "ig2_en": _ig2_en, "ig2_nl": _ig2_nl, "ig3_fr": _ig3_fr,
    "fb_en": _fb_en, "fb_vi": _fb_vi, "fb_ar": _fb_ar,
}


def wall(ms: int, offset_minutes: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, UTC) + timedelta(minutes=offset_minutes)


# -- pages --------------------------------------------------------------------------------


def _text_html(text: str) -> str:
    return "<br />".join(escape(line, quote=True) for line in text.split("\n"))


def content_html(gen: str, m: dict[str, Any], uri: Callable[[str], str],
                 reaction_style: str = "plain") -> str:
    """The content div's inside for one Meta-JSON-shaped message ``m``."""
    slots = ["<div></div>"]
    if m.get("is_unsent"):
        slots.append('<div><div style="color:gray;font-size:12px;font-style:italic;">'
                     f'{escape(m.get("unsent_text", "This message was unsent."))}</div></div>')
    else:
        slots.append(f"<div>{_text_html(m['content']) if m.get('content') else ''}</div>")
    share = m.get("share")
    if share:
        inner = ""
        if share.get("share_text"):
            inner += f"<div>{escape(share['share_text'])}</div>"
        if share.get("original_content_owner"):
            inner += f"<div>{escape(share['original_content_owner'])}</div>"
        if share.get("link"):
            link = escape(share["link"], quote=True)
            inner += f'<div><a href="{link}" target="_blank">{link}</a></div>'
        slots.append(f"<div><div>{inner}</div></div>")
    else:
        slots.append("<div></div>")
    slots.append("<div></div>")
    img = "_2yuc _3-96" if gen == "FB-1" else "_a6_o _3-96"
    for key in ("photos", "gifs"):
        for p in m.get(key, ()):
            src = escape(uri(p["uri"]), quote=True)
            slots.append(f'<div><a href="{src}" target="_blank"><img src="{src}" '
                         f'class="{img}" /></a></div>')
    for v in m.get("videos", ()):
        src = escape(uri(v["uri"]), quote=True)
        slots.append(f'<div><video src="{src}" controls="1"><a href="{src}">Click for '
                     "video</a></video></div>")
    for a in m.get("audio_files", ()):
        src = escape(uri(a["uri"]), quote=True)
        slots.append(f'<div><audio src="{src}" controls="1"></audio><a href="{src}">Click '
                     "for audio</a></div>")
    for f in m.get("files", ()):
        src = escape(uri(f["uri"]), quote=True)
        slots.append(f'<div><a href="{src}">{escape(f["uri"].rsplit("/", 1)[-1])}</a></div>')
    if m.get("sticker"):
        src = escape(uri(m["sticker"]["uri"]), quote=True)
        slots.append(f'<div><img src="{src}" class="{img}" /></div>')
    if "call_duration" in m:
        slots.append(f'<div><span class="_idm">{escape(m.get("call_text", ""))}</span></div>')
    if m.get("reactions"):
        cls = "_tqp" if gen in ("FB-1", "IG-1") else "_a6-q"
        items = []
        for r in m["reactions"]:
            emoji, actor = r["reaction"], escape(r["actor"])
            if reaction_style == "hex":
                emoji = emoji.encode("utf-8").hex()
            if reaction_style == "space":
                items.append(f"<li>{emoji} {actor}</li>")
            elif reaction_style == "span":
                items.append(f"<li><span>{emoji}{actor}</span></li>")
            else:
                items.append(f"<li>{emoji}{actor}</li>")
        slots.append(f'<ul class="{cls}">{"".join(items)}</ul>')
    return "<div>" + "".join(slots) + "</div>"


def block_html(gen: str, sender: str, content: str, time_text: str) -> str:
    opening, s, c, t = _BLOCK[gen]
    return (opening + s.format(s=escape(sender)) + c.format(c=content)
            + t.format(t=escape(time_text)) + "</div>")


def page_html(
    gen: str, title: str, blocks: Iterable[str], *, base: str, generated: str | None = None,
    generated_in_footer: bool = False,
) -> str:
    """A whole page: head (``<base href>``, title), the generation's header
    and footer around ``blocks`` (newest first, as Meta writes them)."""
    head = (f'<!DOCTYPE html><html><head><meta charset="utf-8" /><base href="{base}" />'
            f"<title>{escape(title)}</title>{_STYLE}</head>")
    body = "".join(blocks)
    gen_line = escape(generated) if generated else ""
    if gen == "FB-1":
        footer = f'<div class="_4t5o"><div>{gen_line}</div></div>' if generated else ""
        return (f'{head}<body class="_5vb_ _2yq _4yic"><div class="clearfix _ikh">'
                f'<div class="_4bl9"><div class="_li"><div class="_3a_u">'
                f'<div class="_3b0d">{escape(title)}</div>'
                f'<div class="_4t5n" role="main">{body}</div></div>{footer}'
                "</div></div></div></body></html>")
    if gen in ("IG-1", "IG-2"):
        cls = "_3b0d" if gen == "IG-1" else "_a70e"
        return (f'{head}<body><table><tr><td><img src="files/Instagram-Logo.png" '
                f'alt="Instagram" /></td></tr></table><div class="{cls}">{escape(title)}</div>'
                f'<div class="_a706" role="main">{body}</div></body></html>')
    if gen == "IG-3":
        aside = ""
        if generated:
            name, _, when = generated.partition("|")
            aside = (f'<aside class="_aoaa" role="contentinfo">Generated by {escape(name)} on '
                     f"<time>{escape(when)}</time></aside>")
        return (f'{head}<body><header class="_as-_ _a70a"><div class="_a70d"><h1>'
                f'{escape(title)}</h1></div></header>{aside}<main class="_a706">{body}</main>'
                "</body></html>")
    title_div = (f'<div class="_a705"><div class="_3-8y _3-95 _a709"><div class="_a70d">'
                 f'<div class="_a70e">{escape(title)}</div></div></div></div>')
    line = f'<div class="_aoaa"><div>{gen_line}</div></div>' if generated else ""
    if gen == "FB-2" and generated_in_footer:
        return (f'{head}<body>{title_div}<div class="_a706" role="main">{body}</div>'
                f'<div class="_a707"><div>{gen_line}</div></div></body></html>')
    if gen == "FB-2":
        return f'{head}<body>{title_div}{line}<div class="_a706" role="main">{body}</div></body></html>'
    return f'{head}<body>{line}<div class="_a706" role="main">{body}</div></body></html>'


def thread_pages(
    gen: str, title: str, messages: list[dict[str, Any]], *, offset: int, time_style: str,
    base: str, generated: str | None = None, per_page: int = 10_000,
    before: Iterable[str] = (), reaction_style: str = "plain",
    uri: Callable[[str], str] = lambda u: u, generated_in_footer: bool = False,
) -> list[str]:
    """The pages of a thread (message_1 first, newest first on each) from
    its messages in Meta-JSON shape, newest first as in JSON."""
    fmt = TIME_STYLES[time_style]
    pages = []
    for start in range(0, max(len(messages), 1), per_page):
        blocks = list(before) if start == 0 else []
        for m in messages[start:start + per_page]:
            sender = m.get("sender_name", "")
            time_text = fmt(wall(m["timestamp_ms"], offset))
            blocks.append(block_html(gen, sender, content_html(gen, m, uri, reaction_style),
                                     time_text))
        pages.append(page_html(gen, title, blocks, base=base, generated=generated,
                               generated_in_footer=generated_in_footer))
    return pages


def participants_block(gen: str, names: list[str]) -> str:
    """A group's first block: "Participants: A, B and C", with no time."""
    text = "Participants: " + ", ".join(names[:-1]) + " and " + names[-1]
    opening, s, c, t = _BLOCK[gen]
    return (opening + s.format(s="") + c.format(c=f"<div>{escape(text)}</div>")
            + t.format(t="") + "</div>")
