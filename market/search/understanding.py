"""What a query means, before any backend sees it: the words split and normalised, words that
say nothing dropped, and each remaining word turned into a *concept*, the alternatives that
would satisfy it (synonyms, the places below a named place, the pinyin of a Chinese word for a
wrong character of the same sound).

The lexicon is plain text in market/search/data/ (synonyms.txt, places.txt, stopwords.txt), read
once per process, so a home's staff can extend it with a one-line change.
"""

import re
import unicodedata
from functools import lru_cache
from pathlib import Path

from market.search.analysis import DOMAIN_WORDS, GLOSSES, has_cjk, normalize, query_words, word_syllables
from market.search.backend import Alternative, Concept

DATA = Path(__file__).parent / "data"

# How much an alternative counts beside the word the buyer typed.
EXACT, SYNONYM, PLACE, SOUND, NEAR_SOUND = 1.0, 0.8, 0.9, 0.6, 0.5


def _lines(name: str):
    for line in (DATA / name).read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            yield line


def _key(text: str) -> str:
    """A lexicon entry or a query phrase in the form they are compared in: split as queries
    are, then Chinese put back together, so how the dictionary cuts it does not matter."""
    return _compact(" ".join(query_words(fold(text))))


_CJK_GAP = re.compile(r"(?<=[\u3400-\u9fff]) (?=[\u3400-\u9fff])")


def _compact(phrase: str) -> str:
    return _CJK_GAP.sub("", phrase)


@lru_cache(maxsize=1)
def stopwords() -> frozenset[str]:
    return frozenset(normalize(line) for line in _lines("stopwords.txt"))


@lru_cache(maxsize=1)
def synonyms() -> dict[str, tuple[str, ...]]:
    """word -> the other words it also means, from synonyms.txt."""
    table: dict[str, tuple[str, ...]] = {}
    for line in _lines("synonyms.txt"):
        word, _, others = line.partition("=")
        # Keys are split as queries are, to be compared with them; the other words are kept
        # whole (明前 stays one word, not 明 and 前 anywhere in a listing).
        alternatives = tuple(" ".join(fold(o).split()) for o in others.split(",") if o.strip())
        if _key(word) and alternatives:
            table[_key(word)] = tuple(dict.fromkeys(table.get(_key(word), ()) + alternatives))
    return table


@lru_cache(maxsize=1)
def places() -> dict[str, tuple[str, ...]]:
    """Any name of a place -> the Chinese names of that place and of every place below it."""
    below: dict[str, list[str]] = {}
    names_of: dict[str, list[str]] = {}
    for line in _lines("places.txt"):
        path = [[n.strip() for n in node.split("/") if n.strip()] for node in line.split(">")]
        for depth, names in enumerate(path):
            official = names[0]
            names_of[official] = names
            found = below.setdefault(official, [])
            for lower in path[depth:]:
                found.extend(n for n in lower if has_cjk(n) and n not in found)
    table: dict[str, tuple[str, ...]] = {}
    for official, names in names_of.items():
        for name in names:
            table[_key(name)] = tuple(dict.fromkeys(table.get(_key(name), ()) + tuple(below[official])))
    return table


_BNB = re.compile(r"\bb\s*&\s*b\b")
_COMBINING = re.compile(r"[\u0300-\u036f]")


def fold(text: str) -> str:
    """Full width to half width, lower case, and pinyin tone marks off: ü (typed as v in
    pinyin) becomes v, so lǜchá reads lvcha."""
    text = unicodedata.normalize("NFD", normalize(text)).replace("u\u0308", "v")
    return unicodedata.normalize("NFC", _COMBINING.sub("", text))


_CJK_CHAR = re.compile(r"^[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]$")


def _join_single_characters(words: list[str]) -> list[str]:
    """Runs of single Chinese characters as one word: the dictionary cuts a word with a wrong
    character (宣止) into characters, and only together do they spell its pinyin. A character
    that is a lexicon entry of its own (茶, 米) stays alone."""
    out: list[str] = []
    joining = False
    for word in words:
        single = bool(_CJK_CHAR.match(word)) and word not in synonyms()
        if single and joining:
            out[-1] += word
        else:
            out.append(word)
        joining = single
    return out


def _phrases(words: list[str]) -> list[str]:
    """Join neighbouring words into a lexicon phrase where one exists ("rice paper", 带孩子,
    前屯村 however it was cut), longest first; other runs of single characters as one word."""
    out: list[str] = []
    loose: list[str] = []  # words not part of a lexicon phrase, waiting to be added
    i = 0
    while i < len(words):
        for size in (4, 3, 2, 1):
            phrase = _compact(" ".join(words[i:i + size]))
            if i + size <= len(words) and (phrase in synonyms() or phrase in places()):
                out += _join_single_characters(loose) + [phrase]
                loose = []
                i += size
                break
        else:
            loose.append(words[i])
            i += 1
    return out + _join_single_characters(loose)


@lru_cache(maxsize=1)
def _lexicon_by_sound() -> dict[str, tuple[str, ...]]:
    """Toneless pinyin -> the Chinese words of the lexicon that sound like it (shufa -> 书法),
    so pinyin and homophone typos reach the words listings use, and their synonyms."""
    words: set[str] = set(DOMAIN_WORDS) | set(GLOSSES)
    for key, others in synonyms().items():
        words.add(key)
        words.update(others)
    for key, others in places().items():
        words.add(key)
        words.update(others)
    table: dict[str, list[str]] = {}
    for word in sorted(words):
        if has_cjk(word) and " " not in word and len(word) >= 2:
            table.setdefault("".join(word_syllables(word)), []).append(word)
    return {sound: tuple(found) for sound, found in table.items()}


def _near_sounds(syllables: tuple[str, ...]) -> set[str]:
    """Spellings of the same word by someone who mixes up -n and -ng (明宿 for 民宿), the most
    common confusion of sound between regions."""
    variants = {""}
    for syllable in syllables[:4]:
        options = {syllable}
        if syllable.endswith("ng"):
            options.add(syllable[:-1])
        elif syllable.endswith("n"):
            options.add(syllable + "g")
        variants = {v + o for v in variants for o in options}
    return variants - {"".join(syllables)}


def _by_sound(sound: str, weight: float, fallback: bool = False) -> list[Alternative]:
    """Lexicon words spelled by this pinyin, with their own synonyms and places below."""
    out: list[Alternative] = []
    for word in _lexicon_by_sound().get(sound, ()):
        out.append(Alternative((word,), weight, fallback))
        out.extend(Alternative(tuple(o.split()), weight * SYNONYM, fallback)
                   for o in synonyms().get(word, ()))
        out.extend(Alternative((name,), weight * PLACE, fallback) for name in places().get(word, ()))
    return out


def _sound_alternatives(phrase: str) -> list[Alternative]:
    if has_cjk(phrase):
        if len(phrase) < 2:
            return []
        # A wrong character of the same sound (宣止 for 宣纸) still spells the right pinyin.
        syllables = word_syllables(phrase)
        sound = "".join(syllables)
        out = [Alternative((sound,), SOUND, True)] + _by_sound(sound, SOUND, True)
        for near in sorted(_near_sounds(syllables)):
            out += [Alternative((near,), NEAR_SOUND, True)] + _by_sound(near, NEAR_SOUND, True)
        return out
    if " " in phrase or not phrase.isalpha():
        return []
    out = _by_sound(phrase, PLACE)
    if not out:  # two words' pinyin run together: hongsegushi
        for i in range(2, len(phrase) - 1):
            left, right = _lexicon_by_sound().get(phrase[:i]), _lexicon_by_sound().get(phrase[i:])
            if left and right:
                out.append(Alternative((left[0], right[0]), PLACE))
    return out


def understand(text: str) -> list[Concept]:
    """The concepts of a query, in the order typed; stop words and repeats dropped."""
    text = _BNB.sub(" bnb ", fold(text))
    words = [w for w in query_words(text) if w not in stopwords()]
    concepts: list[Concept] = []
    for phrase in dict.fromkeys(_phrases(words)):
        alternatives = [Alternative(tuple(phrase.split()), EXACT)]
        for other in synonyms().get(phrase, ()):
            alternatives.append(Alternative(tuple(other.split()), SYNONYM))
        for name in places().get(phrase, ()):
            alternatives.append(Alternative((name,), PLACE))
        alternatives += _sound_alternatives(phrase)
        first: dict[tuple[str, ...], Alternative] = {}
        for alternative in alternatives:  # a repeat keeps its first (highest) weight
            first.setdefault(alternative.words, alternative)
        strong = not (has_cjk(phrase) and len(phrase) == 1)
        concepts.append(Concept(phrase, tuple(first.values()), strong))
    return concepts


def warm() -> None:
    """Read the lexicon and load pypinyin now (create_app), not in the first buyer's search."""
    understand("宣纸 xuanzhi")


def highlight_words(concepts: list[Concept]) -> list[str]:
    """The words the results page marks: what was typed, split as the backend splits it."""
    return [w for c in concepts for w in c.word.split()]
