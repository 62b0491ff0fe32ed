"""The review pages' forms: syntax only; what a supervisor may do is decided in reviews.py."""

from datetime import date, timedelta
from typing import Any

from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.fields import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp, ValidationError

from desk.console.models import WRAP_UP_LABELS
from desk.core.date_input import DayMonthYearField
from desk.review.flags import RULES
from desk.review.listing import IN_PROGRESS, Filters

ANY_FLAG = "any"
LONGEST_REPORT_DAYS = 366


# The desk has no calls before its first year, and none far ahead; a date outside these (year
# 9999, say) is a typing slip, and must be told as one rather than overflow a calculation.
FIRST_YEAR = 2000
YEARS_AHEAD = 1


def _in_the_desks_years(form: Any, field: Any) -> None:
    last_year = date.today().year + YEARS_AHEAD
    if field.data and not FIRST_YEAR <= field.data.year <= last_year:
        raise ValidationError(f"Give a date between {FIRST_YEAR} and {last_year}.")


def _not_before_from(form: Any, field: Any) -> None:
    if field.data and form.date_from.data and field.data < form.date_from.data:
        raise ValidationError("The end date is before the start date.")


class FilterForm(FlaskForm):  # type: ignore[misc]  # flask-wtf has no type hints
    """The review list's filters, sent in the URL so that a filtered list can be shared."""

    class Meta:
        csrf = False

    date_from = DayMonthYearField("From", validators=[Optional(), _in_the_desks_years])
    date_to = DayMonthYearField(
        "To", validators=[Optional(), _in_the_desks_years, _not_before_from]
    )
    operator = SelectField("Operator", choices=[SelectChoice("", "Any operator")], default="")
    practitioner = StringField(
        "Practitioner ID",
        validators=[Optional(), Regexp(r"^\d{8}$", message="A practitioner ID is 8 digits.")],
        render_kw={"inputmode": "numeric", "size": 9, "autocomplete": "off"},
    )
    outcome = SelectField(
        "Outcome",
        choices=[
            SelectChoice("", "Any outcome"),
            SelectChoice(IN_PROGRESS, "In progress"),
            *(SelectChoice(code.value, label) for code, label in WRAP_UP_LABELS.items()),
        ],
        default="",
    )
    flags = SelectField(
        "Flags",
        choices=[
            SelectChoice("", "All calls"),
            SelectChoice(ANY_FLAG, "Flagged only"),
            *(SelectChoice(rule.name, f"Flagged: {rule.label}") for rule in RULES),
        ],
        default="",
    )
    unreviewed = BooleanField("Not yet signed off")
    page = IntegerField(default=1, validators=[Optional(), NumberRange(min=1)])

    def filters(self) -> Filters:
        """The filters as the review service takes them."""
        flags = self.flags.data or ""
        return Filters(
            date_from=self.date_from.data,
            date_to=self.date_to.data,
            operator_id=int(self.operator.data) if self.operator.data else None,
            practitioner_id=(self.practitioner.data or "").strip() or None,
            outcome=self.outcome.data or None,
            is_flagged_only=flags == ANY_FLAG,
            rule=flags if flags not in ("", ANY_FLAG) else None,
            is_unreviewed_only=bool(self.unreviewed.data),
        )

    def query(self, **changes: Any) -> dict[str, Any]:
        """The filters as URL arguments, with `changes` (e.g. another page)."""
        values = {
            "date_from": self.date_from.data.isoformat() if self.date_from.data else None,
            "date_to": self.date_to.data.isoformat() if self.date_to.data else None,
            "operator": self.operator.data,
            "practitioner": self.practitioner.data,
            "outcome": self.outcome.data,
            "flags": self.flags.data,
            "unreviewed": "y" if self.unreviewed.data else None,
        }
        values.update(changes)
        return {key: value for key, value in values.items() if value}


class SignOffForm(FlaskForm):  # type: ignore[misc]  # flask-wtf has no type hints
    comment = TextAreaField(
        "Comment",
        validators=[DataRequired("Write a comment to sign the call off."), Length(max=2000)],
    )


def _report_length(form: Any, field: Any) -> None:
    first, last = form.date_from.data, field.data
    if first and last and last < first:
        raise ValidationError("The end date is before the start date.")
    if first and last and (last - first) >= timedelta(days=LONGEST_REPORT_DAYS):
        raise ValidationError(f"A report covers at most {LONGEST_REPORT_DAYS} days.")


class ReportForm(FlaskForm):  # type: ignore[misc]  # flask-wtf has no type hints
    """The period of an audit report, sent in the URL of the download."""

    class Meta:
        csrf = False

    date_from = DayMonthYearField(
        "From",
        validators=[DataRequired("Give the first day of the period."), _in_the_desks_years],
    )
    date_to = DayMonthYearField(
        "To",
        validators=[
            DataRequired("Give the last day of the period."),
            _in_the_desks_years,
            _report_length,
        ],
    )

    with_purpose_words = BooleanField(
        "Include each purpose's own words, as the operator typed them"
    )

    def period(self) -> tuple[date, date]:
        return self.date_from.data, self.date_to.data
