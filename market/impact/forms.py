"""Forms of the impact pages. Fields parse what people type; the services decide."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired, MultipleFileField
from wtforms import BooleanField, HiddenField, RadioField, StringField, TextAreaField
from wtforms.validators import Length


class TapForm(FlaskForm):
    """One tap on the day sheet: add (or undo) one service for one resident on one day."""

    resident = HiddenField()
    kind = HiddenField()
    day = HiddenField()
    action = HiddenField()


class ResidentForm(FlaskForm):
    name = StringField(_l("Name, as on the paper register"), validators=[Length(max=200)])


class ResidentActiveForm(FlaskForm):
    resident = HiddenField()
    active = HiddenField()


class RegisterImportForm(FlaskForm):
    register = FileField(_l("The register as a CSV file"),
                         validators=[FileRequired(_l("Please choose the CSV file."))])


FACES = [(1, _l("Very unhappy")), (2, _l("Unhappy")), (3, _l("So-so")), (4, _l("Happy")),
         (5, _l("Very happy"))]


def _face_field(label):
    return RadioField(label, choices=FACES, coerce=int, validate_choice=True)


class SurveyForm(FlaskForm):
    resident = HiddenField()
    q1 = _face_field(_l("Are you happy with the meals?"))
    q2 = _face_field(_l("Are the staff and volunteers kind to you?"))
    q3 = _face_field(_l("Do you feel safe and well looked after here?"))
    q4 = _face_field(_l("Do you have enough company and things to do?"))
    q5 = _face_field(_l("All in all, how happy are you with the home?"))
    helped = BooleanField(_l("A staff member read the questions with the elder"), default=True)


STARS = [(5, "★★★★★"), (4, "★★★★"), (3, "★★★"), (2, "★★"), (1, "★")]


class ReviewForm(FlaskForm):
    stars = RadioField(_l("Stars"), choices=STARS, coerce=int, validate_choice=True)
    text = TextAreaField(_l("What was it like? (optional)"), validators=[Length(max=4000)])
    photos = MultipleFileField(_l("Photos (optional, at most 3)"))


class ReplyForm(FlaskForm):
    review = HiddenField()
    reply = TextAreaField(_l("The home's reply (one only)"), validators=[Length(max=4000)])


class ReportForm(FlaskForm):
    review = HiddenField()
    reason = StringField(_l("Why is it abusive? (optional)"), validators=[Length(max=1000)])


class ModerationForm(FlaskForm):
    review = HiddenField()
    action = HiddenField()
    reason = StringField(_l("Why? (kept with the decision)"), validators=[Length(max=1000)])
