"""The small interface between the search service and an index engine.

A backend indexes plain `Document`s, removes them by listing id, answers a `Query` with
`Results` (ids in order, total, facet counts, a spelling suggestion) and rebuilds itself from an
iterable of documents. Nothing here knows about SQLAlchemy or Flask, so a second backend can
replace Whoosh without touching the views.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

FACETS = ("kind", "province", "home", "price_band")
SORTS = ("relevance", "price", "price_desc", "soonest")

# Price bands in fen: key -> (low inclusive, high exclusive or None).
PRICE_BANDS: dict[str, tuple[int, int | None]] = {
    "0-50": (0, 5000),
    "50-100": (5000, 10000),
    "100-300": (10000, 30000),
    "300-1000": (30000, 100000),
    "1000-": (100000, None),
}


def price_band(price_fen: int) -> str:
    for key, (low, high) in PRICE_BANDS.items():
        if price_fen >= low and (high is None or price_fen < high):
            return key
    return "1000-"


@dataclass
class Document:
    """What the index knows about one published listing."""

    listing_id: int
    kind: str
    home_id: int
    province: str
    price_fen: int
    next_date: date | None
    title_zh: str = ""
    title_en: str = ""
    description_zh: str = ""
    description_en: str = ""
    tags: str = ""
    place_zh: str = ""  # home name, village, county, province
    place_en: str = ""
    kind_words: str = ""

    @property
    def price_band(self) -> str:
        return price_band(self.price_fen)


@dataclass(frozen=True)
class Alternative:
    """One way to satisfy a concept: all these words found, counted at this weight."""

    words: tuple[str, ...]
    weight: float = 1.0
    fallback: bool = False  # tried only when the typed word itself is found nowhere (a typo)


@dataclass(frozen=True)
class Concept:
    """One thing the buyer asked for (market/search/understanding.py): the word as typed and
    the alternatives that satisfy it, the typed word first."""

    word: str
    alternatives: tuple[Alternative, ...]
    strong: bool = True  # False for a lone Chinese character: weak evidence on its own


@dataclass
class Query:
    words: list[str] = field(default_factory=list)  # already split (analysis.query_words)
    # When given, what is matched instead of `words`: a listing must satisfy every concept
    # (any of its alternatives); with `relax`, when none satisfies all, the listings that
    # satisfy the most concepts are found instead (Results.partial).
    concepts: list[Concept] | None = None
    relax: bool = False
    any_word: bool = False  # find listings matching any one word, not only all of them
    kind: str | None = None
    province: str | None = None
    home_id: int | None = None
    price_band: str | None = None
    only_ids: set[int] | None = None  # availability filters resolved by the database
    sort: str = "relevance"
    offset: int = 0
    limit: int = 20


@dataclass
class Results:
    ids: list[int]
    total: int
    facets: dict[str, dict[str, int]]
    suggestion: str | None = None
    partial: bool = False  # no listing matched every concept: these match some of them


class SearchBackend:
    """Interface. Implementations must be safe with several processes reading while one writes."""

    def index(self, documents: Iterable[Document]) -> None:
        """Add or replace these listings' documents."""
        raise NotImplementedError

    def remove(self, listing_ids: Iterable[int]) -> None:
        raise NotImplementedError

    def update(self, documents: Iterable[Document], removed_ids: Iterable[int]) -> None:
        """Add/replace and remove in one write."""
        raise NotImplementedError

    def search(self, query: Query) -> Results:
        raise NotImplementedError

    def rebuild(self, documents: Iterable[Document]) -> int:
        """Build a fresh index from all documents and swap it in atomically; returns the count."""
        raise NotImplementedError

    def rebuilding(self) -> bool:
        """True while a rebuild runs (writes made meanwhile must also be queued)."""
        return False

    def doc_count(self) -> int:
        raise NotImplementedError
