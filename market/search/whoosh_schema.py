"""The Whoosh index's schema and files: fields, analyzers, how a search document becomes a
Whoosh document, the codec and storage. The search itself is in whoosh_backend.py."""

from pathlib import Path

from whoosh import columns
from whoosh.codec import whoosh3
from whoosh.fields import COLUMN, ID, TEXT, Schema
from whoosh.filedb.filestore import FileStorage

from market.search.analysis import (
    chinese_analyzer,
    english_analyzer,
    glosses,
    gram_analyzer,
    pinyin_terms,
    plain_analyzer,
    spelling_analyzer,
)
from market.search.backend import Document

NO_DATE = 99_999_999  # sorts after every real date (dates are stored as YYYYMMDD)


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
        grams_zh=TEXT(analyzer=gram_analyzer(), phrase=False),
        spell=TEXT(analyzer=spelling_analyzer(), phrase=False),
    )


def to_fields(doc: Document) -> dict:
    romanised = " ".join(pinyin_terms(" ".join((doc.title_zh, doc.tags))))
    next_date = NO_DATE
    if doc.next_date is not None:
        next_date = doc.next_date.year * 10000 + doc.next_date.month * 100 + doc.next_date.day
    joined_pinyin = " ".join(t for t in romanised.split() if len(t) > 2)
    english_glosses = glosses(doc.title_zh + " " + doc.tags)
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
        title_en=f"{doc.title_en}\n{doc.tags}\n{english_glosses}",
        body_en=f"{doc.description_en}\n{doc.place_en}",
        pinyin=romanised,
        grams_zh="\n".join((doc.title_zh, doc.tags, doc.description_zh, doc.place_zh)),
        # What the typo tolerance corrects towards: English titles, tags, the glosses and pinyin.
        spell=" ".join((doc.title_en, doc.tags, english_glosses, joined_pinyin)),
    )




def codec() -> whoosh3.W3Codec:
    """Whoosh's codec with posting blocks of 512 instead of 128: decoding a block costs about
    the same whatever its size, so a posting list reads three times faster on a first query."""
    return whoosh3.W3Codec(blocklimit=512)


def storage(path: Path) -> FileStorage:
    """The index folder's files, read with plain reads. Not Whoosh's default memory map: with
    it, every searcher copies each segment's postings and terms into memory (62 MB and 20 ms
    per searcher at 50,000 listings); plain reads of whole posting lists are as fast."""
    return FileStorage(str(path), supports_mmap=False)
