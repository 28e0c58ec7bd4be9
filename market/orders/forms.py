from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import Length, Optional

# Mainland provinces (shipping regions), as listings name them in `ships_to`.
PROVINCES: tuple[tuple[str, str], ...] = (
    ("北京市", "Beijing"), ("天津市", "Tianjin"), ("河北省", "Hebei"), ("山西省", "Shanxi"),
    ("内蒙古自治区", "Inner Mongolia"), ("辽宁省", "Liaoning"), ("吉林省", "Jilin"),
    ("黑龙江省", "Heilongjiang"), ("上海市", "Shanghai"), ("江苏省", "Jiangsu"),
    ("浙江省", "Zhejiang"), ("安徽省", "Anhui"), ("福建省", "Fujian"), ("江西省", "Jiangxi"),
    ("山东省", "Shandong"), ("河南省", "Henan"), ("湖北省", "Hubei"), ("湖南省", "Hunan"),
    ("广东省", "Guangdong"), ("广西壮族自治区", "Guangxi"), ("海南省", "Hainan"),
    ("重庆市", "Chongqing"), ("四川省", "Sichuan"), ("贵州省", "Guizhou"), ("云南省", "Yunnan"),
    ("西藏自治区", "Tibet"), ("陕西省", "Shaanxi"), ("甘肃省", "Gansu"), ("青海省", "Qinghai"),
    ("宁夏回族自治区", "Ningxia"), ("新疆维吾尔自治区", "Xinjiang"),
)


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


class FulfilForm(FlaskForm):
    carrier = StringField(_l("Carrier"), validators=[Length(max=60)])
    tracking_number = StringField(_l("Tracking number"), validators=[Length(max=60)])
