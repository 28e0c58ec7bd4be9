"""Public care-fund pages (no login): /fund/ and /fund/<home_slug>, donations, receipts,
exports and the printable monthly statement."""

from datetime import date
from functools import lru_cache

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import select

from market import clock
from market.errors import render_error
from market.fund import disbursements, donations, exports, labels, month_settlements, public
from market.fund.forms import DonationForm, ExportForm, PayDonationForm
from market.fund.service import FundError
from market.ledger import audit
from market.once import one_time
from market.payments.providers import enabled_providers, get_provider
from market.uploads import send_document
from models import Home, db
from models.fund import Donation

bp = Blueprint("fund", __name__, url_prefix="/fund")


def _active_home(slug: str) -> Home:
    home = db.session.scalar(select(Home).where(Home.slug == slug, Home.status == "active"))
    if home is None:
        abort(404)
    return home


def _before_arg() -> int | None:
    raw = request.args.get("before")
    if raw is None or raw == "":
        return None
    if not raw.isdigit() or len(raw) > 12:
        abort(404)
    return int(raw)


@bp.get("/")
def platform():
    return render_template(
        "fund/platform.html",
        summary=public.summary(None),
        homes=public.home_balances_table(),
        page=public.entries_page(None, _before_arg()),
        head=public.tree_head(),
        log_size=public.log_size(),
    )


@bp.get("/<home_slug>")
def home(home_slug: str):
    found = _active_home(home_slug)
    return render_template(
        "fund/home.html",
        home=found,
        summary=public.summary(found.id),
        page=public.entries_page(found.id, _before_arg()),
        head=public.tree_head(),
        log_size=public.log_size(),
        spending=public.recent_spending(found.id),
        donations=public.recent_donations(found.id),
        grants=public.recent_grants(found.id),
        share_exceptions=public.listing_share_exceptions(found),
        changes=audit.home_changes(found.id),
        held=month_settlements.holdings(found.id),
        form=DonationForm(),
        export_form=ExportForm(request.args),
    )


@bp.route("/<home_slug>/donate", methods=["GET", "POST"])
@one_time
def donate(home_slug: str):
    found = _active_home(home_slug)
    form = DonationForm()
    if form.validate_on_submit():
        provider = form.provider.data or "offline"
        try:
            if provider not in enabled_providers(current_app):
                raise FundError(_("Please choose a way to pay."))
            donation = donations.create_donation(
                found.id, form.amount_fen(), donor_name=form.donor_name.data or "",
                anonymous=bool(form.anonymous.data), message=form.message.data or "",
                provider=provider, donor_user=current_user,
            )
        except FundError as error:
            return render_template("fund/donate.html", home=found, form=form, error=str(error)), 400
        return _pay_online(donation) if provider == "stripe" else _to_donation(donation)
    status = 400 if form.is_submitted() else 200
    return render_template("fund/donate.html", home=found, form=form), status


def _to_donation(donation, **args):
    return redirect(url_for(".donation", reference=donation.reference, **args))


def _pay_online(donation):
    """To Stripe's page; if Stripe cannot be reached, back to the donation with the reason."""
    from market.payments import stripe_donations

    result = stripe_donations.start(donation)
    if result.redirect_url:
        return redirect(result.redirect_url)
    flash(result.instructions[0], "error")
    return _to_donation(donation)


def _donation_or_404(reference: str) -> Donation:
    found = db.session.scalar(select(Donation).where(Donation.reference == reference[:16]))
    if found is None:
        abort(404)
    return found


@bp.get("/donations/<reference>")
def donation(reference: str):
    found = _donation_or_404(reference)
    confirming = found.status == "pending" and found.provider == "stripe" and "paying" in request.args
    response = make_response(render_template(
        "fund/donation.html", donation=found, home=found.home, confirming=confirming,
        not_completed="cancelled" in request.args, pay_form=PayDonationForm()))
    if confirming:
        response.headers["Refresh"] = "4"
    return response


@bp.post("/donations/<reference>/pay")
@one_time
def pay_donation(reference: str):
    found = _donation_or_404(reference)
    if not PayDonationForm().validate_on_submit() or found.provider != "stripe":
        abort(400)
    return _pay_online(found)


@bp.app_template_global("donation_ways")
def _donation_ways() -> list[tuple[str, str]]:
    """How a donor may give: (provider name, label), the offline way first."""
    labels = {"offline": _("Give at the home (cash, bank transfer or mobile payment to its staff)")}
    return [(name, labels.get(name) or get_provider(name).label())
            for name in enabled_providers(current_app)]


@bp.get("/<home_slug>/receipts/<int:disbursement_id>")
def receipt(home_slug: str, disbursement_id: int):
    """The receipt of APPROVED spending only; proposals and rejections stay private."""
    found = _active_home(home_slug)
    try:
        item = disbursements.get_disbursement(found.id, disbursement_id)
    except FundError:
        abort(404)
    if item.status != "approved" or not item.receipt_path:
        abort(404)
    return send_document(disbursements.receipts_root(), item.receipt_path, item.receipt_content_type,
                         f"receipt-{item.id}", max_age=3600)


@bp.get("/<home_slug>/grants/<int:grant_id>/document")
def grant_document(home_slug: str, grant_id: int):
    """The document of a CONFIRMED subsidy or grant; unconfirmed ones stay private."""
    from market.fund import grants

    found = _active_home(home_slug)
    try:
        item = grants.get_grant(found.id, grant_id)
    except FundError:
        abort(404)
    if item.status != "confirmed" or not item.document_path:
        abort(404)
    return send_document(disbursements.receipts_root(), item.document_path, item.document_content_type,
                         f"grant-{item.id}", max_age=3600)


def _range() -> tuple[date | None, date | None]:
    form = ExportForm(request.args)
    if not form.validate():
        abort(400)
    start, end = form.start.data, form.end.data
    if start and end and end < start:
        abort(400)
    return start, end


@bp.get("/<home_slug>/entries.csv")
def export_csv(home_slug: str):
    found = _active_home(home_slug)
    start, end = _range()
    body = exports.home_csv(found, start, end)
    name = f"care-fund-{found.slug}-{start or 'start'}-{end or 'today'}.csv"
    # content_type, not mimetype: Flask adds "; charset=utf-8" to a mimetype a second time.
    return Response(body, content_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@bp.get("/<home_slug>/entries.json")
def export_json(home_slug: str):
    found = _active_home(home_slug)
    start, end = _range()
    body = exports.home_json(found, start, end)
    name = f"care-fund-{found.slug}-{start or 'start'}-{end or 'today'}.json"
    return Response(body, mimetype="application/json",
                    headers={"Content-Disposition": f'inline; filename="{name}"'})


@bp.get("/<home_slug>/statement/<int:year>-<int:month>")
def statement(home_slug: str, year: int, month: int):
    found = _active_home(home_slug)
    if not (2000 <= year <= 2200 and 1 <= month <= 12):
        abort(404)
    data = exports.monthly_statement(found, year, month)
    return render_template("fund/statement.html", home=found, s=data)


@bp.get("/<home_slug>/statement/<int:year>-<int:month>.xlsx")
def statement_xlsx(home_slug: str, year: int, month: int):
    """The same statement as a workbook for Excel or WPS."""
    from market.fund.workbook import statement_xlsx as workbook
    from market.i18n import localized

    found = _active_home(home_slug)
    if not (2000 <= year <= 2200 and 1 <= month <= 12):
        abort(404)
    data = exports.monthly_statement(found, year, month)
    name = f"care-fund-{found.slug}-{year:04d}-{month:02d}.xlsx"
    return Response(workbook(localized(found, "name"), data),
                    content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@bp.get("/<home_slug>/statement")
def statement_latest(home_slug: str):
    found = _active_home(home_slug)
    today = clock.local_today()
    return redirect(url_for(".statement", home_slug=found.slug, year=today.year, month=today.month))


@bp.errorhandler(FundError)
def _fund_error(error):  # pragma: no cover - views catch these; a safety net only
    current_app.logger.info("fund error: %s", error)
    return render_error(409, str(error))


@bp.app_template_global("fund_change")
def _fund_change(change) -> dict:
    """A change of the public audit log in words: what, before, after, by whom."""
    return {"what": labels.change_what(change), "before": labels.change_value(change, change.before),
            "after": labels.change_value(change, change.after), "by": labels.change_by(change)}


@bp.app_template_global("fund_audit_entry")
def _fund_audit_entry(entry) -> dict | None:
    """An audit entry's change in words, for its page in the public log."""
    change = audit.entry_change(entry)
    return _fund_change(change) if change is not None else None


@bp.app_template_global("fund_correction_links")
def _fund_correction_links(entry) -> dict:
    """The entry an entry corrects, or the entry that took it back, with the reason."""
    from market.fund.corrections import public_links

    return public_links(entry)


@bp.app_template_global("fund_entry_seq")
def _fund_entry_seq(entry_id: int) -> int | None:
    from models.ledger import JournalEntry

    return db.session.scalar(select(JournalEntry.seq).where(JournalEntry.id == entry_id))


@bp.app_template_global("fund_line_split")
def _line_split(line):
    from market.fund.receipt_split import line_split

    return line_split(line)


@lru_cache(maxsize=50_000)
def _money_text(minor: int, currency: str, locale: str) -> str:
    from market.money import format_money

    return format_money(minor, currency, locale=locale)


@bp.app_template_filter("fund_cell")
def _fund_cell(minor: int, currency: str = "CNY") -> Markup:
    """`fund_money` for a table cell: the line may break between the currency sign and the
    digits ("CN¥" above "27,660.00"), so three columns of amounts fit a 360 px phone."""
    text = _fund_money(minor, currency)
    digit = next((i for i, ch in enumerate(text) if ch.isdigit()), 0)
    return Markup("{}<wbr>{}").format(text[:digit], text[digit:]) if digit else Markup.escape(text)


@bp.app_template_filter("fund_money")
def _fund_money(minor: int, currency: str = "CNY") -> str:
    """`money`, memoised per (amount, currency, locale): a fund page shows ~100 amounts."""
    from flask_babel import get_locale

    return _money_text(int(minor), currency, str(get_locale() or "zh_Hans"))


bp.app_template_global("entry_kind_label")(labels.entry_kind)
