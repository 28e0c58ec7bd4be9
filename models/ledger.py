"""The care-fund ledger: accounts, journal entries, postings and Merkle tree heads.

Amounts are signed integer fen, DEBIT POSITIVE: the postings of an entry sum to zero.
Entries and postings are append-only: the ORM refuses to update or delete them (see
`market/ledger/immutability.py`) and on PostgreSQL a row trigger refuses it too (below).
`market/ledger/service.py::post()` is the only writer. The care-fund summary (`CareSum`) is
derived data that post() upserts, not append-only; `verify_ledger()` recomputes it.
"""

from datetime import datetime

from sqlalchemy import (
    DDL,
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    event,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.orm import Session as OrmSession

from models.base import UTCDateTime, db, utcnow


class Account(db.Model):
    """A ledger account of one home (home_id) or of the platform (home_id NULL)."""

    __tablename__ = "ledger_accounts"
    __table_args__ = (
        UniqueConstraint("home_id", "code", "commodity"),
        # NULLs are distinct in a unique constraint: platform accounts need their own index.
        Index(
            "uq_ledger_accounts_platform_code",
            "code",
            "commodity",
            unique=True,
            sqlite_where=db.text("home_id IS NULL"),
            postgresql_where=db.text("home_id IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    home_id: Mapped[int | None] = mapped_column(ForeignKey("homes.id"), index=True)
    code: Mapped[str] = mapped_column(String(40))
    commodity: Mapped[str] = mapped_column(String(8), default="CNY")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def __repr__(self) -> str:
        owner = f"home {self.home_id}" if self.home_id is not None else "platform"
        return f"<Account {owner} {self.code} {self.commodity}>"


class JournalEntry(db.Model):
    """One balanced entry; `seq` (1, 2, 3, …) is its position in the Merkle log (leaf seq-1)."""

    __tablename__ = "ledger_entries"
    __table_args__ = (
        CheckConstraint("seq > 0", name="seq_positive"),
        Index("ix_ledger_entries_home_seq", "home_id", "seq"),
        Index("ix_ledger_entries_home_occurred", "home_id", "occurred_at"),
        Index("ix_ledger_entries_order_kind", "order_id", "kind"),
        Index("ix_ledger_entries_source", "source_type", "source_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, unique=True)
    # sale, refund, release, donation, grant, disbursement, settlement, adjustment
    kind: Mapped[str] = mapped_column(String(20))
    idempotency_key: Mapped[str] = mapped_column(String(120), unique=True)
    memo: Mapped[str] = mapped_column(Text, default="")
    home_id: Mapped[int | None] = mapped_column(ForeignKey("homes.id"))
    commodity: Mapped[str] = mapped_column(String(8), default="CNY")
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # What the entry is about (all optional): an order / refund, or a fund record
    # (source_type "donation" | "grant" | "disbursement" | "settlement", source_id its id).
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"))
    refund_id: Mapped[int | None] = mapped_column(ForeignKey("refunds.id"), index=True)
    source_type: Mapped[str | None] = mapped_column(String(20))
    source_id: Mapped[int | None] = mapped_column(Integer)
    # Grants: the funder type (government, township, …); disbursements: the spending
    # category (meals, medical, …); settlements: the account settled.
    category: Mapped[str | None] = mapped_column(String(30))
    leaf_hash: Mapped[str] = mapped_column(String(64))  # hex SHA-256(0x00 || canonical bytes)

    postings: Mapped[list["Posting"]] = relationship(
        back_populates="entry", order_by="Posting.id", lazy="selectin"
    )


class Posting(db.Model):
    __tablename__ = "ledger_postings"
    __table_args__ = (
        CheckConstraint("amount <> 0", name="amount_nonzero"),
        Index("ix_ledger_postings_account_entry", "account_id", "entry_id"),
        Index("ix_ledger_postings_line", "order_line_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("ledger_entries.id"), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("ledger_accounts.id"))
    amount: Mapped[int] = mapped_column(Integer)  # fen, debit positive
    # Sales, refunds and releases: which order line and which share (care, incentive, fee,
    # operations, total) the amount belongs to, so refunds never take back more than received.
    order_line_id: Mapped[int | None] = mapped_column(ForeignKey("order_lines.id"))
    share: Mapped[str | None] = mapped_column(String(12))

    entry: Mapped[JournalEntry] = relationship(back_populates="postings")
    account: Mapped[Account] = relationship(lazy="joined")


class TreeHead(db.Model):
    """A recorded head of the Merkle log: its size (leaves) and root, with the compact
    range ("frontier": the roots of the perfect subtrees left to right) so the next head
    is computed from the new leaves only."""

    __tablename__ = "ledger_tree_heads"
    __table_args__ = (CheckConstraint("size >= 0", name="size_nonneg"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    size: Mapped[int] = mapped_column(Integer, index=True)
    root: Mapped[str] = mapped_column(String(64))
    frontier: Mapped[str] = mapped_column(Text, default="[]")  # JSON list of hex hashes
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)  # the signed timestamp
    # Ed25519 over `market/ledger/signing.py::head_message()`; NULL on heads recorded before
    # heads were signed (migration 0006). log_id: SHA-256 of the signing public key, hex.
    log_id: Mapped[str | None] = mapped_column(String(64))
    signature: Mapped[str | None] = mapped_column(String(128))  # hex

    cosignatures: Mapped[list["Cosignature"]] = relationship(
        back_populates="head", order_by="Cosignature.id", lazy="selectin"
    )


class Witness(db.Model):
    """A witness key an admin registered (`flask ledger witness-add`): its co-signatures of
    tree heads are accepted at POST /ledger/witness and shown beside each head."""

    __tablename__ = "ledger_witnesses"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    public_key: Mapped[str] = mapped_column(String(64), unique=True)  # raw Ed25519 key, hex
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Cosignature(db.Model):
    """A witness's Ed25519 signature of `signing.cosign_message(head)`: the witness checked
    that this head extends every head it saved before."""

    __tablename__ = "ledger_cosignatures"
    __table_args__ = (UniqueConstraint("head_id", "witness_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    head_id: Mapped[int] = mapped_column(ForeignKey("ledger_tree_heads.id"), index=True)
    witness_id: Mapped[int] = mapped_column(ForeignKey("ledger_witnesses.id"), index=True)
    signature: Mapped[str] = mapped_column(String(128))  # hex
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    head: Mapped[TreeHead] = relationship(back_populates="cosignatures")
    witness: Mapped[Witness] = relationship(lazy="joined")


class CareSum(db.Model):
    """The care-fund summary the public fund pages read: the sum of a home's care-fund
    postings (pending, available) and how many entries made it, per month in Asia/Shanghai,
    entry kind, kind sold (the posting's order line, '' if none), category ('' if none),
    account code and commodity. `post()` adds each entry in the entry's own transaction
    (`market/ledger/sums.py`). Not append-only: `verify_ledger()` recomputes it from the
    postings."""

    __tablename__ = "ledger_care_sums"

    home_id: Mapped[int] = mapped_column(ForeignKey("homes.id"), primary_key=True)
    month: Mapped[str] = mapped_column(String(7), primary_key=True)  # "2026-11"
    kind: Mapped[str] = mapped_column(String(20), primary_key=True)
    sold_kind: Mapped[str] = mapped_column(String(20), primary_key=True)
    category: Mapped[str] = mapped_column(String(30), primary_key=True)
    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    commodity: Mapped[str] = mapped_column(String(8), primary_key=True)
    amount: Mapped[int] = mapped_column(BigInteger)  # fen, debit positive
    entries: Mapped[int] = mapped_column(Integer)


# ---- PostgreSQL: append-only at the database too ----------------------------------------
# A row trigger refuses UPDATE and DELETE, a statement trigger refuses TRUNCATE, on every
# append-only ledger table (accounts included). Only the tables' owner can disable them; the
# application connects as a role that is not the owner (models/roles.py, docs/operations.md).
# The migrations create the same triggers (0001, 0006).

IMMUTABLE_FUNCTION_SQL = """
CREATE OR REPLACE FUNCTION ledger_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'ledger rows are append-only: %% on %% refused', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql
"""


def _trigger_sql(table: str) -> str:
    return (
        f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
        f"FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change()"
    )


def truncate_trigger_sql(table: str) -> str:
    return (
        f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
        f"FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change()"
    )


APPEND_ONLY_TABLES = ("ledger_accounts", "ledger_entries", "ledger_postings", "ledger_tree_heads",
                      "ledger_cosignatures")

for _table in (Account.__table__, JournalEntry.__table__, Posting.__table__, TreeHead.__table__,
               Cosignature.__table__):
    event.listen(
        _table, "after_create", DDL(IMMUTABLE_FUNCTION_SQL).execute_if(dialect="postgresql")
    )
    event.listen(_table, "after_create", DDL(_trigger_sql(_table.name)).execute_if(dialect="postgresql"))
    event.listen(_table, "after_create",
                 DDL(truncate_trigger_sql(_table.name)).execute_if(dialect="postgresql"))


# ---- the ORM refuses to change or delete ledger rows ----------------------------------------

class LedgerImmutableError(RuntimeError):
    """Raised when code tries to update or delete a journal entry, posting or tree head."""


_APPEND_ONLY = (JournalEntry, Posting, TreeHead, Cosignature)


def _refuse(action: str):
    def listener(_mapper, _connection, target):
        raise LedgerImmutableError(
            f"{type(target).__name__} rows are append-only: {action} refused; post a reversing entry"
        )

    return listener


for _model in _APPEND_ONLY:
    event.listen(_model, "before_update", _refuse("update"))
    event.listen(_model, "before_delete", _refuse("delete"))


@event.listens_for(OrmSession, "do_orm_execute")
def _refuse_bulk_changes(state):
    """`session.execute(update(JournalEntry)…)` and bulk deletes skip the mapper events."""
    if state.is_update or state.is_delete:
        tables = {getattr(m, "local_table", None) for m in state.all_mappers}
        if tables & {m.__table__ for m in _APPEND_ONLY}:
            raise LedgerImmutableError("ledger rows are append-only: bulk update/delete refused")
