"""Answering a query on the Whoosh backend (whoosh_backend.py keeps the index's files, writers
and searchers): a concept's alternatives, typos and run-together words, relaxation, sorts and
suggestions, as numpy operations over the searcher's arrays (segments.py).

Whoosh is used for the index files and the terms only: postings, facet columns and sort keys are
read into numpy arrays, and matching, scoring, facet counting and sorting are array operations
over the searcher's document numbers.
"""

import math

import numpy as np

from market.search.analysis import has_cjk, query_grams
from market.search.backend import FACETS, Alternative, Concept, Query, Results
from market.search.planning import GRAMS_FIELD, IGNORED, TF_SATURATION, Planner
from market.search.segments import SearcherArrays, smallest
from market.search.typos import Vocabulary


class WhooshQueries(Planner):
    """The reading half of WhooshBackend; `_searcher()` (the backend's) gives this thread's
    up-to-date searcher, or None before the first index exists."""

    def _searcher(self):
        raise NotImplementedError

    def _concept_scores(self, arrays: SearcherArrays, reader, concept: Concept, vocabulary):
        """Each document's score for a concept: its best alternative's, weighted (an
        alternative of several words scores where all are found). None when no alternative
        can match anything; IGNORED when the typed word is only stop words."""
        best = None
        typed = concept.alternatives[0].words if concept.alternatives else ()
        # The word as typed is found when its characters stand together somewhere (not only
        # scattered, as 书 and 发 of 书发 are): then it is no typo and the fallbacks are skipped.
        typed_found = all((GRAMS_FIELD, gram) in reader for word in typed if has_cjk(word)
                          for gram in query_grams(word))
        for index, alternative in enumerate(concept.alternatives):
            if alternative.fallback and typed_found and best is not None and best.any():
                continue
            scores = None
            for word in alternative.words:
                ways = self._alternatives(word, reader, vocabulary if index == 0 else None)
                if ways is IGNORED:
                    continue
                if ways is None:
                    scores = None
                    break
                found = self._word_scores(arrays, ways)
                scores = found if scores is None else np.where(
                    (scores > 0) & (found > 0), scores + found, 0.0)
            else:
                if scores is None and index == 0:
                    return IGNORED
            if scores is not None:
                scores = alternative.weight * scores
                best = scores if best is None else np.maximum(best, scores)
        return best

    def _arrays(self, searcher) -> SearcherArrays:
        """The searcher's columns, deletions and (through the segment cache) postings as
        numpy arrays, built once per searcher."""
        arrays = getattr(searcher, "market_arrays", None)
        if arrays is None:
            arrays = searcher.market_arrays = SearcherArrays(
                searcher, searcher.market_index_key, FACETS, ("listing_id", "price", "next_date"))
        return arrays

    @staticmethod
    def _word_scores(arrays: SearcherArrays, alternatives) -> np.ndarray:
        """Each document's score for one word: its best alternative's boosted, saturated term
        frequency (0 where the word is not found or the document is deleted)."""
        best = np.zeros(arrays.size)
        for fieldname, texts, boost in alternatives:
            if len(texts) == 1:
                docs, tf = arrays.postings(fieldname, texts[0])
            else:  # every term of the alternative must be there; the least frequent counts
                least = None
                for text in texts:
                    dense = np.zeros(arrays.size, np.float32)
                    term_docs, term_tf = arrays.postings(fieldname, text)
                    dense[term_docs] = term_tf
                    least = dense if least is None else np.minimum(least, dense)
                docs = np.flatnonzero(least)
                tf = least[docs]
            tf = tf.astype(np.float64)
            best[docs] = np.maximum(best[docs], boost * tf / (tf + TF_SATURATION))
        best[~arrays.live] = 0.0
        return best

    @staticmethod
    def _filter_mask(arrays: SearcherArrays, query: Query) -> np.ndarray:
        mask = arrays.live.copy()
        for name, value in (("kind", query.kind), ("province", query.province),
                            ("home", None if query.home_id is None else str(query.home_id)),
                            ("price_band", query.price_band)):
            if value:
                mask &= arrays.facet_mask(name, value)
        if query.only_ids is not None:
            wanted = np.fromiter(query.only_ids, np.int64, len(query.only_ids))
            mask &= np.isin(arrays.numbers["listing_id"], wanted)
        return mask

    def search(self, query: Query) -> Results:
        empty = Results([], 0, {name: {} for name in FACETS})
        searcher = self._searcher()
        if searcher is None or query.only_ids == set():
            return empty
        reader = searcher.reader()
        concepts = query.concepts
        if concepts is None:
            concepts = [Concept(w, (Alternative((w,)),)) for w in query.words]
        arrays = self._arrays(searcher)
        # Each concept's scores over all documents, with how many documents it matches; summed
        # in the order of the concepts' words, the same whatever the query's order (and on
        # PostgreSQL, which learns the counts only inside the statement that sums).
        per_concept, kept = [], []
        for concept in concepts:
            scores = self._concept_scores(arrays, reader, concept,
                                          lambda: self._vocabulary(searcher))
            if scores is IGNORED:
                continue
            if scores is None:
                if not (query.any_word or query.relax):
                    empty.suggestion = self._suggest(searcher, query.words)
                    return empty
                scores = np.zeros(arrays.size)
            per_concept.append((int(np.count_nonzero(scores)), scores))
            kept.append(concept)
        if concepts and not per_concept:
            return empty
        unsorted = list(per_concept)
        per_concept = [unsorted[i] for i in sorted(range(len(kept)), key=lambda i: kept[i].word)]
        mask = self._filter_mask(arrays, query)
        covered = np.zeros(arrays.size, np.int32)
        for _count, scores in per_concept:
            covered += scores > 0
        partial = False
        if query.any_word:
            matched = np.flatnonzero(mask & (covered > 0)) if per_concept else np.flatnonzero(mask)
        else:
            matched = np.flatnonzero(mask & (covered == len(per_concept)))
            if matched.size == 0 and query.relax and len(per_concept) > 1:
                # A lone character (壳 of 手机壳) is too weak to stand for the query: a partial
                # match must cover one of the query's words, when it has any.
                strong = [scores for concept, (_count, scores) in zip(kept, unsorted, strict=True)
                          if concept.strong]
                enough = (np.logical_or.reduce([scores > 0 for scores in strong]) if strong
                          else covered > 0)
                matched = np.flatnonzero(mask & enough)
                partial = matched.size > 0
        numbers = {name: column[matched] for name, column in arrays.numbers.items()}
        keys = []
        if partial:
            keys.append(-covered[matched])  # listings covering more of the query first
        if per_concept and query.sort == "relevance":
            relevance = np.zeros(matched.size)
            for count, scores in per_concept:
                relevance += math.log(1 + arrays.size / max(1, count)) * scores[matched]
            keys += [-relevance, -numbers["listing_id"]]  # ties: the newest listing first
        else:
            keys += self._sort_keys(query.sort, numbers)
        page = smallest(keys, query.offset + query.limit)[query.offset:]
        ids = [int(i) for i in numbers["listing_id"][page]]
        total = int(matched.size)
        suggestion = None
        if (total == 0 or partial) and query.words and not query.any_word:
            suggestion = self._suggest(searcher, query.words)
            if suggestion is not None and not self._finds_all(arrays, reader, suggestion):
                suggestion = None  # a suggestion is only offered when it finds listings
        return Results(ids, total, arrays.facet_counts(matched), suggestion, partial)

    def _finds_all(self, arrays: SearcherArrays, reader, text: str) -> bool:
        found = arrays.live.copy()
        for word in text.split():
            ways = self._alternatives(word, reader)
            if ways is None:
                return False
            if ways is not IGNORED:
                found &= self._word_scores(arrays, ways) > 0
        return bool(found.any())

    @staticmethod
    def _sort_keys(sort: str, numbers: dict[str, np.ndarray]) -> list[np.ndarray]:
        lid, price, nxt = numbers["listing_id"], numbers["price"], numbers["next_date"]
        if sort == "price":
            return [price, lid]
        if sort == "price_desc":
            return [-price, lid]
        if sort == "soonest":
            return [nxt, price, lid]
        return [-lid]  # newest first when there is nothing to rank by

    @staticmethod
    def _vocabulary(searcher) -> Vocabulary:
        """The words typo tolerance and suggestions correct towards (the spell field: English
        titles, tags, glosses and pinyin; numbers left out), built once per searcher."""
        vocabulary = getattr(searcher, "market_vocabulary", None)
        if vocabulary is None:
            words = (t.decode() if isinstance(t, bytes) else t for t in searcher.reader().lexicon("spell"))
            vocabulary = searcher.market_vocabulary = Vocabulary(w for w in words if w.isalpha())
        return vocabulary

    def _suggest(self, searcher, words: list[str]) -> str | None:
        return Planner._suggest(
            self, words, known=lambda f, text: bool(searcher.doc_frequency(f, text)),
            vocabulary=lambda: self._vocabulary(searcher),
            spell_frequency=lambda t: searcher.doc_frequency("spell", t))
