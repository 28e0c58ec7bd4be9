"""Plain words for the books' codes (entry kinds, categories, sources, accounts), for exports
that are read without the site (the CSV and the statement workbook) and for the pages: entry
kinds reach the templates as the global `entry_kind_label`; the other codes have the same words
in the templates' macros (`templates/fund/_macros.html`), so one translation serves both."""

from __future__ import annotations

from flask_babel import gettext as _


def entry_kind(kind: str) -> str:
    return {
        "sale": _("Sale"), "refund": _("Refund"), "release": _("Released to available"),
        "donation": _("Donation"), "grant": _("Subsidy or grant"), "disbursement": _("Care spending"),
        "settlement": _("Settlement between the home and the platform"), "audit": _("Change of a rule"),
        "time_service": _("Service given"), "time_redeem": _("Hours spent on help"),
        "time_gift": _("Hours given or received as a gift"), "time_reversal": _("Taken back after a dispute"),
        "time_allocation": _("Hours from the home's reserve"),
        "payout": _("Incentive paid to an elder"),
    }.get(kind, kind)


def category_name(category: str | None) -> str:
    return {
        "meals": _("Meals"), "medical_checks": _("Medical checks"), "daily_care": _("Daily care"),
        "activities": _("Activities"), "facilities": _("Facilities"),
        "recognitions": _("Thanks to time-bank volunteers"),
    }.get(category or "", _("Other"))


def grant_source_name(source: str | None) -> str:
    return {
        "government": _("Government"), "township": _("Township"),
        "village_collective": _("Village collective"), "social_organisation": _("Social organisation"),
        "enterprise": _("Enterprise"),
    }.get(source or "", source or "")


def entry_category(kind: str, category: str | None) -> str:
    """The entry's category in words: spending category, grant source, or nothing."""
    if not category:
        return ""
    if kind == "disbursement":
        return category_name(category)
    if kind == "grant":
        return grant_source_name(category)
    return ""


def source_name(key: str) -> str:
    """Where care-fund income came from (`public.source_key`)."""
    return {
        "sale:tour": _("Sales: tours & workshops"), "sale:homestay": _("Sales: homestays"),
        "sale:produce": _("Sales: farm produce"), "sale:craft": _("Sales: handicrafts"),
        "donation": _("Donations"), "grant": _("Subsidies and grants"),
    }.get(key, _("Sales: other") if key.startswith("sale:") else key)


def account_name(code: str) -> str:
    return {
        "care_fund:pending": _("Care fund (until the order is done)"),
        "care_fund:available": _("Care fund (can be spent)"),
        "care_fund:spent": _("Care fund (spent)"),
        "elder_incentive": _("Elder incentives"),
        "home_operations": _("The home's running costs"),
        "settlements_paid": _("Paid out to the home"),
        "payments_clearing": _("Money received from buyers and donors"),
        "fee_revenue": _("Platform fee"),
        "processing_costs": _("Costs the platform covers"),
        "external_income": _("Subsidies and grants from outside"),
    }.get(code) or (_("Incentive owed to one elder") if code.startswith("elder_incentive:") else code)


def yuan(fen: int) -> str:
    """1250 -> '12.50', -5 -> '-0.05': yuan with two decimals, no symbol, no grouping, for
    spreadsheets to read as numbers."""
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(int(fen)), 100)
    return f"{sign}{whole}.{cents:02d}"


# ---- the public audit log (market/ledger/audit.py) -------------------------------------------

def _role(role) -> str:
    return {"staff": _("staff"), "supervisor": _("supervisor")}.get(role, str(role))


def change_what(change) -> str:
    subject = change.subject or {}
    if change.what == "care_share":
        return _("Care share of the home")
    if change.what == "listing_care_share":
        return _("Care share of “%(title)s”", title=subject.get("title") or "")
    if change.what == "elder_incentive":
        if subject.get("name"):
            return _("Incentive of elder %(name)s", name=subject["name"])
        return _("Incentive of elder no. %(number)s", number=subject.get("elder", ""))
    if change.what == "member":
        return _("Role of %(name)s", name=subject.get("name") or subject.get("user", ""))
    if change.what == "platform_fee":
        return _("Platform fee (every home)")
    return change.what


def change_value(change, value) -> str:
    from market.catalog.display import percent

    if value is None:
        if change.what == "listing_care_share":
            return _("the home's share")
        if change.what == "member":
            return _("not a member")
        return "—"
    if change.what == "member":
        return _role(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return percent(value)
    return str(value)


def change_by(change) -> str:
    by = change.by or {}
    if by.get("setting"):
        return _("the platform's setting")
    name = by.get("name") or (_("account no. %(number)s", number=by["user"]) if by.get("user") else "")
    if not name:
        return "—"
    return _("%(name)s (platform administrator)", name=name) if by.get("admin") else name
