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
"""

import fcntl
import heapq
import os
import shutil
import threading
import time
from collections import Counter
from collections.abc import Iterable
from contextlib import contextmanager
from pathlib import Path

from whoosh import columns
from whoosh import index as whoosh_index
from whoosh import query as wq
from whoosh.codec import whoosh3
from whoosh.fields import COLUMN, ID, TEXT, Schema

from market.search.analysis import (
    chinese_analyzer,
    english_analyzer,
    glosses,
    has_cjk,
    pinyin_terms,
    plain_analyzer,
)
from market.search.backend import FACETS, Document, Query, Results, SearchBackend

NO_DATE = 99_999_999  # sorts after every real date (dates are stored as YYYYMMDD)
STALE_REBUILD_SECONDS = 3600

# (field, boost) searched for a Chinese word and for any other word.
# Few fields per language, so a word is a union of two or three terms, not seven: title (with
# the tags) boosted, and a body of description and place names.
CJK_FIELDS = (("title_zh", 3.0), ("body_zh", 1.0))
LATIN_FIELDS = (("title_en", 3.0), ("body_en", 1.0), ("pinyin", 2.5), ("title_zh", 1.5),
                ("body_zh", 0.5))
KIND_BOOST = 1.5
IGNORED = object()  # a query word that is only a stop word


def _remember_missing_columns() -> None:
    """Whoosh looks up a segment's length column once per posting and caches only the columns
    it finds: for fields without one (ID fields) every posting costs a file-exists call, which
    made building 50,000 listings several times slower. Segments never change once written, so
    remembering "no such column" is safe."""
    original = whoosh3.W3PerDocReader._cached_reader
    if getattr(original, "remembers_missing", False):
        return

    def cached_reader(self, fieldname, column):
        try:
            return self._readers[fieldname]
        except KeyError:
            reader = original(self, fieldname, column)
            self._readers[fieldname] = reader
            return reader

    cached_reader.remembers_missing = True
    whoosh3.W3PerDocReader._cached_reader = cached_reader


_remember_missing_columns()


def make_schema() -> Schema:
    zh = chinese_analyzer()
    en = english_analyzer()
    plain = plain_analyzer()
    return Schema(
        id=ID(stored=True, unique=True),
        # Sort keys only: columns, not indexed (no range queries needed).
        listing_id=COLUMN(columns.NumericColumn("q")),
        # Facets: few distinct values, so a reference column (cheap to open per query).
        kind=ID(sortable=columns.RefBytesColumn()),
        province=ID(sortable=columns.RefBytesColumn()),
        home=ID(sortable=columns.RefBytesColumn()),
        price_band=ID(sortable=columns.RefBytesColumn()),
        price=COLUMN(columns.NumericColumn("q")),
        next_date=COLUMN(columns.NumericColumn("i")),
        title_zh=TEXT(analyzer=zh, phrase=False),
        body_zh=TEXT(analyzer=zh, phrase=False),
        title_en=TEXT(analyzer=en, phrase=False),
        body_en=TEXT(analyzer=en, phrase=False),
        pinyin=TEXT(analyzer=plain, phrase=False),
        spell=TEXT(analyzer=plain, phrase=False),
    )


def to_fields(doc: Document) -> dict:
    romanised = " ".join(pinyin_terms(" ".join((doc.title_zh, doc.tags))))
    next_date = NO_DATE
    if doc.next_date is not None:
        next_date = doc.next_date.year * 10000 + doc.next_date.month * 100 + doc.next_date.day
    joined_pinyin = " ".join(t for t in romanised.split() if len(t) > 2)
    return dict(
        id=str(doc.listing_id),
        listing_id=doc.listing_id,
        kind=doc.kind,
        province=doc.province,
        home=str(doc.home_id),
        price_band=doc.price_band,
        price=doc.price_fen,
        next_date=next_date,
        title_zh=f"{doc.title_zh}\n{doc.tags}",
        body_zh=f"{doc.description_zh}\n{doc.place_zh}",
        title_en=f"{doc.title_en}\n{doc.tags}\n{glosses(doc.title_zh + ' ' + doc.tags)}",
        body_en=f"{doc.description_en}\n{doc.place_en}",
        pinyin=romanised,
        spell=" ".join((doc.title_en, doc.tags, joined_pinyin)),
    )


_local = threading.local()


class WhooshBackend(SearchBackend):
    def __init__(self, base_dir: str | os.PathLike, write_timeout: float = 10.0,
                 kind_words: dict[str, str] | None = None):
        self.base = Path(base_dir)
        self.write_timeout = write_timeout
        self.schema = make_schema()
        # Words naming a kind ("民宿", "homestay") match every listing of that kind; resolved
        # at query time rather than indexed into every document.
        self.kind_terms: dict[str, set[str]] = {}
        for kind, words in (kind_words or {}).items():
            for fieldname in ("title_zh", "title_en"):
                for token in self.schema[fieldname].analyzer(words):
                    self.kind_terms.setdefault(token.text, set()).add(kind)

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
                    whoosh_index.create_in(str(path), self.schema)
                    self._point_current(name)
        return whoosh_index.open_dir(str(self.base / name))

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
        writer = ix.writer(timeout=self.write_timeout)
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
            ix = whoosh_index.create_in(str(path), self.schema)
            writer = ix.writer(limitmb=256)
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
            ix = whoosh_index.open_dir(str(self.base / name))
        searcher = ix.searcher()
        cache[key] = (name, ix, searcher)
        return searcher

    def doc_count(self) -> int:
        searcher = self._searcher()
        return 0 if searcher is None else searcher.doc_count()

    def index_size(self) -> int:
        path = self.current_path()
        if path is None:
            return 0
        return sum(f.stat().st_size for f in path.iterdir() if f.is_file())

    def _word_query(self, word: str, reader):
        fields = CJK_FIELDS if has_cjk(word) else LATIN_FIELDS
        alternatives = []
        analysed = False
        for fieldname, boost in fields:
            analyzer = self.schema[fieldname].analyzer
            texts = [t.text for t in analyzer(word, mode="query")]
            if fieldname != "pinyin":
                analysed = analysed or bool(texts)
            if not texts or not all((fieldname, text) in reader for text in texts):
                continue  # a term the index lacks can match nothing here: skip its matcher
            terms = [wq.Term(fieldname, text, boost=boost) for text in texts]
            alternatives.append(terms[0] if len(terms) == 1 else wq.And(terms))
        for fieldname in ("title_zh", "title_en"):
            for token in self.schema[fieldname].analyzer(word, mode="query"):
                for kind in sorted(self.kind_terms.get(token.text, ())):
                    alternatives.append(wq.Term("kind", kind, boost=KIND_BOOST))
        if not alternatives:
            return None if analysed else IGNORED
        if len(alternatives) == 1:
            return alternatives[0]
        union = wq.Or(alternatives)
        union.matcher_type = wq.Or.DEFAULT_MATCHER  # a union tree, not preloaded arrays
        return union

    def _text_query(self, words: list[str], reader):
        """Each word must match (And); a word matches in any of its fields (Or)."""
        if not words:
            return wq.Every()
        clauses = []
        for word in words:
            clause = self._word_query(word, reader)
            if clause is None:
                return wq.NullQuery  # a word found nowhere: nothing can match all words
            if clause is not IGNORED:
                clauses.append(clause)
        if not clauses:  # only stop words ("the", "and")
            return wq.NullQuery
        return clauses[0] if len(clauses) == 1 else wq.And(clauses)

    def _filter(self, query: Query):
        parts = []
        if query.kind:
            parts.append(wq.Term("kind", query.kind))
        if query.province:
            parts.append(wq.Term("province", query.province))
        if query.home_id is not None:
            parts.append(wq.Term("home", str(query.home_id)))
        if query.price_band:
            parts.append(wq.Term("price_band", query.price_band))
        if query.only_ids is not None:
            parts.append(wq.Or([wq.Term("id", str(i)) for i in sorted(query.only_ids)]))
        if not parts:
            return None
        return parts[0] if len(parts) == 1 else wq.And(parts)

    def search(self, query: Query) -> Results:
        empty = Results([], 0, {name: {} for name in FACETS})
        searcher = self._searcher()
        if searcher is None or query.only_ids == set():
            return empty
        text_query = self._text_query(query.words, searcher.reader())
        if text_query is wq.NullQuery:
            empty.suggestion = self._suggest(searcher, query.words)
            return empty
        # Matches as sets of document numbers, straight from the postings (set operations run in
        # C); only the page shown is scored by Whoosh, or ordered by a column.
        matched = self._docs(searcher, text_query)
        filter_query = self._filter(query)
        if filter_query is not None:
            matched &= self._docs(searcher, filter_query)
        total = len(matched)
        columns_ = self._columns(searcher)
        end = query.offset + query.limit
        if query.words and query.sort == "relevance" and total:
            results = searcher.search(text_query, filter=matched, limit=max(1, end), terms=False,
                                      optimize=True)
            page = [hit.docnum for hit in results[query.offset:end]]
        else:
            page = heapq.nsmallest(end, matched, key=self._sort_key(query, columns_))[query.offset:]
        ids = [columns_["listing_id"][d] for d in page]
        facets = self._count_facets(searcher, matched)
        suggestion = self._suggest(searcher, query.words) if total == 0 and query.words else None
        return Results(ids, total, facets, suggestion)

    def _docs(self, searcher, q) -> set[int]:
        """The document numbers a query matches, by set operations over term postings."""
        if isinstance(q, wq.Every):
            return set(searcher.reader().all_doc_ids())
        if isinstance(q, wq.Term):
            if (q.fieldname, q.text) not in searcher.reader():
                return set()
            return set(q.docs(searcher))
        if isinstance(q, wq.And):
            parts = sorted((self._docs(searcher, sub) for sub in q.subqueries), key=len)
            return set.intersection(*parts) if parts else set()
        if isinstance(q, wq.Or):
            return set().union(*(self._docs(searcher, sub) for sub in q.subqueries))
        return set(q.docs(searcher))

    def _columns(self, searcher) -> dict[str, list]:
        """Facet values and sort keys of every document, read once per searcher."""
        values = getattr(searcher, "market_columns", None)
        if values is None:
            reader = searcher.reader()
            values = {name: list(reader.column_reader(name)) if reader.has_column(name) else []
                      for name in (*FACETS, "listing_id", "price", "next_date")}
            searcher.market_columns = values
        return values

    @staticmethod
    def _sort_key(query: Query, cols: dict[str, list]):
        lid, price, nxt = cols["listing_id"], cols["price"], cols["next_date"]
        if query.sort == "price":
            return lambda d: (price[d], lid[d])
        if query.sort == "price_desc":
            return lambda d: (-price[d], lid[d])
        if query.sort == "soonest":
            return lambda d: (nxt[d], price[d], lid[d])
        return lambda d: -lid[d]  # newest first when there is nothing to rank by

    def _count_facets(self, searcher, docnums) -> dict[str, dict[str, int]]:
        """Facet counts over all matches. Whoosh's groupedby looks each document's values up
        one by one; here each facet column is read once per searcher into a list, and counting
        is a Counter over the matched document numbers."""
        values = self._columns(searcher)
        counts = {}
        for name in FACETS:
            column = values[name]
            counted = Counter(map(column.__getitem__, docnums)) if column else Counter()
            counts[name] = {value: n for value, n in counted.items() if value}
        return counts

    def _suggest(self, searcher, words: list[str]) -> str | None:
        """Whoosh's corrector, word by word: English/pinyin words against the unstemmed words
        of titles, tags and places; Chinese words against the Chinese titles."""
        changed = False
        out = []
        for word in words:
            fieldname = "title_zh" if has_cjk(word) else "spell"
            known = any(
                searcher.doc_frequency(f, t.text) for f, _ in (CJK_FIELDS if has_cjk(word)
                                                             else LATIN_FIELDS)
                for t in self.schema[f].analyzer(word, mode="query")
            )
            if known or len(word) < 2:
                out.append(word)
                continue
            found = searcher.corrector(fieldname).suggest(word, limit=1, maxdist=2 if len(word) > 3 else 1)
            if found and found[0] != word:
                out.append(found[0])
                changed = True
            else:
                out.append(word)
        return " ".join(out) if changed else None
