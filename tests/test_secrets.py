"""PINs, passwords and codes reach the verifier and nothing else: no log line, page or column."""

import logging

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from desk.core.extensions import db
from desk.dev.simulator import Twilio
from tests.factories import PHONE, PIN, STAFF_PASSWORD, current_code, make_staff
from tests.pages import sign_in, staff_code

WRONG_PIN = "582047"


def database_text(app: Flask) -> str:
    """Every row of every table, as text."""
    with app.app_context():
        return "\n".join(
            repr(row)
            for table in db.metadata.sorted_tables
            for row in db.session.execute(select(table))
        )


def test_no_pin_or_code_is_logged_or_stored(
    app: Flask, sam: str, twilio: Twilio, caplog: pytest.LogCaptureFixture
) -> None:
    code = current_code()
    with caplog.at_level(logging.DEBUG):
        wrong = twilio.call(PHONE)
        wrong.dial()
        wrong.key(PIN)  # the PIN keyed where the ID was asked for
        wrong.verify(sam, WRONG_PIN, "123987")
        right = twilio.call(PHONE)
        right.dial()
        right.verify(sam, PIN, code)
    assert right.enqueue is not None

    stored = database_text(app)
    assert sam in stored  # the search is real: the ID is kept, the secrets are not
    for secret in (PIN, WRONG_PIN, code, "123987"):
        assert secret not in caplog.text
        assert secret not in stored


def test_no_password_or_staff_code_is_shown_again_or_logged(
    app: Flask, client: FlaskClient, caplog: pytest.LogCaptureFixture
) -> None:
    with app.app_context():
        make_staff(username="sol")
    wrong_password, wrong_code = "Wrong-Horse-Battery-42", "314159"
    code = staff_code()
    with caplog.at_level(logging.DEBUG):
        refused = sign_in(client, "sol", wrong_password, wrong_code)
        refused_code = sign_in(client, "sol", STAFF_PASSWORD, wrong_code)
        signed_in = sign_in(client, "sol", STAFF_PASSWORD, code)
        front = client.get(signed_in.location, follow_redirects=True)
    assert signed_in.status_code == 302 and front.status_code == 200
    for secret in (wrong_password, STAFF_PASSWORD, wrong_code, code):
        assert secret not in caplog.text
        for page in (refused, refused_code, front):
            assert secret not in page.text
