"""Hook receivers: news from the payments domain that changes the fund (see market/hooks.py).

Each runs inside the sender's transaction and never commits."""

from market import hooks
from market.fund.donations import apply_cancel_pending_donation, apply_confirm_donation
from market.fund.service import FundError


def _on_donation_paid(donation_id: int, *, amount_fen: int, provider: str, provider_ref=None,
                      **_extra) -> None:
    try:
        apply_confirm_donation(donation_id, amount_fen, provider, provider_ref)
    except FundError as error:  # e.g. cancelled by staff meanwhile: the money came anyway
        raise hooks.Refused(str(error)) from None


def _on_donation_unpaid(donation_id: int, **_extra) -> None:
    apply_cancel_pending_donation(donation_id)


def connect_hooks() -> None:
    hooks.donation_paid.connect(_on_donation_paid)
    hooks.donation_unpaid.connect(_on_donation_unpaid)
