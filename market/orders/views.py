"""Cart, checkout and "My orders": thin views over the orders use cases."""

import secrets

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, user_logged_in

from market.booking.service import BookingError
from market.catalog.pages import listing_page
from market.catalog.service import listing_by_slug
from market.once import one_time
from market.orders import cart as carts
from market.orders import checkout as checkouts
from market.orders import how_to_pay, lifecycle, line_cancel, queries, shipping, timeline
from market.orders.errors import OrderError, PriceChanged, SoldOut
from market.orders.forms import BuyerCancelForm, BuyerCancelLineForm, CheckoutForm, LookupForm
from market.orders.tokens import new_form_token
from market.payments.providers import enabled_providers, get_provider
from market.payments.service import peek_payment, pending_refund_fen, start_payment
from market.provinces import PROVINCE_NAMES, province_name
from models import Listing, db
from models.orders import OrderStatus

bp = Blueprint("orders", __name__)

GUEST_ORDERS = "guest_orders"


def cart_owner(create: bool = False) -> str | None:
    if current_user.is_authenticated:
        return f"u:{current_user.id}"
    key = session.get("cart_key")
    if not key and create:
        key = session["cart_key"] = secrets.token_urlsafe(18)
    return f"s:{key}" if key else None


def _remember_guest_orders(orders) -> None:
    refs = [order.reference for order in orders] + list(session.get(GUEST_ORDERS, []))
    session[GUEST_ORDERS] = list(dict.fromkeys(refs))[:50]


def _may_see(order) -> bool:
    if current_user.is_authenticated and order.user_id == current_user.id:
        return True
    return order.reference in session.get(GUEST_ORDERS, [])


def _order_or_404(reference: str):
    order = queries.order_by_reference(reference)
    if order is None or not _may_see(order):
        abort(404)
    return order


@bp.app_context_processor
def _order_globals():
    return {"order_status_label": lifecycle.status_label, "order_status": lifecycle.shown_status,
            "event_text": timeline.event_text, "event_actor": timeline.actor_text,
            "offline_steps": how_to_pay.offline_steps,
            "payment_details": how_to_pay.shown_details}


def _merge_cart_at_login(_app, user, **_extra):
    key = session.pop("cart_key", None)
    if key:
        carts.merge_carts(f"s:{key}", f"u:{user.id}")


user_logged_in.connect(_merge_cart_at_login)


# ---- cart ----------------------------------------------------------------------------------

@bp.post("/cart/add")
@one_time
def cart_add():
    form = request.form
    listing_id = form.get("listing_id", "")
    try:
        carts.add_to_cart(
            cart_owner(create=True), listing_id, quantity=form.get("quantity"),
            session_id=form.get("session_id"), room_id=form.get("room_id"),
            check_in=form.get("check_in"), check_out=form.get("check_out"), guests=form.get("guests"),
        )
    except BookingError as error:
        listing = db.session.get(Listing, int(listing_id)) if listing_id.isdigit() else None
        public = listing_by_slug(listing.slug) if listing is not None else None
        if public is not None:  # the listing's page again, the choice kept, the message by the form
            return render_template("catalog/listing.html", **listing_page(public), booking_error=str(error),
                                   chosen=form), 400
        return render_template("booking/problem.html", message=str(error), listing=listing), 400
    flash(_("Added to your cart. Nothing is reserved until you confirm the order."), "success")
    return redirect(url_for("orders.cart"))


def _ship_to(chosen: str | None = None) -> str | None:
    """The province goods are priced for: the one chosen, else the buyer's last address."""
    chosen = (chosen or "").strip()
    if chosen in PROVINCE_NAMES:
        return chosen
    return shipping.last_province(current_user.id) if current_user.is_authenticated else None


@bp.get("/cart")
def cart():
    owner = cart_owner()
    province = _ship_to(request.args.get("province"))
    review = carts.review_cart(owner, province=province) if owner else carts.Review()
    return render_template("orders/cart.html", review=review, provinces=_province_choices(review))


@bp.post("/cart/update/<int:item_id>")
@one_time
def cart_update(item_id: int):
    """A new quantity for one cart line (seats, units, or a stay's guests); no JavaScript needed."""
    owner = cart_owner()
    try:
        if not owner:
            raise BookingError(_("That item is not in your cart any more."))
        carts.set_quantity(owner, item_id, request.form.get("quantity"))
    except BookingError as error:
        review = carts.review_cart(owner) if owner else carts.Review()
        if all(line.item.id != item_id for line in review.lines):
            flash(str(error), "error")  # no line of this cart to show it beside
        return render_template("orders/cart.html", review=review, provinces=_province_choices(review),
                               update_error=(item_id, str(error))), 400
    flash(_("Your cart is updated."), "success")
    return redirect(url_for("orders.cart"))


@bp.post("/cart/remove/<int:item_id>")
def cart_remove(item_id: int):
    owner = cart_owner()
    if owner:
        carts.remove_from_cart(owner, item_id)
    flash(_("Removed from your cart."), "success")
    return redirect(url_for("orders.cart"))


# ---- checkout ------------------------------------------------------------------------------

@bp.context_processor
def _pay_online_once():
    """Cart and checkout say that one online payment covers a cart from several homes."""
    return {"pay_online_once": "stripe" in enabled_providers(current_app)}


def _province_choices(review):
    allowed = review.ship_regions()
    provinces = allowed if allowed is not None else PROVINCE_NAMES
    return [("", _("Choose…"))] + [(zh, province_name(zh)) for zh in provinces]


def _prepare(form: CheckoutForm, review):
    form.ship_province.choices = _province_choices(review)
    providers = enabled_providers(current_app)
    form.provider.choices = [(name, get_provider(name).label()) for name in providers]
    if not form.provider.data:
        form.provider.data = providers[0] if providers else "offline"
    if not form.token.data:
        form.token.data = new_form_token()
    form.expected_total.data = str(review.total_fen)


@bp.route("/checkout", methods=["GET", "POST"])
def checkout():
    owner = cart_owner()
    form = CheckoutForm()
    if request.method == "GET":
        form.ship_province.data = _ship_to(request.args.get("province"))
    province = form.ship_province.data if form.ship_province.data in PROVINCE_NAMES else None
    review = carts.review_cart(owner, province=province) if owner else carts.Review()
    if request.method == "GET":
        if current_user.is_authenticated:
            form.contact_name.data = form.contact_name.data or current_user.name
            form.contact_phone.data = form.contact_phone.data or current_user.phone
            form.contact_email.data = form.contact_email.data or current_user.email
        _prepare(form, review)
        return render_template("orders/checkout.html", form=form, review=review)

    if request.form.get("recompute") and form.validate_on_submit():
        # "Update the shipping cost": the page again, priced for the province chosen; nothing saved.
        _prepare(form, review)
        return render_template("orders/checkout.html", form=form, review=review)
    if not form.validate_on_submit():
        _prepare(form, review)
        return render_template("orders/checkout.html", form=form, review=review), 400
    token = form.token.data or ""
    if not review.lines:
        if checkouts.orders_for_token(token, owner):  # the same form sent again after it went through
            return _placed(token)
        flash(_("Your cart is empty."), "error")
        return redirect(url_for("orders.cart"))
    contact = checkouts.Contact(
        name=form.contact_name.data or "", phone=form.contact_phone.data or "",
        email=form.contact_email.data or None, province=form.ship_province.data or None,
        city=form.ship_city.data, district=form.ship_district.data, street=form.ship_street.data,
    )
    errors = checkouts.check_contact(contact, review)
    status = 400
    if errors:
        for name, message in errors.items():
            getattr(form, name).errors = list(getattr(form, name).errors) + [message]
    else:
        try:
            orders = checkouts.checkout(
                owner, contact, token, form.expected_total.data,
                user_id=current_user.id if current_user.is_authenticated else None,
                provider_name=form.provider.data or "offline", locale=str(get_locale() or "zh_Hans"),
            )
        except PriceChanged as error:
            flash(str(error), "warning")
            review, status = carts.review_cart(owner, province=province), 409
        except SoldOut as error:
            flash(str(error), "error")
            review, status = carts.review_cart(owner, province=province), 409
        except OrderError as error:
            flash(str(error), "error")
            review = carts.review_cart(owner, province=province)
        else:
            _remember_guest_orders(orders)
            return _placed(token)
    _prepare(form, review)
    return render_template("orders/checkout.html", form=form, review=review), status


def _placed(token: str):
    return redirect(url_for("orders.placed", token=token))


@bp.get("/checkout/placed/<token>")
def placed(token: str):
    """What checkout made: each order (one per home) with its reference and how to pay it."""
    orders = checkouts.orders_for_token(token, cart_owner())
    if not orders:
        abort(404)
    return render_template("orders/placed.html", orders=orders)


# ---- my orders -----------------------------------------------------------------------------

@bp.get("/orders")
def my_orders():
    orders = queries.user_orders(current_user.id) if current_user.is_authenticated else []
    seen = {order.id for order in orders}
    guest = [o for o in queries.orders_by_references(session.get(GUEST_ORDERS, [])) if o.id not in seen]
    return render_template("orders/my_orders.html", orders=orders + guest, lookup=LookupForm())


@bp.post("/orders/lookup")
def lookup():
    form = LookupForm()
    order = None
    if form.validate_on_submit():
        order = queries.find_guest_order(form.reference.data or "", form.phone.data or "")
    if order is None:
        flash(_("No order matches this reference and mobile number."), "error")
        return render_template("orders/my_orders.html", orders=[], lookup=form), 404
    _remember_guest_orders([order])
    return redirect(url_for("orders.detail", reference=order.reference))


def _line_choices(order) -> list:
    """The lines the buyer may cancel one by one: only when more than one line is still held
    (the last one goes with the whole order's cancel)."""
    if sum(1 for line in order.lines if line.holds_inventory) < 2:
        return []
    return [line for line in order.lines if line_cancel.can_customer_cancel_line(order, line)]


def _detail(order, status: int = 200, cancel_form=None, line_form=None, payment=None):
    """The order page: its lines (each with its own cancel form when the policy allows), how to
    pay it, its refunds with how and when the money comes back, and the whole-order cancel."""
    return render_template(
        "orders/detail.html", order=order, payment=payment, cancel_form=cancel_form or BuyerCancelForm(),
        line_form=line_form or BuyerCancelLineForm(),
        can_cancel=lifecycle.can_customer_cancel(order),
        line_choices=_line_choices(order),
        refund_pending=pending_refund_fen(order.id),
        refunds=queries.buyer_refunds(order, current_app.config["OFFLINE_REFUND_DAYS"]),
    ), status


@bp.get("/orders/<reference>")
def detail(reference: str):
    """The order. Read only: paying online starts with a button (`pay`, a POST)."""
    order = _order_or_404(reference)
    payment = peek_payment(order) if lifecycle.shown_status(order) == OrderStatus.PENDING_PAYMENT else None
    return _detail(order, payment=payment)


@bp.post("/orders/<reference>/pay")
def pay(reference: str):
    """The buyer pressed "Pay now": start (or reuse) the payment and go to it; if it cannot start
    now, the order page again with what to do."""
    order = _order_or_404(reference)
    if lifecycle.shown_status(order) != OrderStatus.PENDING_PAYMENT:
        return redirect(url_for("orders.detail", reference=reference))
    payment = start_payment(order)
    if payment is not None and payment.redirect_url:
        return redirect(payment.redirect_url, 303)
    return _detail(queries.order_by_reference(reference), payment=payment)


@bp.get("/orders/<reference>/receipt")
def receipt(reference: str):
    order = _order_or_404(reference)
    return render_template("orders/receipt.html", order=order)


@bp.post("/orders/<reference>/cancel")
@one_time
def cancel(reference: str):
    order = _order_or_404(reference)
    form = BuyerCancelForm()
    if not form.validate_on_submit():
        return _detail(order, 400, cancel_form=form)
    buyer = lifecycle.Buyer(current_user.id if current_user.is_authenticated else None)
    try:
        lifecycle.cancel_order(order, actor=buyer, reason=form.reason.data or "")
    except OrderError as error:
        flash(str(error), "error")
        return _detail(queries.order_by_reference(reference), 409, cancel_form=form)
    if pending_refund_fen(order.id):  # asked of the payment service, not confirmed yet
        flash(_("Your order is cancelled and your refund is requested. It shows here once the payment "
                "service confirms it, and reaches your card or wallet a few days later."), "success")
    else:
        flash(_("Your order is cancelled."), "success")
    return redirect(url_for("orders.detail", reference=order.reference))


@bp.post("/orders/<reference>/lines/<int:line_id>/cancel")
@one_time
def cancel_line(reference: str, line_id: int):
    """The buyer cancels one line of a paid order (within its policy) and gets its amount back."""
    order = _order_or_404(reference)
    form = BuyerCancelLineForm()
    if not form.validate_on_submit():
        flash(form.confirm.errors[0] if form.confirm.errors else _("Please try again."), "error")
        return _detail(order, 400, line_form=form)
    buyer = lifecycle.Buyer(current_user.id if current_user.is_authenticated else None)
    try:
        line_cancel.cancel_line(order, line_id, actor=buyer)
    except OrderError as error:
        flash(str(error), "error")
        return _detail(queries.order_by_reference(reference), 409)
    if pending_refund_fen(order.id):
        flash(_("Cancelled. Your refund is requested: it shows here once the payment service confirms "
                "it, and reaches your card or wallet a few days later."), "success")
    else:
        flash(_("Cancelled. See below how and when your money comes back."), "success")
    return redirect(url_for("orders.detail", reference=order.reference))
