"""A brokered request worked to its end by an officer of the child's authority, and the SMS."""

from datetime import UTC, datetime

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from desk.authority.brokering import due_at
from desk.console.models import BrokeredRequest
from desk.core.audit.events import Event
from desk.core.extensions import db
from desk.dev.simulator import Twilio
from ivr.telephony import LocalTelephony, TelephonyError
from tests.desk.authority.conftest import raise_request, request_links
from tests.desk.conftest import Console, flashed
from tests.desk.review.conftest import Reviewer, child_details
from tests.factories import PHONE
from tests.pages import submit
from tests.stored import audit_events


@pytest.fixture
def raised(app: Flask, index: None, twilio: Twilio, console: Console, sam: str) -> str:
    return raise_request(console, twilio, sam)


def test_an_officer_works_a_request_to_its_end_and_the_practitioner_is_texted(
    app: Flask,
    raised: str,
    otto: FlaskClient,
    phones: LocalTelephony,
    reviewer: Reviewer,
) -> None:
    workbench = otto.get("/authority/")
    [link] = request_links(workbench.text)
    assert "BR" in workbench.text and "Rochdale" in workbench.text
    page = otto.get(link).text
    # Who asked and why, and the child's whole record, the GP an operator never reads out.
    for seen in (
        "Sam Field",
        "Rochdale Council",
        "Social worker",
        PHONE,
        "Find the professionals working with a child",
        "child protection conference",
        "Noah Brennan",
        "Castlemere Surgery",
        "3 Hill Street",
    ):
        assert seen in page, seen
    assert "Claim this request" in page
    submit(otto, link, {}, f"{link}/claim")
    submit(
        otto,
        link,
        {"kind": "attempt", "note": "Rang the surgery: the GP is on leave"},
        f"{link}/steps",
    )
    submit(otto, link, {"kind": "passed_to_professional", "note": ""}, f"{link}/steps")
    closed = submit(
        otto,
        link,
        {"outcome": "professional_will_contact", "outcome_note": "GP agreed to ring"},
        f"{link}/close",
    )
    assert "the practitioner has been sent the outcome" in " ".join(flashed(otto.get(link)))
    assert closed.status_code == 302

    [sms] = phones.messages_to(PHONE)
    with app.app_context():
        request = db.session.scalars(select(BrokeredRequest)).one()
        reference = request.reference
        assert request.sms_status == "sent" and request.outcome == "professional_will_contact"
    assert reference in sms.body and "The professional will contact you" in sms.body
    for detail in child_details(app):
        assert detail not in sms.body, detail
    assert "GP agreed" not in sms.body
    # The dev phone shows what the practitioner's mobile received.
    assert sms.body in app.test_client().get("/devphone").text

    # Every step is audited against the officer, the request and the call it came from.
    kinds = [e.kind for e in audit_events(app) if e.data.get("request") == reference]
    assert kinds[:1] == [Event.BROKERED_RECORD_VIEWED]
    for kind in (
        Event.BROKERED_CLAIMED,
        Event.BROKERED_STEP_LOGGED,
        Event.BROKERED_CLOSED,
        Event.BROKERED_SMS_SENT,
    ):
        assert kind in kinds
    # The supervisor's timeline of the original call shows what came of it, and no note.
    timeline = reviewer.call(raised).text
    assert f"Brokered request {reference} closed: The professional will contact you" in timeline
    assert "GP agreed" not in timeline and "on leave" not in timeline


def test_a_request_is_due_a_working_day_later_and_marked_when_overdue(
    app: Flask, raised: str, otto: FlaskClient
) -> None:
    with app.app_context():
        request = db.session.scalars(select(BrokeredRequest)).one()
        request.requested_at = datetime(2026, 1, 2, 15, 0, tzinfo=UTC)  # a Friday
        db.session.commit()
    page = otto.get("/authority/").text
    assert "05 Jan 2026 15:00" in page  # the Monday
    assert "Overdue" in page


@pytest.mark.parametrize(
    ("made", "days", "due"),
    [
        (datetime(2026, 3, 4, 10, 0, tzinfo=UTC), 1, datetime(2026, 3, 5, 10, 0, tzinfo=UTC)),
        (datetime(2026, 3, 6, 10, 0, tzinfo=UTC), 1, datetime(2026, 3, 9, 10, 0, tzinfo=UTC)),
        (datetime(2026, 3, 7, 10, 0, tzinfo=UTC), 1, datetime(2026, 3, 10, 0, 0, tzinfo=UTC)),
        (datetime(2026, 3, 4, 10, 0, tzinfo=UTC), 3, datetime(2026, 3, 9, 10, 0, tzinfo=UTC)),
    ],
)
def test_due_counts_working_days(made: datetime, days: int, due: datetime) -> None:
    assert due_at(made, days, "UTC") == due


def test_an_officer_of_another_authority_sees_nothing_of_it(
    app: Flask, raised: str, bea: FlaskClient, otto: FlaskClient
) -> None:
    [link] = request_links(otto.get("/authority/").text)
    assert request_links(bea.get("/authority/").text) == []
    assert bea.get(link).status_code == 404
    assert submit(bea, "/authority/", {}, f"{link}/claim").status_code == 404


def test_only_the_officer_who_claimed_a_request_works_it(
    app: Flask, raised: str, otto: FlaskClient, ruth: FlaskClient
) -> None:
    [link] = request_links(otto.get("/authority/").text)
    submit(otto, link, {}, f"{link}/claim")
    submit(ruth, link, {}, f"{link}/claim")
    assert "Another officer has claimed that request." in flashed(ruth.get(link))
    submit(ruth, link, {"outcome": "declined", "outcome_note": "x"}, f"{link}/close")
    assert "Claim the request before working on it." in flashed(ruth.get(link))
    with app.app_context():
        assert db.session.scalars(select(BrokeredRequest)).one().closed_at is None


def test_a_failed_text_leaves_the_request_closed_and_says_so(
    app: Flask, raised: str, otto: FlaskClient, phones: LocalTelephony
) -> None:
    [link] = request_links(otto.get("/authority/").text)
    submit(otto, link, {}, f"{link}/claim")
    phones.failure = TelephonyError("Twilio could not be reached")
    submit(
        otto, link, {"outcome": "contact_made", "outcome_note": "Spoke to both"}, f"{link}/close"
    )
    assert any("could not be sent" in m for m in flashed(otto.get(link)))
    with app.app_context():
        request = db.session.scalars(select(BrokeredRequest)).one()
        assert request.closed_at is not None and request.sms_status == "failed"
    assert phones.messages == []
    assert Event.BROKERED_SMS_FAILED in [e.kind for e in audit_events(app)]


def test_supervisors_and_managers_have_no_workbench(
    app: Flask, reviewer: Reviewer, manager: Reviewer
) -> None:
    for client in (reviewer.client, manager.client):
        assert client.get("/authority/").status_code == 403
        assert client.get("/authority/shields").status_code == 403


def test_a_refused_close_keeps_what_was_typed_beside_its_error_once(
    app: Flask, raised: str, otto: FlaskClient
) -> None:
    [link] = request_links(otto.get("/authority/").text)
    submit(otto, link, {}, f"{link}/claim")
    refused = submit(otto, link, {"outcome": "declined", "outcome_note": "   "}, f"{link}/close")
    assert refused.status_code == 302 and refused.location == link
    page = otto.get(link).text
    assert "govuk-error-summary" in page and 'id="outcome_note-error"' in page
    assert "Add a note saying what was done." in page
    assert '<option selected value="declined">' in page  # the outcome chosen, kept

    again = otto.get(link).text  # a refresh sends nothing, and shows no old error
    assert "govuk-error-summary" not in again and '<option selected value="declined">' not in again
    with app.app_context():
        assert db.session.scalars(select(BrokeredRequest)).one().closed_at is None
    assert audit_events(app, Event.BROKERED_CLOSED) == []


def test_an_attempt_without_a_note_is_refused_beside_the_note_and_logged_once_when_given(
    app: Flask, raised: str, otto: FlaskClient
) -> None:
    [link] = request_links(otto.get("/authority/").text)
    submit(otto, link, {}, f"{link}/claim")
    refused = submit(otto, link, {"kind": "attempt", "note": ""}, f"{link}/steps")
    assert refused.status_code == 302 and refused.location == link
    page = otto.get(link).text
    assert 'id="note-error"' in page and "Say who you tried to reach and how it went." in page
    assert "govuk-error-summary" not in otto.get(link).text
    assert audit_events(app, Event.BROKERED_STEP_LOGGED) == []
    submit(otto, link, {"kind": "attempt", "note": "Rang the school"}, f"{link}/steps")
    otto.get(link)
    assert len(audit_events(app, Event.BROKERED_STEP_LOGGED)) == 1
