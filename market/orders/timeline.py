"""The order timeline in plain words: what each recorded event means, and who did it.

Events store short codes as their reason ("checkout", "payment offline cash", "hold expired",
"refund 7: …", "session moved <was> <now>"); staff reasons are free text and are shown as written.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from market.clock import local
from market.i18n import format_day, format_moment
from models import OrderEvent, User, db

REASONS = {
    "checkout": _l("Order placed."),
    "hold expired": _l("Not paid in time: the places were released."),
    "payment failed": _l("The payment failed: the places were released."),
    "cancelled by the buyer": _l("Cancelled by the buyer."),
    "line cancelled by the buyer": _l("The buyer cancelled one part of the order."),
    "cancelled": _l("Cancelled."),
    "paid after the hold ended; sold out": _l("Paid after the hold had ended, when it was sold out: "
                                              "refunded in full."),
    "all done": _l("Everything in the order is done: attended, checked out or shipped."),
    "done": _l("Marked done."),
    "shipped": _l("Shipped."),
    "walk-in": _l("Taken by the home's staff for a buyer in person or on the telephone."),
}
METHODS = {"cash": _l("cash"), "transfer": _l("bank transfer"), "other": _l("another way")}


def _plain(code: str) -> str:
    known = REASONS.get(code.strip())
    return str(known) if known is not None else code


MOVED = "session moved "


def session_moved_reason(was: datetime, now_at: datetime) -> str:
    """The stored reason of a session's move: both moments in UTC, worded when shown."""
    return f"{MOVED}{was.astimezone(UTC).isoformat()} {now_at.astimezone(UTC).isoformat()}"


def _moved_text(reason: str) -> str:
    try:
        was, now_at = (datetime.fromisoformat(part) for part in reason.removeprefix(MOVED).split(" "))
    except ValueError:
        return reason
    return _("The session was moved from %(was)s to %(now)s.",
             was=format_moment(local(was), "short"), now=format_moment(local(now_at), "short"))


BLOCKED = "night blocked "


def night_blocked_reason(day: date, why: str = "") -> str:
    """The stored reason when the home closes a booked room for a night: the day, then the
    staff member's words (if any)."""
    return f"{BLOCKED}{day.isoformat()}" + (f": {why.strip()}" if why and why.strip() else "")


def _blocked_text(reason: str) -> str:
    day_text, _colon, why = reason.removeprefix(BLOCKED).partition(": ")
    try:
        day = date.fromisoformat(day_text)
    except ValueError:
        return reason
    text = _("The home closed the room on the night of %(day)s: the stay is cancelled and refunded in full.",
             day=format_day(day))
    return f"{text} {why}" if why else text


def event_text(event: OrderEvent) -> str:
    """The event's reason as a sentence a buyer understands (free text stays as written)."""
    reason = (event.reason or "").strip()
    if reason.startswith(BLOCKED):
        return _blocked_text(reason)
    if reason.startswith(MOVED):
        return _moved_text(reason)
    if reason.startswith("payment "):
        _word, provider, *method = reason.split(" ")
        if provider == "offline":
            how = METHODS.get(method[0] if method else "", METHODS["other"])
            return _("Payment received by the home (%(method)s).", method=how)
        return _("Paid online.")
    if reason.startswith("refund "):
        _number, _colon, why = reason.partition(": ")
        return _("Refund: %(reason)s", reason=_plain(why)) if why else _("Refunded.")
    return _plain(reason)


def actor_text(event: OrderEvent, staff_view: bool = False) -> str:
    """Who acted: the customer, the home's staff (named in the staff console) or the system."""
    if event.actor_kind == "customer":
        return _("by the customer")
    if event.actor_kind == "staff":
        user = db.session.get(User, event.actor_id) if staff_view and event.actor_id else None
        return _("by staff: %(name)s", name=user.name) if user is not None else _("by the home's staff")
    return _("automatically")
