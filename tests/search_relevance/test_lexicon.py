"""Each line of the lexicon files (market/search/data/) does what it says: one test per entry."""

import pytest

from market.search.understanding import DATA, fold, places, stopwords, understand


def _entries(name: str) -> list[str]:
    return [line.strip() for line in (DATA / name).read_text(encoding="utf-8").splitlines()
            if line.strip() and not line.startswith("#")]


@pytest.mark.parametrize("line", _entries("synonyms.txt"))
def test_a_synonym_line_makes_its_word_find_the_other_words(line):
    word, _, others = line.partition("=")
    concepts = understand(word)
    assert len(concepts) == 1, f"{word!r} is not read as one concept: {concepts}"
    found = {" ".join(a.words) for a in concepts[0].alternatives}
    for other in others.split(","):
        assert " ".join(fold(other).split()) in found or other.strip().lower() == word.strip().lower(), other


@pytest.mark.parametrize("line", _entries("places.txt"))
def test_a_place_finds_the_places_below_it(line):
    path = [[n.strip() for n in node.split("/")] for node in line.split(">")]
    for depth, names in enumerate(path):
        below = {n for lower in path[depth + 1:] for n in lower if any("\u4e00" <= c <= "\u9fff" for c in n)}
        for name in names:
            assert below <= set(places()[" ".join(understand(name)[0].word.split())]), name


@pytest.mark.parametrize("word", _entries("stopwords.txt"))
def test_a_stop_word_alone_asks_for_nothing(word):
    assert word in stopwords()
    assert understand(word) == []


@pytest.mark.parametrize(("query", "word"), [
    ("我想买宣纸", "宣纸"),
    ("xuānzhǐ", "xuanzhi"),
    ("lǜchá", "lvcha"),
    ("ＲＩＣＥ　ＰＡＰＥＲ", "rice paper"),
    ("B&B", "bnb"),
])
def test_queries_are_folded_before_the_lexicon(query, word):
    assert [c.word for c in understand(query)] == [word]


def test_a_wrong_character_of_the_same_sound_reaches_the_word():
    (concept,) = understand("宣止")
    assert ("宣纸",) in [a.words for a in concept.alternatives if a.fallback]
    (concept,) = understand("明宿")  # -ng for -n
    assert ("民宿",) in [a.words for a in concept.alternatives if a.fallback]


def test_pinyin_reaches_the_lexicon_words_and_their_synonyms():
    (concept,) = understand("hongsegushi")
    assert ("红色", "故事") in [a.words for a in concept.alternatives]
    (concept,) = understand("handan")
    assert ("肥乡区",) in [a.words for a in concept.alternatives]
