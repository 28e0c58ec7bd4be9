"""Console forms. Fields parse what people type; the service decides what is allowed."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileRequired, MultipleFileField
from wtforms import (
    BooleanField,
    DateField,
    FieldList,
    Form,
    FormField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from market.money import minor_to_major_text, parse_major
from market.provinces import PROVINCES
from models.catalog import ELDER_ROLES


class YuanField(StringField):
    """A price typed in yuan with at most two decimals; `.fen` holds the parsed amount."""

    fen: int | None = None

    def __init__(self, label=None, validators=None, required=True, **kwargs):
        super().__init__(label, validators, **kwargs)
        self.required = required

    def process_data(self, value):
        self.data = minor_to_major_text(value) if isinstance(value, int) else value

    def pre_validate(self, form):
        text = (self.data or "").strip()
        self.fen = None
        if not text:
            if self.required:
                raise ValidationError(_l("Enter a price in yuan, e.g. 68 or 68.50."))
            return
        try:
            fen = parse_major(text)
        except ValueError:
            raise ValidationError(
                _l("Enter the price in yuan as a number above zero with at most two decimals, e.g. 68.50.")
            ) from None
        if fen <= 0:
            raise ValidationError(_l("The price must be above zero."))
        self.fen = fen


class PercentField(StringField):
    """A percentage with at most two decimals, optional; `.bps` holds basis points."""

    bps: int | None = None

    def process_data(self, value):
        self.data = minor_to_major_text(value).removesuffix(".00") if isinstance(value, int) else value

    def pre_validate(self, form):
        text = (self.data or "").strip().rstrip("%").strip()
        self.bps = None
        if not text:
            return
        try:
            bps = parse_major(text)
        except ValueError:
            raise ValidationError(_l("Enter a percentage from 0 to 100 with at most two decimals.")) from None
        if bps > 10000:
            raise ValidationError(_l("Enter a percentage from 0 to 100 with at most two decimals."))
        self.bps = bps


class WholeNumberField(StringField):
    """A whole number (may be negative, so the service can say why it is refused); `.number`."""

    number: int | None = None

    def __init__(self, label=None, validators=None, **kwargs):
        # A phone opens its number pad; the field stays text so the service can name a bad value.
        kwargs["render_kw"] = {"inputmode": "numeric", **kwargs.get("render_kw", {})}
        super().__init__(label, validators, **kwargs)

    def process_data(self, value):
        self.data = "" if value is None else str(value)

    def pre_validate(self, form):
        text = (self.data or "").strip()
        self.number = None
        if not text:
            return
        try:
            self.number = int(text)
        except ValueError:
            raise ValidationError(_l("Enter a whole number, e.g. 12.")) from None
        if abs(self.number) > 10_000_000:
            raise ValidationError(_l("This number is too large."))


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def _title_validators():
    return [
        DataRequired(message=_l("Please give the listing a Chinese title.")),
        Length(max=200, message=_l("The title is too long: at most 200 characters.")),
    ]


class ListingForm(FlaskForm):
    title_zh = StringField(_l("Title (Chinese)"), validators=_title_validators())
    title_en = StringField(
        _l("Title (English)"),
        validators=[Optional(),
                    Length(max=200, message=_l("The title is too long: at most 200 characters."))],
    )
    description_zh = TextAreaField(_l("Description (Chinese)"), validators=[Length(max=5000)])
    description_en = TextAreaField(_l("Description (English)"), validators=[Length(max=5000)])
    tags = StringField(_l("Tags, separated by commas"), validators=[Length(max=300)])
    price = YuanField(_l("Price in yuan"))
    unit_zh = StringField(_l("Unit (Chinese), e.g. 斤"), validators=[Length(max=20)])
    unit_en = StringField(_l("Unit (English), e.g. jin"), validators=[Length(max=20)])
    elder_id = SelectField(_l("Credited elder"), coerce=int, default=0)
    care_share = PercentField(_l("Care share in percent (leave empty to use the home's)"))
    cancel_hours = WholeNumberField(_l("Free cancellation until this many hours before the start"))
    included_zh = TextAreaField(_l("What the price includes (Chinese)"), validators=[Length(max=1000)])
    included_en = TextAreaField(_l("What the price includes (English)"), validators=[Length(max=1000)])
    directions_zh = TextAreaField(_l("How to find the meeting point or the house (Chinese)"),
                                  validators=[Length(max=1000)])
    directions_en = TextAreaField(_l("How to find the meeting point or the house (English)"),
                                  validators=[Length(max=1000)])
    map_url = StringField(_l("Map link (optional), starting with https://"), validators=[Length(max=300)],
                          render_kw={"inputmode": "url"})
    stock = WholeNumberField(_l("Units in stock"))
    made_to_order = BooleanField(_l("Made to order (no stock)"))
    lead_days = WholeNumberField(_l("Days needed to make it"))
    harvest_date = DateField(_l("Harvest date (for pre-orders)"), validators=[Optional()])
    ships_to = MultiCheckboxField(_l("Ships to"), choices=[(zh, zh) for zh, _en in PROVINCES])

    def __init__(self, *args, elders=(), english=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.elder_id.choices = elder_choices(elders, english)
        self.ships_to.choices = [(zh, en if english else zh) for zh, en in PROVINCES]


def elder_choices(elders, english: bool):
    none = (0, str(_l("— nobody —")))
    return [none] + [
        (elder.id, (elder.display_name_en or elder.display_name_zh) if english else elder.display_name_zh)
        for elder in elders
    ]


class SessionForm(FlaskForm):
    day = DateField(_l("Date"), validators=[InputRequired(message=_l("Enter the date."))])
    start = TimeField(_l("Starting time (China time)"),
                      validators=[InputRequired(message=_l("Enter the starting time."))])
    duration_minutes = WholeNumberField(_l("Duration in minutes"),
                                        validators=[InputRequired(message=_l("Enter the duration."))])
    capacity = WholeNumberField(_l("Seats (1 to 500)"),
                                validators=[InputRequired(message=_l("Enter the number of seats."))])
    meeting_point_zh = StringField(_l("Meeting point (Chinese)"), validators=[Length(max=200)])
    meeting_point_en = StringField(_l("Meeting point (English)"), validators=[Length(max=200)])
    elder_id = SelectField(_l("Credited elder"), coerce=int, default=0)
    weeks = WholeNumberField(_l("How many weeks"))  # new sessions only: the template leaves it out on edit
    buyers_told = BooleanField(_l("Move it: tell every buyer who booked (timeline and email)"))

    def __init__(self, *args, elders=(), english=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.elder_id.choices = elder_choices(elders, english)


class RoomForm(FlaskForm):
    name_zh = StringField(_l("Room name (Chinese)"),
                          validators=[DataRequired(message=_l("Please give the room a Chinese name.")),
                                      Length(max=80)])
    name_en = StringField(_l("Room name (English)"), validators=[Length(max=80)])
    price = YuanField(_l("Price per night in yuan"))
    max_guests = WholeNumberField(_l("Most guests"),
                                  validators=[InputRequired(message=_l("Enter the number of guests."))])
    amenities_zh = StringField(_l("Amenities (Chinese)"), validators=[Length(max=300)])
    amenities_en = StringField(_l("Amenities (English)"), validators=[Length(max=300)])
    active = BooleanField(_l("Open for booking"), default=True)


class PhotoForm(FlaskForm):
    photo = MultipleFileField(_l("Photos (JPEG, PNG or WebP; you may choose several at once)"),
                              validators=[FileRequired(message=_l("Please choose a file."))])
    alt_zh = StringField(_l("What the photo shows (Chinese)"), validators=[Length(max=200)])
    alt_en = StringField(_l("What the photo shows (English)"), validators=[Length(max=200)])


class ElderForm(FlaskForm):
    display_name_zh = StringField(
        _l("Name shown (Chinese), e.g. 王奶奶"),
        validators=[DataRequired(message=_l("Please give the name the home uses for this elder.")),
                    Length(max=60)],
    )
    display_name_en = StringField(_l("Name shown (English)"), validators=[Length(max=80)])
    role = SelectField(_l("Role"), choices=[(role, role) for role in ELDER_ROLES])
    bio_zh = TextAreaField(_l("A few words (Chinese)"), validators=[Length(max=2000)])
    bio_en = TextAreaField(_l("A few words (English)"), validators=[Length(max=2000)])
    incentive = PercentField(_l("Elder's incentive in percent of each sale they are credited for"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.role.choices = [
            ("storyteller", str(_l("storyteller"))),
            ("artisan", str(_l("artisan"))),
            ("grower", str(_l("grower"))),
        ]


class ConsentForm(FlaskForm):
    covers_name = BooleanField(_l("Named on the home's listings and pages"))
    covers_photos = BooleanField(_l("Photos showing the elder"))
    covers_reviews = BooleanField(_l("Reviews that name the elder"))
    how = RadioField(_l("How the elder said so"), choices=[
        ("paper", _l("Signed a paper form (keep it in the home's file)")),
        ("spoken", _l("Said so aloud, with a witness present"))], validate_choice=False)
    witness_name = StringField(_l("Witness's name (needed when said aloud)"))
    note = TextAreaField(_l("Note (optional), e.g. where the paper form is kept"))


class WithdrawConsentForm(FlaskForm):
    note = TextAreaField(_l("Note (optional), e.g. who told us and when"))


class RoomRowForm(Form):
    """One room in the guided publishing form (a plain sub-form: the outer form has the CSRF);
    a row left empty adds no room."""

    name_zh = StringField(_l("Room name (Chinese)"), validators=[Length(max=80)])
    name_en = StringField(_l("Room name (English)"), validators=[Length(max=80)])
    price = YuanField(_l("Price per night in yuan"), required=False)
    max_guests = WholeNumberField(_l("Most guests"))

    @property
    def is_empty(self) -> bool:
        return not ((self.name_zh.data or "").strip() or (self.price.data or "").strip())


class PublishForm(ListingForm):
    """Everything a new listing needs on one page, in guided sections (usable without script)."""

    photo = MultipleFileField(_l("Photos (JPEG, PNG or WebP; you may choose several at once)"))
    cover = WholeNumberField(_l("Which photo is shown first (1 = the first one chosen)"))
    alt_zh = StringField(_l("What the photos show (Chinese)"), validators=[Length(max=200)])
    alt_en = StringField(_l("What the photos show (English)"), validators=[Length(max=200)])
    day = DateField(_l("Date of the first session"), validators=[Optional()])
    start = TimeField(_l("Starting time (China time)"), validators=[Optional()])
    duration_minutes = WholeNumberField(_l("Duration in minutes"))
    capacity = WholeNumberField(_l("Seats (1 to 500)"))
    weeks = WholeNumberField(_l("Every week on that day and time, for how many weeks (1 to 52)"))
    meeting_point_zh = StringField(_l("Meeting point (Chinese)"), validators=[Length(max=200)])
    meeting_point_en = StringField(_l("Meeting point (English)"), validators=[Length(max=200)])
    rooms = FieldList(FormField(RoomRowForm), min_entries=3, max_entries=3)
