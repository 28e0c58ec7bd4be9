"""Per-line allocation for buyers' receipts: where each fen of an order line went.

`line_split(line)` is a template global (registered by the fund blueprint) used by
`templates/fund/_line_split.html`.
"""

from dataclasses import dataclass

from sqlalchemy import select

from market.ledger.allocation import split_line
from models import Elder, Home, db
from models.ledger import JournalEntry


@dataclass
class LineSplit:
    care: int
    incentive: int
    fee: int
    operations: int
    home: Home | None
    elder_role: str | None
    entry_seq: int | None  # the sale entry in the public log, once paid


def line_split(line) -> LineSplit:
    shares = split_line(line.amount_fen, line.care_share_bps, line.incentive_bps or 0,
                        line.platform_fee_bps or 0)
    home = db.session.get(Home, line.home_id)
    elder_role = None
    if line.elder_id:
        elder = db.session.get(Elder, line.elder_id)
        elder_role = elder.role if elder else None
    seq = db.session.scalar(
        select(JournalEntry.seq).where(JournalEntry.order_id == line.order_id, JournalEntry.kind == "sale")
        .order_by(JournalEntry.seq).limit(1)
    )
    return LineSplit(shares["care"], shares["incentive"], shares["fee"], shares["operations"], home,
                     elder_role, seq)
