"""The Whoosh backend (whoosh-reloaded, the maintained fork of Whoosh 2.7).

Layout under the index folder (SEARCH_INDEX_DIR):

    CURRENT          name of the live index folder, replaced atomically (os.replace)
    ix-<stamp>/      a Whoosh index; `rebuild` writes a new one beside the live one, then
                     points CURRENT at it and deletes all but the previous one
    REBUILDING       present while a rebuild runs

Readers keep one searcher per thread and process, re-read CURRENT and check the searcher is up
to date on every search (cheap when nothing changed; a new searcher when something did).
Writers take Whoosh's file lock, so several processes can search while one writes and
concurrent writers wait their turn.

Searching uses Whoosh for the index files and the terms only: postings, facet columns and sort
keys are read into numpy arrays (market/search/segments.py), and matching, scoring, facet
counting and sorting are array operations over the searcher's document numbers.

Long because: the index's files (writing, atomic rebuilds, searchers per thread) and answering a
query (a concept's alternatives, typos and run-together words, relaxation, suggestions) share
the searcher and its caches; splitting the query half out is the next step if it grows.
"""

import fcntl
import math
import os
import shutil
import threading
import time
from collections.abc import Iterable
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from market.search import segments
from market.search.analysis import (
    has_cjk,
    query_grams,
)
from market.search.backend import (
    FACETS,
    Alternative,
    Concept,
    Document,
    Query,
    Results,
    SearchBackend,
)
from market.search.planning import GRAMS_FIELD, IGNORED, TF_SATURATION, Planner
from market.search.segments import SearcherArrays, smallest
from market.search.typos import Vocabulary
from market.search.whoosh_schema import codec, storage, to_fields

STALE_REBUILD_SECONDS = 3600

_local = threading.local()


class WhooshBackend(Planner, SearchBackend):
    def __init__(self, base_dir: str | os.PathLike, write_timeout: float = 10.0,
                 kind_words: dict[str, str] | None = None):
        super().__init__(kind_words)
        self.base = Path(base_dir)
        self.write_timeout = write_timeout

    # ---- locations ---------------------------------------------------------------------

    def _current_name(self) -> str | None:
        try:
            name = (self.base / "CURRENT").read_text().strip()
        except FileNotFoundError:
            return None
        return name if name and (self.base / name).is_dir() else None

    def _point_current(self, name: str) -> None:
        tmp = self.base / f"CURRENT.{os.getpid()}.tmp"
        with open(tmp, "w") as handle:
            handle.write(name)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, self.base / "CURRENT")

    @contextmanager
    def _base_lock(self):
        self.base.mkdir(parents=True, exist_ok=True)
        with open(self.base / ".lock", "w") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def _new_dir(self) -> tuple[str, Path]:
        name = f"ix-{time.time_ns()}-{os.getpid()}"
        path = self.base / name
        path.mkdir(parents=True)
        return name, path

    def _writable_index(self):
        name = self._current_name()
        if name is None:
            with self._base_lock():
                name = self._current_name()
                if name is None:
                    name, path = self._new_dir()
                    storage(path).create_index(self.schema)
                    self._point_current(name)
        return storage(self.base / name).open_index()

    def current_path(self) -> Path | None:
        name = self._current_name()
        return None if name is None else self.base / name

    # ---- writing -----------------------------------------------------------------------

    def index(self, documents: Iterable[Document]) -> None:
        self.update(documents, ())

    def remove(self, listing_ids: Iterable[int]) -> None:
        self.update((), listing_ids)

    def update(self, documents: Iterable[Document], removed_ids: Iterable[int]) -> None:
        documents = list(documents)
        removed_ids = list(removed_ids)
        if not documents and not removed_ids:
            return
        ix = self._writable_index()
        writer = ix.writer(timeout=self.write_timeout, codec=codec())
        try:
            for listing_id in removed_ids:
                writer.delete_by_term("id", str(listing_id))
            for doc in documents:
                writer.update_document(**to_fields(doc))
        except BaseException:
            writer.cancel()
            raise
        writer.commit()

    def rebuilding(self) -> bool:
        marker = self.base / "REBUILDING"
        try:
            return time.time() - marker.stat().st_mtime < STALE_REBUILD_SECONDS
        except FileNotFoundError:
            return False

    def rebuild(self, documents: Iterable[Document], after_swap=None) -> int:
        """Build into a new folder beside the live one, then swap CURRENT to it atomically.

        `after_swap()` runs after the swap but before the REBUILDING marker goes away: the
        service uses it to apply changes queued while the build ran.
        """
        self.base.mkdir(parents=True, exist_ok=True)
        marker = self.base / "REBUILDING"
        marker.write_text(str(os.getpid()))
        try:
            name, path = self._new_dir()
            ix = storage(path).create_index(self.schema)
            writer = ix.writer(limitmb=256, codec=codec())
            count = 0
            try:
                for doc in documents:
                    writer.add_document(**to_fields(doc))
                    count += 1
            except BaseException:
                writer.cancel()
                shutil.rmtree(path, ignore_errors=True)
                raise
            writer.commit()
            with self._base_lock():
                previous = self._current_name()
                self._point_current(name)
            if after_swap is not None:
                after_swap()
            self._remove_old(keep={name, previous})
            return count
        finally:
            marker.unlink(missing_ok=True)

    def _remove_old(self, keep: set) -> None:
        # The previous index stays, so a reader still holding it finishes its request.
        for entry in self.base.iterdir():
            if entry.is_dir() and entry.name.startswith("ix-") and entry.name not in keep:
                shutil.rmtree(entry, ignore_errors=True)

    # ---- reading -----------------------------------------------------------------------

    def _searcher(self):
        name = self._current_name()
        if name is None:
            return None
        cache = getattr(_local, "searchers", None)
        if cache is None:
            cache = _local.searchers = {}
        key = str(self.base)
        held = cache.get(key)
        if held is not None and held[0] == name:
            _name, ix, searcher = held
            if searcher.up_to_date():
                return searcher
            # Not searcher.refresh(): in whoosh-reloaded 2.7.5 it re-adds the segments a
            # merge replaced, so updated documents show twice. A new searcher is correct.
            searcher.close()
        else:
            if held is not None:
                held[2].close()
            ix = storage(self.base / name).open_index()
        searcher = ix.searcher()
        searcher.market_index_key = str(self.base / name)  # names its segments in the cache
        cache[key] = (name, ix, searcher)
        return searcher

    def drop_caches(self) -> None:
        """Close this thread's searcher and forget cached postings and columns, so the next
        search starts cold (the benchmark's first-query figures)."""
        for _name, _ix, searcher in getattr(_local, "searchers", {}).values():
            searcher.close()
        _local.searchers = {}
        segments.cache.clear()

    def doc_count(self) -> int:
        searcher = self._searcher()
        return 0 if searcher is None else searcher.doc_count()

    def index_size(self) -> int:
        path = self.current_path()
        if path is None:
            return 0
        return sum(f.stat().st_size for f in path.iterdir() if f.is_file())

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
        # Each concept's scores over all documents, with how many documents it matches. The
        # rarest first, so relevance sums in the same order whatever the query's order.
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
        per_concept.sort(key=lambda pair: pair[0])
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
