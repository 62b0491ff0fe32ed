"""Opening hours: read from configuration, judged in the desk's own time zone."""

from datetime import UTC, datetime

import pytest

from desk.core import hours

SPEC = "Mon-Fri 08:00-18:00; Sat 09:00-13:00"


@pytest.mark.parametrize(
    ("at", "is_open"),
    [
        (datetime(2026, 11, 25, 9, 0, tzinfo=UTC), True),  # Wednesday 09:00 GMT
        (datetime(2026, 11, 25, 18, 0, tzinfo=UTC), False),  # closing time
        (datetime(2026, 11, 25, 7, 59, tzinfo=UTC), False),
        (datetime(2026, 11, 28, 12, 59, tzinfo=UTC), True),  # Saturday
        (datetime(2026, 11, 29, 12, 0, tzinfo=UTC), False),  # Sunday
        (datetime(2026, 7, 1, 7, 30, tzinfo=UTC), True),  # 08:30 BST
        (datetime(2026, 7, 1, 17, 30, tzinfo=UTC), False),  # 18:30 BST
    ],
)
def test_open_in_london_time(at: datetime, is_open: bool) -> None:
    assert hours.is_open(hours.parse(SPEC), at, "Europe/London") is is_open


def test_no_hours_means_always_open() -> None:
    assert hours.parse("  ") is None
    assert hours.is_open(None, datetime(2026, 12, 25, 3, 0, tzinfo=UTC), "Europe/London")


@pytest.mark.parametrize(
    "spec",
    [
        "Mon-Fri",
        "Monday 08:00-18:00",
        "Fri-Mon 08:00-18:00",
        "Mon 18:00-08:00",
        "Mon 8-6",
        "Xyz 08:00-09:00",
    ],
)
def test_unreadable_hours_are_refused_with_an_example(spec: str) -> None:
    with pytest.raises(ValueError, match="opening hours"):
        hours.parse(spec)
