"""Signing a call off: with a comment, audited, once, and never by whoever took the call."""

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import update

from desk.core.audit.service import record
from desk.core.extensions import db
from desk.review.models import Review
from desk.staff.models import Role, Staff
from tests.desk.review.conftest import Reviewer, assess, make_call
from tests.factories import make_staff
from tests.pages import sign_in
from tests.stored import audit_events, audit_kinds


@pytest.fixture
def olive(app: Flask) -> int:
    with app.app_context():
        return make_staff(username="olive", name="Olive Operator").id


@pytest.fixture
def flagged(app: Flask, sam: str, olive: int) -> str:
    """A call Olive took, flagged for its purpose."""
    with app.app_context():
        call = make_call(sam, olive, purpose="other")
        db.session.commit()
        public_id = call.public_id
    assess(app)
    return public_id


def test_signing_off_is_audited_and_shown(
    app: Flask, flagged: str, reviewer: Reviewer, sue: int, olive: int, sam: str
) -> None:
    response = reviewer.sign_off(flagged, "Checked the purpose with the caller's team leader.")
    assert response.status_code == 302 and response.location == f"/review/calls/{flagged}"
    page = reviewer.call(flagged).text
    assert "Call signed off." in page and "Sign off this call" not in page
    assert "Checked the purpose with the caller&#39;s team leader." in page
    assert "Signed off by Sue Pervisor" in page  # in the timeline too

    [signed] = audit_events(app, "review.signed_off")
    assert (signed.supervisor_id, signed.operator_id, signed.practitioner_id) == (sue, olive, sam)
    assert signed.data == {
        "comment": "Checked the purpose with the caller's team leader.",
        "flags": ["purpose_other"],
    }
    with app.app_context():
        review = db.session.query(Review).one()
        assert review.signed_off_by_id == sue and review.signed_off_at is not None


def test_a_comment_is_needed(app: Flask, flagged: str, reviewer: Reviewer) -> None:
    response = reviewer.sign_off(flagged, "   ")
    assert response.status_code == 302 and response.location == f"/review/calls/{flagged}"
    page = reviewer.call(flagged).text
    assert 'id="comment-error"' in page and "Write a comment to sign the call off." in page
    assert audit_events(app, "review.signed_off") == []


def test_an_invalid_sign_off_keeps_the_comment_beside_its_error_once(
    app: Flask, flagged: str, reviewer: Reviewer
) -> None:
    too_long = "Checked with the team leader. " * 70  # over the 2,000 characters a comment has
    response = reviewer.sign_off(flagged, too_long)
    assert response.status_code == 302 and response.location == f"/review/calls/{flagged}"
    page = reviewer.call(flagged).text
    assert "govuk-error-summary" in page and 'id="comment-error"' in page
    assert 'aria-describedby="comment-hint comment-error"' in page
    assert too_long.strip() in page  # what was typed, kept in the box

    refreshed = reviewer.call(flagged).text  # a refresh sends nothing, and shows no old error
    assert "govuk-error-summary" not in refreshed and too_long.strip() not in refreshed
    assert audit_events(app, "review.signed_off") == []


def test_a_refused_sign_off_is_audited_once_however_often_its_page_is_refreshed(
    app: Flask, flagged: str, olive: int, client: FlaskClient
) -> None:
    promote(app, olive)
    sign_in(client, username="olive")
    response = client.post(
        f"/review/calls/{flagged}/sign-off",
        data={"comment": "All fine", "csrf_token": _token(client)},
    )
    assert response.status_code == 302 and response.location == f"/review/calls/{flagged}"
    first = client.get(f"/review/calls/{flagged}").text
    assert "another supervisor must review it" in first
    second = client.get(f"/review/calls/{flagged}").text
    assert "govuk-error-summary" not in second and "govuk-notification-banner--error" not in second
    assert len(audit_events(app, "review.sign_off_refused")) == 1


def test_a_call_is_signed_off_once(app: Flask, flagged: str, reviewer: Reviewer) -> None:
    with app.app_context():
        make_staff(username="sid", name="Sid Second", role=Role.SUPERVISOR)
    reviewer.sign_off(flagged, "Fine.")
    second = Reviewer(app.test_client())
    sign_in(second.client, username="sid")
    assert "Sign off this call" not in second.call(flagged).text
    refused = second.client.post(
        f"/review/calls/{flagged}/sign-off",
        data={"comment": "Also fine.", "csrf_token": _token(second.client)},
    )
    assert refused.status_code == 302
    assert "already been signed off by Sue Pervisor" in second.call(flagged).text
    assert len(audit_events(app, "review.signed_off")) == 1


def promote(app: Flask, staff_id: int) -> None:
    """An operator made a supervisor: she may now review calls, though not her own."""
    with app.app_context():
        db.session.execute(update(Staff).where(Staff.id == staff_id).values(role=Role.SUPERVISOR))
        db.session.commit()


def test_nobody_signs_off_a_call_they_took(
    app: Flask, flagged: str, olive: int, client: FlaskClient
) -> None:
    promote(app, olive)
    sign_in(client, username="olive")
    olive_reviewing = Reviewer(client)
    page = olive_reviewing.call(flagged).text
    assert "You took this call, so you cannot sign it off" in page
    assert "Sign off this call" not in page

    # Sent anyway, from the form of a call she may sign off:
    response = client.post(
        f"/review/calls/{flagged}/sign-off",
        data={"comment": "All fine", "csrf_token": _token(client)},
    )
    assert response.status_code == 302
    assert "another supervisor must review it" in olive_reviewing.call(flagged).text
    assert audit_events(app, "review.signed_off") == []
    [refused] = audit_events(app, "review.sign_off_refused")
    assert refused.supervisor_id == olive and refused.data == {"reason": "took_the_call"}


def test_nor_a_call_they_took_and_returned_to_the_queue(
    app: Flask, sam: str, olive: int, client: FlaskClient
) -> None:
    with app.app_context():
        otto = make_staff(username="otto", name="Otto Other").id
        call = make_call(sam, otto)
        record("call.taken", call_id=call.id, operator_id=olive, data={"waited_seconds": 5})
        record("call.released", call_id=call.id, operator_id=olive)
        db.session.commit()
        public_id = call.public_id
    assess(app)
    promote(app, olive)
    sign_in(client, username="olive")
    assert "You took this call" in Reviewer(client).call(public_id).text


def _token(client: FlaskClient) -> str:
    from tests.pages import csrf_token

    return csrf_token(client, "/")


def test_opening_a_call_is_audited_against_the_call_and_its_practitioner(
    app: Flask, flagged: str, reviewer: Reviewer, sue: int, sam: str
) -> None:
    reviewer.call(flagged)
    [viewed] = audit_events(app, "review.page_viewed")
    assert (viewed.supervisor_id, viewed.practitioner_id, viewed.data) == (
        sue,
        sam,
        {"page": "call"},
    )
    assert (
        viewed.call_id is not None and viewed.call_id == audit_events(app, "call.taken")[0].call_id
    )


def test_a_refused_sign_off_keeps_nothing_but_the_audit_a_refusal_must_leave(
    app: Flask, flagged: str, olive: int, reviewer: Reviewer, client: FlaskClient
) -> None:
    promote(app, olive)
    sign_in(client, username="olive")
    token = _token(client)
    before = audit_kinds(app)
    own = client.post(
        f"/review/calls/{flagged}/sign-off", data={"comment": "Ok", "csrf_token": token}
    )
    assert own.status_code == 302 and own.location == f"/review/calls/{flagged}"
    assert audit_kinds(app)[len(before) :] == ["review.sign_off_refused"]
    with app.app_context():
        assert db.session.query(Review).one().signed_off_at is None

    reviewer.sign_off(flagged, "Fine.")
    token = _token(reviewer.client)
    before = audit_kinds(app)
    again = reviewer.client.post(
        f"/review/calls/{flagged}/sign-off", data={"comment": "Fine again.", "csrf_token": token}
    )
    assert again.status_code == 302 and again.location == f"/review/calls/{flagged}"
    assert audit_kinds(app)[len(before) :] == []  # a refusal not audited leaves no trace
    with app.app_context():
        assert db.session.query(Review).one().comment == "Fine."
