from datetime import datetime

from sqlalchemy import DDL, BigInteger, Column, DateTime, Index, Integer, SmallInteger, String, Text, event
from sqlalchemy.dialects.postgresql import TSVECTOR
from sqlalchemy.orm import Mapped, mapped_column

from models.base import UTCDateTime, db, utcnow


class SearchQueue(db.Model):
    """Listings whose index update failed (or ran during a rebuild): applied on the next update.

    No foreign key: a deleted listing is queued so that it gets removed from the index.
    """

    __tablename__ = "search_queue"

    id: Mapped[int] = mapped_column(primary_key=True)
    listing_id: Mapped[int] = mapped_column(Integer, index=True)
    reason: Mapped[str] = mapped_column(String(200), default="")
    queued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


# What `Text` becomes on PostgreSQL: the search columns are tsvectors there. The table exists on
# SQLite too (the models are the same on both) but stays empty: SEARCH_BACKEND=postgres refuses
# to start on SQLite (market/search/indexing.py).
TSVector = Text().with_variant(TSVECTOR(), "postgresql")


class SearchDocument(db.Model):
    """One published listing as the PostgreSQL search backend holds it (market/search/pg_backend.py).

    Written in the same transaction as the listing (market/search/indexing.py), so it never
    drifts. `terms` holds every field's pre-segmented tokens (jieba, pinyin, English stems,
    character pairs), each prefixed by its field ("t:宣纸", "p:xuanzhi", "k:craft") and repeated
    by position as often as it occurs (term frequency); `spell` holds the words typos are
    corrected towards. No foreign key, as search_queue: the row of a deleted listing is removed
    in that listing's transaction.
    """

    __tablename__ = "search_documents"
    __table_args__ = (
        # fastupdate off: no pending list, which every search would otherwise scan in full
        # for each term it looks up (migration 0022).
        Index("ix_search_documents_terms", "terms", postgresql_using="gin",
              postgresql_with={"fastupdate": "off"}),
        # A ranked search finds its listings in search_postings and reads only these columns of
        # them (filters, facets, sorts): from this index alone, not from the wide rows (0026).
        Index("ix_search_documents_facets", "listing_id", postgresql_include=[
            "kind", "province", "home_id", "price_band", "price_fen", "next_date"]),
    )

    listing_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    kind: Mapped[str] = mapped_column(String(20))
    province: Mapped[str] = mapped_column(String(100))
    home_id: Mapped[int] = mapped_column(Integer)
    price_band: Mapped[str] = mapped_column(String(20))
    price_fen: Mapped[int] = mapped_column(BigInteger)
    next_date: Mapped[int] = mapped_column(Integer)  # YYYYMMDD; 99999999 when none
    terms: Mapped[str] = mapped_column(TSVector)
    spell: Mapped[str] = mapped_column(TSVector)
    # Naive UTC, written by the database's clock_timestamp(): a rebuild keeps rows written after
    # it began.
    indexed_at: Mapped[datetime] = mapped_column(DateTime, index=True)


# `terms` inline and uncompressed: a search reads the tsvector of every row it matches, several
# times, and unpacking it each time cost more than the bigger heap (migration 0024; 0022 had
# chosen LZ4, which this replaces).
TERMS_PLAIN = ("ALTER TABLE search_documents ALTER COLUMN terms SET STORAGE EXTERNAL, "
               "SET (toast_tuple_target = 8160)")
event.listen(SearchDocument.__table__, "after_create", DDL(TERMS_PLAIN).execute_if(dialect="postgresql"))


# One lexeme of one listing's `terms` and how often it occurs there, derived in SQL from the
# search_documents row in the same transaction (market/search/pg_backend.py). A search reads the
# term frequencies of the lexemes it asks about from the (term, listing_id, tf) index alone, an
# index-only scan, instead of cutting every matched row's tsvector. `term` is PostgreSQL's 64-bit
# hashtextextended(lexeme, 0): two of 100,000 distinct lexemes meeting on one number is about
# one chance in four billion. No primary key: a unique index on (listing_id, term) would be as
# big as the table's other index, where a plain one on listing_id (what a rewrite deletes by)
# stores each listing's hundred-odd entries as one (B-tree deduplication).
search_postings = db.Table(
    "search_postings",
    Column("listing_id", Integer, nullable=False, index=True),
    Column("term", BigInteger, nullable=False),
    Column("tf", SmallInteger, nullable=False),
    Index("ix_search_postings_term", "term", "listing_id", postgresql_include=["tf"]),
)


# The typo vocabulary (the words of every row's `spell`), each word with the number of listings
# holding it, kept in step with search_documents in the writing transaction (pg_backend.py): a
# search after an edit reads a few thousand rows here, where counting them from every listing's
# `spell` (ts_stat) took 60 ms at 50,000 listings.
search_spellings = db.Table(
    "search_spellings",
    Column("word", Text, primary_key=True),
    Column("listings", Integer, nullable=False),
)


class SearchVersion(db.Model):
    """One row (id 1): a counter bumped in the same transaction as any write to search_documents,
    so every server's search caches (term look-ups, listing counts, typo vocabulary) know
    exactly when the index changed (market/search/pg_backend.py), and the number of rows then,
    which every ranking of several words needs (its idf). Missing: nothing is cached."""

    __tablename__ = "search_version"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    version: Mapped[int] = mapped_column(BigInteger)
    listings: Mapped[int | None] = mapped_column(Integer)
