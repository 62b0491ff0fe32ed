"""The local authority officers' forms: syntax only; the services decide what may be done."""

from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, TextAreaField
from wtforms.fields import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length

from desk.console.models import BROKERED_OUTCOME_LABELS, STEP_LABELS
from desk.core.date_input import DayMonthYearField
from desk.records.models import SHIELD_REASON_LABELS


class StepForm(FlaskForm):  # type: ignore[misc]  # flask-wtf has no type hints
    kind = SelectField(
        "What you did",
        choices=[SelectChoice(k.value, label) for k, label in STEP_LABELS.items()],
        validators=[InputRequired()],
    )
    note = StringField("Note (who, how, what came of it)", validators=[Length(max=500)])


class CloseForm(FlaskForm):  # type: ignore[misc]  # flask-wtf has no type hints
    outcome = SelectField(
        "Outcome",
        choices=[
            SelectChoice("", "Choose…"),
            *(SelectChoice(o.value, label) for o, label in BROKERED_OUTCOME_LABELS.items()),
        ],
        validators=[InputRequired("Choose the outcome.")],
    )
    # Not `note`: the step form beside it on the page has one, and ids must be unique.
    outcome_note = TextAreaField(
        "Note", validators=[DataRequired("Add a note saying what was done."), Length(max=500)]
    )


class FindChildForm(FlaskForm):  # type: ignore[misc]  # flask-wtf has no type hints
    contactpoint_number = StringField(
        "ContactPoint number",
        validators=[DataRequired("Give the ContactPoint number."), Length(max=20)],
    )


class ShieldForm(FlaskForm):  # type: ignore[misc]  # flask-wtf has no type hints
    contactpoint_number = StringField(
        "ContactPoint number",
        validators=[DataRequired("Give the ContactPoint number."), Length(max=20)],
    )
    reason = SelectField(
        "Reason",
        choices=[
            SelectChoice("", "Choose…"),
            *(SelectChoice(r.value, label) for r, label in SHIELD_REASON_LABELS.items()),
        ],
        validators=[InputRequired("Choose the reason for the shield.")],
    )
    review_on = DayMonthYearField(
        "Review by", validators=[InputRequired("Give the date the shield is to be reviewed.")]
    )
