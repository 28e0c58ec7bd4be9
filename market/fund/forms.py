from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from market.money import minor_to_major_text


def _amount_check(form, field):
    from market.fund.service import FundError, parse_amount

    try:
        field.fen = parse_amount(field.data)
    except FundError as error:
        raise ValidationError(str(error)) from None


def AmountField(label, **kwargs):  # noqa: N802 - reads like a field class
    return StringField(label, validators=[InputRequired(_l("Enter an amount.")), _amount_check],
                       render_kw={"inputmode": "decimal", "autocomplete": "off"}, **kwargs)


def category_choices():
    return [
        ("meals", _l("Meals")),
        ("medical_checks", _l("Medical checks")),
        ("daily_care", _l("Daily care")),
        ("activities", _l("Activities")),
        ("facilities", _l("Facilities")),
        ("other", _l("Other")),
    ]


def source_choices():
    return [
        ("government", _l("Government")),
        ("township", _l("Township")),
        ("village_collective", _l("Village collective")),
        ("social_organisation", _l("Social organisation")),
        ("enterprise", _l("Enterprise")),
    ]


class DisbursementForm(FlaskForm):
    category = SelectField(_l("What the money is for"), choices=category_choices)
    amount = AmountField(_l("Amount (yuan)"))
    payee = StringField(_l("Paid to"), validators=[DataRequired(_l("Say who was paid.")), Length(max=120)])
    spent_on = DateField(_l("Date"), validators=[InputRequired(_l("Give the date of the spending."))])
    description = TextAreaField(_l("What was bought or paid for"), validators=[Length(max=2000)])
    receipt = FileField(_l("Receipt (photo or PDF)"))
    submit = SubmitField(_l("Propose this spending"))


class DecisionForm(FlaskForm):
    comment = TextAreaField(_l("Comment"), validators=[Length(max=2000)])
    approve = SubmitField(_l("Approve and pay from the care fund"))
    reject = SubmitField(_l("Reject"))


class DonationForm(FlaskForm):
    preset = RadioField(
        _l("Amount"),
        choices=[("2000", "¥20"), ("5000", "¥50"), ("10000", "¥100"), ("20000", "¥200"),
                 ("custom", _l("Another amount"))],
        default="5000",
        validators=[InputRequired(_l("Choose an amount."))],
    )
    custom_amount = StringField(_l("Another amount (yuan)"),
                                render_kw={"inputmode": "decimal", "autocomplete": "off"})
    anonymous = BooleanField(_l("Give anonymously"), default=True)
    donor_name = StringField(_l("Name to show (if not anonymous)"), validators=[Length(max=80)])
    message = TextAreaField(_l("Message to the home (optional)"), validators=[Length(max=500)])
    # "offline" (the default) or an online provider when one is enabled; the view checks it.
    provider = RadioField(_l("How to give"), choices=[], default="offline", validate_choice=False)
    submit = SubmitField(_l("Donate"))

    def validate_custom_amount(self, field):
        from market.fund.service import FundError, parse_amount

        if self.preset.data != "custom":
            return
        if not (field.data or "").strip():
            raise ValidationError(_l("Enter an amount."))
        try:
            field.fen = parse_amount(field.data)
        except FundError as error:
            raise ValidationError(str(error)) from None

    def amount_fen(self) -> int:
        if self.preset.data == "custom":
            return self.custom_amount.fen
        return int(self.preset.data)

    def validate_donor_name(self, field):
        if not self.anonymous.data and not (field.data or "").strip():
            raise ValidationError(_l("Give the name to show, or choose to give anonymously."))


class PayDonationForm(FlaskForm):
    """Only the CSRF token: what is paid is the donation as stored."""


class ConfirmDonationForm(FlaskForm):
    amount = AmountField(_l("Amount received (yuan)"))
    submit = SubmitField(_l("Money received"))

    def prefill(self, donation):
        if not self.amount.data:
            self.amount.data = minor_to_major_text(donation.amount_fen)


class CancelForm(FlaskForm):
    submit = SubmitField(_l("Cancel this donation"))


class GrantForm(FlaskForm):
    source = SelectField(_l("Source"), choices=source_choices)
    source_name = StringField(_l("Name of the source"),
                              validators=[DataRequired(_l("Give the name of the source.")), Length(max=120)])
    amount = AmountField(_l("Amount (yuan)"))
    received_on = DateField(_l("Date received"), validators=[InputRequired(_l("Give the date."))])
    note = TextAreaField(_l("Note"), validators=[Length(max=2000)])
    document = FileField(_l("Document (scan, photo or PDF of the payment notice)"))
    submit = SubmitField(_l("Record this funding"))


class ConfirmGrantForm(FlaskForm):
    submit = SubmitField(_l("I checked the document: confirm"))


class SettlementForm(FlaskForm):
    account_code = SelectField(_l("Paid from"), choices=[
        ("home_operations", _l("The home's operations share")),
        ("elder_incentive", _l("Elder incentives")),
    ])
    amount = AmountField(_l("Amount (yuan)"))
    paid_on = DateField(_l("Date paid"), validators=[InputRequired(_l("Give the date."))])
    reference = StringField(_l("Bank or transfer reference"), validators=[Length(max=120)])
    submit = SubmitField(_l("Record this settlement"))


class ExportForm(FlaskForm):
    class Meta:
        csrf = False

    start = DateField(_l("From"), validators=[Optional()])
    end = DateField(_l("To"), validators=[Optional()])


class CorrectionForm(FlaskForm):
    seq = IntegerField(_l("Number of the mistaken entry (#)"),
                       validators=[InputRequired(_l("Give the entry's number.")),
                                   NumberRange(min=1, max=2**31 - 1, message=_l("Give the entry's number."))])
    reason = TextAreaField(_l("What is wrong with it"), validators=[
        DataRequired(_l("Say what is wrong with the entry.")), Length(max=500)])


class CorrectionDecisionForm(FlaskForm):
    comment = TextAreaField(_l("Comment"), validators=[Length(max=2000)])
    approve = SubmitField(_l("Approve the correction"))
    reject = SubmitField(_l("Reject"))


class RejectGrantForm(FlaskForm):
    reason = TextAreaField(_l("Why it is rejected"),
                           validators=[DataRequired(_l("Say why the subsidy or grant is rejected.")),
                                       Length(max=2000)])


class WithdrawForm(FlaskForm):
    submit = SubmitField(_l("Withdraw my proposal"))


class MonthSettlementForm(FlaskForm):
    """The monthly settlement between a home and the platform (month_settlements.py)."""

    month = StringField(_l("Month (year-month, e.g. 2026-11)"),
                        validators=[DataRequired(_l("Give the month.")), Length(max=7)])
    method = RadioField(_l("How the money was paid"), choices=[
        ("cash", _l("Cash, handed over")), ("transfer", _l("Bank transfer")),
    ], validators=[InputRequired(_l("Choose how the money was paid: cash or transfer."))])
    paid_by = StringField(_l("Who paid (name)"), validators=[
        DataRequired(_l("Give the name of the person who paid (at most 120 characters).")), Length(max=120)])
    paid_on = DateField(_l("Date paid"), validators=[InputRequired(_l("Give the date."))])
    reference = StringField(_l("Bank or transfer reference"), validators=[Length(max=120)])
    submit = SubmitField(_l("Record this settlement"))


class ElderPayoutForm(FlaskForm):
    """Money paid to an elder from their incentive (elder_pay.py); a second person signs it off."""

    amount = AmountField(_l("Amount (yuan)"))
    method = RadioField(_l("How the money was paid"), choices=[
        ("cash", _l("Cash")), ("transfer", _l("Bank transfer")), ("wechat", _l("WeChat")),
        ("other", _l("Other")),
    ], validators=[InputRequired(_l("Choose how the money was paid: cash, bank transfer, WeChat or other."))])
    paid_by = StringField(_l("Who paid (name)"), validators=[
        DataRequired(_l("Give the name of the person who paid (at most 120 characters).")), Length(max=120)])
    paid_on = DateField(_l("Date paid"), validators=[InputRequired(_l("Give the date."))])
    note = StringField(_l("Note (optional)"), validators=[Length(max=200)])
    submit = SubmitField(_l("Record this payout"))


class PayoutDecisionForm(FlaskForm):
    comment = TextAreaField(_l("Comment"), validators=[Length(max=2000)])
    approve = SubmitField(_l("Sign off: the elder was paid"))
    reject = SubmitField(_l("Reject"))
