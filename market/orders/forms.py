from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional


class CheckoutForm(FlaskForm):
    contact_name = StringField(_l("Your name"))
    contact_phone = StringField(_l("Mobile number"), render_kw={"inputmode": "tel", "autocomplete": "tel"})
    contact_email = StringField(_l("Email (optional)"), validators=[Optional(), Length(max=254)],
                                render_kw={"inputmode": "email", "autocomplete": "email"})
    ship_province = SelectField(_l("Province"), choices=[], validate_choice=False)
    ship_city = StringField(_l("City"))
    ship_district = StringField(_l("District or county"))
    ship_street = StringField(_l("Street, building and room"))
    provider = RadioField(_l("How to pay"), choices=[], validate_choice=False)
    token = HiddenField()
    expected_total = HiddenField()


class LookupForm(FlaskForm):
    reference = StringField(_l("Order reference"), validators=[Length(max=16)])
    phone = StringField(_l("Mobile number used for the order"), validators=[Length(max=20)])


class CancelForm(FlaskForm):
    reason = TextAreaField(_l("Reason"), validators=[Length(max=500)])


class BuyerCancelForm(CancelForm):
    """The buyer's cancel button acts only with the box ticked (a second step, without JavaScript)."""

    confirm = BooleanField(_l("Yes, cancel this order"),
                           validators=[DataRequired(message=_l("Please tick the box to confirm that you "
                                                               "want to cancel."))])


class BuyerCancelLineForm(FlaskForm):
    """Cancel one line of a paid order: acts only with its box ticked, like the order's."""

    confirm = BooleanField(_l("Yes, cancel this and refund it"),
                           validators=[DataRequired(message=_l("Please tick the box to confirm that you "
                                                               "want to cancel."))])


class RefundForm(FlaskForm):
    """Staff refund of some lines; the per-line quantities and amounts are plain inputs
    (`quantity-<line id>`, `amount-<line id>`), checked by the service."""

    reason = TextAreaField(_l("Reason for the refund"), validators=[Length(max=500)])
    token = HiddenField()


class MarkPaidForm(FlaskForm):
    method = SelectField(_l("How it was paid"), choices=[
        ("cash", _l("Cash")), ("transfer", _l("Bank transfer")), ("other", _l("Other"))],
        validate_choice=False)
    amount = StringField(_l("Amount received (yuan)"), render_kw={"inputmode": "decimal"})
    reason = TextAreaField(_l("Why the amount is different (only if it is)"))


class HandedBackForm(FlaskForm):
    how = SelectField(_l("How the money was handed back"), choices=[
        ("cash", _l("Cash, handed to the buyer")), ("transfer", _l("Bank transfer to the buyer"))],
        validate_choice=False)


class ShipForm(FlaskForm):
    carrier = StringField(_l("Carrier"), validators=[Length(max=60)])
    tracking_number = StringField(_l("Tracking number"), validators=[Length(max=60)])


class LineDoneForm(FlaskForm):
    """One tap on the today page or the order page: a tour line attended, a stay checked out."""

    back = HiddenField()  # "today:<YYYY-MM-DD>" to return to that day's page


class PaymentDetailsForm(FlaskForm):
    payee = StringField(_l("Payee (account name)"), validators=[Length(max=120)])
    account = StringField(_l("Bank and account number"), validators=[Length(max=120)])
    phone = StringField(_l("Phone for WeChat Pay, Alipay or questions"), validators=[Length(max=20)],
                        render_kw={"inputmode": "tel"})
    note_zh = TextAreaField(_l("Note for buyers (Chinese)"), validators=[Length(max=1000)])
    note_en = TextAreaField(_l("Note for buyers (English)"), validators=[Length(max=1000)])


class WalkInForm(FlaskForm):
    """An order staff take for a walk-in or telephone buyer (no account)."""

    choice = SelectField(_l("What they buy"), choices=[], validate_choice=False)
    quantity = StringField(_l("How many (units, seats, or guests of a stay)"), default="1",
                           render_kw={"inputmode": "numeric"})
    check_in = StringField(_l("Check-in (stays only)"), render_kw={"type": "date"})
    check_out = StringField(_l("Check-out (stays only)"), render_kw={"type": "date"})
    name = StringField(_l("Buyer's name"), validators=[Length(max=80)])
    phone = StringField(_l("Buyer's phone"), validators=[Length(max=20)], render_kw={"inputmode": "tel"})
    paid = RadioField(_l("Payment"), choices=[("now", _l("Paid now, in cash")),
                                              ("waiting", _l("Will pay later (waiting)"))], default="now")
    ship_province = SelectField(_l("Province"), choices=[], validate_choice=False)
    ship_city = StringField(_l("City"), validators=[Length(max=40)])
    ship_district = StringField(_l("District or county"), validators=[Length(max=40)])
    ship_street = StringField(_l("Street, building and room"), validators=[Length(max=200)])
