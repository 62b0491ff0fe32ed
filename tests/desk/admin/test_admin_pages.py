"""The administrators' pages: each change audited with the administrator as actor, the same
rows as the command line's, errors beside their fields, and no child's data anywhere."""

import io
import re
from datetime import date, timedelta

import pyotp
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.test import TestResponse

from desk.core.audit.models import AuditEvent
from desk.core.extensions import db
from desk.core.types import utcnow
from desk.staff.models import Role
from tests.factories import PHONE, STAFF_PASSWORD, make_practitioner, make_staff
from tests.pages import sign_in, staff_code, submit
from tests.stored import audit_events, stored_practitioner, stored_staff
from verification import activation
from verification.models import Practitioner

ADA_SECRET = "MFRGGZDFMZTWQ2LKNNWG23TPOBYXE43U"

# A field's error as GOV.UK's error message, tied to its field by id.
ERROR = (
    r'class="govuk-error-message" id="[^"]*-error">'
    r'<span class="govuk-visually-hidden">Error:</span> '
)


@pytest.fixture
def admin(app: Flask, client: FlaskClient) -> FlaskClient:
    with app.app_context():
        make_staff(username="ada", name="Ada Admin", role=Role.ADMIN, totp_secret=ADA_SECRET)
    response = sign_in(client, username="ada", code=staff_code(ADA_SECRET))
    # Signed in, the administrator lands on administration.
    assert client.get(response.headers["Location"]).headers["Location"] == "/admin/"
    return client


def lock(app: Flask, practitioner_id: str) -> None:
    with app.app_context():
        practitioner = db.session.get_one(Practitioner, practitioner_id)
        practitioner.locked_at, practitioner.failed_attempts = utcnow(), 5
        db.session.commit()


def page(practitioner_id: str) -> str:
    return f"/admin/practitioners/{practitioner_id}"


def test_an_operator_or_supervisor_is_refused(app: Flask, client: FlaskClient, sam: str) -> None:
    with app.app_context():
        make_staff()
    sign_in(client)
    assert client.get("/admin/").status_code == 403
    assert client.get(page(sam)).status_code == 403


def test_find_by_id_name_or_organisation(admin: FlaskClient, sam: str) -> None:
    for query in (sam, "sam fi", "rochdale"):
        found = admin.get("/admin/find", query_string={"q": query})
        assert found.status_code == 200
        assert f'href="/admin/practitioners/{sam}"' in found.text, query
    assert "Nobody matches" in admin.get("/admin/find", query_string={"q": "zz%"}).text
    empty = admin.get("/admin/find", query_string={"q": " "})
    assert "Type an ID, a name or an organisation." in empty.text


def test_unlock_needs_a_reason_and_is_audited_with_the_admin(
    app: Flask, admin: FlaskClient, sam: str
) -> None:
    lock(app, sam)
    state = admin.get(page(sam)).text
    assert "Locked" in state and "after 5 consecutive failed verifications" in state
    refused = shown_after(
        admin, submit(admin, page(sam), {"unlock-reason": ""}, f"{page(sam)}/unlock")
    )
    assert re.search(ERROR + "Give the reason", refused.text)
    assert stored_practitioner(app, sam).is_locked
    done = submit(admin, page(sam), {"unlock-reason": "Rang us; checked"}, f"{page(sam)}/unlock")
    assert done.status_code == 302
    assert not stored_practitioner(app, sam).is_locked
    [event] = audit_events(app, "practitioner.unlocked")
    ada = stored_staff(app, "ada")
    assert (event.practitioner_id, event.supervisor_id) == (sam, ada.id)
    assert event.data == {
        "reason": "Rang us; checked",
        "failures": 5,
        "by": "ada",
        "by_staff_id": ada.id,
    }


def test_the_cli_records_the_same_row_but_for_the_actor(app: Flask, sam: str) -> None:
    lock(app, sam)
    result = app.test_cli_runner().invoke(
        args=["practitioners", "unlock", sam, "--reason", "Rang us; checked"]
    )
    assert result.exit_code == 0, result.output
    [event] = audit_events(app, "practitioner.unlocked")
    assert event.supervisor_id is None
    assert {k for k in event.data if k != "by"} == {"reason", "failures"}
    assert event.data["by"].startswith("command line (")


def test_suspend_reactivate_and_numbers(app: Flask, admin: FlaskClient, sam: str) -> None:
    submit(admin, page(sam), {"suspend-reason": "Left post"}, f"{page(sam)}/suspend")
    assert stored_practitioner(app, sam).status.value == "suspended"
    submit(admin, page(sam), {}, f"{page(sam)}/reactivate")
    assert stored_practitioner(app, sam).status.value == "active"
    bad = shown_after(
        admin, submit(admin, page(sam), {"phones-phones": "nonsense"}, f"{page(sam)}/phones")
    )
    assert "is not a phone number" in bad.text
    submit(admin, page(sam), {"phones-phones": f"{PHONE}\n07700 900777"}, f"{page(sam)}/phones")
    assert [p.number for p in stored_practitioner(app, sam).phones] == [PHONE, "+447700900777"]
    kinds = [e.kind for e in audit_events(app) if e.practitioner_id == sam]
    assert kinds[-3:] == [
        "practitioner.suspended",
        "practitioner.reactivated",
        "practitioner.phones_changed",
    ]


def test_a_new_activation_code_is_shown_once_and_voids_the_pin(
    app: Flask, admin: FlaskClient, sam: str
) -> None:
    shown = submit(admin, page(sam), {"activation-delivery": "shown"}, f"{page(sam)}/activation")
    assert shown.status_code == 200 and shown.headers["Cache-Control"] == "no-store"
    code = re.search(r'data-testid="activation-code">([\d ]+)<', shown.text)
    assert code is not None
    digits = code.group(1).replace(" ", "")
    assert stored_practitioner(app, sam).pin_hash is None
    with app.app_context():
        assert activation.check(sam, digits, utcnow())
    assert digits not in admin.get(page(sam)).text
    assert all(digits not in str(e.data) for e in audit_events(app))

    letter = submit(admin, page(sam), {"activation-delivery": "letter"}, f"{page(sam)}/activation")
    assert letter.mimetype == "application/pdf" and letter.data.startswith(b"%PDF")
    with app.app_context():
        assert not activation.check(sam, digits, utcnow())  # the letter's code replaced it


def test_a_soft_token_is_shown_once_as_a_qr_code(app: Flask, admin: FlaskClient, sam: str) -> None:
    shown = submit(admin, page(sam), {}, f"{page(sam)}/token/soft")
    secret = re.search(r'data-testid="soft-secret">([A-Z2-7]+)<', shown.text)
    assert secret is not None and "<svg" in shown.text
    with app.app_context():
        from desk.core.credentials import totp

        sealed = db.session.get_one(Practitioner, sam).totp_secret_encrypted
        assert pyotp.TOTP(totp.unseal(sealed)).now() == pyotp.TOTP(secret.group(1)).now()
    assert secret.group(1) not in admin.get(page(sam)).text


def test_an_unknown_serial_is_told_beside_its_field(admin: FlaskClient, sam: str) -> None:
    posted = submit(admin, page(sam), {"assign-serial": "NOPE"}, f"{page(sam)}/token/assign")
    refused = shown_after(admin, posted)
    assert re.search(ERROR + "No token with the serial NOPE", refused.text)
    assert 'value="NOPE"' in refused.text  # what was typed, kept beside its error
    again = admin.get(page(sam)).text  # a refresh sends nothing, and shows no old error
    assert "govuk-error-summary" not in again and 'value="NOPE"' not in again


def test_staff_are_added_disabled_unlocked_and_reenrolled(app: Flask, admin: FlaskClient) -> None:
    added = submit(
        admin,
        "/admin/staff",
        {"username": "Owen", "name": "Owen Operator", "role": "operator", "phone_leg": ""},
    )
    assert added.status_code == 200 and added.headers["Cache-Control"] == "no-store"
    password = re.search(r'data-testid="staff-password">([^<]+)<', added.text)
    secret = re.search(r'data-testid="staff-secret">([A-Z2-7]+)<', added.text)
    assert password and secret
    # Owen signs in with what he was handed.
    other = app.test_client()
    signed = sign_in(other, "owen", password.group(1), staff_code(secret.group(1)))
    assert signed.status_code == 302 and signed.headers["Location"] == "/"

    taken = shown_after(
        admin, submit(admin, "/admin/staff", {"username": "owen", "name": "X", "role": "operator"})
    )
    assert "The username owen is taken." in taken.text

    with app.app_context():
        owen = stored_staff(app, "owen")
        db.session.get_one(type(owen), owen.id).locked_at = utcnow()
        db.session.commit()
    submit(admin, "/admin/staff", {}, "/admin/staff/owen/unlock")
    assert not stored_staff(app, "owen").is_locked
    again = submit(admin, "/admin/staff", {}, "/admin/staff/owen/authenticator")
    new_secret = re.search(r'data-testid="staff-secret">([A-Z2-7]+)<', again.text)
    assert new_secret and new_secret.group(1) != secret.group(1)
    assert other.get("/console/").status_code == 302  # his session ended
    submit(admin, "/admin/staff", {}, "/admin/staff/owen/disable")
    assert not stored_staff(app, "owen").is_active
    ada = stored_staff(app, "ada")
    with app.app_context():
        rows = db.session.scalars(
            select(AuditEvent).where(AuditEvent.kind.like("staff.%")).order_by(AuditEvent.id)
        ).all()
        by_ada = [e.kind for e in rows if e.data.get("by_staff_id") == ada.id]
    assert by_ada == [
        "staff.added",
        "staff.unlocked",
        "staff.authenticator_reenrolled",
        "staff.disabled",
    ]
    assert STAFF_PASSWORD not in added.text


def test_lapsing_lists_and_dates_from_a_file(app: Flask, admin: FlaskClient) -> None:
    today = date.today()
    with app.app_context():
        soon = today.replace(year=today.year - 3) + timedelta(days=10)
        make_practitioner(practitioner_id="40000011", name="Vic Soon", vetted_on=soon)
        make_practitioner(practitioner_id="40000012", name="Tia Later", trained_on=today)
    listed = admin.get("/admin/lapsing").text
    assert "Vic Soon" in listed and "Tia Later" not in listed
    body = f"practitioner_id,vetted_on,trained_on\n40000011,{today.isoformat()},\n49999999,,\n"
    bad = submit(
        admin,
        "/admin/lapsing",
        {"file": (io.BytesIO(body.encode()), "dates.csv")},  # type: ignore[dict-item]
    )
    refused = shown_after(admin, bad)
    assert "line 3: give vetted_on, trained_on or both" in refused.text
    assert "nothing was changed" in refused.text and 'id="file-error"' in refused.text
    assert "nothing was changed" not in admin.get("/admin/lapsing").text  # said once
    good = body.splitlines()[:2]
    done = submit(
        admin,
        "/admin/lapsing",
        {"file": (io.BytesIO("\n".join(good).encode()), "dates.csv")},  # type: ignore[dict-item]
    )
    assert done.status_code == 302
    assert stored_practitioner(app, "40000011").vetted_on == today
    assert "Vic Soon" not in admin.get("/admin/lapsing").text


def test_an_officer_is_added_with_the_authorities_they_work_for(
    app: Flask, admin: FlaskClient
) -> None:
    unscoped = submit(
        admin, "/admin/staff", {"username": "olga", "name": "Olga Officer", "role": "la_officer"}
    )
    # Refused beside the field that must change, and nothing added.
    unscoped = shown_after(admin, unscoped)
    assert 'value="Olga Officer"' in unscoped.text
    assert re.search(
        ERROR.replace('[^"]*-error', "authorities-error") + "[^<]*needs at least one",
        unscoped.text,
        re.S,
    )
    scoped = submit(
        admin,
        "/admin/staff",
        {
            "username": "olga",
            "name": "Olga Officer",
            "role": "la_officer",
            "authorities": ["E08000005", "E09000007"],
        },
    )
    assert scoped.status_code == 200
    with app.app_context():
        olga = db.session.get_one(type(stored_staff(app, "olga")), stored_staff(app, "olga").id)
        assert olga.authorities == {"E08000005", "E09000007"}
    assert "Local authority officer: Camden, Rochdale" in scoped.text
    operator = submit(
        admin,
        "/admin/staff",
        {"username": "otto", "name": "Otto", "role": "operator", "authorities": ["E08000005"]},
    )
    operator = shown_after(admin, operator)
    assert "Only a local authority officer is scoped" in operator.text
    assert '<option selected value="E08000005">' in operator.text


def shown_after(client: FlaskClient, posted: TestResponse) -> TestResponse:
    """A refused or invalid form's answer: a redirect to its page, which says why, once."""
    assert posted.status_code == 302, posted.status_code
    return client.get(posted.location)


def test_a_refused_resync_keeps_no_token_code_and_is_audited_once(
    app: Flask, admin: FlaskClient, sam: str
) -> None:
    posted = submit(
        admin,
        page(sam),
        {"resync-first": "123456", "resync-second": "12345"},
        f"{page(sam)}/token/resync",
    )
    shown = shown_after(admin, posted)
    assert "A token code is 6 digits." in shown.text and 'id="resync-second-error"' in shown.text
    assert "123456" not in shown.text  # a token code is never kept, so never shown again
    before = len(audit_events(app))
    again = admin.get(page(sam)).text
    assert "govuk-error-summary" not in again
    assert len(audit_events(app)) == before  # a refresh sends and audits nothing
