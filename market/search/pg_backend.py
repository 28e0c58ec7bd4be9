"""The PostgreSQL backend (SEARCH_BACKEND=postgres): the index is the `search_documents` table.

Each listing is one row (models/search.py): its facets and sort keys as columns, and one
`tsvector` of every field's tokens, cut in Python by the same analyzers the Whoosh backend uses
(jieba, pinyin, the English stemmer, character pairs: whoosh_schema.py) and prefixed by field,
"t:宣纸" (Chinese title), "b:" (Chinese body), "e:" / "f:" (English title / body), "p:" (pinyin),
"g:" (character pairs), "k:" (kind). The tokens are stored as they are, with no further
normalisation (PostgreSQL's `simple` configuration would only lower-case them again), a token
repeated once per occurrence (positions 1..tf, at most 64) so the term frequency can be read
back. A GIN index (no pending list) answers `terms @@ query`; `search_postings` holds the same
lexemes one row each with their term frequency, which a ranking reads (models/search.py).

This module writes the rows and plans a query exactly as on Whoosh (planning.py: a concept's
alternatives, each word's fields, run-together words, typos through the same symmetric-delete
vocabulary, read from search_spellings and cached until a row changes); the SQL
that answers it, and the scoring (the Whoosh backend's formula, term for term, so both backends
rank alike), are in pg_query.py.

Rows are written in the listing's own transaction (indexing.py): a search sees a listing's
change exactly when the change is committed, on every server.
"""

import re
from collections import Counter
from collections.abc import Iterable

from sqlalchemy import delete, func, select, text

from market.search import pg_query
from market.search.analysis import has_cjk, query_grams
from market.search.backend import FACETS, Alternative, Concept, Document, Query, Results, SearchBackend
from market.search.pg_cache import READ, Reader, VersionedCache, bump, recount
from market.search.pg_query import MAX_TF, PREFIX, SORTS, TUNING, Bound, Scores, quote, tsquery_text
from market.search.planning import FUZZY_MIN_LETTERS, GRAMS_FIELD, IGNORED, Planner
from market.search.whoosh_schema import NO_DATE, to_fields

BATCH = 500
NOTHING, SUGGEST = "nothing", "suggest"  # a query's outcome when no listing can match it
BOUND = re.compile(r":(p\d+)\b")  # a bound parameter's name in SQL text (pg_query.Bound)

UPSERT = """
INSERT INTO search_documents (listing_id, kind, province, home_id, price_band, price_fen, next_date,
                              terms, spell, indexed_at)
VALUES (:listing_id, :kind, :province, :home_id, :price_band, :price_fen, :next_date,
        CAST(:terms AS tsvector), CAST(:spell AS tsvector), clock_timestamp() AT TIME ZONE 'UTC')
ON CONFLICT (listing_id) DO UPDATE SET
    kind = EXCLUDED.kind, province = EXCLUDED.province, home_id = EXCLUDED.home_id,
    price_band = EXCLUDED.price_band, price_fen = EXCLUDED.price_fen, next_date = EXCLUDED.next_date,
    terms = EXCLUDED.terms, spell = EXCLUDED.spell, indexed_at = EXCLUDED.indexed_at
"""
# A listing's postings, derived from its row as it now stands (rewriting them is idempotent).
POSTINGS = """
INSERT INTO search_postings (listing_id, term, tf)
SELECT listing_id, hashtextextended(lexeme, 0), cardinality(positions)
FROM search_documents, unnest(terms) WHERE listing_id = ANY(:ids)
"""
# The typo vocabulary's counts: the listings' spelling words taken out before their rows change,
# put back as the rows then stand, words no listing holds any more dropped.
SPELLINGS = """
SELECT word, count(*) AS listings FROM search_documents, unnest(tsvector_to_array(spell)) AS word
WHERE listing_id = ANY(:ids) GROUP BY word
"""
FORGET_SPELLINGS = f"""
UPDATE search_spellings AS known SET listings = known.listings - old.listings
FROM ({SPELLINGS}) AS old WHERE known.word = old.word
"""
LEARN_SPELLINGS = f"""
INSERT INTO search_spellings (word, listings) {SPELLINGS}
ON CONFLICT (word) DO UPDATE SET listings = search_spellings.listings + EXCLUDED.listings
"""


class PostgresBackend(Planner, SearchBackend):
    def __init__(self, engine, kind_words: dict[str, str] | None = None):
        """`engine()` gives the SQLAlchemy engine (the app's, read per call)."""
        super().__init__(kind_words)
        self.engine = engine
        self.cache = VersionedCache()

    # ---- writing -----------------------------------------------------------------------

    def row(self, doc: Document) -> dict:
        fields = to_fields(doc)
        counts: Counter = Counter()
        for fieldname, prefix in PREFIX.items():
            if fieldname == "kind":
                counts[f"k:{doc.kind}"] += 1
                continue
            for term, freq, _weight, _value in self.schema[fieldname].index(fields[fieldname]):
                counts[f"{prefix}:{term.decode()}"] += freq
        terms = " ".join(f"{quote(lex)}:{','.join(str(i) for i in range(1, min(tf, MAX_TF) + 1))}"
                         for lex, tf in counts.items())
        spell = " ".join(quote(term.decode()) for term, *_rest in self.schema["spell"].index(fields["spell"]))
        return dict(listing_id=doc.listing_id, kind=doc.kind, province=doc.province, home_id=doc.home_id,
                    price_band=doc.price_band, price_fen=doc.price_fen, next_date=fields["next_date"],
                    terms=terms, spell=spell)

    def write(self, connection, documents: Iterable[Document], removed_ids: Iterable[int],
              older_than=None) -> None:
        """Upsert and delete rows on this connection, in its transaction. With `older_than`
        (a rebuild), a row written since then by a listing's own transaction is left alone."""
        from models import SearchDocument

        removed_ids = sorted(set(removed_ids))
        rows = [self.row(doc) for doc in documents]
        listing_ids = removed_ids + [row["listing_id"] for row in rows]
        if not listing_ids:
            return
        # First, before any search row is locked: writers then queue on the version row alone
        # and can never hold a search row while waiting for it (no deadlock), nor count words
        # another writer is changing.
        bump(connection)
        connection.execute(text(FORGET_SPELLINGS), {"ids": listing_ids})
        if removed_ids:
            connection.execute(delete(SearchDocument).where(SearchDocument.listing_id.in_(removed_ids)))
        if rows:
            statement = UPSERT
            if older_than is not None:
                statement += " WHERE search_documents.indexed_at < :older_than"
                for row in rows:
                    row["older_than"] = older_than
            connection.execute(text(statement), rows)
        self._derive(connection, listing_ids)
        recount(connection)

    @staticmethod
    def _derive(connection, listing_ids: list[int]) -> None:
        """The postings and spelling counts of these listings as their rows now stand (none
        for a removed one); their old spelling counts were taken out before (FORGET_SPELLINGS)."""
        from models import search_postings, search_spellings

        connection.execute(delete(search_postings).where(search_postings.c.listing_id.in_(listing_ids)))
        connection.execute(text(POSTINGS), {"ids": listing_ids})
        connection.execute(text(LEARN_SPELLINGS), {"ids": listing_ids})
        connection.execute(delete(search_spellings).where(search_spellings.c.listings <= 0))

    def index(self, documents: Iterable[Document]) -> None:
        self.update(documents, ())

    def remove(self, listing_ids: Iterable[int]) -> None:
        self.update((), listing_ids)

    def update(self, documents: Iterable[Document], removed_ids: Iterable[int]) -> None:
        with self.engine().begin() as connection:
            self.write(connection, documents, removed_ids)

    def rebuild(self, documents: Iterable[Document], after_swap=None) -> int:
        """Upsert every document in short transactions (no long lock: listings edited meanwhile
        commit their own rows, which the rebuild then leaves alone), then delete the rows it
        did not write and no listing wrote since it began, and vacuum. Searches see the old
        rows until each batch commits."""
        from models import SearchDocument

        with self.engine().connect() as connection:
            started = connection.execute(text("SELECT clock_timestamp() AT TIME ZONE 'UTC'")).scalar()
        count, batch = 0, []
        for doc in documents:
            batch.append(doc)
            if len(batch) >= BATCH:
                with self.engine().begin() as connection:
                    self.write(connection, batch, (), older_than=started)
                count, batch = count + len(batch), []
        with self.engine().begin() as connection:
            self.write(connection, batch, (), older_than=started)
            bump(connection)  # no other writer from here to the commit
            stale = connection.execute(select(SearchDocument.listing_id)
                                       .where(SearchDocument.indexed_at < started)).scalars().all()
            self.write(connection, (), stale)
        count += len(batch)
        # A rebuild rewrote every row: the old versions are dead and the visibility map empty,
        # so each search would check every matched row's visibility (and could not read the
        # postings from their index alone) until autovacuum came by.
        with self.engine().connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM (ANALYZE) search_documents, search_postings, search_spellings"))
        if after_swap is not None:
            after_swap()
        return count

    def doc_count(self) -> int:
        from models import SearchDocument

        with self.engine().connect() as connection:
            return connection.scalar(select(func.count()).select_from(SearchDocument))

    def index_size(self) -> int:
        """Bytes of the tables, their TOAST and their indexes (the GIN index included)."""
        with self.engine().connect() as connection:
            return connection.execute(text("SELECT pg_total_relation_size('search_documents') "
                                           "+ pg_total_relation_size('search_postings')")).scalar()

    def drop_caches(self) -> None:
        """Forget the cached answers and the typo vocabulary (the benchmark's cold figures;
        PostgreSQL's own buffers stay as they are)."""
        self.cache.clear()

    def indexed_ids(self) -> set[int]:
        with self.engine().connect() as connection:
            return set(connection.execute(text("SELECT listing_id FROM search_documents")).scalars())

    # ---- reading -----------------------------------------------------------------------

    def _alternatives(self, word: str, reader, vocabulary=None):
        """Planner._alternatives, with the terms it may ask about looked up in a few batches:
        an English or pinyin word found nowhere is tried as two words (every split at once),
        then as a typo (every near word at once)."""
        if not isinstance(reader, Reader) or has_cjk(word) or not word.isalpha():
            return super()._alternatives(word, reader, vocabulary)
        reader.lookup(self.candidate_terms(word))
        if not any(reader.known.get(pair) for pair in self.candidate_terms(word)):
            reader.lookup(pair for i in range(3, len(word) - 2)
                          for part in (word[:i], word[i:], f"{word[:i]} {word[i:]}")
                          for pair in self.candidate_terms(part))
            if vocabulary is not None and len(word) >= FUZZY_MIN_LETTERS:
                near = vocabulary().near(word, 1 if len(word) < 8 else 2)
                reader.lookup([("pinyin", t) for t in near]
                              + [pair for t in near for pair in self.candidate_terms(t)])
        return super()._alternatives(word, reader, vocabulary)

    def _concept_plan(self, reader, concept: Concept, vocabulary):
        """[(weight, [each word's ways])] for the alternatives that can match (mirrors
        WhooshBackend._concept_scores); None when none can, IGNORED for stop words only."""
        plan = []
        typed = concept.alternatives[0].words if concept.alternatives else ()
        typed_found = all((GRAMS_FIELD, gram) in reader for word in typed if has_cjk(word)
                          for gram in query_grams(word))
        for index, alternative in enumerate(concept.alternatives):
            if alternative.fallback and typed_found and plan and reader.finds(tsquery_text(plan)):
                continue
            words, usable, all_ignored = [], True, True
            for word in alternative.words:
                ways = self._alternatives(word, reader, vocabulary if index == 0 else None)
                if ways is IGNORED:
                    continue
                all_ignored = False
                if ways is None:
                    usable = False
                    break
                words.append(ways)
            if usable and all_ignored and index == 0:
                return IGNORED
            if usable and words:
                plan.append((alternative.weight, words))
        return plan or None

    def search(self, query: Query) -> Results:
        if query.only_ids == set():
            return Results([], 0, {name: {} for name in FACETS})
        with self.engine().connect() as connection:
            version, listings, *_tuned = connection.execute(text(f"SELECT {READ}, {TUNING}")).one()
            return self._search(Reader(connection, self.cache.answers(version), listings), query)

    def _plans(self, reader: Reader, query: Query) -> tuple[list, list, str | None]:
        """(each kept concept's plan, the kept concepts, None) worked out once per index
        version; or ([], [], NOTHING) when no listing can match, ([], [], SUGGEST) when only
        "did you mean" is left to say."""
        key = (None if query.concepts is None else tuple(query.concepts), tuple(query.words),
               query.any_word, query.relax)
        if key not in reader.answers.plans:
            reader.answers.plans[key] = self._plan(reader, query)
        return reader.answers.plans[key]

    def _plan(self, reader: Reader, query: Query) -> tuple[list, list, str | None]:
        concepts = query.concepts
        if concepts is None:
            concepts = [Concept(w, (Alternative((w,)),)) for w in query.words]
        reader.lookup(pair for concept in concepts for alternative in concept.alternatives
                      for word in alternative.words for pair in self.candidate_terms(word))
        plans, kept = [], []
        for concept in concepts:
            plan = self._concept_plan(reader, concept, lambda: reader.vocabulary()[0])
            if plan is IGNORED:
                continue
            if plan is None:
                if not (query.any_word or query.relax):
                    return [], [], SUGGEST
                plan = []
            plans.append(plan)
            kept.append(concept)
        if concepts and not plans:
            return [], [], NOTHING
        # relevance sums the concepts in the order of their words, whatever the query's order
        # (WhooshBackend.search)
        order = sorted(range(len(kept)), key=lambda i: kept[i].word)
        return [plans[i] for i in order], [kept[i] for i in order], None

    def _search(self, reader: Reader, query: Query) -> Results:
        empty = Results([], 0, {name: {} for name in FACETS})
        plans, kept, outcome = self._plans(reader, query)
        if outcome == SUGGEST:
            empty.suggestion = self._suggestion(reader, query.words)
        if outcome is not None:
            return empty
        tsqueries = [tsquery_text(plan) for plan in plans]
        sql = Bound()
        filters = pg_query.filters(sql, query)
        if query.any_word:
            found = [q for q in tsqueries if q]
            if plans and not found:
                return empty
            match = pg_query.any_of(sql, found)
        elif any(q is None for q in tsqueries):
            match = None
        else:
            match = pg_query.all_of(sql, tsqueries)
        total, facets, ids, partial = 0, {name: {} for name in FACETS}, [], False
        if match is not None:
            needed = (" OR ", [p for p in plans if p]) if query.any_word else (" AND ", plans)
            total, facets, ids = self._page(reader, sql, query, plans, filters, match, needed,
                                            partial=False)
        if total == 0 and query.relax and not query.any_word and len(plans) > 1:
            any_strong = any(concept.strong for concept in kept)
            loose = [i for i, concept in enumerate(kept)
                     if tsqueries[i] and (concept.strong or not any_strong)]
            if loose:
                match = pg_query.any_of(sql, [tsqueries[i] for i in loose])
                total, facets, ids = self._page(reader, sql, query, plans, filters, match,
                                                (" OR ", [plans[i] for i in loose]), partial=True)
                partial = total > 0
        suggestion = None
        if (total == 0 or partial) and query.words and not query.any_word:
            suggestion = self._suggestion(reader, query.words, found_only=True)
        return Results(ids, total, facets, suggestion, partial)

    @staticmethod
    def _page(reader: Reader, sql: Bound, query: Query, plans, filters: list[str], match: str,
              needed: tuple[str, list], partial: bool):
        """(total, facets, page ids) in one statement, the total and facets counted once per
        index version and set of matched listings (not when availability chose the listings:
        that changes without the index); with `partial`, listings matching more of the query's
        concepts come first. `needed` (" AND " or " OR ", plans) says which concepts a listing
        must match, as `match` does: how a page with no filter is found from term frequencies."""
        where_sql = pg_query.where(filters, match)
        counted = None
        if query.only_ids is None:
            # the values in place of the names, which depend on what was bound before
            counted = BOUND.sub(lambda name: repr(sql.params[name.group(1)]), where_sql)
        known = reader.answers.facets.get(counted)
        if known is not None and known[0] == 0:
            return 0, {name: {} for name in FACETS}, []
        order, scores = [], Scores(sql)
        if partial:
            order.append(" + ".join(f"({scores.matches(plan)})::int" for plan in plans if plan) + " DESC")
        if plans and query.sort == "relevance":
            relevance = scores.relevance(plans, reader.listings, reader.answers.counts)
            order += [relevance + " DESC", "listing_id DESC"]
        else:
            order += SORTS.get(query.sort, ["listing_id DESC"])
        postings = None
        if scores.columns:  # ranked: matched by the term frequencies, not by the GIN index
            joiner, concepts = needed
            match = joiner.join(f"({scores.matches(plan)})" for plan in concepts)
            postings = scores.postings_sql(reader.term_ids(scores.columns))
        statement = pg_query.matched_page_and_facets(filters, match, order, query.limit, query.offset,
                                                     facets=known is None, postings=postings,
                                                     counts=scores.counts_sql(),
                                                     sorted_by_columns=query.sort in SORTS)
        total, facets, ids, counts = pg_query.read_page_and_facets(
            reader.connection.execute(text(statement), sql.params), FACETS)
        reader.answers.counts.update(zip(map(tsquery_text, scores.uncounted), counts, strict=True))
        if known is None:
            known = (total, facets)
            if counted is not None:
                reader.answers.facets[counted] = known
        total, facets = known
        return total, {name: dict(counts) for name, counts in facets.items()}, ids

    def _suggestion(self, reader: Reader, words: list[str], found_only: bool = False) -> str | None:
        """"Did you mean", worked out once per index version; with `found_only`, only a
        suggestion that finds listings."""
        key = (tuple(words), found_only)
        if key not in reader.answers.suggestions:
            suggestion = self._suggest(words, known=lambda f, t: (f, t) in reader,
                                       vocabulary=lambda: reader.vocabulary()[0],
                                       spell_frequency=lambda word: reader.vocabulary()[1].get(word, 0))
            if found_only and suggestion is not None and not self._finds_all(reader, suggestion):
                suggestion = None
            reader.answers.suggestions[key] = suggestion
        return reader.answers.suggestions[key]

    def _finds_all(self, reader, words: str) -> bool:
        parts = []
        for word in words.split():
            ways = self._alternatives(word, reader)
            if ways is None:
                return False
            if ways is not IGNORED:
                parts.append(tsquery_text([(1.0, [ways])]))
        if not parts:
            return self.doc_count() > 0
        return reader.finds(" & ".join(f"({p})" for p in parts))


assert NO_DATE > 20991231  # "soonest" puts listings with no date last
