"""HTML exports in a real browser: Debian's Chromium, headless, driven by
Playwright (never a browser Playwright downloads). One browser for the module.

Each page must load without console errors, request nothing outside its
export folder, and lay the owner's bubbles out on the right and everyone
else's on the left, on a phone and on a desktop.

Skipped where ``/usr/bin/chromium`` is missing, except on CI (``CI`` set),
where ``.ci/run`` installs it, so that a missing browser fails loudly.
"""

from __future__ import annotations

import itertools
import os
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from archiver.export import export_all, export_html
from archiver.read.conversations import list_conversations
from archiver.store.opening import open_archive
from tests.support.exports import (
    ANA,
    FOLDER,
    HOSTILE_SENDER,
    HOSTILE_TITLE,
    LISBON,
    OTHER,
    every_kind_files,
    every_kind_messages,
    hostile_messages,
    import_thread,
    only_conversation,
)

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--no-first-run"]
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        if os.environ.get("CI"):
            pytest.fail("Chromium is missing: .ci/run installs it with apt-get")
        pytest.skip("Chromium is not installed (apt-get install chromium)")
    from playwright import sync_api  # a test dependency: never skipped when missing

    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        yield browser
        browser.close()


@pytest.fixture
def ana(tmp_path: Path) -> Path:
    """An archive with one conversation of every message kind (as test_export's)."""
    return import_thread(tmp_path, every_kind_messages(), title=ANA, folder=FOLDER,
                         files=every_kind_files())


class Visit:
    """One page opened in a fresh context, with what it logged and requested."""

    def __init__(self, browser: Any, path: Path, viewport: dict[str, int], **options: Any) -> None:
        self.context = browser.new_context(viewport=viewport, **options)
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.requests: list[str] = []
        self.page.on("console", lambda m: m.type in ("error", "warning")
                     and self.errors.append(f"{m.type}: {m.text}"))
        self.page.on("pageerror", lambda e: self.errors.append(f"page error: {e}"))
        # A browser aborts a video's or a sound's first request when it
        # reloads or switches to range requests: that is no failure to load.
        self.page.on("requestfailed", lambda r: (r.resource_type, r.failure) != (
            "media", "net::ERR_ABORTED") and self.errors.append(f"failed: {r.url}"))
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.goto(path.as_uri())
        # Bring every lazy image into view, then let them load.
        self.page.evaluate(
            "async () => { for (const el of document.querySelectorAll('img, .msg:last-child')) {"
            " el.scrollIntoView(); await new Promise(r => requestAnimationFrame(r)); } }"
        )
        self.page.wait_for_load_state("load")

    def close(self) -> None:
        self.context.close()

    def assert_clean(self, folder: Path) -> None:
        assert self.errors == []
        inside = folder.resolve().as_uri() + "/"
        outside = [u for u in self.requests if not u.startswith(inside)]
        assert outside == []


BUBBLES = """() => {
  const main = document.querySelector('main').getBoundingClientRect();
  return [...document.querySelectorAll('.msg')].map(m => {
    const b = m.querySelector('.bubble').getBoundingClientRect();
    return {me: m.classList.contains('me'), left: b.left - main.left,
            right: main.right - b.right, width: b.width, main: main.width};
  });
}"""


def assert_sides(visit: Visit) -> None:
    bubbles = visit.page.evaluate(BUBBLES)
    mine = [b for b in bubbles if b["me"]]
    theirs = [b for b in bubbles if not b["me"]]
    assert mine and theirs
    for b in mine:
        assert abs(b["right"]) <= 1 and b["left"] > 1, b
    for b in theirs:
        assert abs(b["left"]) <= 1 and b["right"] > 1, b
    assert all(b["width"] <= b["main"] * 0.9 for b in bubbles)


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_demo_conversation_in_the_browser(
    browser: Any, demo_archive: Path, tmp_path: Path, viewport: dict[str, int]
) -> None:
    db = open_archive(demo_archive, readonly=True)
    [maya] = [c.id for c in list_conversations(db) if c.title == "Weekend crew"
              and c.platforms == ["facebook"]]
    out = tmp_path / "export" / "crew.html"
    export_html(db, demo_archive, maya, out, tz=LISBON)
    visit = Visit(browser, out, viewport)
    try:
        visit.assert_clean(out.parent)
        assert_sides(visit)
        images = visit.page.evaluate(
            "() => [...document.images].map(i => [i.getAttribute('src'), i.naturalWidth])")
        assert images and all(width > 0 for _, width in images)  # every image loaded
        assert visit.page.locator(".missing").count() == 1  # named, not a broken image
        assert any(u.startswith((out.parent / "crew_media").as_uri()) for u in visit.requests)
    finally:
        visit.close()


def test_every_kind_dark_and_print(browser: Any, ana: Path, tmp_path: Path) -> None:
    db = open_archive(ana, readonly=True)
    out = tmp_path / "export" / "ana.html"
    export_html(db, ana, only_conversation(ana), out, tz=LISBON)
    visit = Visit(browser, out, PHONE, color_scheme="dark")
    try:
        visit.assert_clean(out.parent)
        page = visit.page
        background = page.evaluate("getComputedStyle(document.body).backgroundColor")
        assert background == "rgb(18, 20, 23)"
        assert page.locator("video").count() == 1 and page.locator("img").count() == 3
        # The policy in the page refuses anything from the network.
        blocked = page.evaluate("""() => new Promise(resolve => {
            document.addEventListener('securitypolicyviolation', e => resolve(e.blockedURI));
            const img = document.createElement('img');
            img.src = 'https://example.invalid/x.png';
            document.body.append(img);
        })""")
        assert blocked == "https://example.invalid/x.png"
        page.emulate_media(media="print")
        assert page.evaluate(
            "getComputedStyle(document.querySelector('.msg')).breakInside") == "avoid"
        assert page.evaluate(
            "getComputedStyle(document.querySelector('nav.pages') || document.body).display"
        ) in ("none", "block")
        assert page.evaluate("getComputedStyle(document.body).backgroundColor") == (
            "rgb(255, 255, 255)")
    finally:
        visit.close()


def test_index_and_pages_of_every_conversation(
    browser: Any, demo_archive: Path, tmp_path: Path
) -> None:
    db = open_archive(demo_archive, readonly=True)
    out = tmp_path / "all"
    paths = export_all(db, demo_archive, out, tz=LISBON, fmt="html")
    visit = Visit(browser, out / "index.html", DESKTOP)
    try:
        visit.assert_clean(out)
        links = visit.page.locator("td.title a")
        assert links.count() == len(paths)
        links.first.click()
        visit.page.wait_for_load_state("load")
        assert visit.page.url == paths_by_recent(db, out)[0].as_uri()
        assert visit.page.locator("article.msg").count() > 0
        visit.assert_clean(out)
    finally:
        visit.close()


def paths_by_recent(db: Any, out: Path) -> list[Path]:
    from archiver.export import conversation_slug

    return [out / f"{conversation_slug(c)}.html" for c in list_conversations(db)]


def export_and_visit(
    browser: Any, tmp_path: Path, messages: list[dict], *, title: str, folder: str,
    participants: tuple[str, ...],
) -> tuple[Path, Visit]:
    """One thread imported, exported as HTML, and opened on a desktop page."""
    archive = import_thread(tmp_path, messages, title=title, folder=folder,
                            participants=participants)
    db = open_archive(archive, readonly=True)
    out = tmp_path / "export" / f"{folder}.html"
    export_html(db, archive, only_conversation(archive), out, tz=LISBON)
    return out, Visit(browser, out, DESKTOP)


def test_hostile_text_never_runs_or_links(browser: Any, tmp_path: Path) -> None:
    messages = hostile_messages()
    messages.append({"sender_name": OTHER, "timestamp_ms": messages[-1]["timestamp_ms"] + 60_000,
                     "content": "<img src=x onerror=\"window.pwned=1\"><script>window.pwned=2"
                                "</script>",
                     "share": {"link": "javascript:window.pwned=3", "share_text": "click"}})
    out, visit = export_and_visit(browser, tmp_path, messages, title=HOSTILE_TITLE,
                                  folder="evil_666", participants=(HOSTILE_SENDER, OTHER))
    try:
        visit.assert_clean(out.parent)
        page = visit.page
        page.locator(".share").last.click()
        assert page.evaluate("typeof window.pwned") == "undefined"
        assert page.locator("script, img, iframe, details summary:not(nav *)").count() == 0
        hrefs = page.evaluate("() => [...document.querySelectorAll('a')].map(a => a.href)")
        assert all(not h.startswith("javascript:") for h in hrefs)
        assert page.locator("article.msg, .event").count() == len(messages)
    finally:
        visit.close()


# The box of a piece of text inside the first element that holds it (a Range
# over its text node, so it works whatever the markup around it).
TEXT_BOX = """([selector, needle]) => {
  for (const el of document.querySelectorAll(selector)) {
    const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const at = node.data.indexOf(needle);
      if (at < 0) continue;
      const range = document.createRange();
      range.setStart(node, at);
      range.setEnd(node, at + needle.length);
      const box = range.getBoundingClientRect();
      return {left: box.left, right: box.right, top: box.top};
    }
  }
  return null;
}"""
DIRECTION = "([selector, needle]) => getComputedStyle([...document.querySelectorAll(selector)]" \
    ".find(e => e.textContent.includes(needle))).direction"

HEBREW, ARABIC = "שלום, מה שלומך היום?", "مرحبا، كيف حالك؟"
DANA, AMIT = "דנה", "עמית"
OVERRIDE_NAME = "Eve\u202e"  # an override that nothing closes


def test_right_to_left_text_reads_right_to_left_and_moves_nothing_else(
    browser: Any, tmp_path: Path
) -> None:
    """Hebrew and Arabic messages read right to left; right-to-left names keep
    their place in a list, an event ending in Hebrew keeps its time after it,
    and a name with an unclosed override changes nothing after it."""
    t = 1_600_000_000_000
    messages = [
        {"sender_name": AMIT, "timestamp_ms": t, "content": HEBREW},
        {"sender_name": DANA, "timestamp_ms": t + 60_000, "content": ARABIC},
        {"sender_name": OVERRIDE_NAME, "timestamp_ms": t + 120_000, "content": "first second",
         "reactions": [{"reaction": "❤", "actor": OVERRIDE_NAME}]},
        {"sender_name": "Jordan Lee", "timestamp_ms": t + 180_000,
         "content": f"Jordan Lee named the group {AMIT}"},
    ]
    out, visit = export_and_visit(browser, tmp_path, messages, title=f"{AMIT} {DANA} 2",
                                  folder="rtl_1",
                                  participants=(AMIT, DANA, OVERRIDE_NAME, "Jordan Lee"))
    try:
        visit.assert_clean(out.parent)
        page = visit.page

        def box(selector: str, needle: str) -> dict[str, float]:
            found = page.evaluate(TEXT_BOX, [selector, needle])
            assert found is not None, (selector, needle)
            return found

        def direction(selector: str, needle: str) -> str:
            return page.evaluate(DIRECTION, [selector, needle])

        # Messages in Hebrew and Arabic read right to left, English left to right.
        assert direction(".bubble .text", HEBREW) == "rtl"
        assert direction(".bubble .text", ARABIC) == "rtl"
        assert direction(".bubble .text", "first second") == "ltr"
        assert direction(".who", AMIT) == "rtl"
        # Two Hebrew names side by side in the list stay in the list's order.
        assert box(".facts dd", DANA)["right"] <= box(".facts dd", AMIT)["left"]
        # The event's time stays after its text, which ends in Hebrew.
        event_name = box(".event", AMIT)
        event_time = page.evaluate(
            "document.querySelector('.event time').getBoundingClientRect().left")
        assert event_time >= event_name["right"]
        # The override is shown as a mark, and what follows it keeps its order.
        assert page.locator(".who", has_text="Eve\\u202e").count() == 1
        assert direction(".who", "Eve") == "ltr"
        first, second = box(".bubble .text", "first"), box(".bubble .text", "second")
        assert first["top"] == second["top"] and first["right"] <= second["left"]
        reaction = page.locator(".reactions li").first
        assert reaction.inner_text() == "❤ Eve\\u202e"
        heart, name = box(".reactions li", "❤"), box(".reactions li", "Eve")
        assert heart["right"] <= name["left"]
    finally:
        visit.close()


def _picture(fmt: str, colour: tuple[int, int, int]) -> bytes:
    import io

    from PIL import Image
    from pillow_heif import register_heif_opener

    register_heif_opener()
    out = io.BytesIO()
    Image.new("RGB", (120, 90), colour).save(out, fmt)
    return out.getvalue()


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_heic_and_tiff_photos_show_as_jpeg_beside_the_original(
    browser: Any, tmp_path: Path, viewport: dict[str, int]
) -> None:
    when = 1_600_000_000_000
    messages = [
        {"sender_name": ANA, "timestamp_ms": when + i * 60_000,
         "photos": [{"uri": f"messages/inbox/{FOLDER}/photos/{name}"}]}
        for i, name in enumerate(("IMG_2041.HEIC", "scan.tiff", "broken.heic"))
    ]
    files = {"photos/IMG_2041.HEIC": _picture("HEIF", (200, 40, 40)),
             "photos/scan.tiff": _picture("TIFF", (40, 160, 40)),
             "photos/broken.heic": b"\x00\x00\x00\x18ftypheic not a picture"}
    archive = import_thread(tmp_path, messages, title=ANA, folder=FOLDER, files=files)
    out = tmp_path / "out" / "ana.html"
    export_html(open_archive(archive, readonly=True), archive, only_conversation(archive), out,
                tz=LISBON)
    media = tmp_path / "out" / "ana_media"
    assert sorted(p.name for p in media.iterdir()) == [
        "IMG_2041.HEIC", "IMG_2041.jpg", "broken.heic", "scan.jpg", "scan.tiff"]
    visit = Visit(browser, out, viewport)
    shown = visit.page.evaluate(
        "() => [...document.querySelectorAll('.media img')].map(i => "
        "[decodeURIComponent(i.getAttribute('src')), i.naturalWidth, i.getBoundingClientRect().width])")
    # Each picture is drawn (a broken image has no natural width), from its JPEG.
    assert [(src, natural) for src, natural, _ in shown] == [
        ("ana_media/IMG_2041.jpg", 120), ("ana_media/scan.jpg", 120)]
    assert all(width > 0 for _, _, width in shown)
    originals = visit.page.evaluate(
        "() => [...document.querySelectorAll('a.original')].map(a => "
        "[decodeURIComponent(a.getAttribute('href')), a.getBoundingClientRect().height > 0])")
    assert originals == [["ana_media/IMG_2041.HEIC", True], ["ana_media/scan.tiff", True]]
    # A file Pillow cannot read is linked as a file, never a broken image.
    assert visit.page.locator("a.file", has_text="broken.heic").count() == 1
    visit.assert_clean(tmp_path / "out")
    visit.close()


CHART_WORDS = """() => [...document.querySelectorAll(
    '.chart figcaption, .y-axis span, .x-axis .tick, .hours .tick, .days span, .legend, .person')]
  .map(e => { const r = e.getBoundingClientRect();
    return {tag: e.tagName, cls: e.className, text: e.textContent,
            size: parseFloat(getComputedStyle(e).fontSize),
            left: r.left, right: r.right, width: r.width, height: r.height}; })"""


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_charts_index_and_pages_read_on_a_phone_and_a_desktop(
    browser: Any, demo_archive: Path, tmp_path: Path, viewport: dict[str, int]
) -> None:
    db = open_archive(demo_archive, readonly=True)
    out = tmp_path / "all"
    export_all(db, demo_archive, out, tz=LISBON, fmt="html")
    pages = sorted(out.glob("*.html"))
    for path in pages:
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"(?<![\d,])1 messages", text), path.name  # "1 message"
    visit = Visit(browser, out / "index.html", viewport)
    try:
        visit.assert_clean(out)
        page = visit.page
        # The list of conversations comes first, the charts after it.
        table_top = page.evaluate("document.querySelector('table.conversations')"
                                  ".getBoundingClientRect().top")
        charts_top = page.evaluate("document.querySelector('.insights').getBoundingClientRect().top")
        assert table_top < charts_top and table_top < viewport["height"]
        # A date is never cut in the middle ("2024-⏎12-26").
        for rects in page.evaluate("[...document.querySelectorAll('td .date')]"
                                   ".map(e => e.getClientRects().length)"):
            assert rects in (0, 1)  # 0: the column is hidden on a phone
        words = page.evaluate(CHART_WORDS)
        captions = [w["text"].split(" (")[0] for w in words if w["tag"] == "FIGCAPTION"]
        assert captions == ["Messages per month", "Messages by weekday and hour", "Who writes"]
        assert all(w["size"] >= 11.5 for w in words), [w for w in words if w["size"] < 11.5]
        assert all(w["height"] > 0 and w["right"] <= viewport["width"] for w in words)
        years = [w for w in words if w["cls"] == "tick" and re.fullmatch(r"\d{4}", w["text"])]
        assert len(years) >= 3
        for a, b in itertools.pairwise(years):
            assert a["right"] < b["left"], (a, b)  # axis labels never overlap
        heat = page.evaluate("document.querySelector('svg.heatmap').getBoundingClientRect().width")
        assert heat >= 0.6 * min(viewport["width"], 820)
    finally:
        visit.close()

    # A conversation page: back to the index at the top, and a jump to any month.
    ana = next(p for p in pages if p.name.startswith("Ana-"))
    visit = Visit(browser, ana, viewport)
    try:
        page = visit.page
        up = page.evaluate("(() => { const a = document.querySelector('nav.up a');"
                           " return a && [a.getAttribute('href'), a.getBoundingClientRect().top,"
                           " document.querySelector('h1').getBoundingClientRect().top]; })()")
        assert up is not None and up[0] == "index.html" and up[1] < up[2]
        page.click("nav.jump summary")
        jumps = page.evaluate("[...document.querySelectorAll('nav.jump a')]"
                              ".map(a => [a.textContent, a.getAttribute('href')])")
        assert ["Dec", "#d2024-12-26"] in jumps and ["Jan", "#d2016-01-01"] in jumps
        for _, target in jumps:
            assert page.evaluate(f"!!document.getElementById({target[1:]!r})"), target
        page.click("nav.jump a[href='#d2023-11-11']")
        top = page.evaluate("document.getElementById('d2023-11-11').getBoundingClientRect().top")
        assert abs(top) < 2  # scrolled to that day
    finally:
        visit.close()

    # A one-month conversation draws one bar, not a block across the chart.
    zoe = next(p for p in pages if p.name.startswith("Zoë-"))
    visit = Visit(browser, zoe, viewport)
    try:
        bars = visit.page.evaluate("[...document.querySelectorAll('svg.months rect')]"
                                   ".map(r => r.getBoundingClientRect().width)")
        assert len(bars) == 1 and 0 < bars[0] <= 40
        assert visit.page.locator(".x-axis .tick", has_text="2024-05").count() == 1
    finally:
        visit.close()


def test_the_demo_video_plays_in_the_browser(
    browser: Any, demo_archive: Path, tmp_path: Path
) -> None:
    db = open_archive(demo_archive, readonly=True)
    [crew] = [c.id for c in list_conversations(db)
              if c.title == "Weekend crew" and c.platforms == ["facebook"]]
    out = tmp_path / "crew.html"
    export_html(db, demo_archive, crew, out, tz=LISBON)
    visit = Visit(browser, out, DESKTOP)
    try:
        page = visit.page
        page.evaluate("document.querySelector('video').preload = 'auto'")
        page.evaluate("document.querySelector('video').load()")
        # Polled from here: the page's policy forbids the evaluated strings
        # that wait_for_function would run inside it.
        deadline = time.monotonic() + 10
        while page.evaluate("document.querySelector('video').readyState") < 2:
            assert time.monotonic() < deadline, "the video never loaded a frame"
            page.wait_for_timeout(50)
        assert page.evaluate("(() => { const v = document.querySelector('video');"
                             " return [v.videoWidth, v.videoHeight, Math.round(v.duration),"
                             " v.error]; })()") == [192, 144, 3, None]
        visit.assert_clean(tmp_path)
    finally:
        visit.close()
