"""Text analysis: jieba for Chinese, Whoosh's stemmer for English, pypinyin for romanised queries.

jieba's dictionary loads here, once per process, when the module is imported (create_app
imports it, so gunicorn --preload shares it between workers). Its cache file lives under the
instance folder.

Index text is cut in jieba's search mode (a long word also yields its dictionary sub-words);
queries are cut in precise mode, so every query word is one of the index words. HMM guessing is
off on both sides: it cuts the same characters differently in different contexts, which loses
recall. Domain words are added one by one as single terms; a compound (太平猴魁) would hide its
parts (猴魁) from the search-mode cut, so only the parts are added.
"""

import logging
import os
import re
import unicodedata
from functools import lru_cache

import jieba
from whoosh.analysis import (
    LowercaseFilter,
    RegexTokenizer,
    StemmingAnalyzer,
    StopFilter,
    Token,
    Tokenizer,
)

from config.settings import Config

log = logging.getLogger(__name__)

# Single terms jieba's stock dictionary cuts apart (非遗传承人 -> 非/遗传/承/人 without them).
DOMAIN_WORDS = (
    "非遗", "传承人", "宣纸", "猴魁", "皇菊", "幸福院", "研学", "农家乐", "土鸡蛋", "竹编",
    "剪纸", "草编", "手工纸", "红绿茶", "糯米", "腊肉", "土蜂蜜", "老党员", "民宿", "古法",
)

# English a buyer may type for the Chinese words of a title ("rice paper" for 宣纸): indexed
# with the English title, so English queries find listings whose English text says otherwise.
GLOSSES = {
    "宣纸": "rice paper xuan paper", "书法": "calligraphy", "红色": "red history",
    "故事": "story stories storytelling", "讲述": "storytelling", "村史": "village history storytelling",
    "民宿": "homestay guesthouse", "绿茶": "green tea", "红茶": "black tea", "茶叶": "tea",
    "非遗": "intangible heritage", "竹编": "bamboo weaving", "剪纸": "paper cutting papercut",
    "土鸡蛋": "free range eggs", "鸡蛋": "eggs", "大米": "rice", "小米": "millet",
    "采茶": "tea picking", "研学": "study trip", "徒步": "hiking walk",
}

_WORD = re.compile(r"\w", re.UNICODE)
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


def _init_jieba() -> None:
    instance = os.environ.get("INSTANCE_DIR") or str(Config.INSTANCE_DIR)
    try:
        os.makedirs(instance, exist_ok=True)
        jieba.dt.tmp_dir = instance
        jieba.dt.cache_file = "jieba.cache"
    except OSError:  # read-only instance folder: fall back to jieba's temp-dir cache
        log.warning("instance folder %s not writable; jieba caches in the temp dir", instance)
    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()
    for word in DOMAIN_WORDS:
        jieba.add_word(word, freq=10000)


_init_jieba()


def normalize(text: str) -> str:
    """Full-width to half-width, compatibility forms folded, lower case."""
    return unicodedata.normalize("NFKC", text or "").lower()


def has_cjk(text: str) -> bool:
    return bool(_CJK.search(text))


class JiebaTokenizer(Tokenizer):
    """Search-mode cut for indexing, precise cut for queries; punctuation and spaces dropped."""

    def __call__(self, value, positions=False, chars=False, keeporiginal=False,
                 removestops=True, start_pos=0, start_char=0, mode="", **kwargs):
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        value = unicodedata.normalize("NFKC", value)
        cut_mode = "default" if mode == "query" else "search"
        pos = start_pos
        words = _short_cut(value, cut_mode) if len(value) <= 80 else _cut(value, cut_mode)
        for word, start, end in words:
            token.text = word
            token.boost = 1.0
            token.stopped = False
            if keeporiginal:
                token.original = word
            if positions:
                token.pos = pos
                pos += 1
            if chars:
                token.startchar = start_char + start
                token.endchar = start_char + end
            yield token


def _cut(value: str, cut_mode: str) -> tuple[tuple[str, int, int], ...]:
    return tuple(item for item in jieba.tokenize(value, mode=cut_mode, HMM=False)
                 if _WORD.search(item[0]))


# Titles, tags and place names repeat across listings: cut each short text once.
_short_cut = lru_cache(maxsize=100_000)(_cut)


def chinese_analyzer():
    return JiebaTokenizer() | LowercaseFilter()


def english_analyzer():
    return StemmingAnalyzer()


class _SpaceTokenizer(Tokenizer):
    def __call__(self, value, positions=False, chars=False, keeporiginal=False,
                 removestops=True, start_pos=0, start_char=0, mode="", **kwargs):
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        for pos, match in enumerate(re.finditer(r"[a-z0-9]+", value.lower())):
            token.text = match.group()
            token.boost = 1.0
            token.stopped = False
            if positions:
                token.pos = start_pos + pos
            if chars:
                token.startchar = start_char + match.start()
                token.endchar = start_char + match.end()
            yield token


def plain_analyzer():
    """Lower-case ASCII words, no stemming: pinyin."""
    return _SpaceTokenizer()


def spelling_analyzer():
    """The words typos are corrected towards: plain words of letters (no numbers), without
    stop words ("the")."""
    return RegexTokenizer(r"[A-Za-z]+") | LowercaseFilter() | StopFilter()


_CJK_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")


def index_grams(text: str) -> list[str]:
    """Every Chinese character and pair of neighbouring characters in `text`.

    A word that occurs in a text has all its pairs in it, so matching a query word's pairs
    finds at least every listing that contains the word: recall does not depend on how jieba
    happened to cut either side.
    """
    grams: list[str] = []
    for run in _CJK_RUN.findall(unicodedata.normalize("NFKC", text or "")):
        grams.extend(run)
        grams.extend(run[i:i + 2] for i in range(len(run) - 1))
    return grams


def query_grams(word: str) -> tuple[str, ...]:
    """The pairs of a query word's Chinese characters (the character itself when alone)."""
    grams: list[str] = []
    for run in _CJK_RUN.findall(unicodedata.normalize("NFKC", word)):
        grams.extend(run if len(run) == 1 else (run[i:i + 2] for i in range(len(run) - 1)))
    return tuple(dict.fromkeys(grams))


class _GramTokenizer(Tokenizer):
    def __call__(self, value, positions=False, chars=False, keeporiginal=False,
                 removestops=True, start_pos=0, start_char=0, mode="", **kwargs):
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        for pos, gram in enumerate(index_grams(value)):
            token.text = gram
            token.boost = 1.0
            token.stopped = False
            if positions:
                token.pos = start_pos + pos
            yield token


def gram_analyzer():
    return _GramTokenizer()


def pinyin_terms(text: str) -> list[str]:
    """Romanised forms of the Chinese words in `text`.

    Each word gives its syllables ("xuan", "zhi"), the syllables joined ("xuanzhi") and, for
    words of two or more syllables, the initials ("xz"). So "xuanzhi", "xuan zhi" and "xz" all
    find 宣纸.
    """
    terms: list[str] = []
    for word in jieba.cut(unicodedata.normalize("NFKC", text or ""), HMM=False):
        if has_cjk(word):
            terms.extend(_word_pinyin(word))
    return terms


@lru_cache(maxsize=50_000)
def word_syllables(word: str) -> tuple[str, ...]:
    """The toneless pinyin syllables of a word's Chinese characters ("宣纸" -> xuan, zhi)."""
    from pypinyin import lazy_pinyin  # loaded on first use only

    return tuple(s for s in lazy_pinyin(word, errors="ignore") if s.isascii() and s.isalpha())


@lru_cache(maxsize=50_000)
def _word_pinyin(word: str) -> tuple[str, ...]:
    syllables = word_syllables(word)
    if len(syllables) < 2:
        return syllables
    return (*syllables, "".join(syllables), "".join(s[0] for s in syllables))


def query_words(text: str, limit: int = 32) -> list[str]:
    """Split a user's query into words: precise jieba cut for Chinese runs, ASCII words kept.

    Whoosh query syntax is never interpreted: quotes, brackets, `field:value`, `AND`, `*` and
    the like are plain characters here, and punctuation is dropped.
    """
    text = normalize(text)[:200]
    words: list[str] = []
    for word in jieba.cut(text, HMM=False):
        word = word.strip()
        if not word or not _WORD.search(word):
            continue
        if has_cjk(word):
            words.append(word)
        else:
            words.extend(re.findall(r"[^\W_]+", word))
        if len(words) >= limit:
            break
    seen: set[str] = set()
    return [w for w in words[:limit] if not (w in seen or seen.add(w))]


def glosses(text: str) -> str:
    """English glosses of the domain words in `text` (see GLOSSES)."""
    found = [GLOSSES[w] for w in dict.fromkeys(jieba.cut(text or "", HMM=False)) if w in GLOSSES]
    return " ".join(found)
