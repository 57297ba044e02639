"""Generate realistic synthetic Meta message downloads of any size.

Three download formats:

* ``facebook``: a 2025-layout Facebook "Download your information" JSON download,
  ``your_facebook_activity/messages/<section>/<folder>/message_<k>.json``, strings
  written as Meta does (every UTF-8 byte its own ``\\u00XX`` escape).
* ``instagram-legacy``: the single ``messages.json`` of an Instagram download from
  before December 2020, clean UTF-8.
* ``messenger-e2ee``: a flat folder of Messenger encrypted-chat ``<Thread>_<N>.json``
  files, clean UTF-8, with a few zero-byte files.

Output is deterministic for a given seed and written in a streaming way (one part
file, or one bounded chunk, at a time), so a million messages take seconds and
little memory. Facebook part files are written by ``tests.support.downloads``,
the writer every fake download goes through. Usable as a library
(``generate_facebook`` and friends return a summary dict) and, from the
repository's root, as a command::

    python -m tests.support.generate facebook OUTDIR --messages 1000000 [--seed 0] [--media]
    python -m tests.support.generate instagram-legacy OUT/messages.json --messages 100000
    python -m tests.support.generate messenger-e2ee OUTDIR --messages 50000
"""

from __future__ import annotations

import argparse
import json
import math
import random
import sys
import time
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any, TextIO

from tests.support.downloads import meta_json_string, thread_envelope, write_meta_json, write_part

OWNER = "Jordan Lee"
OWNER_USERNAME = "jordanlee"
MAIN_PARTNER = "Ana María González"
MAX_PART = 10_000
MAIN_SHARE = 0.4

_DAY_MS = 86_400_000
T_START_MS = 1_388_534_400_000  # 2014-01-01T00:00:00Z
T_END_MS = 1_751_241_600_000  # 2025-06-30T00:00:00Z
CUTOVER_MS = 1_704_067_200_000  # 2024-01-01: e2ee_cutover history stops around here
IG_LEGACY_END_MS = 1_606_780_800_000  # 2020-12-01: end of the legacy Instagram format

# A valid 1x1 grey baseline JPEG (159 bytes), for the few media files written.
TINY_JPEG = (
    bytes.fromhex("ffd8ffe000104a46494600010100000100010000ffdb004300")
    + b"\x01" * 64
    + bytes.fromhex("ffc0000b080001000101011100")
    + bytes.fromhex("ffc400140001")
    + b"\x00" * 16
    + bytes.fromhex("ffc400141001")
    + b"\x00" * 16
    + bytes.fromhex("ffda0008010100003f003fffd9")
)

# --------------------------------------------------------------------------- vocabulary

# fmt: off
FIXED_NAMES = [
    "Bartłomiej Nowak",
    "Zoë",
    "João Araújo",
    "Hélène Lefèvre",
    "Małgorzata Wiśniewska",
    "François Dubois",
    "Inês Gonçalves",
    "Łukasz Świątek",
    "Chloé Moreau",
    "Priya Raman",
    "Sam O'Connor",
    "Mei Chen",
    "Grzegorz Brzęczyszczykiewicz",
    "Renée Côté",
    "Gonçalo Pereira",
    "Agnieszka Żurawska",
    "Noémie Faure",
    "Tomás Ibáñez",
    "Oliver Smith",
    "Nguyễn Thị Lan",
]
FIRST_NAMES = [
    "Ana", "Beatriz", "Conceição", "Duarte", "Inês", "João", "Leonor", "Mariana", "Rui",
    "Tiago", "Agnieszka", "Bartosz", "Jędrzej", "Kasia", "Łucja", "Małgosia", "Paweł",
    "Wojciech", "Zofia", "Żaneta", "Amélie", "Benoît", "Céline", "Élodie", "Jérôme",
    "Loïc", "Maëlle", "Sébastien", "Thérèse", "Yannick", "Alex", "Chris", "Emma", "Jamie",
    "Liam", "Maya", "Noah", "Olivia", "Riley", "Sophie", "Aisha", "Diego", "Hana", "Kenji",
    "Lucía", "Mateo", "Nadia", "Omar", "Sanjay", "Ying",
]
LAST_NAMES = [
    "Almeida", "Araújo", "Castro", "Gonçalves", "Magalhães", "Pereira", "Simões", "Sousa",
    "Kowalski", "Lewandowska", "Nowak", "Wiśniewski", "Wójcik", "Zieliński", "Dąbrowska",
    "Kamińska", "Bernard", "Dubois", "Fournier", "Lefèvre", "Mercier", "Moreau", "Rousseau",
    "Bélanger", "Brown", "Davies", "Evans", "Johnson", "Miller", "Taylor", "Wilson",
    "García", "Muñoz", "Peña", "Schröder", "Müller", "Østergaard", "Kovačević", "Tanaka",
    "Khan",
]
GROUP_TITLES = [
    "Família 🎉", "Wyjazd do Krakowa 🏔️", "Soirée chez Hélène", "Book club 📚",
    "Flat 3B", "Équipe de foot ⚽", "Churrasco de domingo", "Urodziny Zosi 🎂",
    "Lisboa 2019 ✈️", "Les cousins", "Work lunch crew", "Grupa na zakupy 🛒",
    "Natal em casa", "Board games night 🎲", "Randonnée été", "Wedding planning 💍",
]
SHORT_TEXTS = [
    "ok", "OK", "k", "kk", "haha", "hahaha", "lol", "yes", "no", "sure", "thanks!",
    "tak", "nie", "dzięki", "jasne", "super", "oui", "non", "merci", "d'accord",
    "sim", "não", "obrigado", "obrigada", "valeu", "👍", "😂", "❤️", "😂😂😂", "🙏",
    "🎉", "😍", "xD", "?", "!!", "omg", "ça va ?", "tudo bem?", "à+", "spoko",
]
PHRASES = [
    # English
    "are you coming tonight", "I'll be there in 10 minutes", "did you see this",
    "that's amazing", "sounds good to me", "can't wait", "happy birthday", "thanks so much",
    "what time works for you", "see you tomorrow", "running late sorry",
    "no worries at all", "call me when you can", "the train is delayed again",
    "I just got home", "let me check my calendar", "did you eat already",
    "he said \"no way\" and left", "I'm not sure about that", "we should do this again",
    "the weather is terrible today", "I miss you", "good luck with the exam",
    "send me the photos please", "where did you park",
    # Portuguese
    "obrigado pela ajuda", "tudo bem contigo", "estou com saudades", "vamos almoçar amanhã",
    "não sei ainda", "está ótimo", "parabéns pelo novo emprego", "que legal",
    "beijinhos para todos", "amanhã às três", "você viu isso", "a reunião foi adiada",
    "já estou a caminho", "não te esqueças do pão", "coração cheio",
    # Polish
    "cześć co tam", "dziękuję bardzo", "do zobaczenia jutro", "gdzie jesteś",
    "świetnie się bawiliśmy", "już jadę", "zażółć gęślą jaźń", "jutro o ósmej",
    "wszystkiego najlepszego", "dzień dobry", "smacznego", "nie mogę się doczekać",
    "pociąg się spóźnia", "kupisz mleko po drodze", "źle się czuję dzisiaj",
    # French
    "à demain", "ça va bien", "très bien merci", "merci beaucoup", "où es-tu",
    "c'est génial", "déjà vu", "à bientôt", "voilà le lien", "crème brûlée ce soir",
    "je suis en retard", "bon appétit", "à tout à l'heure", "on se voit où",
    "j'ai hâte de te voir", "le métro est bloqué",
]
EMOJI = [
    "😂", "❤️", "👍", "🎉", "😍", "🙏", "😅", "🔥", "🥳", "😢", "😘", "🤔", "🙈", "💪",
    "🇵🇹", "🇵🇱", "🇫🇷", "👨‍👩‍👧", "👍🏽", "☕",
]
ENDINGS = ["", "", ".", ".", "!", "?", "!!", "...", " haha", " :)", " xD", " 😂"]
JOINS = [" ", " ", ", ", ", ", " - ", "... ", "! "]
FB_REACTIONS = ["❤", "😆", "😮", "😢", "😠", "👍", "😂", "❤️", "🥰", "🔥"]
E2EE_REACTIONS = ["❤️", "😆", "😮", "😢", "😡", "👍", "😂", "🙏"]
LINKS = [
    ("https://www.youtube.com/watch?v={id}", "Fado ao vivo em Alfama — Mariza"),
    ("https://pl.wikipedia.org/wiki/Zamek_Kr%C3%B3lewski_na_Wawelu", "Zamek Królewski na Wawelu"),
    ("https://www.lemonde.fr/culture/article/2023/05/{id}.html", "Cinéma : les films à voir"),
    ("https://www.publico.pt/2021/03/{id}", "Lisboa: os 10 melhores miradouros"),
    ("https://open.spotify.com/track/{id}", "Męskie Granie Orkiestra – Świt"),
    ("https://www.bbc.co.uk/news/articles/{id}", "The best cafés in Kraków"),
    ("https://maps.app.goo.gl/{id}", "Café de Flore, Paris"),
]
FILE_NAMES = ["Relatório_final.pdf", "zdjęcia_wakacje.zip", "menu_réveillon.docx", "notes.txt"]
# fmt: on

_PHOTO = "photos"


# --------------------------------------------------------------------------- helpers


def _meta_inner(text: str) -> str:
    return meta_json_string(text)[1:-1]


def _identity(text: str) -> str:
    return text


_FLATTEN = str.maketrans({"ł": "l", "Ł": "L", "ø": "o", "Ø": "O", "ß": "ss", "đ": "d"})


def flatten_title(title: str) -> str:
    """Folder-name form of a thread title: lower-case ASCII letters and digits."""
    decomposed = unicodedata.normalize("NFKD", title.translate(_FLATTEN))
    return "".join(c for c in decomposed.lower() if c.isascii() and c.isalnum())


def _first(name: str) -> str:
    return name.split(" ")[0]


class _TextGen:
    """Seeded message texts of varied length from a fixed vocabulary.

    ``esc`` is applied once to every vocabulary fragment up front; texts are then
    assembled by concatenating escaped fragments, which is valid because both
    escapings used here work character by character.
    """

    def __init__(self, rng: random.Random, esc: Callable[[str], str]) -> None:
        self._rnd = rng.random
        self._short = [esc(s) for s in SHORT_TEXTS]
        self._lower = [esc(p) for p in PHRASES]
        self._upper = [esc(p[:1].upper() + p[1:]) for p in PHRASES]
        self._emoji = [esc(e) for e in EMOJI]
        self._endings = [esc(e) for e in ENDINGS]
        self._joins = [esc(j) for j in JOINS]
        self._newline = esc("\n")

    def _pick(self, seq: Sequence[str]) -> str:
        return seq[int(self._rnd() * len(seq))]

    def sentence(self) -> str:
        rnd = self._rnd
        out = [self._pick(self._upper)]
        for _ in range(int(rnd() * rnd() * 4)):
            out.append(self._pick(self._joins))
            out.append(self._pick(self._lower))
        if rnd() < 0.15:
            out.append(" ")
            out.append(self._pick(self._emoji))
        else:
            out.append(self._pick(self._endings))
        return "".join(out)

    def text(self) -> str:
        r = self._rnd()
        if r < 0.30:
            return self._pick(self._short)
        if r < 0.86:
            return self.sentence()
        sep = self._newline if self._rnd() < 0.3 else " "
        return sep.join(self.sentence() for _ in range(2 + int(self._rnd() * 4)))


# --------------------------------------------------------------------------- planning


@dataclass
class _Thread:
    title: str
    folder: str
    section: str
    members: list[str]  # participants at export time, owner last
    bag: list[str]  # weighted sender pool (may include people who left)
    former: list[str]
    is_group: bool
    size: int
    start_ms: int
    end_ms: int
    still_participant: bool = True


def plan_sizes(rng: random.Random, messages: int, large: Sequence[int] = ()) -> list[int]:
    """Thread sizes summing to ``messages``: the first holds ~40%, the rest a long tail.
    With ``large``, the first threads have those sizes instead, and the rest
    is a long tail of threads at most half the smallest of them."""
    if messages <= 0:
        return []
    if large:
        if sum(large) > messages or min(large) < 1:
            raise ValueError("the large threads must hold at least one message each, "
                             "and fewer than all the messages together")
        sizes = list(large)
        main = min(large)
    else:
        main = max(1, round(messages * MAIN_SHARE))
        sizes = [main]
    rest = messages - sum(sizes)
    if rest <= 0:
        return sizes
    target_threads = max(1, round(2 * math.sqrt(messages)))
    mean = max(1.0, rest / target_threads)
    sigma = 2.2
    mu = math.log(mean) - sigma * sigma / 2
    cap = max(1, main // 2)
    while rest > 0:
        size = min(cap, rest, max(1, int(rng.lognormvariate(mu, sigma))))
        sizes.append(size)
        rest -= size
    return sizes


def _name_pool(rng: random.Random) -> list[str]:
    combos = [f"{f} {last}" for f in FIRST_NAMES for last in LAST_NAMES]
    rng.shuffle(combos)
    return FIXED_NAMES + [c for c in combos if c not in FIXED_NAMES]


def _window(rng: random.Random, size: int, lo: int, hi: int) -> tuple[int, int]:
    """A plausible [start, end] for ``size`` messages inside [lo, hi]."""
    typical_gap = rng.lognormvariate(math.log(40 * 60_000), 1.6)
    span = int(min(hi - lo - _DAY_MS, max(60_000.0, size * typical_gap)))
    start = lo + int(rng.random() * (hi - lo - span))
    return start, start + span


def _weighted_bag(people: list[str], owner_weight: int) -> list[str]:
    bag = [OWNER] * owner_weight
    for rank, person in enumerate(people):
        bag.extend([person] * max(1, 12 // (rank + 1)))
    return bag


def _plan_threads(
    rng: random.Random,
    messages: int,
    sections: Sequence[tuple[str, float]],
    *,
    lo: int = T_START_MS,
    hi: int = T_END_MS,
    deleted_name: str | None = "Facebook user",
    large: Sequence[int] = (),
) -> list[_Thread]:
    sizes = plan_sizes(rng, messages, large)
    pool = _name_pool(rng)
    group_pool = [MAIN_PARTNER, *pool]
    next_partner = 0
    used_folders: set[str] = set()
    threads: list[_Thread] = []
    section_names = [s for s, _ in sections]
    section_weights = [w for _, w in sections]
    for index, size in enumerate(sizes):
        if index == 0:
            section = section_names[0]
            is_group = False
            partner = MAIN_PARTNER
        else:
            section = rng.choices(section_names, section_weights)[0]
            is_group = rng.random() < 0.3
            if deleted_name and not is_group and rng.random() < 0.02:
                partner = deleted_name
            else:
                partner = pool[next_partner % len(pool)]
                next_partner += 1
        former: list[str] = []
        still = True
        if is_group:
            count = 2 + min(int(rng.paretovariate(1.3)), 14)
            others = rng.sample(group_pool, count)
            if rng.random() < 0.3:
                candidates = [p for p in pool if p not in others]
                former = rng.sample(candidates, 1 + int(rng.random() * 2))
            if rng.random() < 0.5:
                title = rng.choice(GROUP_TITLES)
            elif len(others) <= 3:
                title = ", ".join(others[:-1]) + " and " + others[-1]
            else:
                title = f"{_first(others[0])}, {_first(others[1])} and {len(others) - 2} others"
            still = rng.random() > 0.1
            members = others + [OWNER]
            bag = _weighted_bag(others + former, owner_weight=6)
        else:
            title = partner
            members = [partner, OWNER]
            bag = [OWNER] * 10 + [partner] * 11
        if index == 0:
            start = lo + (hi - lo) // 20 + rng.randrange(_DAY_MS)
            end = hi - 3 * _DAY_MS - rng.randrange(_DAY_MS)
        else:
            top = min(hi, CUTOVER_MS) if section == "e2ee_cutover" else hi
            start, end = _window(rng, size, lo, top)
        base = flatten_title(title) or "group"
        folder = f"{base}_{rng.randrange(10**15, 10**16)}"
        while folder in used_folders:
            folder = f"{base}_{rng.randrange(10**15, 10**16)}"
        used_folders.add(folder)
        threads.append(
            _Thread(
                title=title,
                folder=folder,
                section=section,
                members=members,
                bag=bag,
                former=former,
                is_group=is_group,
                size=size,
                start_ms=start,
                end_ms=end,
                still_participant=still,
            )
        )
    main = threads[0]
    rng.shuffle(threads)
    threads.remove(main)
    threads.insert(rng.randrange(len(threads) + 1), main)
    return threads


class _Clock:
    """Timestamps walking through a thread's window, bursty, sometimes equal."""

    def __init__(
        self,
        rng: random.Random,
        thread: _Thread,
        *,
        descending: bool,
        lo: int = T_START_MS,
        hi: int = T_END_MS,
    ) -> None:
        self._rnd = rng.random
        self._expo = rng.expovariate
        mean = max(1.0, (thread.end_ms - thread.start_ms) / max(1, thread.size))
        # 90% of gaps are short, 10% long; the mixture's mean is ``mean``.
        self._short = 0.1 * mean
        self._long = 9.1 * mean
        self._lo = lo
        self._hi = hi
        self._sign = -1 if descending else 1
        self.now = thread.end_ms if descending else thread.start_ms

    def tick(self) -> int:
        """Return the current timestamp (ms) and advance to the next."""
        current = self.now
        r = self._rnd()
        if r < 0.004:
            gap = 0
        elif r < 0.9:
            gap = int(self._expo(1.0) * self._short) + 1
        else:
            gap = int(self._expo(1.0) * self._long) + 1
        nxt = current + self._sign * gap
        self.now = min(max(nxt, self._lo), self._hi)
        return current


# --------------------------------------------------------------------------- facebook

_FB_TAIL = (
    ',\n      "is_geoblocked_for_viewer": false'
    ',\n      "is_unsent_image_by_messenger_kid_parent": false\n    }'
)


class _FacebookWriter:
    def __init__(
        self, root: Path, rng: random.Random, *, media: bool, media_limit: int, part_size: int
    ) -> None:
        self.root = root
        self.rng = rng
        self.rnd = rng.random
        self.text = _TextGen(rng, _meta_inner)
        self.media = media
        self.media_limit = media_limit
        self.part_size = part_size
        self.media_written = 0
        self.files = 0
        self.bytes = 0
        self._q: dict[str, str] = {}
        self._reactions = [_meta_inner(r) for r in FB_REACTIONS]
        self._links = [(link, meta_json_string(text)) for link, text in LINKS]
        self._file_names = [(name, _meta_inner(name)) for name in FILE_NAMES]

    def q(self, text: str) -> str:
        quoted = self._q.get(text)
        if quoted is None:
            quoted = self._q[text] = meta_json_string(text)
        return quoted

    # ---- one thread

    def write_thread(self, th: _Thread) -> None:
        folder = self.root / "your_facebook_activity" / "messages" / th.section / th.folder
        folder.mkdir(parents=True)
        envelope = thread_envelope(
            th.members, title=th.title, thread_path=f"{th.section}/{th.folder}",
            still_participant=th.still_participant, extra={"magic_words": []},
        )
        uri_base = f"messages/{th.section}/{th.folder}/"
        clock = _Clock(self.rng, th, descending=True)
        bag = th.bag
        nbag = len(bag)
        rnd = self.rnd
        sender = bag[int(rnd() * nbag)]
        remaining = th.size
        part = 1
        while remaining:
            count = min(self.part_size, remaining)
            buf: list[str] = []
            for _ in range(count):
                if rnd() > 0.4:
                    sender = bag[int(rnd() * nbag)]
                buf.append(self._message(th, sender, clock.tick(), uri_base, folder))
            path = write_part(folder, envelope, part=part, encoded=buf, indent=2)
            self.files += 1
            self.bytes += path.stat().st_size
            remaining -= count
            part += 1

    # ---- one message

    def _message(self, th: _Thread, sender: str, ts: int, uri_base: str, folder: Path) -> str:
        rnd = self.rnd
        out = ['    {\n      "sender_name": ', self.q(sender), ',\n      "timestamp_ms": ', str(ts)]
        r = rnd()
        reactable = True
        if r < 0.885:
            out.append(',\n      "content": "')
            out.append(self.text.text())
            out.append('"')
        elif r < 0.915:
            self._media(out, "photos", uri_base, ts, folder)
        elif r < 0.935:
            self._share(out)
        elif r < 0.945:
            self._call(out, th, sender)
            reactable = False
        elif r < 0.952:
            if rnd() < 0.5:
                who = "You" if sender == OWNER else sender
                out.append(f',\n      "content": {self.q(who + " unsent a message.")}')
            out.append(',\n      "is_unsent": true')
            reactable = False
        elif r < 0.966:
            self._event(out, th, sender)
            reactable = False
        elif r < 0.978:
            n = self.rng.randrange(10**14, 10**15)
            out.append(
                ',\n      "sticker": {\n        "uri": "messages/stickers_used/'
                f'{n}_n.png",\n        "ai_stickers": []\n      }}'
            )
        elif r < 0.984:
            self._media(out, "gifs", uri_base, ts, folder)
        elif r < 0.991:
            self._media(out, "videos", uri_base, ts, folder)
        elif r < 0.996:
            self._media(out, "audio_files", uri_base, ts, folder)
        else:
            self._media(out, "files", uri_base, ts, folder)
        if reactable and rnd() < 0.0825:  # ~8% of all messages
            self._reaction_block(out, th)
        out.append(_FB_TAIL)
        return "".join(out)

    def _reaction_block(self, out: list[str], th: _Thread) -> None:
        rnd = self.rnd
        k = 1 + int(rnd() * rnd() * min(4, len(th.members)))
        actors = self.rng.sample(th.members, k)
        items = [
            '        {\n          "reaction": "'
            + self._reactions[int(rnd() * len(self._reactions))]
            + '",\n          "actor": '
            + self.q(actor)
            + "\n        }"
            for actor in actors
        ]
        out.append(',\n      "reactions": [\n' + ",\n".join(items) + "\n      ]")

    def _media(self, out: list[str], kind: str, uri_base: str, ts: int, folder: Path) -> None:
        rnd = self.rnd
        seconds = ts // 1000
        k = 1 + int(rnd() * rnd() * 4) if kind == "photos" else 1
        items = []
        for _ in range(k):
            n = self.rng.randrange(10**14, 10**15)
            extra = ""
            if kind == "photos":
                name = f"{_PHOTO}/{n}.jpg"
                if self.media and self.media_written < self.media_limit:
                    (folder / _PHOTO).mkdir(exist_ok=True)
                    (folder / name).write_bytes(TINY_JPEG)
                    self.media_written += 1
            elif kind == "gifs":
                name = f"gifs/{n}.gif"
            elif kind == "videos":
                name = f"videos/{n}.mp4"
                thumb = f"{uri_base}videos/thumbnails/{n}.jpg"
                extra = f',\n          "thumbnail": {{\n            "uri": "{thumb}"\n          }}'
            elif kind == "audio_files":
                name = f"audio/audioclip{ts}_{n}.mp4"
            else:
                _, escaped = self._file_names[int(rnd() * len(self._file_names))]
                name = f"files/{n}_{escaped}"
            items.append(
                f'        {{\n          "uri": "{uri_base}{name}",'
                f'\n          "creation_timestamp": {seconds}{extra}\n        }}'
            )
        out.append(f',\n      "{kind}": [\n' + ",\n".join(items) + "\n      ]")

    def _share(self, out: list[str]) -> None:
        link, share_text = self._links[int(self.rnd() * len(self._links))]
        link = link.format(id=f"{self.rng.getrandbits(40):010x}")
        if self.rnd() < 0.5:
            out.append(f',\n      "content": "{link}"')
        else:
            out.append(',\n      "content": "' + self.text.sentence() + '"')
        out.append(
            f',\n      "share": {{\n        "link": "{link}",'
            f'\n        "share_text": {share_text}\n      }}'
        )

    def _call(self, out: list[str], th: _Thread, sender: str) -> None:
        if self.rnd() < 0.2:
            if sender == OWNER:
                other = next(m for m in th.members if m != OWNER)
                text = f"{other} missed your call."
            else:
                text = f"You missed a call from {sender}."
            duration = 0
        else:
            text = "The video call ended." if self.rnd() < 0.6 else "The call ended."
            duration = int(self.rng.expovariate(1 / 900)) + 1
        out.append(f',\n      "content": {self.q(text)},\n      "call_duration": {duration}')

    def _event(self, out: list[str], th: _Thread, sender: str) -> None:
        who = "You" if sender == OWNER else sender
        rnd = self.rnd
        if th.is_group:
            r = rnd()
            if r < 0.45:
                added = th.members[int(rnd() * len(th.members))]
                if added == OWNER:
                    added = th.members[0]
                out.append(f',\n      "content": {self.q(f"{who} added {added} to the group.")}')
                out.append(
                    f',\n      "users": [\n        {{\n          "name": {self.q(added)}'
                    "\n        }\n      ]"
                )
                return
            if r < 0.65 and sender in th.former:
                out.append(f',\n      "content": {self.q(f"{sender} left the group.")}')
                return
            if r < 0.8:
                out.append(f',\n      "content": {self.q(f"{who} named the group {th.title}.")}')
                return
        r = rnd()
        if r < 0.5:
            text = f"{who} sent an attachment."
        elif r < 0.8:
            emoji = FB_REACTIONS[int(rnd() * len(FB_REACTIONS))]
            text = f"Reacted {emoji} to your message "
        else:
            text = "Liked a message"
        out.append(f',\n      "content": {self.q(text)}')


def _check_empty(path: Path) -> None:
    if path.exists() and (not path.is_dir() or any(path.iterdir())):
        raise FileExistsError(f"{path} exists and is not an empty folder")


def _write_profile(root: Path) -> None:
    """The files of a download that name its owner."""
    write_meta_json(
        root / "profile_information" / "profile_information.json",
        {
            "profile_v2": {
                "name": {
                    "full_name": OWNER,
                    "first_name": "Jordan",
                    "middle_name": "",
                    "last_name": "Lee",
                },
                "emails": {"emails": ["jordan.lee@example.com"], "previous_emails": []},
                "registration_timestamp": 1_230_000_000,
                "current_city": {"value": "Kraków, Poland", "timestamp": 1_600_000_000},
            }
        },
        indent=2,
    )
    write_meta_json(
        root / "your_facebook_activity" / "messages" / "autofill_information.json",
        {"autofill_information_v2": {"FULL_NAME": [OWNER], "EMAIL": ["jordan.lee@example.com"]}},
        indent=2,
    )


def generate_facebook(
    outdir: str | Path,
    messages: int,
    seed: int = 0,
    media: bool = False,
    *,
    part_size: int = MAX_PART,
    media_limit: int = 200,
    large: Sequence[int] = (),
    profile: bool = True,
) -> dict[str, Any]:
    """Write a 2025-layout Facebook download of exactly ``messages`` messages
    (``large``: the sizes of its largest threads, see :func:`plan_sizes`;
    ``profile=False``: without the profile files that name its owner).

    Returns a summary: threads, messages, files (message_*.json), bytes, media_files,
    seconds, the largest thread and per-thread counts (``thread_messages``, keyed by
    ``<section>/<folder>``).
    """
    if not 1 <= part_size <= MAX_PART:
        raise ValueError(f"part_size must be in 1..{MAX_PART}")
    started = time.perf_counter()
    root = Path(outdir)
    _check_empty(root)
    rng = random.Random(seed)
    threads = _plan_threads(
        rng,
        messages,
        [("inbox", 0.78), ("archived_threads", 0.12), ("e2ee_cutover", 0.10)],
        large=large,
    )
    root.mkdir(parents=True, exist_ok=True)
    if profile:
        _write_profile(root)
    writer = _FacebookWriter(root, rng, media=media, media_limit=media_limit, part_size=part_size)
    sections: dict[str, int] = {}
    for th in threads:
        writer.write_thread(th)
        sections[th.section] = sections.get(th.section, 0) + 1
    largest = max(threads, key=lambda t: t.size) if threads else None
    return {
        "format": "facebook",
        "path": str(root),
        "threads": len(threads),
        "messages": sum(t.size for t in threads),
        "files": writer.files,
        "bytes": writer.bytes,
        "media_files": writer.media_written,
        "sections": sections,
        "largest_thread": f"{largest.section}/{largest.folder}" if largest else None,
        "largest_thread_messages": largest.size if largest else 0,
        "seconds": round(time.perf_counter() - started, 3),
        "thread_messages": {f"{t.section}/{t.folder}": t.size for t in threads},
    }


# --------------------------------------------------------------------------- instagram legacy

_IG_OFFSETS = [
    timezone(timedelta(hours=h, minutes=m))
    for h, m in [(1, 0), (2, 0), (-3, 0), (-5, 0), (5, 30), (9, 0)]
]


def _username(rng: random.Random, name: str) -> str:
    parts = [flatten_title(p) for p in name.split(" ") if flatten_title(p)]
    style = rng.randrange(4)
    if style == 0 or len(parts) == 1:
        base = "".join(parts)
    elif style == 1:
        base = ".".join(parts)
    elif style == 2:
        base = "_".join(parts)
    else:
        base = parts[0] + parts[-1][:1]
    if rng.random() < 0.4:
        base += str(rng.randrange(1, 100))
    return base or "user"


def _iso(us: int, tz: timezone) -> str:
    moment = datetime.fromtimestamp(us // 1_000_000, tz).replace(microsecond=us % 1_000_000)
    return moment.isoformat(timespec="microseconds")


def generate_instagram_legacy(
    path: str | Path, messages: int, seed: int = 0, *, chunk: int = 2_000
) -> dict[str, Any]:
    """Write a pre-December-2020 Instagram ``messages.json`` holding ``messages`` items.

    Streams: conversations and their items are written in chunks, never held whole.
    """
    started = time.perf_counter()
    out = Path(path)
    if out.exists():
        raise FileExistsError(f"{out} exists")
    rng = random.Random(seed)
    threads = _plan_threads(
        rng, messages, [("inbox", 1.0)], lo=T_START_MS, hi=IG_LEGACY_END_MS, deleted_name=None
    )
    users: dict[str, str] = {OWNER: OWNER_USERNAME}
    taken = {OWNER_USERNAME}

    def user(name: str) -> str:
        if name not in users:
            candidate = _username(rng, name)
            while candidate in taken:
                candidate += str(rng.randrange(10))
            users[name] = candidate
            taken.add(candidate)
        return users[name]

    text = _TextGen(rng, _identity)
    rnd = rng.random
    dumps = json.dumps
    out.parent.mkdir(parents=True, exist_ok=True)
    written = 0
    with open(out, "w", encoding="utf-8", newline="\n") as fh:
        fh.write("[")
        for index, th in enumerate(threads):
            members = [user(m) for m in th.members]
            bag = [user(m) for m in th.bag]
            tz = UTC if rnd() < 0.8 else _IG_OFFSETS[int(rnd() * len(_IG_OFFSETS))]
            head = dumps({"participants": members}, ensure_ascii=False)[:-1]
            fh.write(("" if index == 0 else ", ") + head + ', "conversation": [')
            clock = _Clock(rng, th, descending=True, hi=IG_LEGACY_END_MS)
            sender = bag[0]
            buf: list[str] = []
            first = True
            previous_us = IG_LEGACY_END_MS * 1000
            for _ in range(th.size):
                if rnd() > 0.4:
                    sender = bag[int(rnd() * len(bag))]
                # sub-millisecond digits must not break the newest-first order
                us = min(clock.tick() * 1000 + int(rnd() * 1000), previous_us)
                previous_us = us
                item: dict[str, Any] = {"sender": sender, "created_at": _iso(us, tz)}
                r = rnd()
                if r < 0.86:
                    item["text"] = text.text()
                elif r < 0.91:
                    item["media_url"] = (
                        "https://scontent-lhr8-1.cdninstagram.com/v/t51.2885-15/"
                        f"{rng.getrandbits(48)}_n.jpg"
                    )
                elif r < 0.94:
                    item["heart"] = "❤️"
                elif r < 0.965:
                    owner = bag[int(rnd() * len(bag))]
                    item["story_share"] = f"{owner}'s story"
                    item["text"] = text.text() if rnd() < 0.5 else ""
                elif r < 0.98:
                    item["media_share_url"] = (
                        f"https://www.instagram.com/p/{rng.getrandbits(40):x}/"
                    )
                    item["media_owner"] = bag[int(rnd() * len(bag))]
                    item["media_share_caption"] = text.sentence()
                elif th.is_group and r < 0.99:
                    group_name = GROUP_TITLES[int(rnd() * len(GROUP_TITLES))]
                    item["action"] = f"{sender} named the group {group_name}"
                else:
                    item["text"] = text.sentence() + " (via link)"
                    item["link"] = "https://www.instagram.com/explore/"
                if rnd() < 0.05:
                    liker = members[int(rnd() * len(members))]
                    item["likes"] = [{"username": liker, "date": _iso(us + 60_000_000, tz)}]
                buf.append(dumps(item, ensure_ascii=False))
                if len(buf) >= chunk:
                    fh.write(("" if first else ", ") + ", ".join(buf))
                    first = False
                    buf.clear()
            if buf:
                fh.write(("" if first else ", ") + ", ".join(buf))
            fh.write("]}")
            written += th.size
        fh.write("]")
    return {
        "format": "instagram-legacy",
        "path": str(out),
        "threads": len(threads),
        "messages": written,
        "files": 1,
        "bytes": out.stat().st_size,
        "seconds": round(time.perf_counter() - started, 3),
    }


# --------------------------------------------------------------------------- messenger e2ee


def generate_messenger_e2ee(
    outdir: str | Path,
    messages: int,
    seed: int = 0,
    media: bool = False,
    *,
    empty_files: int | None = None,
    media_limit: int = 50,
) -> dict[str, Any]:
    """Write a Messenger encrypted-chat download: flat ``<Thread>_<N>.json`` files.

    Also writes ``empty_files`` zero-byte thread files (default 2 + threads // 50).
    """
    started = time.perf_counter()
    root = Path(outdir)
    _check_empty(root)
    rng = random.Random(seed)
    threads = _plan_threads(
        rng, messages, [("e2ee", 1.0)], lo=CUTOVER_MS, hi=T_END_MS, deleted_name=None
    )
    root.mkdir(parents=True, exist_ok=True)
    text = _TextGen(rng, _identity)
    rnd = rng.random
    dumps = json.dumps
    files = 0
    media_written = 0
    total_bytes = 0
    for number, th in enumerate(threads, start=1):
        name = th.title
        path = root / f"{name}_{number}.json"
        head = dumps({"participants": th.members, "threadName": name}, ensure_ascii=False)[:-1]
        clock = _Clock(rng, th, descending=rnd() < 0.3, lo=CUTOVER_MS)
        sender = th.bag[0]
        pending: str | None = None
        with open(path, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(head + ', "messages": [\n')
            first = True
            for _ in range(th.size):
                if rnd() > 0.4:
                    sender = th.bag[int(rnd() * len(th.bag))]
                ts = clock.tick()
                r = rnd()
                media_items: list[dict[str, str]] = []
                unsent = False
                if r < 0.88:
                    kind, body = "text", text.text()
                elif r < 0.94:
                    kind, body = "media", ""
                    for _ in range(1 + int(rnd() * rnd() * 3)):
                        if rnd() < 0.03:
                            media_items.append({"uri": "Failed to download media"})
                            continue
                        file_name = f"{rng.getrandbits(128):032x}.jpeg"
                        media_items.append({"uri": f"./media/{file_name}"})
                        if media and media_written < media_limit:
                            (root / "media").mkdir(exist_ok=True)
                            (root / "media" / file_name).write_bytes(TINY_JPEG)
                            media_written += 1
                elif r < 0.97:
                    link, _ = LINKS[int(rnd() * len(LINKS))]
                    kind, body = "link", link.format(id=f"{rng.getrandbits(40):010x}")
                elif r < 0.98:
                    kind, body, unsent = "placeholder", "User unsent a message", True
                else:
                    kind, body = "text", text.sentence()
                reactions = []
                if rnd() < 0.08:
                    k = 1 + int(rnd() * rnd() * min(3, len(th.members)))
                    for actor in rng.sample(th.members, k):
                        emoji = E2EE_REACTIONS[int(rnd() * len(E2EE_REACTIONS))]
                        reactions.append({"actor": actor, "reaction": emoji})
                line = dumps(
                    {
                        "isUnsent": unsent,
                        "media": media_items,
                        "reactions": reactions,
                        "senderName": sender,
                        "text": body,
                        "timestamp": ts,
                        "type": kind,
                    },
                    ensure_ascii=False,
                )
                if pending is None:
                    pending = line
                    continue
                if rnd() < 0.05:  # order is "not guaranteed": swap a neighbour pair
                    line, pending = pending, line
                fh.write(("" if first else ",\n") + pending)
                first = False
                pending = line
            if pending is not None:
                fh.write(("" if first else ",\n") + pending)
            fh.write("\n]}")
        files += 1
        total_bytes += path.stat().st_size
    if empty_files is None:
        empty_files = 2 + len(threads) // 50
    pool = _name_pool(random.Random(seed + 1))
    for k in range(empty_files):
        (root / f"{pool[k % len(pool)]}_{len(threads) + k + 1}.json").touch()
    return {
        "format": "messenger-e2ee",
        "path": str(root),
        "threads": len(threads),
        "messages": sum(t.size for t in threads),
        "files": files,
        "empty_files": empty_files,
        "bytes": total_bytes,
        "media_files": media_written,
        "seconds": round(time.perf_counter() - started, 3),
    }


# --------------------------------------------------------------------------- CLI

GENERATORS = {
    "facebook": generate_facebook,
    "instagram-legacy": generate_instagram_legacy,
    "messenger-e2ee": generate_messenger_e2ee,
}


def main(argv: Sequence[str] | None = None, stdout: TextIO | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="generate.py", description="Generate synthetic Meta message downloads."
    )
    sub = parser.add_subparsers(dest="kind", required=True)
    for kind, help_text, target in [
        ("facebook", "Facebook 2025-layout DYI download", "OUTDIR"),
        ("instagram-legacy", "pre-Dec-2020 Instagram messages.json", "OUTFILE"),
        ("messenger-e2ee", "Messenger encrypted-chat folder", "OUTDIR"),
    ]:
        p = sub.add_parser(kind, help=help_text)
        p.add_argument("out", metavar=target, type=Path)
        p.add_argument("--messages", "-n", type=int, required=True)
        p.add_argument("--seed", type=int, default=0)
        if kind != "instagram-legacy":
            p.add_argument("--media", action="store_true", help="write a few tiny media files")
        if kind == "facebook":
            p.add_argument("--part-size", type=int, default=MAX_PART)
            p.add_argument("--large", default="",
                           help="sizes of the largest threads, comma-separated")
            p.add_argument("--no-profile", action="store_true",
                           help="leave out the files that name the download's owner")
    args = parser.parse_args(argv)
    if args.messages < 0:
        parser.error("--messages must be >= 0")
    try:
        if args.kind == "facebook":
            large = [int(n) for n in args.large.split(",") if n.strip()]
            summary = generate_facebook(
                args.out, args.messages, args.seed, args.media, part_size=args.part_size,
                large=large, profile=not args.no_profile,
            )
        elif args.kind == "instagram-legacy":
            summary = generate_instagram_legacy(args.out, args.messages, args.seed)
        else:
            summary = generate_messenger_e2ee(args.out, args.messages, args.seed, args.media)
    except (FileExistsError, ValueError) as exc:
        parser.exit(2, f"generate.py: error: {exc}\n")
    summary.pop("thread_messages", None)
    print(json.dumps(summary, ensure_ascii=False, indent=2), file=stdout or sys.stdout)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
