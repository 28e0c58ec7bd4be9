"""Time-bank forms. Fields parse what people type; the services decide what is allowed."""

from datetime import date, datetime, time, timedelta

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import InputRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from market import clock

MOST_MINUTES = 12 * 60


def skill_choices():
    return [(key, label) for key, label in SKILL_LABELS.items()]


SKILL_LABELS = {
    "meals": _l("Meals"), "visits": _l("Visits and chat"), "cleaning": _l("Cleaning"),
    "haircut": _l("Hair cutting"), "escort": _l("Escort to the clinic"), "farm": _l("Farm help"),
    "reading": _l("Reading"), "tech": _l("Help with phones and computers"),
}


class CheckboxList(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class PersonForm(FlaskForm):
    name = StringField(_l("Name"), validators=[InputRequired(_l("Give a name.")), Length(max=60)])
    village = StringField(_l("Village"), validators=[InputRequired(_l("Give the village.")), Length(max=60)])
    phone = StringField(_l("Phone (leave empty if none)"), validators=[Optional(), Length(max=20)])
    skills = CheckboxList(_l("Can help with"), choices=skill_choices(), validate_choice=False)
    availability = StringField(_l("When free (e.g. weekday mornings)"),
                               validators=[Optional(), Length(max=120)])
    is_volunteer = BooleanField(_l("Volunteer (gives help)"), default=True)


class JoinForm(FlaskForm):
    name = StringField(_l("Your name"), validators=[InputRequired(_l("Give a name.")), Length(max=60)])
    village = StringField(_l("Your village"), validators=[InputRequired(_l("Give the village.")),
                                                          Length(max=60)])
    skills = CheckboxList(_l("I can help with"), choices=skill_choices(), validate_choice=False)
    availability = StringField(_l("When I am free (e.g. weekday mornings)"),
                               validators=[Optional(), Length(max=120)])


def _when(day: date | None, at: time | None, home) -> datetime | None:
    """The local day and time as an aware UTC moment; None when it is out of any sensible range."""
    if day is None or at is None:
        return None
    today = clock.local_today(home=home)
    if not today - timedelta(days=366) <= day <= today + timedelta(days=366):
        return None
    return clock.at_local(day, at, home)


class RequestForm(FlaskForm):
    elder_id = SelectField(_l("For whom"), coerce=int, validate_choice=False)
    skill = SelectField(_l("What kind of help"), choices=skill_choices(), validate_choice=False)
    what = StringField(_l("What exactly"), validators=[InputRequired(_l("Say what help is needed.")),
                                                       Length(max=200)])
    day = DateField(_l("Day"), validators=[InputRequired(_l("Give the day."))])
    at = TimeField(_l("Time"), validators=[InputRequired(_l("Give the time."))])
    place = StringField(_l("Where"), validators=[Optional(), Length(max=120)])

    def moment(self, home):
        return _when(self.day.data, self.at.data, home)


class DoneForm(FlaskForm):
    """A finished service: the day, when it began and how long it took."""

    day = DateField(_l("Day"), validators=[InputRequired(_l("Give the day."))])
    start = TimeField(_l("Began at"), validators=[InputRequired(_l("Give the time it began."))])
    minutes = IntegerField(_l("How many minutes"), validators=[
        InputRequired(_l("Give the minutes.")),
        NumberRange(1, MOST_MINUTES, _l("From 1 to 720 minutes."))])
    note = StringField(_l("Note (optional)"), validators=[Optional(), Length(max=200)])

    def moment(self, home):
        return _when(self.day.data, self.start.data, home)


class AssignForm(FlaskForm):
    volunteer_id = SelectField(_l("Volunteer"), coerce=int, validate_choice=False)


class ActionForm(FlaskForm):
    """A button that changes something: CSRF and the one-time token only."""


class SpendForm(FlaskForm):
    serving_home = SelectField(_l("In which home"), coerce=int, validate_choice=False)
    minutes = IntegerField(_l("How many minutes"), validators=[
        InputRequired(_l("Give the minutes.")), NumberRange(1, MOST_MINUTES, _l("From 1 to 720 minutes."))])
    what = StringField(_l("For what help"), validators=[InputRequired(_l("Say what help.")), Length(max=200)])
    beneficiary = StringField(_l("For a family member (name; empty for yourself)"),
                              validators=[Optional(), Length(max=60)])


class GiftForm(FlaskForm):
    to_person = SelectField(_l("To which elder"), coerce=int, validate_choice=False)
    gift_minutes = IntegerField(_l("How many minutes"), validators=[
        InputRequired(_l("Give the minutes.")), NumberRange(1, MOST_MINUTES, _l("From 1 to 720 minutes."))])


class DonateForm(FlaskForm):
    donate_minutes = IntegerField(_l("How many minutes"), validators=[
        InputRequired(_l("Give the minutes.")), NumberRange(1, MOST_MINUTES, _l("From 1 to 720 minutes."))])


class AllocationForm(FlaskForm):
    to_person = SelectField(_l("To whom"), coerce=int, validate_choice=False)
    alloc_minutes = IntegerField(_l("How many minutes"), validators=[
        InputRequired(_l("Give the minutes.")), NumberRange(1, MOST_MINUTES, _l("From 1 to 720 minutes."))])
    reason = StringField(_l("Why"), validators=[InputRequired(_l("Say why.")), Length(max=200)])


class DisputeForm(FlaskForm):
    reason = TextAreaField(_l("What is wrong"), validators=[InputRequired(_l("Say what is wrong.")),
                                                           Length(max=500)])


class DecideForm(FlaskForm):
    comment = TextAreaField(_l("Comment"), validators=[Optional(), Length(max=500)])
    uphold = SubmitField(_l("Uphold: take the hours back"))
    dismiss = SubmitField(_l("Dismiss: the hours stay"))


class LevelForm(FlaskForm):
    """A recognition: after how many hours given, what, and what it costs (yuan, parsed later)."""

    level_hours = IntegerField(_l("After how many hours given"), validators=[
        InputRequired(_l("Give the hours.")), NumberRange(1, 100_000, _l("From 1 to 100000 hours."))])
    level_what = StringField(_l("What the volunteer receives"), validators=[
        InputRequired(_l("Say what the volunteer receives.")), Length(max=120)])
    level_value = StringField(_l("What it costs (yuan)"), validators=[
        InputRequired(_l("Give what it costs.")), Length(max=20)])


class BudgetForm(FlaskForm):
    budget_amount = StringField(_l("Amount of the care fund (yuan)"), validators=[
        InputRequired(_l("Give the amount.")), Length(max=20)])
    budget_reason = StringField(_l("Why"), validators=[InputRequired(_l("Say why.")), Length(max=200)])
