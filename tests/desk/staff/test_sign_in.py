"""Signing in to the console: right details let you in, and every wrong one looks the same."""

import re
from datetime import timedelta
from html.parser import HTMLParser

import pyotp
import pytest
import time_machine
from argon2 import PasswordHasher
from flask import Flask
from flask.testing import FlaskClient

from desk.core.extensions import db
from desk.core.types import utcnow
from desk.staff import accounts
from desk.staff.models import Staff
from tests.desk.staff.conftest import START
from tests.factories import STAFF_PASSWORD, STAFF_SECRET
from tests.pages import csrf_token, sign_in, sign_out, staff_code
from tests.stored import audit_events, stored_staff
from tests.timing import argon2_work, statements

NOT_RECOGNISED = "Those details were not recognised."


def is_signed_in_as(client: FlaskClient, name: str) -> bool:
    page = client.get("/", follow_redirects=True).text
    return name in page and "Sign out" in page


def wrong_code(secret: str = STAFF_SECRET) -> str:
    """A 6-digit code the authenticator would not accept now, a step either side included."""
    totp = pyotp.TOTP(secret)
    valid = {totp.at(utcnow() + timedelta(seconds=s)) for s in (-30, 0, 30)}
    return next(c for c in ("000000", "111111", "222222", "333333") if c not in valid)


def without_values(page: str) -> str:
    """A page with every attribute value blanked: CSRF tokens and the typed username differ."""
    return re.sub(r'value="[^"]*"', 'value=""', page)


def test_the_right_details_sign_in_and_the_header_shows_who(
    app: Flask, client: FlaskClient, olive: int
) -> None:
    response = sign_in(client)
    assert response.status_code == 302
    assert response.location == "/"
    page = client.get("/", follow_redirects=True).text
    assert "Olive Operator" in page and ">Operator<" in page
    assert 'action="/sign-out"' in page and "Sign out" in page
    assert stored_staff(app, "olive").last_signed_in_at is not None
    [event] = audit_events(app, "staff.signed_in")
    assert (event.operator_id, event.supervisor_id) == (olive, None)


def test_a_username_is_matched_whatever_its_case_and_spaces(
    client: FlaskClient, olive: int
) -> None:
    assert sign_in(client, username="  Olive ").status_code == 302
    assert is_signed_in_as(client, "Olive Operator")


def test_a_supervisor_is_audited_in_the_supervisor_column(app: Flask, client: FlaskClient) -> None:
    with app.app_context():
        sid = accounts.add_staff(
            "sue", "Sue Pervisor", "supervisor", STAFF_PASSWORD, STAFF_SECRET, by="tests"
        )[0].id
        db.session.commit()
    assert sign_in(client, username="sue").status_code == 302
    assert is_signed_in_as(client, "Sue Pervisor")
    [event] = audit_events(app, "staff.signed_in")
    assert (event.operator_id, event.supervisor_id) == (None, sid)


@pytest.mark.parametrize(
    ("next_page", "lands_on"),
    [
        ("/healthz", "/healthz"),
        ("/healthz?full=1", "/healthz?full=1"),
        ("//evil.example/steal", "/"),
        ("https://evil.example/steal", "/"),
        ("/\\evil.example", "/"),
        ("javascript:alert(1)", "/"),
        ("healthz", "/"),
    ],
)
def test_after_signing_in_only_a_page_on_the_desk_is_followed(
    client: FlaskClient, olive: int, next_page: str, lands_on: str
) -> None:
    response = sign_in(client, page=f"/sign-in?next={next_page}")
    assert response.status_code == 302
    assert response.location == lands_on


def test_the_sign_in_page_helps_browsers_and_password_managers(client: FlaskClient) -> None:
    class Inputs(HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.found: dict[str, dict[str, str | None]] = {}
            self.classes: list[str] = []

        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            fields = dict(attrs)
            self.classes += (fields.get("class") or "").split()
            if tag == "input" and fields.get("name"):
                self.found[fields["name"] or ""] = fields

    page = Inputs()
    page.feed(client.get("/sign-in").text)
    username, password, code = (page.found[n] for n in ("username", "password", "code"))
    assert "login" in page.classes
    assert "autofocus" in username and username["autocomplete"] == "username"
    assert password["type"] == "password" and password["autocomplete"] == "current-password"
    assert code["autocomplete"] == "one-time-code" and code["inputmode"] == "numeric"
    assert "autofocus" not in password and "autofocus" not in code


def test_every_failed_sign_in_looks_the_same(app: Flask, client: FlaskClient, olive: int) -> None:
    with time_machine.travel(START, tick=False):
        code = staff_code()
        with app.app_context():
            accounts.add_staff("dora", "Dora", "operator", STAFF_PASSWORD, STAFF_SECRET, by="tests")
            accounts.disable(accounts.get("dora"), by="tests")
            accounts.add_staff("lou", "Lou", "operator", STAFF_PASSWORD, STAFF_SECRET, by="tests")
            accounts.get("lou").locked_at = utcnow()
            db.session.commit()
        # Each attempt has exactly one thing wrong with it.
        attempts = {
            "wrong password": sign_in(client, password="plum-kettle-harbour-8", code=code),
            "wrong code": sign_in(client, code=wrong_code()),
            "unknown username": sign_in(client, username="oliver", code=code),
            "disabled account": sign_in(client, username="dora", code=code),
            "locked account": sign_in(client, username="lou", code=code),
        }
        assert sign_in(client, code=code).status_code == 302  # spends the code
        sign_out(client)
        attempts["reused code"] = sign_in(client, code=code)

    pages = {}
    for case, response in attempts.items():
        assert response.status_code == 200, case
        assert response.text.count(NOT_RECOGNISED) == 1, case
        assert "Sign out" not in response.text, case
        pages[case] = without_values(response.text)
    assert len(set(pages.values())) == 1, "a failed sign-in page differs from another"
    reasons = [e.data["reasons"] for e in audit_events(app, "staff.sign_in_failed")]
    assert reasons == [
        ["wrong_password"],
        ["wrong_or_reused_code"],
        ["unknown_username"],
        ["disabled"],
        ["locked"],
        ["wrong_or_reused_code"],
    ]


def test_a_failed_sign_in_keeps_the_username_and_empties_the_code(
    client: FlaskClient, olive: int
) -> None:
    code = wrong_code()
    page = sign_in(client, code=code).text
    assert 'value="olive"' in page
    assert code not in page and STAFF_PASSWORD not in page


def test_an_unknown_username_costs_one_password_check_like_a_known_one(
    client: FlaskClient, olive: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    checks: list[str] = []
    verify = PasswordHasher.verify

    def counted(self: PasswordHasher, hash: str, password: str) -> bool:
        checks.append(hash)
        return verify(self, hash, password)

    monkeypatch.setattr(PasswordHasher, "verify", counted)
    sign_in(client, username="nobody-here")
    sign_in(client, password="not-olives-password")
    assert len(checks) == 2
    # The stand-in hash costs what a real one does.
    assert checks[0].split("$")[3] == checks[1].split("$")[3] == "m=65536,t=3,p=4"


def test_every_failed_sign_in_runs_the_same_statements(
    app: Flask, client: FlaskClient, olive: int
) -> None:
    with app.app_context():
        engine = db.engine
        accounts.add_staff("lou", "Lou", "operator", STAFF_PASSWORD, STAFF_SECRET, by="tests")
        accounts.get("lou").locked_at = utcnow()
        db.session.commit()
    sign_in(client, username="nobody-here")  # anything run once per process
    ran = {}
    for case, details in {
        "unknown username": {"username": "nobody-here"},
        "wrong password": {"password": "plum-kettle-harbour-8"},
        "wrong code": {"code": wrong_code()},
        "locked account": {"username": "lou"},
    }.items():
        token = csrf_token(client, "/sign-in")
        form = {"username": "olive", "password": STAFF_PASSWORD, "code": staff_code()}
        with statements(engine) as ran[case]:
            response = client.post("/sign-in", data={**form, **details, "csrf_token": token})
        assert NOT_RECOGNISED in response.text, case
    assert len({tuple(statements_run) for statements_run in ran.values()}) == 1, ran


def test_a_password_kept_at_an_older_cost_is_rehashed_at_sign_in_and_costs_the_same_wrong(
    app: Flask, client: FlaskClient, olive: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    older = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(STAFF_PASSWORD)
    with app.app_context():
        db.session.get_one(Staff, olive).password_hash = older
        db.session.commit()
    work = argon2_work(monkeypatch)

    with time_machine.travel(START, tick=False) as traveller:
        assert NOT_RECOGNISED in sign_in(client, password="plum-kettle-harbour-8").text
        wrong, work[:] = list(work), []
        assert stored_staff(app, "olive").password_hash == older
        traveller.shift(timedelta(seconds=30))
        assert sign_in(client).status_code == 302
    assert wrong == work == ["verify", "hash"]  # a wrong password hashes afresh too
    rehashed = stored_staff(app, "olive").password_hash
    assert rehashed != older and "m=65536,t=3,p=4" in rehashed
    assert PasswordHasher().verify(rehashed, STAFF_PASSWORD)


def test_five_failures_in_a_row_lock_the_account(
    app: Flask, client: FlaskClient, olive: int
) -> None:
    for _ in range(5):
        assert NOT_RECOGNISED in sign_in(client, password="plum-kettle-harbour-8").text
    assert stored_staff(app, "olive").is_locked
    [locked] = audit_events(app, "staff.locked")
    assert locked.operator_id == olive and locked.data["failures"] == 5

    assert NOT_RECOGNISED in sign_in(client).text  # the right details, now refused
    assert audit_events(app, "staff.sign_in_failed")[-1].data["reasons"] == ["locked"]

    with app.app_context():
        accounts.unlock(db.session.get_one(Staff, olive), by="tests")
        db.session.commit()
    assert sign_in(client).status_code == 302
    assert is_signed_in_as(client, "Olive Operator")


def test_a_success_starts_the_failure_count_again(
    app: Flask, client: FlaskClient, olive: int
) -> None:
    with time_machine.travel(START, tick=False) as traveller:
        for _ in range(4):
            sign_in(client, password="plum-kettle-harbour-8")
        assert sign_in(client).status_code == 302
        sign_out(client)
        traveller.shift(timedelta(seconds=30))  # a new code for the next success
        for _ in range(4):
            sign_in(client, password="plum-kettle-harbour-8")
        assert stored_staff(app, "olive").failed_attempts == 4
        assert not stored_staff(app, "olive").is_locked
        assert sign_in(client).status_code == 302


def test_signing_out_ends_the_session_and_is_audited(
    app: Flask, client: FlaskClient, olive: int
) -> None:
    sign_in(client)
    response = sign_out(client)
    assert response.status_code == 302 and response.location == "/sign-in"
    assert "You have signed out." in client.get("/sign-in").text
    assert not is_signed_in_as(client, "Olive Operator")
    [event] = audit_events(app, "staff.signed_out")
    assert event.operator_id == olive and event.data["reason"] == "signed_out"


def test_the_sign_in_page_sends_someone_signed_in_onwards(client: FlaskClient, olive: int) -> None:
    sign_in(client)
    response = client.get("/sign-in?next=/healthz")
    assert response.status_code == 302 and response.location == "/healthz"


def test_a_form_without_its_csrf_token_is_refused_with_a_clear_page(
    app: Flask, client: FlaskClient, olive: int
) -> None:
    details = {"username": "olive", "password": STAFF_PASSWORD, "code": staff_code()}
    for data in (details, {**details, "csrf_token": "forged"}):
        response = client.post("/sign-in", data=data)
        assert response.status_code == 400
        assert (
            "This form has expired or was not sent from the desk; please try again" in response.text
        )
    assert not audit_events(app, "staff.signed_in")
    assert not is_signed_in_as(client, "Olive Operator")


def test_signing_out_needs_the_csrf_token_too(client: FlaskClient, olive: int) -> None:
    sign_in(client)
    assert client.post("/sign-out").status_code == 400
    assert is_signed_in_as(client, "Olive Operator")
    assert csrf_token(client, "/")  # the real button carries one


def test_disabling_an_account_ends_its_open_session(
    app: Flask, client: FlaskClient, olive: int
) -> None:
    sign_in(client)
    with app.app_context():
        accounts.disable(db.session.get_one(Staff, olive), by="tests")
        db.session.commit()
    assert not is_signed_in_as(client, "Olive Operator")


def test_a_missing_page_has_its_own_page(client: FlaskClient) -> None:
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert "Page not found" in response.text


def test_locking_an_account_by_guessing_leaves_its_open_session_alone(
    app: Flask, client: FlaskClient, olive: int
) -> None:
    sign_in(client)
    guesser = app.test_client()
    for _ in range(5):
        sign_in(guesser, password="plum-kettle-harbour-8")
    assert stored_staff(app, "olive").is_locked
    assert is_signed_in_as(client, "Olive Operator")  # not cut off mid-call
