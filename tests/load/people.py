"""Practitioners and operators for the load tests, each with a token of their own.

A token's code is accepted once, so callers dialling at the same moment need a token each.
"""

from dataclasses import dataclass, field

import pyotp
from flask import Flask

from desk.core.extensions import db
from tests.children import load_children
from tests.factories import make_practitioner, make_staff


def practitioner_id(n: int) -> str:
    return f"5{n:07d}"


def practitioner_phone(n: int) -> str:
    return f"+4477009{n:05d}"


@dataclass
class Seeded:
    """The database's URL, and the token secret of each practitioner and operator seeded."""

    uri: str
    practitioner_secrets: dict[str, str] = field(default_factory=dict)
    staff_secrets: dict[str, str] = field(default_factory=dict)


def seed(app: Flask, practitioners: int, operators: int) -> Seeded:
    """The small children's index, practitioners 0 to n-1 and operators loadop0 to m-1."""
    seeded = Seeded(str(app.config["SQLALCHEMY_DATABASE_URI"]))
    with app.app_context():
        load_children()
        for n in range(practitioners):
            secret = pyotp.random_base32()
            make_practitioner(
                practitioner_id=practitioner_id(n),
                name=f"Caller {n}",
                phones=(practitioner_phone(n),),
                totp_secret=secret,
            )
            seeded.practitioner_secrets[practitioner_id(n)] = secret
        for m in range(operators):
            secret = pyotp.random_base32()
            make_staff(
                username=f"loadop{m}",
                name=f"Operator {m}",
                totp_secret=secret,
                phone_leg=f"+4477008{m:05d}",
            )
            seeded.staff_secrets[f"loadop{m}"] = secret
        db.engine.dispose()
    return seeded
