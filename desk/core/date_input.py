"""A date typed as day, month and year in three boxes (GOV.UK's date input), not a browser picker.

A browser's own date picker shows the order of the machine's locale (mm/dd/yyyy on many an
en-GB desk) and is hard to use by keyboard or speech. Three labelled boxes read the same
everywhere. The field also takes one ISO date under its own name (`date_from=2026-03-01`): the
links the desk builds itself (a chart's bar, a shared filtered list) carry a date that way.
"""

from datetime import date
from typing import Any

from wtforms import Field
from wtforms.utils import unset_value

PARTS = ("day", "month", "year")


class DayMonthYearField(Field):  # type: ignore[misc]  # wtforms has no type hints
    """A date from `<name>-day`, `<name>-month` and `<name>-year`; None when all three are blank.

    `parts` is what was typed, so that a refused date is shown again as the user typed it, or
    else the date the field holds.
    """

    data: Any  # a date or None, typed as loosely as every WTForms field's data

    def __init__(self, label: str | None = None, validators: Any = None, **kwargs: Any) -> None:
        super().__init__(label, validators, **kwargs)
        self.typed: dict[str, str] | None = None

    @property
    def parts(self) -> dict[str, str]:
        if self.typed is not None:
            return self.typed
        if isinstance(self.data, date):
            return {
                "day": str(self.data.day),
                "month": str(self.data.month),
                "year": str(self.data.year),
            }
        return dict.fromkeys(PARTS, "")

    def process(self, formdata: Any, data: Any = unset_value, extra_filters: Any = None) -> None:
        super().process(formdata, data, extra_filters)
        if formdata is not None and any(f"{self.name}-{part}" in formdata for part in PARTS):
            typed = {part: formdata.get(f"{self.name}-{part}") or "" for part in PARTS}
            self.typed = {part: value.strip() for part, value in typed.items()}
            # Optional() and InputRequired() look at raw_data: blank only if all three are.
            self.raw_data = ["-".join(self.typed.values())] if any(self.typed.values()) else []
            try:
                self.data = _from_parts(self.typed)
            except ValueError as error:
                self.data = None
                self.process_errors.append(error.args[0])

    def process_formdata(self, valuelist: list[str]) -> None:
        # The values under the field's own name: the ISO form of a link the desk built.
        if valuelist and valuelist[0].strip():
            try:
                self.data = date.fromisoformat(valuelist[0].strip())
            except ValueError:
                self.data = None
                raise ValueError("Give the date as day, month and year.") from None


def _from_parts(parts: dict[str, str]) -> date | None:
    if not any(parts.values()):
        return None
    missing = [part for part, value in parts.items() if not value]
    if missing:
        raise ValueError(f"The date must include a {' and a '.join(missing)}.")
    if not all(value.isdigit() for value in parts.values()):
        raise ValueError("Give the date as numbers, for example 27 3 2015.")
    try:
        return date(int(parts["year"]), int(parts["month"]), int(parts["day"]))
    except ValueError:
        raise ValueError("Give a real date, for example 27 3 2015.") from None
