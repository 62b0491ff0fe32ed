"""Local authority officers at their pages, and a brokered request raised in a real call."""

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient

from desk.dev.simulator import Twilio
from desk.staff.models import Role
from tests.children import ROCHDALE
from tests.desk.conftest import Console
from tests.desk.review.conftest import manager, mona, reviewer, sue, take_and_finish
from tests.factories import make_staff
from tests.pages import sign_in, submit

BURY = "E08000002"
# The review's fixtures, for the supervisor's timeline and the manager's view of the same work.
__all__ = ["manager", "mona", "reviewer", "sue"]


def officer_client(app: Flask, username: str, name: str, *authorities: str) -> FlaskClient:
    """An officer of these authorities, signed in on a browser of their own."""
    with app.app_context():
        make_staff(username=username, name=name, role=Role.LA_OFFICER, scopes=authorities)
    client = app.test_client()
    assert sign_in(client, username=username).status_code == 302
    return client


@pytest.fixture
def otto(app: Flask) -> FlaskClient:
    """Otto, an officer of Rochdale, whose children the test index holds."""
    return officer_client(app, "otto", "Otto Officer", ROCHDALE)


@pytest.fixture
def ruth(app: Flask) -> FlaskClient:
    """Ruth, a second officer of Rochdale (and of Bury)."""
    return officer_client(app, "ruth", "Ruth Second", BURY, ROCHDALE)


@pytest.fixture
def bea(app: Flask) -> FlaskClient:
    """Bea, an officer of Bury only."""
    return officer_client(app, "bea", "Bea Elsewhere", BURY)


def raise_request(console: Console, twilio: Twilio, practitioner_id: str) -> str:
    """An operator's call about Noah (shielded) that asks for brokered contact; the call's id."""
    public_id = take_and_finish(console, twilio, practitioner_id)
    console.search(family_name="Brennan", date_of_birth="2016-06-01")
    record, _ = console.open_only_result()
    reason = "Needs to invite the GP to a child protection conference"
    submit(console.client, record, {"reason": reason}, f"{record}/brokered")
    console.wrap_up("brokered_contact")
    return public_id


def request_links(page: str) -> list[str]:
    return re.findall(r'href="(/authority/requests/\d+)"', page)
