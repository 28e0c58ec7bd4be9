"""Hook receivers: sales news kept in `impact_sales` for the staff and admin dashboards (see
market/hooks.py). Each runs inside the sender's transaction and never commits."""

import json

from market import hooks
from market.impact import rollup
from market.impact.sums import bump, bump_sale
from market.ledger.sums import month_of
from models import Order, OrderLine, db


def _on_order_paid(order: Order, **_extra) -> None:
    month = month_of(order.paid_at)
    for line in order.lines:
        bump_sale(line.home_id, month, line.kind, line.listing_id, amount=line.amount_fen,
                  quantity=line.quantity, lines=1)


def _on_refund_settled(refund, **_extra) -> None:
    try:
        amounts = {int(k): int(v) for k, v in json.loads(refund.lines_json or "{}").items()}
    except (ValueError, TypeError, AttributeError):
        return  # the ledger refuses such a refund and the whole transaction with it
    for line_id, fen in amounts.items():
        line = db.session.get(OrderLine, line_id)
        if line is None or not fen or line.order.paid_at is None:
            continue
        bump_sale(line.home_id, month_of(line.order.paid_at), line.kind, line.listing_id, refunded=fen)


def _on_time_confirmed(service, **_extra) -> None:
    bump(service.home_id, month_of(service.started_at), {"volunteer_minutes": service.minutes})


def _on_time_reversed(service, **_extra) -> None:
    bump(service.home_id, month_of(service.started_at), {"volunteer_minutes": -service.minutes})


def _on_care_posted(_entry, rows=(), **_extra) -> None:
    rollup.add_care(rows)


def connect_hooks() -> None:
    hooks.order_paid.connect(_on_order_paid)
    hooks.refund_settled.connect(_on_refund_settled)
    hooks.care_posted.connect(_on_care_posted)
    hooks.time_confirmed.connect(_on_time_confirmed)
    hooks.time_reversed.connect(_on_time_reversed)
