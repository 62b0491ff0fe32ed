"""PINs and token codes reach the verifier and nothing else: no log line, no database column."""

import logging

import pytest
from flask import Flask
from sqlalchemy import select

from desk.extensions import db
from ivr.simulator import Twilio
from tests.factories import PHONE, PIN, current_code

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
