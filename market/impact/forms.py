"""Forms of the impact pages. Fields parse what people type; the services decide."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import HiddenField, StringField
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
