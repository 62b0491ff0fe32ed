"""Test data: practitioners and staff issued through the same services the desk uses."""

import time
from datetime import date
from typing import Any

import pyotp

from desk.core.extensions import db
from desk.staff import accounts
from desk.staff.models import Role, Staff
from verification import registry
from verification.models import Practitioner
from verification.registry import NewPractitioner

PIN = "739182"
SECRET = "JBSWY3DPEHPK3PXPJBSWY3DP"
PHONE = "+447700900123"

STAFF_PASSWORD = "plum-kettle-harbour-7"
STAFF_SECRET = "4IEY6CJPJULNDLR3SMQDPDQ2IEDZUEGW"


def make_practitioner(**overrides: Any) -> Practitioner:
    """A registered, active, vetted, trained practitioner; override any field."""
    fields: dict[str, Any] = {
        "practitioner_id": "40000001",
        "name": "Sam Field",
        "organisation": "Rochdale Council",
        "role": "Social worker",
        "local_authority": "Rochdale",
        "phones": (PHONE,),
        "vetted_on": date.today(),
        "trained_on": date.today(),
        "pin": PIN,
        "totp_secret": SECRET,
    }
    fields.update(overrides)
    practitioner = registry.register(NewPractitioner(**fields)).practitioner
    db.session.commit()
    return practitioner


def current_code(secret: str = SECRET) -> str:
    """The code the practitioner's token shows now."""
    return pyotp.TOTP(secret).now()


def fresh_code(secret: str = SECRET, steps: int = 1) -> str:
    """A code the token shows `steps` time-steps from now: fresh after the current one is
    spent, and still within the verifier's drift."""
    return pyotp.TOTP(secret).at(time.time() + 30 * steps)


def make_staff(**overrides: Any) -> Staff:
    """An active operator, Olive, with STAFF_PASSWORD and STAFF_SECRET; override any field."""
    fields: dict[str, Any] = {
        "username": "olive",
        "name": "Olive Operator",
        "role": Role.OPERATOR,
        "password": STAFF_PASSWORD,
        "totp_secret": STAFF_SECRET,
        "phone_leg": None,
    }
    fields.update(overrides)
    staff, _ = accounts.add_staff(**fields, by="tests")
    db.session.commit()
    return staff
