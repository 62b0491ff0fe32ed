"""The console's forms: syntax only; what may be done is decided by the services."""

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    HiddenField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from desk.console.models import PURPOSE_LABELS, WRAP_UP_LABELS
from desk.core.date_input import DayMonthYearField

GENDERS = (
    ("", "Any"),
    ("female", "Female"),
    ("male", "Male"),
    ("other", "Other"),
    ("unknown", "Unknown"),
)


class ActionForm(FlaskForm):  # type: ignore[misc]  # flask-wtf has no type hints
    """A button that only needs its CSRF token."""


class IdentityForm(FlaskForm):  # type: ignore[misc]  # flask-wtf has no type hints
    is_confirmed = BooleanField(
        "I asked the caller for their name, organisation and role, and they match the profile",
        validators=[DataRequired("Tick to confirm you checked who the caller is.")],
    )


class CallBackForm(FlaskForm):  # type: ignore[misc]  # flask-wtf has no type hints
    """One of the practitioner's registered numbers, chosen, never typed."""

    phone = RadioField(
        "Registered number to call",
        coerce=int,
        validators=[InputRequired("Choose the registered number to call.")],
    )


class PurposeForm(FlaskForm):  # type: ignore[misc]  # flask-wtf has no type hints
    purpose = SelectField(
        "Purpose of the enquiry",
        choices=[
            SelectChoice("", "Choose…"),
            *(SelectChoice(p.value, label) for p, label in PURPOSE_LABELS.items()),
        ],
        validators=[InputRequired("Choose the purpose of the enquiry.")],
    )
    detail = StringField("Details (required for 'Other')", validators=[Length(max=500)])


class SearchForm(FlaskForm):  # type: ignore[misc]  # flask-wtf has no type hints
    contactpoint_number = StringField("ContactPoint number", validators=[Length(max=20)])
    family_name = StringField("Family name", validators=[Length(max=100)])
    given_name = StringField("Given name", validators=[Length(max=100)])
    date_of_birth = DayMonthYearField(
        "Date of birth",
        validators=[Optional()],
    )
    gender = SelectField(
        "Gender",
        choices=[SelectChoice(value, label) for value, label in GENDERS],
        default="",
    )
    postcode = StringField("Postcode", validators=[Length(max=10)])

    def criteria_words(self) -> list[tuple[str, str]]:
        """The criteria the form holds, as the call page echoes them above their results."""
        words = []
        for f in self:
            if f.type == "CSRFTokenField" or not f.data:
                continue
            value = f.data.strftime("%-d %B %Y") if f is self.date_of_birth else str(f.data)
            if f is self.gender:
                value = dict(GENDERS).get(f.data, value)
            words.append((f.label.text, value))
        return words


class ReadBackForm(FlaskForm):  # type: ignore[misc]  # flask-wtf has no type hints
    item_key = HiddenField(validators=[DataRequired(), Length(max=64)])


class BrokeredForm(FlaskForm):  # type: ignore[misc]  # flask-wtf has no type hints
    reason = TextAreaField(
        "Why the caller needs to be put in touch",
        validators=[DataRequired("Say why the caller needs to be put in touch."), Length(max=1000)],
    )


class WrapUpForm(FlaskForm):  # type: ignore[misc]  # flask-wtf has no type hints
    code = SelectField(
        "Wrap-up",
        choices=[
            SelectChoice("", "Choose…"),
            *(SelectChoice(c.value, label) for c, label in WRAP_UP_LABELS.items()),
        ],
        validators=[InputRequired("Choose how the call ended.")],
    )
    note = StringField("Note (required for 'Other')", validators=[Length(max=500)])
