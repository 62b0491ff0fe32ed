"""Who may use the desk once verified: active, vetted and trained within 3 years."""

from datetime import date

import pytest

from verification.checks import access_problems, vetting_expires
from verification.models import AccessStatus, Practitioner

TODAY = date(2026, 11, 25)


def practitioner(**fields: object) -> Practitioner:
    base: dict[str, object] = {
        "status": AccessStatus.ACTIVE,
        "vetted_on": date(2024, 1, 1),
        "trained_on": date(2024, 2, 1),
    }
    return Practitioner(**{**base, **fields})


@pytest.mark.parametrize(
    ("fields", "problems"),
    [
        ({}, ()),
        ({"status": AccessStatus.SUSPENDED}, ("suspended",)),
        ({"vetted_on": date(2023, 11, 25)}, ()),
        ({"vetted_on": date(2023, 11, 24)}, ("vetting_expired",)),
        ({"trained_on": None}, ("untrained",)),
        ({"trained_on": date(2023, 11, 25)}, ()),
        ({"trained_on": date(2023, 11, 24)}, ("training_expired",)),
        ({"status": AccessStatus.SUSPENDED, "trained_on": None}, ("suspended", "untrained")),
    ],
)
def test_access_problems(fields: dict[str, object], problems: tuple[str, ...]) -> None:
    assert access_problems(practitioner(**fields), TODAY) == problems


def test_a_vetting_on_29_february_lasts_until_28_february() -> None:
    assert vetting_expires(date(2024, 2, 29)) == date(2027, 2, 28)
