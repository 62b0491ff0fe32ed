"""Adding staff: what is accepted, in what form it is kept, and what is refused and why."""

from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from flask_migrate import upgrade
from sqlalchemy import func, select, text

from desk.app import create_app
from desk.core.credentials import totp
from desk.core.extensions import db
from desk.staff import accounts, passwords
from desk.staff.models import PhoneKind, Role, Staff
from tests.conftest import TEST_CONFIG
from tests.factories import STAFF_PASSWORD, STAFF_SECRET, make_staff
from tests.stored import audit_events
from verification import pins


def test_a_new_account_keeps_only_a_hash_and_a_sealed_secret(app: Flask, ctx: Flask) -> None:
    staff = make_staff(username="Olive.Op", phone_leg="07700 900456")
    assert (staff.username, staff.role, staff.phone_leg) == (
        "olive.op",
        Role.OPERATOR,
        "+447700900456",
    )
    assert staff.is_active and not staff.is_locked and staff.failed_attempts == 0
    # argon2-cffi's own costs, not the (much cheaper, in tests) PIN hasher's.
    assert staff.password_hash.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    assert pins.hasher().argon2.memory_cost != 65536
    assert passwords.check_password(staff.password_hash, STAFF_PASSWORD)
    assert STAFF_SECRET.encode() not in staff.totp_secret_encrypted
    assert totp.unseal(staff.totp_secret_encrypted) == STAFF_SECRET
    [added] = audit_events(app, "staff.added")
    assert added.operator_id == staff.id
    assert added.data == {"username": "olive.op", "role": "operator", "by": "tests"}


def test_without_a_secret_one_is_made_and_returned(ctx: Flask) -> None:
    staff, secret = accounts.add_staff("ada", "Ada Admin", "admin", STAFF_PASSWORD, by="tests")
    assert totp.is_secret(secret)
    assert totp.unseal(staff.totp_secret_encrypted) == secret


@pytest.mark.parametrize(
    ("leg", "kind", "stored"),
    [
        ("+44 7700 900456", PhoneKind.NUMBER, "+447700900456"),
        ("sip:olive@desk.sip.twilio.com", PhoneKind.SIP, "sip:olive@desk.sip.twilio.com"),
        ("SIP:olive@desk.sip.twilio.com", PhoneKind.SIP, "sip:olive@desk.sip.twilio.com"),
        ("browser", PhoneKind.BROWSER, None),
        ("client:olive_1", PhoneKind.BROWSER, None),
        ("", None, None),
        (None, None, None),
    ],
)
def test_a_phone_leg_is_kept_in_one_form(
    ctx: Flask, leg: str | None, kind: PhoneKind | None, stored: str | None
) -> None:
    staff = make_staff(phone_leg=leg)
    assert (staff.phone_kind, staff.phone_leg) == (kind, stored)


def test_the_softphone_is_rung_under_an_opaque_identity(ctx: Flask) -> None:
    olive = make_staff(phone_leg="browser")
    other = make_staff(username="oscar", name="Oscar Operator", phone_leg="browser")
    assert olive.dial_target == f"client:{olive.softphone_identity}"
    assert olive.softphone_identity != other.softphone_identity
    # Nothing of who they are: not the username, the name or the role.
    for word in ("olive", "operator"):
        assert word not in olive.softphone_identity.lower()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"username": "ab"}, "3 to 40 characters"),
        ({"username": "o" * 41}, "3 to 40 characters"),
        ({"username": "olive smith"}, "3 to 40 characters"),
        ({"username": "olive!"}, "3 to 40 characters"),
        ({"name": "  "}, "a name is required"),
        ({"role": "boss"}, "a role is one of operator, supervisor, admin"),
        ({"password": "eleven-char"}, "at least 12 characters"),
        ({"username": "olive.operator", "password": "Olive.Operator"}, "not be the username"),
        ({"totp_secret": "SHORT"}, "base32"),
        ({"phone_leg": "not a phone"}, "not a phone number"),
        ({"phone_leg": "sip:no-host"}, "sip:name@domain"),
    ],
)
def test_bad_details_are_refused_with_a_clear_message(
    ctx: Flask, change: dict[str, str], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        make_staff(**change)
    assert db.session.scalar(select(func.count()).select_from(Staff)) == 0


def test_a_username_is_taken_whatever_its_case(ctx: Flask) -> None:
    make_staff()
    with pytest.raises(ValueError, match="the username olive is taken"):
        make_staff(username="OLIVE", name="Another Olive")


def test_the_database_refuses_an_uppercase_username(ctx: Flask) -> None:
    make_staff()
    with (
        pytest.raises(sa.exc.IntegrityError, match="username_lowercase"),
        db.session.begin_nested(),
    ):
        db.session.execute(text("UPDATE staff SET username = 'Olive'"))


def test_the_staff_table_migrates_on_sqlite_too(tmp_path: Path) -> None:
    app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/desk.db"})
    with app.app_context():
        upgrade()
        make_staff()
        olive = accounts.get("olive")
        assert olive.created_at.tzinfo is not None
        with pytest.raises(sa.exc.IntegrityError):
            db.session.execute(text("UPDATE staff SET username = 'Olive'"))
        db.session.rollback()
        db.session.remove()
        db.engine.dispose()


def test_an_officers_authorities_are_changed_whole_and_audited(ctx: Flask) -> None:
    otto = make_staff(username="otto", role=Role.LA_OFFICER, scopes=("E08000005",))
    accounts.set_authorities(otto, ["E08000002", "e08000004"], by="tests")
    db.session.commit()
    db.session.expire_all()
    assert accounts.get("otto").authorities == {"E08000002", "E08000004"}
    [changed] = audit_events(ctx, "staff.authorities_set")
    assert changed.data["before"] == ["E08000005"]
    assert changed.data["authorities"] == ["E08000002", "E08000004"]
    with pytest.raises(ValueError, match="needs at least one authority"):
        accounts.set_authorities(otto, [], by="tests")
    with pytest.raises(ValueError, match="only a local authority officer"):
        accounts.set_authorities(make_staff(), ["E08000005"], by="tests")
