"""Passwords, authenticator codes and secrets reach the checks and nothing else."""

import logging
from datetime import timedelta

import pyotp
import pytest
import time_machine
from flask import Flask
from flask.testing import FlaskClient

from tests.desk.staff.conftest import START
from tests.factories import STAFF_PASSWORD, STAFF_SECRET
from tests.pages import sign_in, sign_out
from tests.test_secrets import database_text

WRONG_PASSWORD = "harbour-plum-kettle-3"


def test_no_password_code_or_secret_is_logged_or_stored(
    app: Flask, client: FlaskClient, olive: int, caplog: pytest.LogCaptureFixture
) -> None:
    totp = pyotp.TOTP(STAFF_SECRET)
    with caplog.at_level(logging.DEBUG), time_machine.travel(START, tick=False) as traveller:
        code = totp.now()
        # Digits unlikely to turn up by chance (an all-zero code would match the audit genesis).
        wrong_code = next(c for c in ("583017", "640291") if c != code)
        sign_in(client, password=WRONG_PASSWORD, code=code)
        sign_in(client, code=wrong_code)
        sign_in(client, username=STAFF_PASSWORD, password="olive", code=code)  # boxes mixed up
        assert sign_in(client, code=code).status_code == 302
        sign_out(client)
        sign_in(client, code=code)  # reused
        traveller.shift(timedelta(minutes=31))

    stored = database_text(app)
    assert "olive" in stored  # the search is real: the username is kept, the secrets are not
    for secret in (STAFF_PASSWORD, WRONG_PASSWORD, STAFF_SECRET, code, wrong_code):
        assert secret not in caplog.text, secret
        assert secret not in stored, secret
