"""What a PostgreSQL search reads that only changes when the index changes, cached per process
under the index's version (the `search_version` row, bumped in the same transaction as every
write to search_documents, models/search.py): whether a term or a tsquery finds any listing, how
many listings each concept matches (its idf), the typo vocabulary, each query's plan and "did you
mean", and the total and facet counts of each set of matched listings (as Elasticsearch's request
cache keeps aggregations until the next refresh). The page itself, the ranking, is computed by
every search. Every server reads the version at the start of each search, so an edit committed
through one server empties the others' caches on their next search: a cache never answers for an
index it did not see.
"""

import random
import threading
from collections.abc import Iterable

from sqlalchemy import text

from market.search.pg_query import lexeme
from market.search.typos import Vocabulary

# Bumped in the writing transaction. A missing row (emptied table) starts again at a random
# number, so it never meets a version a process has cached under.
BUMP = """
INSERT INTO search_version (id, version) VALUES (1, :start)
ON CONFLICT (id) DO UPDATE SET version = search_version.version + 1
"""
# The version, and how many listings the index holds (kept in the same row by every write;
# counted when there is no row).
READ = ("(SELECT version FROM search_version WHERE id = 1), coalesce((SELECT listings FROM search_version "
        "WHERE id = 1), (SELECT count(*) FROM search_documents))")
# Past this many answers a cache starts again (a bound on memory, not a policy).
MAX_ENTRIES = 200_000


def bump(connection) -> None:
    connection.execute(text(BUMP), {"start": random.randrange(1 << 40, 1 << 52)})


def recount(connection) -> None:
    """The listings indexed, into the version row, after a write (bump) changed the rows."""
    connection.execute(text(
        "UPDATE search_version SET listings = (SELECT count(*) FROM search_documents) WHERE id = 1"))


class Answers:
    """One version's answers: term look-ups, tsquery matches, listing counts, the vocabulary,
    plans and suggestions by query, (total, facets) by the matched set's WHERE clause."""

    def __init__(self, version):
        self.version = version
        self.known: dict = {}
        self.matched: dict = {}
        self.counts: dict[str, int] = {}
        self.plans: dict = {}
        self.suggestions: dict = {}
        self.facets: dict = {}
        self.term_ids: dict[str, int] = {}
        self.vocabulary = None

    def full(self) -> bool:
        # weighed by roughly what each holds: a plan is ten look-ups, a set of facet counts a
        # hundred (about 10 kB), so a process keeps some tens of MB at most
        return (len(self.known) + len(self.matched) + len(self.counts) + len(self.term_ids)
                + 10 * (len(self.plans) + len(self.suggestions)) + 100 * len(self.facets)) > MAX_ENTRIES


class VersionedCache:
    """The answers for the index version a search began on; fresh ones when it has changed.
    With no version row nothing is kept between searches."""

    def __init__(self):
        self._lock = threading.Lock()
        self._answers = Answers(None)

    def answers(self, version) -> Answers:
        """`version` as the search's first statement read it (READ): each later statement sees
        the newest commits, so what is cached under a version is never older than that version."""
        if version is None:
            return Answers(None)
        with self._lock:
            if self._answers.version != version or self._answers.full():
                self._answers = Answers(version)
            return self._answers

    def clear(self) -> None:
        with self._lock:
            self._answers = Answers(None)


class Reader:
    """A search's view of the index through one version's answers, each asked once per index
    version: `(field, term) in reader`, whether any listing has the term (looked up in
    batches); whether any listing matches a tsquery; the typo vocabulary; lexemes' numbers;
    and, in `answers.counts`, how many listings each concept matches (its idf), which the
    statement ranking the concepts counts the first time (pg_query.Scores.counts_sql)."""

    def __init__(self, connection, answers: Answers, listings: int):
        self.connection = connection
        self.answers = answers
        self.listings = listings
        self.known: dict[tuple[str, str], bool] = answers.known
        self.matched: dict[str, bool] = answers.matched

    def finds(self, tsquery: str | None) -> bool:
        if tsquery is None:
            return False
        if tsquery not in self.matched:
            self.matched[tsquery] = bool(self.connection.execute(text(
                "SELECT EXISTS (SELECT 1 FROM search_documents WHERE terms @@ CAST(:q AS tsquery))"),
                {"q": tsquery}).scalar())
        return self.matched[tsquery]

    def lookup(self, pairs: Iterable[tuple[str, str]]) -> None:
        missing = list(dict.fromkeys(p for p in pairs if p not in self.known))
        if not missing:
            return
        lexemes = [lexeme(f, t) for f, t in missing]
        # one probe of the postings index per lexeme (models/search.py), not a GIN scan each
        found = set(self.connection.execute(text(
            "SELECT lex FROM unnest(CAST(:lexemes AS text[])) AS lex WHERE EXISTS "
            "(SELECT 1 FROM search_postings WHERE term = hashtextextended(lex, 0))"),
            {"lexemes": lexemes}).scalars())
        for pair, lex in zip(missing, lexemes, strict=True):
            self.known[pair] = lex in found

    def vocabulary(self) -> tuple[Vocabulary, dict[str, int]]:
        """The typo vocabulary and each spelling word's listing count (models/search.py)."""
        if self.answers.vocabulary is None:
            words = self.connection.execute(text("SELECT word, listings FROM search_spellings")).all()
            frequency = dict(words)
            self.answers.vocabulary = (Vocabulary(w for w in frequency if w.isalpha()), frequency)
        return self.answers.vocabulary

    def term_ids(self, lexemes: Iterable[str]) -> dict[str, int]:
        """Each lexeme's number in search_postings (hashtextextended, as the rows were written)."""
        ids = self.answers.term_ids
        missing = [lex for lex in dict.fromkeys(lexemes) if lex not in ids]
        if missing:
            ids.update(self.connection.execute(text(
                "SELECT lex, hashtextextended(lex, 0) FROM unnest(CAST(:lexemes AS text[])) AS lex"),
                {"lexemes": missing}).all())
        return ids

    def __contains__(self, pair) -> bool:
        if pair not in self.known:
            self.lookup([pair])
        return self.known[pair]
