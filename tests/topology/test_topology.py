"""The desk as production runs it: nginx terminating TLS before two gunicorn servers, one
PostgreSQL, one Redis (tests/topology/stack.py), driven at its public https:// URL.

Signed webhooks and the console go through the proxy; nginx alternates the servers, so each
call is begun on one and carried on by the other. The short version runs in every `pytest`;
the long one is `DESK_TOPOLOGY_CALLS=200 DESK_TOPOLOGY_OPERATORS=10 pytest tests/topology`.
"""

import json
import os
import re
from collections.abc import Iterator
from pathlib import Path

import pyotp
import pytest
import requests
from flask import Flask
from sqlalchemy import select

from bench.server import Http
from desk.core.extensions import db
from desk.dev.simulator import Twilio
from desk.records.models import Child
from ivr.models import Call, CallStatus
from tests.conftest import TEST_CONFIG, TEST_DATABASE, fresh_database
from tests.factories import PIN, STAFF_PASSWORD
from tests.load.console import Operator
from tests.load.people import Seeded, practitioner_id, practitioner_phone, seed
from tests.load.together import arriving_together
from tests.topology.stack import IVR_LIMIT, NGINX, Stack, production

CALLS = int(os.environ.get("DESK_TOPOLOGY_CALLS", "8"))
OPERATORS = int(os.environ.get("DESK_TOPOLOGY_OPERATORS", "2"))
DEADLINE_SECONDS = float(os.environ.get("DESK_TOPOLOGY_SECONDS", str(max(60, CALLS * 2))))
# Beyond the load's: the journey's caller and operator (a token code is accepted once),
# and the caller the limit refuses.
JOURNEY, LIMITED = CALLS, CALLS + 1

pytestmark = pytest.mark.skipif(not NGINX.exists(), reason=f"no nginx at {NGINX} (apt nginx)")


@pytest.fixture(scope="module")
def seeded_app() -> Iterator[tuple[Flask, Seeded]]:
    app = fresh_database(f"{TEST_DATABASE}_topology")
    seeded = seed(app, practitioners=CALLS + 2, operators=OPERATORS + 1)
    yield app, seeded
    with app.app_context():
        db.engine.dispose()


@pytest.fixture(scope="module")
def stack(seeded_app: tuple[Flask, Seeded]) -> Iterator[Stack]:
    _, seeded = seeded_app
    with production(seeded.uri) as started:
        # requests (the console's operators, Twilio's webhooks) trust the test's certificate.
        before = os.environ.get("REQUESTS_CA_BUNDLE")
        os.environ["REQUESTS_CA_BUNDLE"] = str(started.certificate)
        try:
            yield started
        finally:
            if before is None:
                os.environ.pop("REQUESTS_CA_BUNDLE", None)
            else:
                os.environ["REQUESTS_CA_BUNDLE"] = before


def twilio(stack: Stack) -> Twilio:
    """Twilio, signing for the public https:// URL and posting to it, through nginx."""
    return Twilio(Http(stack.public_url), str(TEST_CONFIG["TWILIO_AUTH_TOKEN"]), stack.public_url)


def request_lines(path: Path) -> list[dict[str, object]]:
    lines = [json.loads(line) for line in path.read_text().splitlines() if line.startswith("{")]
    return [line for line in lines if line.get("logger") == "desk.request"]


def test_calls_arriving_together_through_the_proxy_are_each_taken_once_and_audited(
    seeded_app: tuple[Flask, Seeded], stack: Stack
) -> None:
    # First, on empty tables: it accounts for every call in the database.
    app, seeded = seeded_app
    arriving_together(app, seeded, stack.public_url, CALLS, OPERATORS, DEADLINE_SECONDS)


def test_plain_http_is_sent_to_https_and_the_metrics_are_not_public(stack: Stack) -> None:
    redirected = requests.get(stack.http_url + "/sign-in", allow_redirects=False, timeout=10)
    assert redirected.status_code == 301
    assert redirected.headers["Location"] == stack.public_url + "/sign-in"

    assert requests.get(stack.public_url + "/metrics", timeout=10).status_code == 404
    # Straight to a server, from this machine, it answers; sent with a proxy's header, not.
    server = stack.servers[0].url
    assert requests.get(server + "/metrics", timeout=10).status_code == 200
    forwarded = {"X-Forwarded-For": "127.0.0.1"}
    assert requests.get(server + "/metrics", headers=forwarded, timeout=10).status_code == 404


def test_a_call_through_the_proxy_is_carried_by_both_servers_and_leaves_no_secret(
    seeded_app: tuple[Flask, Seeded], stack: Stack
) -> None:
    app, seeded = seeded_app
    pid = practitioner_id(JOURNEY)
    caller_code = pyotp.TOTP(seeded.practitioner_secrets[pid]).now()
    phone = twilio(stack).call(practitioner_phone(JOURNEY))
    phone.dial()
    phone.verify(pid, PIN, caller_code)
    assert phone.enqueue is not None, phone.heard  # the signatures held, behind the proxy
    phone.wait(position=1)

    username, secret = list(seeded.staff_secrets.items())[OPERATORS]
    operator = Operator(stack.public_url, username, secret)
    sign_in_page = operator.get("/sign-in")
    assert sign_in_page.headers["Strict-Transport-Security"].startswith("max-age=")
    operator_code = pyotp.TOTP(secret).now()
    operator.sign_in()
    cookie = next(c for c in operator.session.cookies if c.name == "session")
    assert cookie.secure, "the session cookie must be marked Secure behind TLS"
    # The session is kept by whichever server answers: both hold it (a signed cookie, one key).
    for _ in range(4):
        operator.get("/console/")

    with app.app_context():
        public_id = db.session.scalar(select(Call.public_id).where(Call.sid == phone.sid))
        db.session.rollback()
    assert public_id is not None
    page = operator.take(public_id)
    operator.handle(page)
    # The wrap-up hung up; Twilio says so to the call's status callback, as it would.
    ended = phone.params(CallStatus="completed", CallDuration="95", SequenceNumber="7")
    assert twilio(stack).post("/ivr/status", ended).status_code == 200

    with app.app_context():
        call = db.session.scalar(select(Call).where(Call.sid == phone.sid))
        assert call is not None and call.status == CallStatus.COMPLETED
        child = db.session.scalars(select(Child).where(Child.family_name == "O'Neill")).first()
        assert child is not None
        child_details = [
            child.given_names,
            child.family_name,
            child.date_of_birth.isoformat(),
            child.contactpoint_id,
            "Mill Lane",
            "OL16 1AA",
            "+447700900111",
        ]
        db.session.rollback()

    # Begun on one server, carried on by the other: both logged requests of this call.
    for server in stack.servers:
        seen = [line for line in request_lines(server.log) if line.get("call") == public_id]
        assert seen, f"{server.url} logged no request of the call"
        assert all(line.get("request_id") for line in seen)
        # Signed in on one, served on the other: no console page sent anyone to sign in.
        console = [line for line in request_lines(server.log) if line.get("rule") == "/console/"]
        assert console and all(line["status"] == 200 for line in console)

    secrets_and_identifiers = [
        pid,
        PIN,
        caller_code,
        operator_code,
        STAFF_PASSWORD,
        secret,
        practitioner_phone(JOURNEY),
        phone.sid,
        *child_details,
    ]
    for server in stack.servers:
        log = server.log.read_text()
        for value in secrets_and_identifiers:
            assert value not in log, f"{value!r} is in {server.log.name}"
        scrape = requests.get(server.url + "/metrics", timeout=10).text
        for value in [*secrets_and_identifiers, public_id, username]:
            assert value not in scrape, f"{value!r} is in {server.url}/metrics"
        # Bounded labels: each a word of the desk's vocabulary (or a status class, a bucket).
        for name, value in re.findall(r'(\w+)="([^"]*)"', scrape):
            assert name == "le" or re.fullmatch(r"[a-z][a-z_.]*|[1-5]xx", value), (name, value)

    # nginx's own log of the desk: a line per request, but no path, query or identifier.
    proxied = stack.nginx_log.read_text()
    assert proxied.count("\n") > 10
    for value in [*secrets_and_identifiers, public_id, "/console/", "/ivr/"]:
        assert value not in proxied, f"{value!r} is in nginx's access log"

    # The counts were made, and added up across each server's workers.
    scraped = "".join(requests.get(s.url + "/metrics", timeout=10).text for s in stack.servers)
    for expected in (
        'desk_verifications_total{outcome="succeeded"}',
        'desk_searches_total{outcome="made"}',
        'desk_disclosures_total{kind="read_back"}',
        'desk_calls_ended_total{outcome="completed"}',
        'desk_webhook_seconds_count{step="answer"}',
        "desk_audit_append_seconds_count",
        "desk_queue_length",
    ):
        assert expected in scraped, expected


def test_a_calls_rate_limit_is_counted_across_both_servers(
    seeded_app: tuple[Flask, Seeded], stack: Stack
) -> None:
    phone = twilio(stack).call(practitioner_phone(LIMITED))
    # Repeats of the greeting: each server sees half; counted apart, none would be refused.
    for _ in range(IVR_LIMIT):
        phone.dial()
        assert "unavailable" not in " ".join(phone.said_last()).lower()
    phone.dial()
    assert "try again later" in " ".join(phone.said_last()).lower(), phone.said_last()
