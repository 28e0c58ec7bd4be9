from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, ValidationError

from market.accounts.service import normalize_identifier


def _email_or_phone(_form, field):
    email, phone = normalize_identifier(field.data or "")
    if not email and not phone:
        raise ValidationError(_l("Enter an email address or an 11-digit mobile number."))
    if email and ("." not in email.split("@")[-1] or email.startswith("@")):
        raise ValidationError(_l("This email address does not look right."))


class SignupForm(FlaskForm):
    name = StringField(_l("Your name"), validators=[DataRequired(), Length(max=80)])
    identifier = StringField(_l("Email or mobile number"), validators=[
        DataRequired(), Length(max=254, message=_l("This is too long for an email address.")),
        _email_or_phone,
    ])
    password = PasswordField(
        _l("Password"),
        validators=[DataRequired(), Length(min=8, max=128, message=_l("Use at least 8 characters."))],
    )
    confirm = PasswordField(
        _l("Password again"),
        validators=[DataRequired(), EqualTo("password", message=_l("The two passwords differ."))],
    )


class LoginForm(FlaskForm):
    identifier = StringField(_l("Email or mobile number"), validators=[DataRequired()])
    password = PasswordField(_l("Password"), validators=[DataRequired()])


class PasswordForm(FlaskForm):
    current = PasswordField(_l("Current password"), validators=[DataRequired()])
    password = PasswordField(
        _l("New password"),
        validators=[DataRequired(), Length(min=8, max=128, message=_l("Use at least 8 characters."))],
    )
    confirm = PasswordField(
        _l("New password again"),
        validators=[DataRequired(), EqualTo("password", message=_l("The two passwords differ."))],
    )


class EndSessionsForm(FlaskForm):
    """Only the CSRF token: log out every other browser."""


class InvitationForm(FlaskForm):
    """The invited person chooses their password."""

    password = PasswordField(
        _l("Choose a password"),
        validators=[DataRequired(), Length(min=8, max=128, message=_l("Use at least 8 characters."))],
    )
    confirm = PasswordField(
        _l("Password again"),
        validators=[DataRequired(), EqualTo("password", message=_l("The two passwords differ."))],
    )
