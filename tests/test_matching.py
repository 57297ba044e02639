"""One way to match a name everywhere, and folding of letters that Unicode
does not decompose (ł, đ, ø, æ, œ, ß, þ, ı) in the index, queries and marks."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from archiver.folding import fold, fold_letters, unfold_marks
from archiver.read.search import mark_matches
from tests.support.cli import run, run_json
from tests.support.downloads import write_thread

FOLDED_WORDS = {
    "jadlem": "Wczoraj jadłem pierogi",
    "di": "Mình đi ăn nhé",
    "smorrebrod": "Smørrebrød til frokost",
    "strasse": "Wir treffen uns in der Straße",
    "aegir": "Ægir brews the ale",
    "oeuvre": "Une œuvre majeure",
    "thorn": "Þorn is an old letter",
    "istanbul": "Yarın ıstanbul'a gidiyoruz",
}


def msg(ts: int, text: str, sender: str) -> dict:
    return {"sender_name": sender, "timestamp_ms": ts, "content": text}


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("dl") / "facebook-jordan-2024-01-01-abc"
    inbox = root / "your_facebook_activity" / "messages" / "inbox"
    write_thread(inbox / "agnespataki_1", [msg(1000 + i, t, "Ágnes Pataki")
                                           for i, t in enumerate(FOLDED_WORDS.values())],
                 title="Ágnes Pataki", participants=("Ágnes Pataki", "Jordan Lee"))
    write_thread(inbox / "michal_2", [msg(5000, "Cześć", "Michał Kowalski")],
                 title="Michał Kowalski", participants=("Michał Kowalski", "Jordan Lee"))
    write_thread(inbox / "zoe_3", [msg(6000, "salut", "Zoë Faure")],
                 title="Zoë Faure", participants=("Zoë Faure", "Jordan Lee"))
    write_thread(inbox / "anamaria_4", [msg(7000, "hola", "Ana María Ruiz")],
                 title="Ana María Ruiz", participants=("Ana María Ruiz", "Jordan Lee"))
    for n, ts in ((5, 8000), (6, 9000)):
        write_thread(inbox / f"weekendcrew_{n}",
                     [msg(ts + i, f"plan {i}", "Ana María Ruiz") for i in range(n - 3)],
                     title="Weekend crew", participants=("Ana María Ruiz", "Zoë Faure",
                                                         "Jordan Lee"))
    archive = tmp_path_factory.mktemp("archive") / "archive"
    code, _, err = run(archive, "import", str(root))
    assert code == 0, err
    return archive


@pytest.mark.parametrize(("ref", "title"), [
    ("zoe", "Zoë Faure"), ("ana maria", "Ana María Ruiz"), ("AGNES", "Ágnes Pataki"),
    ("michal", "Michał Kowalski"), ("  Michał  ", "Michał Kowalski"), ("pataki!", "Ágnes Pataki"),
])
def test_show_finds_names_without_accents_or_case(archive: Path, ref: str, title: str) -> None:
    assert run_json(archive, "show", ref)["thread"]["title"] == title


def test_every_command_that_takes_a_thread_matches_alike(archive: Path, tmp_path: Path) -> None:
    out = tmp_path / "agnes.md"
    code, _, err = run(archive, "export", "agnes", "-o", str(out))
    assert code == 0, err
    assert "Ágnes Pataki" in out.read_text(encoding="utf-8")
    hits = run_json(archive, "search", "cześć", "--thread", "michal")
    assert [h["thread"] for h in hits] == ["Michał Kowalski"]
    code, out_text, err = run(archive, "why", "michal")
    assert code == 0, err
    assert "Michał Kowalski" in out_text
    assert [h["thread"] for h in run_json(archive, "search", "in:michal")] == ["Michał Kowalski"]


def test_an_ambiguous_name_lists_what_tells_conversations_apart(archive: Path) -> None:
    code, out, err = run(archive, "show", "weekend crew")
    assert code == 2 and out == ""
    lines = err.splitlines()
    assert lines[0] == "chatkeep: 'weekend crew' names 2 conversations; give one's id:"
    ids = [c["id"] for c in run_json(archive, "threads") if c["title"] == "Weekend crew"]
    assert lines[1:] == [
        f"  {ids[0]}  Weekend crew  (facebook, last 1970-01-01, 3 messages)",
        f"  {ids[1]}  Weekend crew  (facebook, last 1970-01-01, 2 messages)",
    ]
    # The id then names one.
    assert run_json(archive, "show", str(ids[1]))["thread"]["messages"] == 2


def test_a_name_matching_nothing(archive: Path) -> None:
    code, _, err = run(archive, "show", "nobody here")
    assert code == 2
    assert err == "chatkeep: no conversation matches 'nobody here' (see: chatkeep threads)\n"


@pytest.mark.parametrize(("word", "text"), FOLDED_WORDS.items())
def test_search_folds_letters_unicode_does_not_decompose(
    archive: Path, word: str, text: str
) -> None:
    [hit] = run_json(archive, "search", word)
    assert hit["text"] == text
    # The mark sits on the word as written, which folds to what was typed.
    marked = hit["snippet"].split("[", 1)[1].split("]", 1)[0]
    assert marked in text and fold(marked) == word
    # Typed with its own letters, the word finds the same message.
    assert [h["text"] for h in run_json(archive, "search", marked.lower())] == [text]


def test_found_words_are_marked_in_their_own_letters(archive: Path) -> None:
    [hit] = run_json(archive, "search", "jadlem")
    assert hit["snippet"] == "Wczoraj [jadłem] pierogi"
    [hit] = run_json(archive, "search", "smorre*")
    assert hit["snippet"] == "[Smørrebrød] til frokost"
    assert mark_matches("strasse", "Straße und STRASSE") == [
        ("Straße", True), (" und ", False), ("STRASSE", True)]
    assert mark_matches("ægir", "Ægir brews") == [("Ægir", True), (" brews", False)]


def test_unfold_marks_keeps_cut_snippets() -> None:
    text = "aaa ł bbb Straße ccc"
    folded = fold_letters(text)
    assert folded == "aaa l bbb Strasse ccc"
    marked = "…bbb <Strasse> ccc"
    assert unfold_marks(text, marked, "<", ">") == "…bbb <Straße> ccc"


# Letters folding spells out (ł, ß, æ…), one it decomposes (é), and plain ones.
_letters = st.sampled_from(list("abelsøßæÆŁłéþı"))
_words = st.lists(st.text(_letters, min_size=1, max_size=5), min_size=1, max_size=9)


@settings(max_examples=300)
@given(_words, st.data())
def test_unfold_marks_puts_marks_on_the_letters_as_written(
    words: list[str], data: st.DataObject
) -> None:
    """FTS5 marks words in the folded text, in a snippet that may be cut at
    either end ("…"): the marks land on the same words as written, at the
    start, the middle and the very end of a text."""
    words = [f"{w}{k}" for k, w in enumerate(words)]  # each window found once
    n = len(words)
    first = data.draw(st.integers(0, n - 1), label="first")
    end = data.draw(st.integers(first + 1, n), label="end")
    marked = data.draw(st.sets(st.integers(first, end - 1)), label="marked")

    def snippet(shown: list[str]) -> str:
        body = " ".join(f"<{w}>" if k in marked else w
                        for k, w in enumerate(shown) if first <= k < end)
        return ("…" if first > 0 else "") + body + ("…" if end < n else "")

    folded = snippet([fold_letters(w) for w in words])
    assert unfold_marks(" ".join(words), folded, "<", ">") == snippet(words)


@settings(max_examples=150, deadline=None)
@given(_words, st.lists(st.sampled_from([" ", ", ", ". ", " - ", "\n"]), min_size=8,
                        max_size=8), st.data())
def test_the_reader_marks_every_match_as_written(
    words: list[str], separators: list[str], data: st.DataObject
) -> None:
    """The marks the reader draws on a hit cover exactly the words that fold
    to the searched word, and the text around them is the message's own."""
    text = words[0] + "".join(s + w for s, w in zip(separators, words[1:], strict=False))
    word = data.draw(st.sampled_from(words), label="word")
    query = data.draw(st.sampled_from([word, fold(word), word.upper()]), label="query")
    pieces = mark_matches(query, text)
    assert "".join(piece for piece, _ in pieces) == text
    assert [piece for piece, hit in pieces if hit] == [w for w in words if fold(w) == fold(word)]


def test_a_folded_word_that_ends_the_text_is_marked(archive: Path) -> None:
    [hit] = run_json(archive, "search", "strasse")
    assert hit["snippet"] == "Wir treffen uns in der [Straße]"


def test_json_of_search_is_exact(archive: Path) -> None:
    code, out, _ = run(archive, "search", "--json", "ıstanbul")
    assert code == 0
    assert json.loads(out)[0]["text"] == FOLDED_WORDS["istanbul"]


@pytest.fixture(scope="module")
def crowd(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Names that hold "ana" inside a word, beside one that starts with it."""
    root = tmp_path_factory.mktemp("crowd") / "facebook-jordan-2024-01-01-abc"
    inbox = root / "your_facebook_activity" / "messages" / "inbox"
    for n, title in enumerate(("Ana María Ruiz", "Mariana Costa", "Hana Tanaka", "Maya Chen")):
        write_thread(inbox / f"t_{n}", [msg(1000 + n, f"hello from {title}", title)],
                     title=title, participants=(title, "Jordan Lee"))
    archive = tmp_path_factory.mktemp("crowd_archive") / "archive"
    code, _, err = run(archive, "import", str(root))
    assert code == 0, err
    return archive


def test_names_match_from_the_start_of_a_word(crowd: Path) -> None:
    # "ana" is inside "Mariana" and "Tanaka": neither is named by it.
    assert run_json(crowd, "show", "ana")["thread"]["title"] == "Ana María Ruiz"
    assert run_json(crowd, "show", "costa")["thread"]["title"] == "Mariana Costa"
    assert [h["thread"] for h in run_json(crowd, "search", "hello in:ana")] == ["Ana María Ruiz"]
    code, _, err = run(crowd, "show", "aka")
    assert code == 2 and "no conversation matches 'aka'" in err


@pytest.mark.parametrize(("typed", "meant"), [
    ("Maya Chn", "Maya Chen"), ("Anna", "Ana María Ruiz"), ("mariama", "Mariana Costa"),
])
def test_a_mistyped_name_is_answered_with_the_nearest(crowd: Path, typed: str, meant: str) -> None:
    ids = {c["title"]: c["id"] for c in run_json(crowd, "threads")}
    code, out, err = run(crowd, "show", typed)
    assert code == 2 and out == ""
    assert err.startswith(f"chatkeep: no conversation matches '{typed}'; did you mean "
                          f'"{meant}" ({ids[meant]})'), err
    assert err.endswith(" (see: chatkeep threads)\n") and err.count("\n") == 1


def test_a_name_near_nothing_suggests_nothing(crowd: Path) -> None:
    code, _, err = run(crowd, "show", "Bartłomiej")
    assert code == 2
    assert err == "chatkeep: no conversation matches 'Bartłomiej' (see: chatkeep threads)\n"
