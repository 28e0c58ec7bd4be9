"""Marking the query's words in titles and snippets. Everything else is escaped: the only markup
that reaches the page is our own <mark>…</mark> around escaped text."""

import re

import jieba
from markupsafe import Markup, escape
from whoosh.analysis import StemmingAnalyzer

from market.search.analysis import has_cjk, pinyin_terms

_stem = StemmingAnalyzer()


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
        if has_cjk(text):  # pinyin words mark the Chinese words they spell
            wanted = set(latin)
            for word, start, end in jieba.tokenize(text, HMM=False):
                if has_cjk(word) and wanted.intersection(pinyin_terms(word)):
                    spans.append((start, end))
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
