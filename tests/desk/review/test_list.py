"""The list of mediated calls: newest first, every filter, pages; supervisors only; audited."""

from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient

from desk.core.extensions import db
from desk.staff.models import Role
from tests.desk.review.conftest import MORNING, Reviewer, assess, listed_calls, make_call
from tests.factories import make_practitioner, make_staff
from tests.pages import sign_in
from tests.stored import audit_events


@pytest.fixture
def calls(app: Flask, sam: str, alex: str) -> dict[str, str]:
    """Five calls over three days, by two operators, for two practitioners; their public ids."""
    with app.app_context():
        olive = make_staff(username="olive", name="Olive Operator").id
        otto = make_staff(username="otto", name="Otto Other").id
        day = timedelta(days=1)
        made = {
            "first": make_call(sam, olive, MORNING - 2 * day),
            "other": make_call(alex, otto, MORNING - day, purpose="other"),
            "unregistered": make_call(sam, olive, MORNING - day, is_registered_number=False),
            "no_match": make_call(alex, otto, MORNING, wrap_up="no_match"),
            "open": make_call(sam, olive, MORNING + timedelta(hours=1), wrap_up=None),
        }
        ids = {name: call.public_id for name, call in made.items()}
        db.session.commit()
    assess(app)
    return ids


def test_newest_first_with_who_why_and_what_came_of_it(
    calls: dict[str, str], reviewer: Reviewer
) -> None:
    page = reviewer.calls()
    assert listed_calls(page) == [
        calls["open"],
        calls["no_match"],
        calls["unregistered"],
        calls["other"],
        calls["first"],
    ]  # the two calls of the same moment: the later stored first
    for shown in ("Sam Field", "40000001", "Olive Operator", "Otto Other", "No match"):
        assert shown in page.text
    assert "In progress" in page.text and ">Other<" in page.text
    assert "5 calls, newest first." in page.text


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"date_from": "2026-03-03", "date_to": "2026-03-03"}, {"other", "unregistered"}),
        ({"date_from": "2026-03-04"}, {"no_match", "open"}),
        ({"date_to": "2026-03-02"}, {"first"}),
        ({"practitioner": "40000002"}, {"other", "no_match"}),
        ({"outcome": "no_match"}, {"no_match"}),
        ({"outcome": "in_progress"}, {"open"}),
        ({"flags": "any"}, {"other", "unregistered"}),
        ({"flags": "purpose_other"}, {"other"}),
        ({"flags": "unregistered_number"}, {"unregistered"}),
        ({"unreviewed": "y"}, {"first", "other", "unregistered", "no_match", "open"}),
        ({"practitioner": "40000001", "flags": "any"}, {"unregistered"}),
    ],
)
def test_filters(
    calls: dict[str, str], reviewer: Reviewer, filters: dict[str, str], expected: set[str]
) -> None:
    shown = set(listed_calls(reviewer.calls(**filters)))
    assert shown == {calls[name] for name in expected}


def test_filter_by_operator(app: Flask, calls: dict[str, str], reviewer: Reviewer) -> None:
    from tests.stored import stored_staff

    otto = stored_staff(app, "otto").id
    page = reviewer.calls(operator=str(otto))
    assert set(listed_calls(page)) == {calls["other"], calls["no_match"]}
    assert f'<option selected value="{otto}">Otto Other</option>' in page.text


def test_signed_off_calls_leave_the_not_yet_reviewed_list(
    calls: dict[str, str], reviewer: Reviewer
) -> None:
    reviewer.sign_off(calls["other"], "Purpose checked with the caller's manager.")
    shown = set(listed_calls(reviewer.calls(unreviewed="y")))
    assert calls["other"] not in shown and calls["first"] in shown
    assert "✓ Signed off" in reviewer.calls(flags="purpose_other").text


@pytest.mark.parametrize(
    ("filters", "message"),
    [
        ({"practitioner": "4000"}, "A practitioner ID is 8 digits."),
        ({"date_from": "2026-03-04", "date_to": "2026-03-01"}, "The end date is before the start"),
        ({"date_from": "yesterday"}, "Give the date as day, month and year."),
        ({"date_to": "9999-12-31"}, "Give a date between 2000 and"),
        ({"date_from": "0001-01-01"}, "Give a date between 2000 and"),
    ],
)
def test_bad_filters_are_explained_not_ignored(
    calls: dict[str, str], reviewer: Reviewer, filters: dict[str, str], message: str
) -> None:
    page = reviewer.calls(**filters)
    assert page.status_code == 200
    assert message in page.text and "Please correct the highlighted filters." in page.text
    assert listed_calls(page) == []


def test_pages_of_twenty_five_keep_their_filters(app: Flask, sam: str, reviewer: Reviewer) -> None:
    with app.app_context():
        olive = make_staff(username="olive", name="Olive Operator").id
        made = [make_call(sam, olive, MORNING + timedelta(minutes=n)) for n in range(27)]
        newest_first = [call.public_id for call in reversed(made)]
        make_practitioner(practitioner_id="40000009", name="Pat Elsewhere")
        make_call("40000009", olive, MORNING)
        db.session.commit()
    first = reviewer.calls(practitioner="40000001")
    assert listed_calls(first) == newest_first[:25]
    assert "27 calls, newest first; page 1 of 2." in first.text
    assert 'href="/review/?practitioner=40000001&amp;page=2"' in first.text
    second = reviewer.calls(practitioner="40000001", page="2")
    assert listed_calls(second) == newest_first[25:]
    assert "← Newer" in second.text and "Older →" not in second.text
    assert listed_calls(reviewer.calls(practitioner="40000001", page="9")) == newest_first[25:]


def test_every_list_a_supervisor_opens_is_audited(
    app: Flask, calls: dict[str, str], reviewer: Reviewer, sue: int
) -> None:
    reviewer.calls(practitioner="40000002", flags="any")
    [viewed] = audit_events(app, "review.page_viewed")
    assert viewed.supervisor_id == sue and viewed.operator_id is None
    assert viewed.data == {
        "page": "calls",
        "filters": {"practitioner": "40000002", "flags": "any"},
        "page_number": 1,
    }


@pytest.mark.parametrize(
    "page",
    ["/review/", "/review/dashboard"],
)
def test_operators_get_403_and_strangers_are_sent_to_sign_in(
    app: Flask, client: FlaskClient, page: str
) -> None:
    anonymous = client.get(page)
    assert anonymous.status_code == 302 and "/sign-in" in anonymous.location
    with app.app_context():
        make_staff(username="olive", role=Role.OPERATOR)
    sign_in(client, username="olive")
    refused = client.get(page)
    assert refused.status_code == 403 and "You cannot open this page" in refused.text
    assert audit_events(app, "review.page_viewed") == []


def test_administrators_may_review_and_see_the_links(app: Flask, client: FlaskClient) -> None:
    with app.app_context():
        make_staff(username="ada", name="Ada Admin", role=Role.ADMIN)
    sign_in(client, username="ada")
    page = client.get("/review/")
    assert page.status_code == 200
    assert 'href="/review/dashboard"' in page.text
    # The audit report is the managers' alone (desk/review/manager.py).
    assert 'href="/manager/"' not in page.text


def test_operators_do_not_see_the_review_links(app: Flask, client: FlaskClient) -> None:
    with app.app_context():
        make_staff(username="olive", role=Role.OPERATOR)
    sign_in(client, username="olive")
    assert "/review/" not in client.get("/", follow_redirects=True).text
