"""What a query word can match in an index, shared by both backends (Whoosh and PostgreSQL).

Both index the same fields with the same analyzers (whoosh_schema.py: jieba for Chinese, a
stemmer for English, pinyin, character pairs, the spelling words), so a word's alternatives,
its typo and run-together readings and the "did you mean" suggestion are worked out here, over
any `reader` that answers `(field, term) in reader`. The backends differ only in how they
score and count the listings those alternatives find (numpy arrays or SQL).
"""

from market.search.analysis import has_cjk, query_grams
from market.search.typos import distance
from market.search.whoosh_schema import make_schema

# (field, boost) searched for a Chinese word and for any other word.
# Few fields per language, so a word is a union of two or three terms, not seven: title (with
# the tags) boosted, and a body of description and place names.
CJK_FIELDS = (("title_zh", 3.0), ("body_zh", 1.0))
LATIN_FIELDS = (("title_en", 3.0), ("body_en", 1.0), ("pinyin", 2.5), ("title_zh", 1.5),
                ("body_zh", 0.5))
KIND_BOOST = 1.5
# Chinese characters pairs: found wherever the word occurs, however jieba cut it; ranked below
# a whole-word match.
GRAMS_FIELD, GRAMS_BOOST = "grams_zh", 0.5
# A word found nowhere may be a typo (edit distance 1, or 2 from 8 letters) of a word that is
# there, or two words run together ("ricepaper", "hongsegushi"); such matches count less.
FUZZY_MIN_LETTERS, FUZZY_WEIGHT, SPLIT_WEIGHT = 5, 0.6, 0.9
TF_SATURATION = 1.2  # BM25's k1: a second occurrence counts, a tenth hardly more
IGNORED = object()  # a query word that is only a stop word


class Planner:
    """A word's alternatives: [(field, terms that must all be there, boost)]."""

    def __init__(self, kind_words: dict[str, str] | None = None):
        self.schema = make_schema()
        # Words naming a kind ("民宿", "homestay") match every listing of that kind; resolved
        # at query time rather than indexed into every document.
        self.kind_terms: dict[str, set[str]] = {}
        for kind, words in (kind_words or {}).items():
            for fieldname in ("title_zh", "title_en"):
                for token in self.schema[fieldname].analyzer(words):
                    self.kind_terms.setdefault(token.text, set()).add(kind)

    def query_terms(self, fieldname: str, word: str) -> tuple[str, ...]:
        return tuple(dict.fromkeys(t.text for t in self.schema[fieldname].analyzer(word, mode="query")))

    def _alternatives(self, word: str, reader, vocabulary=None):
        """The ways one query word can match: [(field, terms that must all be there, boost)].

        None when the word can match nothing; IGNORED for an English stop word ("the"). A
        Latin word found nowhere is tried as two words run together, then (when given
        `vocabulary()`, the index's Vocabulary) as a typo.
        """
        found = self._exact_alternatives(word, reader)
        if found is not None or has_cjk(word) or not word.isalpha():
            return found
        for i in range(3, len(word) - 2):
            halves = (self._exact_alternatives(word[:i], reader), self._exact_alternatives(word[i:], reader))
            if any(half in (None, IGNORED) for half in halves):
                continue
            split = self._exact_alternatives(f"{word[:i]} {word[i:]}", reader)
            if split not in (None, IGNORED):
                return [(f, texts, boost * SPLIT_WEIGHT) for f, texts, boost in split]
        if vocabulary is None or len(word) < FUZZY_MIN_LETTERS:
            return None
        near: list = []
        for term in vocabulary().near(word, 1 if len(word) < 8 else 2):
            if ("pinyin", term) in reader:
                continue  # an English typo is not a Chinese word's pinyin ("sushi", suishi)
            for f, texts, boost in self._exact_alternatives(term, reader) or ():
                near.append((f, texts, boost * FUZZY_WEIGHT))
        return near or None

    def _exact_alternatives(self, word: str, reader):
        cjk = has_cjk(word)
        alternatives = []
        for fieldname, boost in CJK_FIELDS if cjk else LATIN_FIELDS:
            texts = self.query_terms(fieldname, word)
            if texts and all((fieldname, text) in reader for text in texts):
                alternatives.append((fieldname, texts, boost))
        if cjk:
            grams = query_grams(word)
            if grams and all((GRAMS_FIELD, gram) in reader for gram in grams):
                alternatives.append((GRAMS_FIELD, grams, GRAMS_BOOST))
        for fieldname in ("title_zh", "title_en"):
            for text in self.query_terms(fieldname, word):
                for kind in sorted(self.kind_terms.get(text, ())):
                    alternatives.append(("kind", (kind,), KIND_BOOST))
        if alternatives:
            return alternatives
        if not cjk and not self.query_terms("title_en", word):
            return IGNORED
        return None

    def candidate_terms(self, word: str):
        """The (field, term) pairs `_exact_alternatives(word)` asks the reader about, so a
        backend can look them all up at once."""
        fields = CJK_FIELDS if has_cjk(word) else LATIN_FIELDS
        for fieldname, _boost in fields:
            for text in self.query_terms(fieldname, word):
                yield fieldname, text
        if has_cjk(word):
            for gram in query_grams(word):
                yield GRAMS_FIELD, gram

    def _suggest(self, words: list[str], known, vocabulary, spell_frequency) -> str | None:
        """English and pinyin words found nowhere, each replaced by the nearest known word
        (the commonest of equally near ones). Chinese words are left alone: a word one
        character away is another thing (茶叶, 茶油); homophones are matched instead.
        `known(field, term)` says whether the index has the term; `spell_frequency(word)` is
        how many listings have the spelling word."""
        changed = False
        out = []
        for word in words:
            is_known = any(
                known(f, text) for f, _ in LATIN_FIELDS for text in self.query_terms(f, word)
            ) if not has_cjk(word) else True
            stop_word = not has_cjk(word) and not self.query_terms("title_en", word)
            if is_known or stop_word or len(word) < 2:
                out.append(word)
                continue
            maxdist = 2 if len(word) > 3 else 1
            near = vocabulary().near(word, maxdist)
            if near:
                best = min(near, key=lambda t: (distance(word, t), -spell_frequency(t), t))
                out.append(best)
                changed = True
            else:
                out.append(word)
        return " ".join(out) if changed else None
