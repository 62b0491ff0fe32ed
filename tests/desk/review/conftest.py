"""A supervisor at the review pages, and mediated calls to review: real ones or made to order."""

import re
import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.test import TestResponse

from desk.console.models import Handling
from desk.core.audit.service import record
from desk.core.extensions import db
from desk.dev.simulator import Twilio
from desk.records.models import Child
from desk.staff.models import Role
from ivr.models import Call, CallStatus
from tests.children import CHILDREN
from tests.desk.conftest import Console, called_back, queued_call
from tests.factories import PHONE, SECRET, make_staff
from tests.pages import sign_in, submit
from tests.stored import stored_practitioner

# A Wednesday morning, inside any desk's usual hours.
MORNING = datetime(2026, 3, 4, 10, 0, tzinfo=UTC)


@pytest.fixture
def sue(app: Flask) -> int:
    """Sue, a supervisor."""
    with app.app_context():
        return make_staff(username="sue", name="Sue Pervisor", role=Role.SUPERVISOR).id


@dataclass
class Reviewer:
    """A supervisor using the review pages through a browser's requests."""

    client: FlaskClient

    def calls(self, **filters: str) -> TestResponse:
        return self.client.get("/review/", query_string=filters)

    def call(self, public_id: str) -> TestResponse:
        return self.client.get(f"/review/calls/{public_id}")

    def sign_off(self, public_id: str, comment: str) -> TestResponse:
        page = f"/review/calls/{public_id}"
        return submit(self.client, page, {"comment": comment}, f"{page}/sign-off")

    def report(self, date_from: str, date_to: str, with_words: bool = False) -> TestResponse:
        period = {"date_from": date_from, "date_to": date_to}
        words = {"with_purpose_words": "y"} if with_words else {}
        # Managers alone download it (desk/review/manager.py).
        return self.client.get("/manager/report.csv", query_string={**period, **words})


@pytest.fixture
def reviewer(app: Flask, sue: int) -> Reviewer:
    """Sue, signed in on a browser of her own."""
    client = app.test_client()
    assert sign_in(client, username="sue").status_code == 302
    return Reviewer(client)


@pytest.fixture
def mona(app: Flask) -> int:
    """Mona, a ContactPoint manager."""
    with app.app_context():
        return make_staff(username="mona", name="Mona Manager", role=Role.MANAGER).id


@pytest.fixture
def manager(app: Flask, mona: int) -> Reviewer:
    """Mona, signed in on a browser of her own: the review helper's downloads are hers."""
    client = app.test_client()
    assert sign_in(client, username="mona").status_code == 302
    return Reviewer(client)


def listed_calls(response: TestResponse) -> list[str]:
    """The public ids of the calls a list page shows, in order."""
    return re.findall(r'href="/review/calls/([^"]+)"', response.text)


def make_call(
    practitioner_id: str,
    operator_id: int,
    started_at: datetime = MORNING,
    *,
    wrap_up: str | None = "information_given",
    purpose: str = "find_professionals",
    is_registered_number: bool = True,
    **events: Any,
) -> Call:
    """A mediated call stored directly, as the IVR and console would leave it; not committed.

    `events` are extra audit events for it, kind (dots as __) to data.
    """
    call = Call(
        sid="CA" + secrets.token_hex(16),
        caller_number=PHONE,
        status=CallStatus.COMPLETED if wrap_up else CallStatus.CONNECTED,
        practitioner_id=practitioner_id,
        is_registered_number=is_registered_number,
        started_at=started_at,
        verified_at=started_at + timedelta(seconds=40),
        queued_at=started_at + timedelta(seconds=41),
    )
    handling = Handling(
        call=call,
        operator_id=operator_id,
        taken_at=started_at + timedelta(minutes=2),
        identity_confirmed_at=started_at + timedelta(minutes=3),
        purpose=purpose,
        purpose_detail="Checking a school move" if purpose == "other" else None,
        purpose_recorded_at=started_at + timedelta(minutes=3),
        wrap_up=wrap_up,
        wrapped_up_at=started_at + timedelta(minutes=8) if wrap_up else None,
    )
    db.session.add_all([call, handling])
    db.session.flush()
    record("call.taken", call_id=call.id, operator_id=operator_id, data={"waited_seconds": 79})
    for kind, data in events.items():
        record(kind.replace("__", "."), call_id=call.id, data=data)
    return call


def assess(app: Flask) -> str:
    """Run the scheduled job that works out wrapped-up calls' flags, as cron would; its output."""
    result = app.test_cli_runner().invoke(args=["review", "assess"])
    assert result.exit_code == 0, result.output
    return result.stdout


def take_and_finish(
    console: Console,
    twilio: Twilio,
    practitioner_id: str,
    *,
    caller: str = PHONE,
    secret: str = SECRET,
    purpose: str = "find_professionals",
    detail: str = "",
) -> str:
    """A call through the IVR and the console: taken, confirmed, purpose recorded; its id."""
    phone = queued_call(twilio, practitioner_id, caller=caller, secret=secret)
    console.take(phone)
    registered = [p.number for p in stored_practitioner(console.app, practitioner_id).phones]
    if caller not in registered:
        called_back(console, registered[0], secret)
    console.post("identity", {"is_confirmed": "y"})
    console.post("purpose", {"purpose": purpose, "detail": detail})
    return console.public_id


def child_details(app: Flask) -> list[str]:
    """Everything the test index holds about its children, in the forms it could be written."""
    with app.app_context():
        numbers = list(db.session.scalars(select(Child.contactpoint_id)))
    details = [*numbers, *(f"{n[:3]} {n[3:6]} {n[6:]}" for n in numbers)]
    for child in CHILDREN:
        born = date.fromisoformat(child["date_of_birth"])
        details += [
            child["given_names"],
            child["family_name"],
            *child.get("former_family_names", []),
            child["date_of_birth"],
            f"{born:%d/%m/%Y}",
            f"{born.day} {born:%B %Y}",
            *child["address"]["lines"],
            child["address"]["town"],
            child["address"]["postcode"],
            child["address"]["postcode"].replace(" ", ""),
        ]
        lead = child.get("caf", {}).get("lead_contact", {})
        for contact in [*child["contacts"], *([lead] if lead else [])]:
            for key in ("name", "organisation", "service_type"):
                if contact.get(key):
                    details.append(contact[key])
            if contact.get("phone"):
                national = "0" + contact["phone"].removeprefix("+44")
                details += [contact["phone"], national, f"{national[:5]} {national[5:]}"]
    return sorted(set(details))


def child_details_in(text: str, details: list[str]) -> list[str]:
    """Which child details appear in `text`: whole words for names, anywhere for numbers."""
    return [
        detail
        for detail in details
        if re.search(rf"(?<!\w){re.escape(detail)}(?!\w)", text)
        or (detail.replace(" ", "").lstrip("+").isdigit() and detail.replace(" ", "") in text)
    ]
