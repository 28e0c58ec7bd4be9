"""Marking the query's words in titles and snippets. Everything else is escaped: the only markup
that reaches the page is our own <mark>…</mark> around escaped text."""

import re
from functools import lru_cache

import jieba
from markupsafe import Markup, escape
from whoosh.analysis import StemmingAnalyzer

from market.search.analysis import GLOSSES, has_cjk, word_syllables

_stem = StemmingAnalyzer()


@lru_cache(maxsize=1000)
def _gloss_stems(word: str) -> frozenset[str]:
    return frozenset(t.text for t in _stem(GLOSSES[word]))


def _syllable_runs(words: list[str]) -> set[tuple[str, ...]]:
    """Runs of romanised words a Chinese text must spell in a row: a lone word stands for
    itself; in a run of neighbouring words ("xuan zhi") every two or more in a row do, so one
    syllable is not marked wherever it occurs (纸, 制作)."""
    runs: list[list[str]] = [[]]
    for word in words:
        if has_cjk(word):
            runs.append([])
        else:
            runs[-1].append(word)
    found: set[tuple[str, ...]] = set()
    for run in runs:
        if len(run) == 1:
            found.add((run[0],))
        for size in range(2, len(run) + 1):
            found.update(tuple(run[i:i + size]) for i in range(len(run) - size + 1))
    return found


def _chinese_spans(text: str, words: list[str], stems: set[str]) -> list[tuple[int, int]]:
    """Chinese words that romanised or English query words stand for: a word whose joined
    syllables or initials were typed ("xuanzhi", "xz"), characters spelled syllable by syllable
    ("xuan zhi"), and a domain word whose English gloss was typed ("rice paper" -> 宣纸)."""
    wanted = {w for w in words if not has_cjk(w)}
    spans: list[tuple[int, int]] = []
    characters: list[tuple[str, int] | None] = []  # (syllable, position); None breaks a run
    for word, start, end in jieba.tokenize(text, HMM=False):
        syllables = word_syllables(word) if has_cjk(word) else ()
        if len(syllables) > 1 and wanted & {"".join(syllables), "".join(s[0] for s in syllables)}:
            spans.append((start, end))
        if word in GLOSSES and stems & _gloss_stems(word):
            spans.append((start, end))
        if syllables and len(syllables) == len(word):
            characters.extend((syllable, start + i) for i, syllable in enumerate(syllables))
        else:
            characters.append(None)
    for run in _syllable_runs(words):
        size = len(run)
        for i in range(len(characters) - size + 1):
            window = characters[i:i + size]
            if all(window) and tuple(c[0] for c in window) == run:
                spans.append((window[0][1], window[-1][1] + 1))
    return spans


def _spans(text: str, words: list[str]) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    lowered = text.lower()
    latin = [w for w in words if not has_cjk(w)]
    for word in words:
        if has_cjk(word):
            for match in re.finditer(re.escape(word), lowered):
                spans.append((match.start(), match.end()))
    if latin:
        stems = {t.text for w in latin for t in _stem(w, mode="query")}
        for token in _stem(text, chars=True, mode="index"):
            if token.text in stems:
                spans.append((token.startchar, token.endchar))
        if has_cjk(text):
            spans.extend(_chinese_spans(text, words, stems))
    spans.sort()
    merged: list[tuple[int, int]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged
def highlight(text: str, words: list[str], snippet: int | None = None) -> Markup:
    """`text` escaped, with the query words wrapped in <mark>. With `snippet`, only about that
    many characters around the first match (or from the start) are kept."""
    text = text or ""
    spans = _spans(text, words) if words else []
    begin, end = 0, len(text)
    if snippet is not None and len(text) > snippet:
        first = spans[0][0] if spans else 0
        begin = max(0, first - snippet // 3)
        end = min(len(text), begin + snippet)
    out = [Markup("…")] if begin > 0 else []
    cursor = begin
    for start, stop in spans:
        if stop <= begin or start >= end:
            continue
        start, stop = max(start, cursor), min(stop, end)
        out.append(escape(text[cursor:start]))
        out.append(Markup("<mark>%s</mark>") % text[start:stop])
        cursor = stop
    out.append(escape(text[cursor:end]))
    if end < len(text):
        out.append(Markup("…"))
    return Markup("").join(out)
