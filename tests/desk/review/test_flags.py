"""Each flag rule on its own: it flags what it names, says why, and nothing just below its line."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from desk.app import create_app
from desk.core import hours
from desk.core.audit.models import AuditEvent
from desk.review import flags
from desk.review.facts import CallFacts, from_events
from desk.review.flags import RULES, Thresholds, flags_for
from ivr.models import Call
from tests.conftest import TEST_CONFIG

MORNING = datetime(2026, 3, 4, 10, 0, tzinfo=UTC)  # a Wednesday
LIMITS = Thresholds(
    searches=3,
    records=2,
    long_call_minutes=20,
    calls_per_day=4,
    usual_hours=hours.parse("Mon-Fri 08:00-18:00"),
    timezone="Europe/London",
)

# A call nothing is wrong with: one search, one record, registered number, on a weekday morning.
QUIET = CallFacts(
    call_id=1,
    practitioner_id="40000001",
    operator_ids=(7,),
    started_at=MORNING,
    taken_at=MORNING + timedelta(minutes=1),
    wrapped_up_at=MORNING + timedelta(minutes=9),
    waited_seconds=60,
    duration_seconds=560,
    failed_verifications=0,
    is_registered_number=True,
    is_called_back=False,
    purpose="find_professionals",
    purpose_detail=None,
    outcome="information_given",
    searches=1,
    searches_refused=0,
    matches=1,
    records_opened=1,
    read_backs=2,
    brokered_requests=0,
    is_shielded_matched=False,
    is_shielded_opened=False,
    practitioner_calls_today=1,
)


def raised(facts: CallFacts) -> dict[str, str]:
    return {flag.rule: flag.detail for flag in flags_for(facts, LIMITS)}


def test_a_quiet_call_raises_no_flag() -> None:
    assert raised(QUIET) == {}


def test_every_rule_has_a_distinct_name_and_a_label() -> None:
    names = [rule.name for rule in RULES]
    assert len(set(names)) == len(names) == 9
    assert all(rule.label for rule in RULES)


@pytest.mark.parametrize(
    ("changes", "detail"),
    [
        ({"is_shielded_matched": True}, "A search matched a shielded record."),
        ({"is_shielded_opened": True}, "A shielded record was opened."),
    ],
)
def test_shielded_record(changes: dict[str, bool], detail: str) -> None:
    assert raised(replace(QUIET, **changes)) == {"shielded_record": detail}


def test_many_searches_counts_refused_searches_too() -> None:
    assert raised(replace(QUIET, searches=3)) == {}
    assert raised(replace(QUIET, searches=4)) == {"many_searches": "4 searches (flagged above 3)."}
    assert raised(replace(QUIET, searches=2, searches_refused=2)) == {
        "many_searches": "4 searches, 2 refused (flagged above 3)."
    }


def test_many_records() -> None:
    assert raised(replace(QUIET, records_opened=2)) == {}
    assert raised(replace(QUIET, records_opened=3)) == {
        "many_records": "3 records opened (flagged above 2)."
    }


def test_unregistered_number_says_whether_the_operator_called_back() -> None:
    assert raised(replace(QUIET, is_registered_number=None)) == {}  # withheld: no call at all
    assert raised(replace(QUIET, is_registered_number=False)) == {
        "unregistered_number": "Called from a number not registered to the practitioner."
    }
    assert (
        "the operator called back"
        in raised(replace(QUIET, is_registered_number=False, is_called_back=True))[
            "unregistered_number"
        ]
    )


def test_failed_verification_earlier_in_the_call() -> None:
    assert raised(replace(QUIET, failed_verifications=1)) == {
        "failed_verification": "1 failed keypad attempt before the caller was verified."
    }
    assert raised(replace(QUIET, failed_verifications=2))["failed_verification"].startswith(
        "2 failed keypad attempts"
    )


@pytest.mark.parametrize(
    ("taken_at", "is_flagged"),
    [
        (datetime(2026, 3, 4, 7, 59, tzinfo=UTC), True),  # 07:59 in London (GMT)
        (datetime(2026, 3, 4, 8, 0, tzinfo=UTC), False),
        (datetime(2026, 3, 4, 17, 59, tzinfo=UTC), False),
        (datetime(2026, 3, 4, 18, 0, tzinfo=UTC), True),
        (datetime(2026, 3, 7, 11, 0, tzinfo=UTC), True),  # a Saturday
        (datetime(2026, 6, 3, 7, 30, tzinfo=UTC), False),  # 08:30 in London (BST)
    ],
)
def test_out_of_hours_by_the_desks_clock(taken_at: datetime, is_flagged: bool) -> None:
    found = raised(replace(QUIET, taken_at=taken_at, wrapped_up_at=taken_at))
    assert ("out_of_hours" in found) is is_flagged
    if is_flagged:
        assert "outside usual hours" in found["out_of_hours"]


def test_out_of_hours_never_flags_a_desk_with_no_usual_hours() -> None:
    always = replace(LIMITS, usual_hours=None)
    night = replace(QUIET, taken_at=datetime(2026, 3, 7, 3, 0, tzinfo=UTC))
    assert flags.out_of_hours(night, always) is None


def test_long_call_counts_from_taking_to_wrap_up() -> None:
    taken = QUIET.taken_at
    assert taken is not None
    assert raised(replace(QUIET, wrapped_up_at=taken + timedelta(minutes=20))) == {}
    assert raised(replace(QUIET, wrapped_up_at=taken + timedelta(minutes=20, seconds=1))) == {
        "long_call": "Held for 20 minutes (flagged above 20)."
    }
    assert raised(replace(QUIET, wrapped_up_at=None)) == {}  # still with its operator


def test_frequent_caller() -> None:
    assert raised(replace(QUIET, practitioner_calls_today=4)) == {}
    assert raised(replace(QUIET, practitioner_calls_today=5)) == {
        "frequent_caller": "The practitioner's 5th call that day (flagged above 4)."
    }
    assert "11th call" in raised(replace(QUIET, practitioner_calls_today=11))["frequent_caller"]


def test_purpose_other() -> None:
    assert raised(replace(QUIET, purpose="other")) == {
        "purpose_other": "The purpose was recorded as 'Other'."
    }


def test_flags_come_in_the_order_of_the_rules() -> None:
    everything = replace(
        QUIET, purpose="other", is_shielded_opened=True, failed_verifications=1, searches=9
    )
    assert [f.rule for f in flags_for(everything, LIMITS)] == [
        "shielded_record",
        "many_searches",
        "failed_verification",
        "purpose_other",
    ]


def test_thresholds_come_from_configuration_and_fall_back_to_opening_hours() -> None:
    config = {
        "DESK_FLAG_SEARCHES": 6,
        "DESK_FLAG_RECORDS": 1,
        "DESK_FLAG_LONG_CALL_MINUTES": 45,
        "DESK_FLAG_CALLS_PER_DAY": 9,
        "DESK_FLAG_USUAL_HOURS": "",
        "DESK_OPENING_HOURS": "Mon-Fri 09:00-17:00",
        "DESK_TIMEZONE": "Europe/London",
    }
    limits = Thresholds.from_config(config)
    assert (limits.searches, limits.records, limits.long_call_minutes, limits.calls_per_day) == (
        6,
        1,
        45,
        9,
    )
    assert limits.usual_hours == hours.parse("Mon-Fri 09:00-17:00")
    config["DESK_FLAG_USUAL_HOURS"] = "Mon-Sun 07:00-22:00"
    assert Thresholds.from_config(config).usual_hours == hours.parse("Mon-Sun 07:00-22:00")


def event(kind: str, **data: object) -> AuditEvent:
    return AuditEvent(kind=kind, data=data, operator_id=data.pop("operator_id", None))


def test_facts_are_counted_from_the_calls_audit_trail() -> None:
    call = Call(id=5, practitioner_id="40000001", started_at=MORNING, is_registered_number=True)
    trail = [
        event("verification.failed", attempt=1, reasons=["wrong_pin"]),
        event("verification.succeeded", attempt=2, is_registered_number=True),
        event("call.taken", waited_seconds=30, operator_id=7),
        event("search.refused", reason="A name is not enough"),
        event("search.made", form="name_and_date_of_birth", match_count=2, matched=["1", "2"]),
        event("search.made", form="name_and_date_of_birth", match_count=12, matched=[]),
        event("record.opened", contactpoint_id="1", is_shielded=False),
        event("record.opened", contactpoint_id="1", is_shielded=False),  # shown again
        event("record.opened", contactpoint_id="2", is_shielded=True),
        event("record.read_back", contactpoint_id="1", category="gp"),
        event("record.brokered_contact_requested", contactpoint_id="2"),
        event("call.ended", duration_seconds=300),
    ]
    facts = from_events(call, None, trail, shielded_numbers=frozenset({"2"}))
    assert facts.failed_verifications == 1
    assert facts.operator_ids == (7,) and facts.waited_seconds == 30
    assert (facts.searches, facts.searches_refused, facts.matches) == (2, 1, 2)
    assert (facts.records_opened, facts.read_backs, facts.brokered_requests) == (2, 1, 1)
    assert facts.is_shielded_matched and facts.is_shielded_opened
    assert facts.duration_seconds == 300


def test_unreadable_usual_hours_stop_the_desk_starting() -> None:
    with pytest.raises(RuntimeError, match="DESK_FLAG_USUAL_HOURS"):
        create_app({**TEST_CONFIG, "DESK_FLAG_USUAL_HOURS": "weekdays"})
