"""SQL for one search on the PostgreSQL backend (pg_backend.py): a query's plan as tsqueries, each
matched row's score, and one statement that answers the total, the facets and the page.

Lexemes are the field's prefix and the token ("t:宣纸", "p:xuanzhi"); a token is stored once per
occurrence (positions 1..tf, at most MAX_TF), and search_postings holds each listing's lexemes
with their term frequencies, by number (models/search.py).

Where the time goes, and why the statement is shaped as it is:
- a ranked search reads the term frequencies it needs from the postings index alone (an
  index-only scan of the query's lexemes, one row per listing and lexeme, pivoted per listing
  by one hash aggregate): reading them from each matched row's tsvector cost three times as
  much. Which listings match (the hits) is told by the same term frequencies (a lexeme is in a
  listing's terms exactly when it has a posting), and so are, the first time, how many
  listings each of several concepts matches (their idf): no count of the documents beforehand;
- the documents give only their facet and sort columns, from an index that includes them
  (ix_search_documents_facets), and only for a filter, a sort by them, or the facets' first
  count; the total and facets are counted in the same round trip (GROUPING SETS) and cached
  for this index version (pg_cache.py);
- a search with nothing to rank matches with the GIN index (a bitmap scan of the rows holding
  the query's lexemes); the planner, which takes `@@` for cheap, would otherwise read and test
  every row, so a search turns sequential scans off for its own transaction (TUNING).
"""

import functools

from market.search.planning import GRAMS_FIELD, TF_SATURATION

PREFIX = {"title_zh": "t", "body_zh": "b", "title_en": "e", "body_en": "f", "pinyin": "p",
          GRAMS_FIELD: "g", "kind": "k"}
MAX_TF = 64  # positions kept per token: the highest term frequency a search tells apart
# Per search transaction: the GIN index, never a scan testing `@@` on every row; no JIT for
# statements whose cost estimate the disabled scan inflates; room for the per-listing pivot of
# the postings (a broad query's spilled to disk at the default 4 MB). A select list: the
# search's first statement sets it while reading the index version (one round trip).
TUNING = ("set_config('enable_seqscan', 'off', true), set_config('jit', 'off', true), "
          "set_config('work_mem', '16MB', true)")

SORTS = {
    "price": ["price_fen", "listing_id"],
    "price_desc": ["price_fen DESC", "listing_id"],
    "soonest": ["next_date", "price_fen", "listing_id"],
}


@functools.lru_cache(maxsize=1024)
def float_array(values: tuple[float, ...]) -> str:
    """Constant numbers as a float8[] in the SQL text, not a parameter converted on every
    search; repr writes each float so that PostgreSQL reads back the very same value."""
    return "'{" + ",".join(map(repr, values)) + "}'::float8[]"


@functools.lru_cache(maxsize=256)
def saturation(boost: float) -> str:
    """A way's score by term frequency 0..MAX_TF (the Whoosh backend's formula) as SQL."""
    return float_array((0.0, *(boost * tf / (tf + TF_SATURATION) for tf in range(1, MAX_TF + 1))))


def quote(lexeme_text: str) -> str:
    """A lexeme as tsvector/tsquery input: quoted, so no character in it is syntax."""
    return "'" + lexeme_text.replace("\\", "\\\\").replace("'", "''") + "'"


def lexeme(fieldname: str, term: str) -> str:
    return f"{PREFIX[fieldname]}:{term}"


def tsquery_text(plan) -> str | None:
    """A concept's plan [(weight, [word ways])] as tsquery text: any alternative, all its words,
    any of a word's ways, all of a way's terms."""
    alternatives = []
    for _weight, words in plan:
        alternatives.append(" & ".join(
            "(" + " | ".join("(" + " & ".join(quote(lexeme(f, t)) for t in texts) + ")"
                             for f, texts, _boost in ways) + ")" for ways in words))
    return " | ".join(f"({a})" for a in alternatives) or None


class Bound:
    """Bound parameters for one statement (named p0, p1, ...), the same value bound once."""

    def __init__(self):
        self.params: dict[str, object] = {}
        self._names: dict[tuple, str] = {}

    def bind(self, value, cast: str | None = None) -> str:
        key = (repr(value), cast)
        name = self._names.get(key)
        if name is None:
            name = self._names[key] = f"p{len(self._names)}"
            self.params[name] = value
        return f"CAST(:{name} AS {cast})" if cast else f":{name}"

    def weight(self, weight: float) -> str:
        """A relevance weight as SQL, bound as two integers: the weight's exact binary fraction
        (numerator / a power of two), so the product is bit for bit the Whoosh backend's and
        ties break alike on both backends."""
        numerator, denominator = float(weight).as_integer_ratio()
        assert denominator < 2 ** 62, weight  # a power of two that a bigint holds
        return f"({self.bind(numerator, 'float8')} / {self.bind(denominator, 'float8')})"


class Scores:
    """SQL for listings' scores and matches from their term frequencies: each distinct lexeme's
    term frequency is a column (tf0, tf1, ...) of the `tf` CTE (postings_sql), 0 when absent."""

    def __init__(self, sql: Bound):
        self.sql = sql
        self.columns: dict[str, str] = {}  # lexeme -> column name
        self.uncounted: list = []  # the plans whose listings the statement counts (counts_sql)

    def tf(self, lexeme_text: str) -> str:
        name = self.columns.get(lexeme_text)
        if name is None:
            name = self.columns[lexeme_text] = f"tf{len(self.columns)}"
        return name

    def postings_sql(self, term_ids: dict[str, int]) -> str:
        """Per listing holding any of the lexemes, each one's tf, from the postings index alone."""
        numbers = {lex: int(term_ids[lex]) for lex in self.columns}  # integers: safe in the SQL text
        pivot = ", ".join(f"coalesce(max(tf) FILTER (WHERE term = {numbers[lex]}), 0) AS {name}"
                          for lex, name in self.columns.items())
        wanted = ",".join(map(str, numbers.values()))
        return (f"SELECT listing_id, {pivot} FROM search_postings "
                f"WHERE term = ANY('{{{wanted}}}'::bigint[]) GROUP BY listing_id")

    def saturated(self, fieldname: str, term: str, boost: float) -> str:
        return f"({saturation(boost)})[{self.tf(lexeme(fieldname, term))} + 1]"

    def words_match(self, words) -> str:
        """Whether a listing has all the words (tsquery_text's `&` of `|` of `&`)."""
        return " AND ".join(
            "(" + " OR ".join("(" + " AND ".join(f"{self.tf(lexeme(f, t))} > 0" for t in texts) + ")"
                              for f, texts, _boost in ways) + ")" for ways in words)

    def matches(self, plan) -> str:
        """Whether a listing matches a concept's plan (as `terms @@ tsquery_text(plan)`)."""
        return " OR ".join(f"({self.words_match(words)})" for _weight, words in plan) or "FALSE"

    def concept(self, plan) -> str:
        """One concept's score of a row (WhooshBackend._concept_scores, term for term)."""
        sql = self.sql
        alternatives = []
        for weight, words in plan:
            word_sql = []
            for ways in words:
                way_sql = [self.saturated(f, texts[0], boost) if len(texts) == 1 else
                           "LEAST(" + ", ".join(self.saturated(f, t, boost) for t in texts) + ")"
                           for f, texts, boost in ways]
                word_sql.append(way_sql[0] if len(way_sql) == 1 else "GREATEST(" + ", ".join(way_sql) + ")")
            total = word_sql[0]
            for more in word_sql[1:]:
                total = f"({total} + {more})"
            if len(word_sql) == 1:
                alternatives.append(f"{sql.weight(weight)} * {total}")
            else:
                alternatives.append(
                    f"CASE WHEN {self.words_match(words)} THEN {sql.weight(weight)} * {total} ELSE 0 END")
        return alternatives[0] if len(alternatives) == 1 else "GREATEST(" + ", ".join(alternatives) + ")"

    def relevance(self, plans, listings: int, counted: dict[str, int]) -> str:
        """Σ idf × the concept's score, in the plans' order (the Whoosh backend's: by the
        concepts' words), idf = ln(1 + N / listings matching the concept), N = `listings`, the
        count from `counted` (by the concept's tsquery text) or else from the `counts` CTE
        (counts_sql); each a float operation as Whoosh's, so the sums are bit for bit equal.
        One concept alone: its score (its idf only scales)."""
        if len(plans) == 1:
            return self.concept(plans[0]) if plans[0] else "0"
        parts = []
        for plan in filter(None, plans):
            count = counted.get(tsquery_text(plan))
            if count is None:
                self.uncounted.append(plan)
                count = f"(SELECT n FROM counts WHERE i = {len(self.uncounted) - 1})"
            idf = f"ln(1 + {int(listings)}::float8 / greatest(1, {count})::float8)"
            parts.append(f"{idf} * ({self.concept(plan)})")
        return "(" + " + ".join(parts) + ")"

    def counts_sql(self) -> str | None:
        """Rows (i, n): how many listings match each concept relevance() had no count for,
        counted on the `tf` rows (a listing matching a concept holds one of its lexemes)."""
        if not self.uncounted:
            return None
        counted = ", ".join(f"count(*) FILTER (WHERE {self.matches(plan)}) AS n{i}"
                            for i, plan in enumerate(self.uncounted))
        rows = ", ".join(f"({i}, n{i})" for i in range(len(self.uncounted)))
        return f"SELECT i, n FROM (SELECT {counted} FROM tf) AS counted, LATERAL (VALUES {rows}) AS v (i, n)"


def filters(sql: Bound, query) -> list[str]:
    out = []
    for column, value in (("kind", query.kind), ("province", query.province),
                          ("home_id", query.home_id), ("price_band", query.price_band)):
        if value:
            out.append(f"{column} = {sql.bind(value)}")
    if query.only_ids is not None:
        out.append(f"listing_id = ANY({sql.bind(sorted(query.only_ids), 'integer[]')})")
    return out


def all_of(sql: Bound, tsqueries: list[str]) -> str:
    if not tsqueries:
        return "TRUE"
    return f"terms @@ {sql.bind(' & '.join(f'({q})' for q in tsqueries), 'tsquery')}"


def any_of(sql: Bound, tsqueries: list[str]) -> str:
    if not tsqueries:
        return "TRUE"
    return f"terms @@ {sql.bind(' | '.join(f'({q})' for q in tsqueries), 'tsquery')}"


def where(filter_sql: list[str], match: str | None) -> str:
    return " AND ".join(filter_sql + [match or "FALSE"])


COLUMNS = "kind, province, home_id, price_band, price_fen, next_date"  # ix_search_documents_facets


def matched_page_and_facets(filter_sql: list[str], match: str, order: list[str], limit: int, offset: int,
                            facets: bool = True, postings: str | None = None, counts: str | None = None,
                            sorted_by_columns: bool = False) -> str:
    """One statement over the matched rows: rows (g, kind, province, home_id, price_band, count)
    of GROUPING SETS for the total and the facets (unless `facets` is false: known already),
    then (-1, NULL, NULL, listing_id, NULL, NULL) for each listing of the page, in order.
    Without `postings`, `match` is a tsquery match of the documents (GIN). With `postings`
    (Scores.postings_sql), `match` and `order` read the term frequencies (the `hits`), and the
    documents only give their facet and sort columns (an index-only scan of
    ix_search_documents_facets): joined to the hits for a filter or `sorted_by_columns`, else
    probed for the hits' facets alone, or not read at all. With `counts` (Scores.counts_sql),
    which `order` may read, also (-2, NULL, NULL, i, NULL, n) for each of its rows."""
    ctes, page_from, counted_from = [], "matched", "matched"
    if postings is None:
        ctes.append(f"matched AS MATERIALIZED (SELECT listing_id, {COLUMNS} FROM search_documents "
                    f"WHERE {where(filter_sql, match)})")
    else:
        ctes += [f"tf AS ({postings})", f"hits AS (SELECT * FROM tf WHERE {match})"]
        if filter_sql or sorted_by_columns:
            ctes.append(f"matched AS MATERIALIZED (SELECT hits.*, {COLUMNS} FROM hits JOIN "
                        f"(SELECT listing_id, {COLUMNS} FROM search_documents) AS d USING (listing_id) "
                        f"WHERE {' AND '.join(filter_sql) or 'TRUE'})")
        else:
            # each hit probed in the index: hashing every listing's row to join them cost more
            page_from = "hits"
            counted_from = (f"(SELECT {COLUMNS} FROM search_documents "
                            "WHERE listing_id IN (SELECT listing_id FROM hits)) AS d")
    if counts is not None:
        ctes.append(f"counts AS ({counts})")
    if facets:
        ctes.append("facets AS (SELECT GROUPING(kind, province, home_id, price_band) AS g, kind, province, "
                    f"home_id, price_band, count(*) AS n FROM {counted_from} "
                    "GROUP BY GROUPING SETS ((kind), (province), (home_id), (price_band), ()))")
    return (
        "WITH " + ", ".join(ctes) + " "
        + ("SELECT g, kind, province, home_id, price_band, n FROM facets UNION ALL " if facets else "")
        + ("SELECT -2, NULL, NULL, i, NULL, n FROM counts UNION ALL " if counts is not None else "")
        + "SELECT -1, NULL, NULL, listing_id, NULL, NULL FROM "
        f"(SELECT listing_id FROM {page_from} ORDER BY {', '.join(order)} "
        f"LIMIT {int(limit)} OFFSET {int(offset)}) AS page")


def read_page_and_facets(rows, facet_names) -> tuple[int, dict[str, dict[str, int]], list[int], list[int]]:
    """(total, facets, page ids, the counts n0, n1, ...) from the rows of matched_page_and_facets."""
    facets: dict[str, dict[str, int]] = {name: {} for name in facet_names}
    total, ids, counts = 0, [], {}
    for grouping, kind, province, home_id, band, count in rows:
        if grouping == -1:  # a page row: its listing id is in the home_id column
            ids.append(home_id)
            continue
        if grouping == -2:  # a concept's count: its number (counts.n<i>) in the home_id column
            counts[home_id] = count
            continue
        if grouping == 0b1111:
            total = count
        for name, bit, value in (("kind", 0b0111, kind), ("province", 0b1011, province),
                                 ("home", 0b1101, home_id), ("price_band", 0b1110, band)):
            if grouping == bit and value not in (None, ""):
                facets[name][str(value)] = count
    return total, facets, ids, [counts[i] for i in range(len(counts))]
