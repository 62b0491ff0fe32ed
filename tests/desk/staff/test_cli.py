"""`flask staff …`: adding and managing staff accounts as an administrator would."""

import re

import pyotp
from flask import Flask
from sqlalchemy import func, select

from desk.core.credentials import totp
from desk.core.extensions import db
from desk.staff import accounts, passwords
from desk.staff.models import Role, Staff
from tests.factories import STAFF_PASSWORD, STAFF_SECRET
from tests.pages import sign_in
from tests.stored import audit_events, stored_staff

ADD = ["staff", "add", "--username", "olive", "--name", "Olive Operator", "--role", "operator"]


def run(app: Flask, *args: str, stdin: str | None = None) -> tuple[int, str]:
    result = app.test_cli_runner().invoke(args=list(args), input=stdin)
    return result.exit_code, result.output


def test_add_with_given_credentials_keeps_only_their_hash_and_sealed_secret(app: Flask) -> None:
    code, output = run(
        app,
        *ADD,
        "--password",
        STAFF_PASSWORD,
        "--totp-secret",
        STAFF_SECRET,
        "--phone",
        "07700 900456",
    )
    assert code == 0, output
    assert "Added operator olive (Olive Operator)." in output
    assert STAFF_PASSWORD not in output and STAFF_SECRET not in output
    olive = stored_staff(app, "olive")
    assert (olive.name, olive.role, olive.phone_leg) == (
        "Olive Operator",
        Role.OPERATOR,
        "+447700900456",
    )
    assert passwords.check_password(olive.password_hash, STAFF_PASSWORD)
    with app.app_context():
        assert totp.unseal(olive.totp_secret_encrypted) == STAFF_SECRET
    [added] = audit_events(app, "staff.added")
    assert added.operator_id == olive.id and added.data["by"].startswith("command line (")


def test_add_asks_for_the_password_hidden_and_twice_and_issues_a_secret_once(
    app: Flask,
) -> None:
    stdin = f"{STAFF_PASSWORD}\nsomething-else-12\n{STAFF_PASSWORD}\n{STAFF_PASSWORD}\n"
    code, output = run(app, *ADD, stdin=stdin)
    assert code == 0, output
    assert "do not match" in output  # the first pair differed, so it asked again
    assert STAFF_PASSWORD not in output
    secret = re.search(r"Authenticator secret \(shown once\): ([A-Z2-7]+)", output)
    uri = re.search(r"Provisioning URI: (otpauth://totp/\S+)", output)
    assert secret and uri
    assert pyotp.parse_uri(uri.group(1)).secret == secret.group(1)
    olive = stored_staff(app, "olive")
    assert passwords.check_password(olive.password_hash, STAFF_PASSWORD)
    with app.app_context():
        assert totp.unseal(olive.totp_secret_encrypted) == secret.group(1)


def test_a_staff_member_added_on_the_command_line_can_sign_in(app: Flask) -> None:
    code, output = run(app, *ADD, stdin=f"{STAFF_PASSWORD}\n{STAFF_PASSWORD}\n")
    assert code == 0, output
    secret = re.search(r"\(shown once\): ([A-Z2-7]+)", output)
    assert secret
    client = app.test_client()
    response = sign_in(client, code=pyotp.TOTP(secret.group(1)).now())
    assert response.status_code == 302
    assert "Olive Operator" in client.get("/", follow_redirects=True).text


def test_add_refuses_bad_input_with_a_clear_message_and_stores_nothing(app: Flask) -> None:
    cases = [
        (["--username", "o!"], "3 to 40 characters"),
        (["--password", "too-short"], "at least 12 characters"),
        (["--totp-secret", "SHORT"], "base32"),
        (["--phone", "not a phone"], "not a phone number"),
    ]
    for extra, message in cases:
        code, output = run(app, *ADD, "--password", STAFF_PASSWORD, *extra)
        assert code != 0 and message in output, (extra, output)
    code, output = run(app, *ADD[:-1], "boss", "--password", STAFF_PASSWORD)
    assert code != 0 and "'boss' is not one of 'operator', 'supervisor', 'admin'" in output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Staff)) == 0
    assert not audit_events(app)


def test_list_shows_each_member_of_staff_and_their_state(app: Flask) -> None:
    run(app, *ADD, "--password", STAFF_PASSWORD, "--phone", "browser")
    run(app, "staff", "add", "--username", "sue", "--name", "Sue Pervisor", "--role", "supervisor",
        "--password", STAFF_PASSWORD)  # fmt: skip
    run(app, "staff", "disable", "sue")
    code, output = run(app, "staff", "list")
    assert code == 0, output
    header, *rows = output.splitlines()
    assert header.split() == ["Username", "Name", "Role", "Active", "Locked", "Phone", "leg"]
    assert [row.split() for row in rows] == [
        ["olive", "Olive", "Operator", "operator", "yes", "no", "browser"],
        ["sue", "Sue", "Pervisor", "supervisor", "no", "no", "-"],
    ]


def test_disable_stops_sign_in_and_is_audited(app: Flask) -> None:
    run(app, *ADD, "--password", STAFF_PASSWORD, "--totp-secret", STAFF_SECRET)
    code, output = run(app, "staff", "disable", "olive")
    assert code == 0 and "olive disabled." in output
    assert not stored_staff(app, "olive").is_active
    assert "Those details were not recognised." in sign_in(app.test_client()).text
    [event] = audit_events(app, "staff.disabled")
    assert event.operator_id == stored_staff(app, "olive").id


def test_unlock_lifts_the_lock_and_is_audited(app: Flask) -> None:
    run(app, *ADD, "--password", STAFF_PASSWORD, "--totp-secret", STAFF_SECRET)
    client = app.test_client()
    for _ in range(5):
        sign_in(client, password="wrong-password-1")
    assert stored_staff(app, "olive").is_locked
    code, output = run(app, "staff", "unlock", "olive")
    assert code == 0 and "olive unlocked." in output
    olive = stored_staff(app, "olive")
    assert not olive.is_locked and olive.failed_attempts == 0
    assert [e.kind for e in audit_events(app)][-1] == "staff.unlocked"
    assert sign_in(client).status_code == 302  # the right details work again
    assert "Olive Operator" in client.get("/", follow_redirects=True).text


def test_managing_an_unknown_username_says_so(app: Flask) -> None:
    for command in ("disable", "unlock"):
        code, output = run(app, "staff", command, "nobody")
        assert code != 0 and "no member of staff with the username nobody" in output


def test_an_officer_is_added_with_the_authorities_they_work_for(app: Flask) -> None:
    officer = ["staff", "add", "--username", "otto", "--name", "Otto Officer"]
    args = [*officer, "--role", "la_officer", "--password", STAFF_PASSWORD]
    code, output = run(app, *args, "--authority", "E08000005", "--authority", "e08000002")
    assert code == 0, output
    with app.app_context():
        assert accounts.get("otto").authorities == {"E08000002", "E08000005"}
    [added] = audit_events(app, "staff.added")
    assert added.data["authorities"] == ["E08000002", "E08000005"]
    assert "(E08000002, E08000005)" in run(app, "staff", "list")[1]


def test_an_officer_needs_an_authority_and_nobody_else_has_one(app: Flask) -> None:
    officer = ["staff", "add", "--username", "otto", "--name", "Otto", "--password", STAFF_PASSWORD]
    code, output = run(app, *officer, "--role", "la_officer")
    assert code != 0 and "needs at least one authority" in output
    code, output = run(app, *officer, "--role", "la_officer", "--authority", "E10000006")
    assert code != 0 and "E10000006 is not the ONS code" in output
    code, output = run(app, *officer, "--role", "manager", "--authority", "E08000005")
    assert code != 0 and "only a local authority officer is scoped" in output
