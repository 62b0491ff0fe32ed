"""Hardware tokens: imported from PSKC (encrypted too), assigned by serial, used on a call,
resynchronised when their clock drifts, and refused once lost."""

import base64
from datetime import timedelta
from pathlib import Path

import pyotp
import pytest
from flask import Flask

from desk.core.audit.actors import Actor
from desk.core.extensions import db
from desk.core.types import utcnow
from desk.dev.simulator import Twilio
from ivr import flow
from tests.factories import PHONE, PIN
from tests.stored import audit_data, stored_practitioner
from verification import registry, tokens
from verification.models import HardwareToken, TokenStatus

DATA = Path(__file__).parent / "data"
# The test files' pre-shared key (tests only): made with python-pskc's writer.
PRE_SHARED = bytes.fromhex("6465736b2d746573742d707265736861")
BY = Actor("tests")


def seed(number: int) -> str:
    """The base32 secret of test token DT00000<number>."""
    return base64.b32encode(f"desk-test-token-{number:04d}".encode()).decode()


def imported(app: Flask) -> tokens.ImportReport:
    with app.app_context():
        report = tokens.import_pskc(str(DATA / "tokens-encrypted.pskc"), PRE_SHARED, by=BY)
        db.session.commit()
        return report


def test_an_encrypted_pskc_file_imports_its_tokens_sealed(app: Flask) -> None:
    report = imported(app)
    assert report.added == ["DT000001", "DT000002", "DT000003"]
    assert report.problems == []
    with app.app_context():
        token = db.session.get(HardwareToken, "DT000001")
        assert token is not None and token.status == TokenStatus.IN_STOCK
        assert seed(1).encode() not in token.secret_encrypted
        from desk.core.credentials import totp

        assert totp.unseal(token.secret_encrypted) == seed(1).rstrip("=")
    # A second import of the same file adds nothing and says so.
    again = imported(app)
    assert (again.added, again.known) == ([], ["DT000001", "DT000002", "DT000003"])
    assert [d["added"] for d in audit_data(app, "tokens.imported")] == [3, 0]


def test_a_file_with_a_bad_token_or_no_key_imports_nothing(app: Flask) -> None:
    with app.app_context():
        report = tokens.import_pskc(str(DATA / "tokens-plain.pskc"), None, by=BY)
        assert report.added == []
        assert report.problems == [
            "token 3 (DTHOTP01): it is not a TOTP token (urn:ietf:params:xml:ns:keyprov:pskc:hotp)",
            "token 4 (DT8DIGIT): it shows 8 digits; the keypad takes 6",
        ]
        locked = tokens.import_pskc(str(DATA / "tokens-encrypted.pskc"), None, by=BY)
        assert len(locked.problems) == 3
        assert "pre-shared key" in locked.problems[0]
        assert db.session.query(HardwareToken).count() == 0


def test_an_assigned_token_verifies_a_call_and_a_lost_one_is_refused(
    app: Flask, sam: str, twilio: Twilio
) -> None:
    imported(app)
    with app.app_context():
        tokens.assign("DT000002", registry.get(sam), by=BY)
        db.session.commit()
    phone = twilio.call(PHONE)
    phone.dial()
    phone.verify(sam, PIN, pyotp.TOTP(seed(2)).now())
    assert phone.enqueue is not None
    assert audit_data(app, "token.assigned")[0]["serial"] == "DT000002"

    with app.app_context():
        assert tokens.mark_lost(registry.get(sam), by=BY) == "DT000002"
        db.session.commit()
        assert tokens.get("DT000002").status == TokenStatus.LOST
        with pytest.raises(ValueError, match="is lost"):
            tokens.assign("DT000002", registry.get(sam), by=BY)
    lost = twilio.call(PHONE)
    lost.dial()
    lost.verify(sam, PIN, pyotp.TOTP(seed(2)).now())
    assert lost.said_last() == [flow.TRY_AGAIN, flow.QUESTION[flow.Field.ID]]
    assert "no_token" in audit_data(app, "verification.failed")[-1]["reasons"]

    with app.app_context():
        tokens.assign("DT000003", registry.get(sam), by=BY)
        db.session.commit()
    assert stored_practitioner(app, sam).has_token


def test_a_drifted_token_is_resynchronised_from_two_consecutive_codes(
    app: Flask, sam: str, twilio: Twilio
) -> None:
    imported(app)
    otp = pyotp.TOTP(seed(1))
    # The token's clock runs 40 minutes fast: its codes are far outside the one-step window.
    ahead = utcnow() + timedelta(minutes=40)
    with app.app_context():
        practitioner = registry.get(sam)
        tokens.assign("DT000001", practitioner, by=BY)
        first, second = otp.at(ahead), otp.at(ahead + timedelta(seconds=30))
        with pytest.raises(ValueError, match="not consecutive"):
            tokens.resync(practitioner, second, first, utcnow(), by=BY)
        drift = tokens.resync(practitioner, first, second, utcnow(), by=BY)
        db.session.commit()
    assert 79 <= drift <= 82
    phone = twilio.call(PHONE)
    phone.dial()
    phone.verify(sam, PIN, otp.at(ahead + timedelta(seconds=60)))
    assert phone.enqueue is not None
    assert audit_data(app, "token.resynced")[0]["drift_steps"] == drift


def test_a_soft_token_replaces_a_hardware_one(app: Flask, sam: str, twilio: Twilio) -> None:
    imported(app)
    with app.app_context():
        tokens.assign("DT000001", registry.get(sam), by=BY)
        secret = tokens.issue_soft(registry.get(sam), by=BY)
        db.session.commit()
        assert tokens.get("DT000001").status == TokenStatus.RETIRED
    phone = twilio.call(PHONE)
    phone.dial()
    phone.verify(sam, PIN, pyotp.TOTP(secret).now())
    assert phone.enqueue is not None
    assert secret not in str(audit_data(app, "token.soft_issued"))
