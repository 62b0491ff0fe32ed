"""The administration pages' forms: syntax only; the services decide what is allowed."""

from typing import Any

from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.fields import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, Regexp

from desk.core.authorities import all_authorities
from desk.staff.models import Role


def _trimmed(value: str | None) -> str | None:
    return value.strip() if value else value


def _without_spaces(value: str | None) -> str | None:
    return "".join(value.split()) if value else value


class FindForm(FlaskForm):  # type: ignore[misc]  # flask-wtf has no type hints
    class Meta:
        csrf = False

    q = StringField(
        "Practitioner ID, name or organisation",
        validators=[DataRequired("Type an ID, a name or an organisation."), Length(max=200)],
        filters=[_trimmed],
        render_kw={"autocomplete": "off", "type": "search"},
    )


class ReasonForm(FlaskForm):  # type: ignore[misc]
    reason = StringField(
        "Reason",
        validators=[DataRequired("Give the reason: it goes in the audit log."), Length(max=500)],
        filters=[_trimmed],
        render_kw={"autocomplete": "off"},
    )


class EmptyForm(FlaskForm):  # type: ignore[misc]
    """A button that changes something: its CSRF token only."""


class ActivationForm(FlaskForm):  # type: ignore[misc]
    delivery = SelectField(
        "Hand it over",
        choices=[
            SelectChoice("shown", "Show it on screen, once"),
            SelectChoice("letter", "As a printable letter (PDF)"),
        ],
        default="shown",
    )


class AssignTokenForm(FlaskForm):  # type: ignore[misc]
    serial = StringField(
        "Token serial number",
        validators=[DataRequired("Type the serial printed on the token."), Length(max=64)],
        filters=[_trimmed],
        render_kw={"autocomplete": "off", "spellcheck": "false"},
    )


SIX_DIGITS = Regexp(r"\d{6}\Z", message="A token code is 6 digits.")
CODE_FIELD: dict[str, Any] = {
    "filters": [_without_spaces],
    "render_kw": {"autocomplete": "off", "inputmode": "numeric", "maxlength": "7"},
}


class ResyncForm(FlaskForm):  # type: ignore[misc]
    # Token codes: never kept in the session across a refusal (desk/core/kept_input.py).
    not_kept = frozenset({"first", "second"})

    first = StringField(
        "A code the token shows",
        validators=[InputRequired("Type the code."), SIX_DIGITS],
        **CODE_FIELD,
    )
    second = StringField(
        "The next code it shows",
        validators=[InputRequired("Wait for the next code and type it."), SIX_DIGITS],
        **CODE_FIELD,
    )


class PhonesForm(FlaskForm):  # type: ignore[misc]
    phones = TextAreaField(
        "Registered numbers, one a line",
        validators=[Length(max=2000)],
        render_kw={"rows": 4, "spellcheck": "false"},
    )

    def numbers(self) -> list[str]:
        return [line.strip() for line in (self.phones.data or "").splitlines() if line.strip()]


class DatesFileForm(FlaskForm):  # type: ignore[misc]
    file = FileField(
        "File of dates (CSV or JSON Lines: practitioner_id, vetted_on, trained_on)",
        validators=[
            FileRequired("Choose a file."),
            FileAllowed(["csv", "jsonl", "ndjson"], "The file must be .csv or .jsonl."),
        ],
    )


class AddStaffForm(FlaskForm):  # type: ignore[misc]
    username = StringField(
        "Username",
        validators=[DataRequired("Choose a username."), Length(max=40)],
        filters=[_trimmed],
        render_kw={"autocomplete": "off", "autocapitalize": "none", "spellcheck": "false"},
    )
    name = StringField(
        "Full name",
        validators=[DataRequired("Type their name."), Length(max=200)],
        filters=[_trimmed],
        render_kw={"autocomplete": "off"},
    )
    role = SelectField("Role", choices=[SelectChoice(r.value, r.label) for r in Role])
    # Checked by the accounts service with its reason (an officer needs one, nobody else any).
    authorities = SelectMultipleField(
        "Local authorities (a local authority officer's only)",
        choices=[SelectChoice(a.code, a.name) for a in all_authorities()],
        validate_choice=False,
    )
    phone_leg = StringField(
        "Their own phone (optional)",
        validators=[Length(max=200)],
        filters=[_trimmed],
        render_kw={"autocomplete": "off"},
    )
