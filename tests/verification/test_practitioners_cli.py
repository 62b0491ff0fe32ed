"""`flask practitioners …`: issuing and managing practitioners as an administrator would."""

import re

import pyotp
from argon2 import PasswordHasher
from flask import Flask
from sqlalchemy import select

from desk.core.audit.models import AuditEvent
from desk.core.credentials import totp
from desk.core.extensions import db
from tests.stored import stored_practitioner
from verification import pins
from verification.models import AccessStatus, Practitioner

ADD = [
    "practitioners",
    "add",
    "--practitioner-id",
    "40000001",
    "--name",
    "Sam Field",
    "--organisation",
    "Rochdale Council",
    "--role",
    "Social worker",
    "--phone",
    "07700 900123",
]


def run(app: Flask, *args: str) -> tuple[int, str]:
    result = app.test_cli_runner().invoke(args=list(args))
    return result.exit_code, result.output


def test_add_with_given_credentials_keeps_only_their_hash_and_sealed_secret(app: Flask) -> None:
    code, output = run(app, *ADD, "--pin", "739182", "--totp-secret", "JBSWY3DPEHPK3PXPJBSWY3DP")
    assert code == 0, output
    assert "739182" not in output and "JBSWY3DP" not in output
    sam = stored_practitioner(app, "40000001")
    # The organisation "Rochdale Council" names the authority, stored as its ONS code.
    assert (sam.local_authority, sam.role, sam.status) == (
        "E08000005",
        "Social worker",
        AccessStatus.ACTIVE,
    )
    assert [p.number for p in sam.phones] == ["+447700900123"]
    assert sam.vetted_on == sam.trained_on is not None
    with app.app_context():
        assert pins.check_pin(sam.pin_hash, "739182")
        assert totp.unseal(sam.totp_secret_encrypted) == "JBSWY3DPEHPK3PXPJBSWY3DP"
        assert db.session.scalar(select(AuditEvent.kind)) == "practitioner.added"


def test_add_without_credentials_issues_an_activation_code_and_a_token_once(app: Flask) -> None:
    code, output = run(app, *ADD)
    assert code == 0, output
    activation = re.search(r"Activation code \(shown once.*\): ([\d ]{19})", output)
    secret = re.search(r"Token secret \(shown once\): ([A-Z2-7]+)", output)
    assert activation and secret and "otpauth://totp/" in output
    sam = stored_practitioner(app, "40000001")
    assert sam.pin_hash is None  # chosen by the practitioner, by keypad
    with app.app_context():
        from desk.core.types import utcnow
        from verification import activation as codes

        assert codes.check(sam.id, activation.group(1).replace(" ", ""), utcnow())
        assert (
            pyotp.TOTP(totp.unseal(sam.totp_secret_encrypted)).now()
            == pyotp.TOTP(secret.group(1)).now()
        )


def test_add_refuses_bad_input_with_a_clear_message_and_stores_nothing(app: Flask) -> None:
    cases = [
        (["--practitioner-id", "4000001"], "8 digits"),
        (["--pin", "12345"], "6 to 12 digits"),
        (["--pin", "123456"], "too easy to guess"),
        (["--totp-secret", "short"], "base32"),
        (["--phone", "not a phone"], "not a phone number"),
    ]
    for extra, message in cases:
        args = list(ADD)
        if extra[0] == "--practitioner-id":
            args[3] = extra[1]
        else:
            args += extra
        code, output = run(app, *args)
        assert code != 0 and message in output, (extra, output)
    with app.app_context():
        assert db.session.scalar(select(Practitioner)) is None


def test_an_id_cannot_be_issued_twice(app: Flask) -> None:
    assert run(app, *ADD)[0] == 0
    code, output = run(app, *ADD)
    assert code != 0 and "already exists" in output


def test_unlock_suspend_and_reactivate_are_applied_and_audited(app: Flask, sam: str) -> None:
    with app.app_context():
        db.session.get(Practitioner, sam).locked_at = db.func.now()  # type: ignore[union-attr]
        db.session.commit()
    code, output = run(app, "practitioners", "unlock", sam)
    assert code != 0 and "--reason" in output
    assert run(app, "practitioners", "unlock", sam, "--reason", "Rang the helpdesk")[0] == 0
    assert not stored_practitioner(app, "40000001").is_locked
    assert run(app, "practitioners", "suspend", sam, "--reason", "Left the council")[0] == 0
    assert stored_practitioner(app, "40000001").status == AccessStatus.SUSPENDED
    assert run(app, "practitioners", "reactivate", sam)[0] == 0
    assert stored_practitioner(app, "40000001").status == AccessStatus.ACTIVE
    with app.app_context():
        kinds = list(db.session.scalars(select(AuditEvent.kind).order_by(AuditEvent.id)))
        reasons = [
            e.data.get("reason")
            for e in db.session.scalars(select(AuditEvent).order_by(AuditEvent.id))
        ]
    assert kinds == ["practitioner.unlocked", "practitioner.suspended", "practitioner.reactivated"]
    assert reasons == ["Rang the helpdesk", "Left the council", None]


def test_managing_an_unknown_practitioner_says_so(app: Flask) -> None:
    code, output = run(app, "practitioners", "suspend", "49999999", "--reason", "x")
    assert code != 0 and "no practitioner 49999999" in output


def test_list_shows_each_practitioner_and_their_state(app: Flask, sam: str) -> None:
    code, output = run(app, "practitioners", "list")
    assert code == 0
    line = next(line for line in output.splitlines() if line.startswith(sam))
    assert "Sam Field" in line and "active" in line and "+447700900123" in line


def test_pin_costs_counts_the_pins_kept_at_an_older_cost(app: Flask) -> None:
    for n in range(3):
        assert run(app, *ADD[:3], f"4000000{n}", *ADD[4:], "--pin", "739182")[0] == 0
    older = PasswordHasher(time_cost=3, memory_cost=4096, parallelism=1).hash("739182")
    with app.app_context():
        db.session.get_one(Practitioner, "40000002").pin_hash = older
        db.session.commit()
    code, output = run(app, "practitioners", "pin-costs")
    assert code == 0, output
    lines = output.splitlines()
    assert re.fullmatch(r"m=1024,t=1,p=1 +2  \(today's\)", lines[1])
    assert re.fullmatch(r"m=4096,t=3,p=1 +1", lines[2])
    assert lines[3].startswith("Kept at another cost: 1.")


def test_add_refuses_a_local_authority_not_on_the_list(app: Flask) -> None:
    code, output = run(app, *ADD, "--local-authority", "Gotham")
    assert code != 0
    assert "'Gotham' is not an English upper-tier local authority" in output
