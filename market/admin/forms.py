from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Email, Length

from market.manage.forms import PercentField


def _required(limit: int):
    return [DataRequired(message=_l("Please fill in this field.")),
            Length(max=limit, message=_l("At most %(max)d characters, please."))]


class HomeForm(FlaskForm):
    name_zh = StringField(_l("Name (Chinese), e.g. 前屯村幸福院"), validators=_required(120))
    name_en = StringField(_l("Name (English)"), validators=_required(120))
    slug = StringField(_l("Web name (small letters, digits, hyphens)"), validators=_required(80))
    province_zh = StringField(_l("Province (Chinese)"), validators=_required(40))
    province_en = StringField(_l("Province (English)"), validators=_required(60))
    county_zh = StringField(_l("County (Chinese)"), validators=_required(40))
    county_en = StringField(_l("County (English)"), validators=_required(60))
    village_zh = StringField(_l("Village (Chinese)"), validators=_required(60))
    village_en = StringField(_l("Village (English)"), validators=_required(80))
    story_zh = TextAreaField(_l("Story (Chinese)"), validators=[Length(max=10000)])
    story_en = TextAreaField(_l("Story (English)"), validators=[Length(max=10000)])
    care_share = PercentField(_l("Care share in percent of each sale"))
    status = SelectField(_l("Status"), choices=[("active", "active"), ("suspended", "suspended")])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.status.choices = [("active", str(_l("active"))), ("suspended", str(_l("suspended")))]


class MemberForm(FlaskForm):
    identifier = StringField(_l("Their email or mobile number"),
                             validators=[DataRequired(message=_l("Please fill in this field."))])
    role = SelectField(_l("Role"), choices=[("staff", "staff"), ("supervisor", "supervisor")])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.role.choices = [("staff", str(_l("staff"))),
                             ("supervisor", str(_l("supervisor (read only)")))]


class InviteForm(FlaskForm):
    """A new staff member without an account: the admin makes one and mails them a link."""

    name = StringField(_l("Their name"), validators=_required(80))
    email = StringField(_l("Their email address"), validators=[
        *_required(254), Email(message=_l("This email address does not look right."))])
    role = SelectField(_l("Role"), choices=[("staff", "staff"), ("supervisor", "supervisor")])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.role.choices = [("staff", str(_l("staff"))), ("supervisor", str(_l("supervisor (read only)")))]
