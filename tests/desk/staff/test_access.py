"""Pages for some roles only: others get a 403 page, and the signed-out are sent to sign in."""

import pytest
from flask import Flask
from flask.testing import FlaskClient

from desk.app import create_app
from desk.core.extensions import db
from desk.staff import accounts
from desk.staff.access import role_required
from desk.staff.models import Role
from tests.conftest import TEST_CONFIG
from tests.factories import STAFF_PASSWORD, STAFF_SECRET
from tests.pages import sign_in


@pytest.fixture
def guarded(app: Flask, database_uri: str) -> Flask:
    """The desk with two guarded pages; the `app` fixture still rolls the test back."""
    desk = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": database_uri})

    @desk.get("/calls")
    @role_required(Role.OPERATOR)
    def calls() -> str:
        return "the operators' calls"

    @desk.get("/review")
    @role_required(Role.SUPERVISOR, Role.ADMIN)
    def review() -> str:
        return "the supervisors' review"

    with desk.app_context():
        for username, role in (("olive", "operator"), ("sue", "supervisor"), ("ada", "admin")):
            accounts.add_staff(
                username, username.title(), role, STAFF_PASSWORD, STAFF_SECRET, by="t"
            )
        db.session.commit()
    return desk


@pytest.mark.parametrize(
    ("username", "page", "status"),
    [
        ("olive", "/calls", 200),
        ("olive", "/review", 403),
        ("sue", "/calls", 403),
        ("sue", "/review", 200),
        ("ada", "/calls", 403),
        ("ada", "/review", 200),
    ],
)
def test_each_role_opens_only_its_own_pages(
    guarded: Flask, username: str, page: str, status: int
) -> None:
    client = guarded.test_client()
    assert sign_in(client, username=username).status_code == 302
    response = client.get(page)
    assert response.status_code == status
    if status == 403:
        assert "You cannot open this page" in response.text
        assert (
            "operators' calls" not in response.text and "supervisors' review" not in response.text
        )


def test_signed_out_visitors_are_sent_to_sign_in_and_brought_back(guarded: Flask) -> None:
    client: FlaskClient = guarded.test_client()
    response = client.get("/calls?line=2")
    assert response.status_code == 302
    assert response.location == "/sign-in?next=%2Fcalls%3Fline%3D2"
    assert "Please sign in to use the desk." in client.get(response.location).text
    signed_in = sign_in(client, page=response.location)
    assert signed_in.status_code == 302 and signed_in.location == "/calls?line=2"
    assert client.get(signed_in.location).text == "the operators' calls"


def test_a_guard_names_at_least_one_role() -> None:
    with pytest.raises(ValueError, match="at least one role"):
        role_required()
