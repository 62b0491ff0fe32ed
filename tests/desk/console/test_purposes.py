"""The purpose is why the caller asks, never who about, and it cannot change after a search."""

import pytest
from flask import Flask

from desk.console.purposes import identifying_detail
from desk.dev.simulator import Twilio
from tests.desk.conftest import Console, flashed, queued_call
from tests.stored import audit_events

pytestmark = pytest.mark.usefixtures("index")


@pytest.mark.parametrize(
    ("words", "found"),
    [
        ("Child protection enquiry about a school transfer", None),
        ("Referral from Rochdale Council to Early Help", None),
        ("The GP asked for the lead professional", None),
        ("Safeguarding Concern raised by Social Care", None),
        ("Section 47 enquiry", None),  # a statute's number is not a child's
        ("Checking Amelia Brennan", "what looks like a person's name"),
        ("Mr Smith says the family moved", "what looks like a person's name"),
        ("born 14/03/2015", "a date"),
        ("DOB 2015-03-14", "a date"),
        ("born on 14th March", "a date"),
        ("since March 14", "a date"),
        ("lives at OL16 1AA now", "a postcode"),
        ("moved to ol161aa", "a postcode"),
        ("CP number 943 476 5919", "a number of six or more digits"),
        ("call back on 07700 900123", "a number of six or more digits"),
    ],
)
def test_words_that_could_identify_a_child_are_found(words: str, found: str | None) -> None:
    assert identifying_detail(words) == found


@pytest.fixture
def confirmed(sam: str, twilio: Twilio, console: Console) -> Console:
    console.take(queued_call(twilio, sam))
    console.post("identity", {"is_confirmed": "y"})
    return console


def test_a_purpose_naming_a_child_is_refused_and_not_audited(
    confirmed: Console, app: Flask
) -> None:
    response = confirmed.post("purpose", {"purpose": "other", "detail": "Amelia O'Neill, 14/3/15"})
    said = " ".join(flashed(confirmed.client.get(confirmed.page)) + flashed(response))
    assert "without details that could identify a child" in said and "a date" in said
    assert audit_events(app, "call.purpose_recorded") == []
    assert "Amelia" not in str([e.data for e in audit_events(app)])


def test_the_purpose_is_fixed_once_a_search_is_made(confirmed: Console, app: Flask) -> None:
    confirmed.post("purpose", {"purpose": "safeguarding"})
    confirmed.search(family_name="O'Neill", date_of_birth="2015-03-14")
    response = confirmed.post("purpose", {"purpose": "other", "detail": "Something else now"})
    said = " ".join(flashed(confirmed.client.get(confirmed.page)) + flashed(response))
    assert "cannot be changed once a search has been made" in said
    [recorded] = audit_events(app, "call.purpose_recorded")
    assert recorded.data["purpose"] == "safeguarding"
