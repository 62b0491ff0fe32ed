"""Load: the desk under gunicorn on PostgreSQL, many calls at once and operators taking them.

N callers dial together through the real signed webhooks; M operators sign in with password
and TOTP and take, handle and wrap up calls through the console's own pages, concurrently.
Afterwards the database must account for every call, once each, with every search audited.

The default is short enough for every `pytest`; the full size is
`DESK_LOAD_CALLS=200 DESK_LOAD_OPERATORS=10 pytest tests/load`.
"""

import itertools
import os
import random
import re
import subprocess  # nosec B404 - runs this checkout's own flask
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

import pyotp
import pytest
import requests
from flask import Flask
from sqlalchemy import select

from bench.server import BIN, ROOT, Http, Workers, environment_without_desk_settings, gunicorn
from desk.audit.models import AuditEvent
from desk.console.models import Handling
from desk.extensions import db
from ivr.models import Call, CallStatus
from ivr.simulator import Twilio
from tests.children import load_children
from tests.conftest import TEST_CONFIG, TEST_DATABASE, fresh_database
from tests.factories import PIN, STAFF_PASSWORD, make_practitioner, make_staff

CALLS = int(os.environ.get("DESK_LOAD_CALLS", "20"))
OPERATORS = int(os.environ.get("DESK_LOAD_OPERATORS", "3"))
WORKERS = int(os.environ.get("DESK_LOAD_WORKERS", "4"))
# Every loop stops by this, however the desk behaves.
DEADLINE_SECONDS = float(os.environ.get("DESK_LOAD_SECONDS", str(max(90, CALLS * 2))))
REQUEST_TIMEOUT = 30


def practitioner_id(n: int) -> str:
    return f"5{n:07d}"


def practitioner_phone(n: int) -> str:
    return f"+4477009{n:05d}"


@dataclass
class Seeded:
    uri: str
    practitioner_secrets: dict[str, str] = field(default_factory=dict)
    staff_secrets: dict[str, str] = field(default_factory=dict)


@pytest.fixture(scope="module")
def load_app() -> Iterator[tuple[Flask, Seeded]]:
    """A database of its own: CALLS practitioners and OPERATORS operators, each with a token
    of their own (a code is accepted once per token), and the small children's index."""
    app = fresh_database(f"{TEST_DATABASE}_load")
    seeded = Seeded(str(app.config["SQLALCHEMY_DATABASE_URI"]))
    with app.app_context():
        load_children()
        for n in range(CALLS):
            secret = pyotp.random_base32()
            make_practitioner(
                practitioner_id=practitioner_id(n),
                name=f"Caller {n}",
                phones=(practitioner_phone(n),),
                totp_secret=secret,
            )
            seeded.practitioner_secrets[practitioner_id(n)] = secret
        for m in range(OPERATORS):
            secret = pyotp.random_base32()
            make_staff(
                username=f"loadop{m}",
                name=f"Operator {m}",
                totp_secret=secret,
                phone_leg=f"+4477008{m:05d}",
            )
            seeded.staff_secrets[f"loadop{m}"] = secret
        db.engine.dispose()
    yield app, seeded
    with app.app_context():
        db.engine.dispose()


def server_environment(uri: str) -> dict[str, str]:
    """The desk's settings for gunicorn and the flask command, as the test app has them.

    Development mode, with every key given, so that the session cookie works over plain
    http://127.0.0.1 and the local telephony adapter is allowed; the limits are raised, since
    every operator signs in from one address.
    """
    environ = environment_without_desk_settings()
    environ.update(
        {
            "DATABASE_URL": uri,
            "DESK_ENV": "development",
            "SECRET_KEY": "load-secret-key",
            "DESK_TOTP_KEY": TEST_CONFIG["DESK_TOTP_KEY"],
            "TWILIO_ACCOUNT_SID": TEST_CONFIG["TWILIO_ACCOUNT_SID"],
            "TWILIO_AUTH_TOKEN": TEST_CONFIG["TWILIO_AUTH_TOKEN"],
            "DESK_TELEPHONY": "local",
            "DESK_SIGN_IN_RATE_LIMIT": "100000/minute",
            "DESK_IVR_RATE_LIMIT": "100000/minute",
            "DESK_ARGON2_TIME_COST": "1",
            "DESK_ARGON2_MEMORY_KIB": "1024",
            "DESK_ARGON2_PARALLELISM": "1",
        }
    )
    return environ


@pytest.fixture(scope="module")
def desk_url(load_app: tuple[Flask, Seeded]) -> Iterator[str]:
    """The desk under gunicorn on 127.0.0.1, on the load database; stopped afterwards."""
    _, seeded = load_app
    with gunicorn("wsgi:app", server_environment(seeded.uri), Workers(count=WORKERS)) as served:
        yield served.url


class _Tokens(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tokens: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        fields = dict(attrs)
        if tag == "input" and fields.get("name") == "csrf_token" and fields.get("value"):
            self.tokens.append(fields["value"] or "")


def csrf(html: str) -> str:
    finder = _Tokens()
    finder.feed(html)
    assert finder.tokens, "no CSRF token on the page"
    return finder.tokens[0]


class Unexpected(Exception):
    """The desk answered an operator's step other than as the console's pages lead."""


@dataclass
class Operator:
    """One operator at the console over HTTP, as a browser would use it."""

    base: str
    username: str
    secret: str
    session: requests.Session = field(default_factory=requests.Session)
    wrapped: int = 0
    refused: int = 0

    def get(self, path: str, expect: int = 200) -> requests.Response:
        r = self.session.get(self.base + path, allow_redirects=False, timeout=REQUEST_TIMEOUT)
        if r.status_code != expect:
            raise Unexpected(f"GET {path}: {r.status_code}, not {expect}")
        return r

    def post(self, path: str, data: dict[str, str], token: str) -> str:
        """POST a form; the path it redirects to (every step answers with a redirect)."""
        r = self.session.post(
            self.base + path,
            data={**data, "csrf_token": token},
            allow_redirects=False,
            timeout=REQUEST_TIMEOUT,
        )
        if r.status_code != 302:
            raise Unexpected(f"POST {path}: {r.status_code}, not a redirect")
        return re.sub(r"^https?://[^/]+", "", r.headers["Location"])

    def sign_in(self) -> None:
        token = csrf(self.get("/sign-in").text)
        details = {
            "username": self.username,
            "password": STAFF_PASSWORD,
            "code": pyotp.TOTP(self.secret).now(),
        }
        if self.post("/sign-in", details, token) != "/":
            raise Unexpected(f"{self.username} was not signed in")

    def take_one(self) -> str | None:
        """Take a call from the queue's rows: the call's page, or None (empty, or beaten)."""
        rows = self.get("/console/queue/rows").text
        takes = re.findall(r'action="(/console/calls/[^"/]+/take)"', rows)
        if not takes:
            return None
        landed = self.post(random.choice(takes), {}, csrf(rows))  # nosec B311
        if landed.startswith("/console/calls/"):
            return landed
        self.get(landed)  # the queue, showing why: another operator took it first
        self.refused += 1
        return None

    def handle(self, page: str) -> None:
        """Identity, purpose, a search, open the record found, read an item back, wrap up."""
        token = csrf(self.get(page).text)
        for step, data in (
            ("identity", {"is_confirmed": "y"}),
            ("purpose", {"purpose": "find_professionals"}),
            ("search", {"family_name": "O'Neill", "date_of_birth": "2015-03-14"}),
        ):
            if self.post(f"{page}/{step}", data, token) != page:
                raise Unexpected(f"{step} did not return to the call")
        shown = self.get(page).text
        links = re.findall(r'href="(/console/calls/[^"]+/records/[^"]+)"', shown)
        if len(links) != 1:
            raise Unexpected(f"the search found {len(links)} records, not 1")
        record, token_there = links[0], csrf(self.get(links[0]).text)
        if self.post(f"{record}/read-back", {"item_key": "child.address"}, token_there) != record:
            raise Unexpected("read-back did not return to the record")
        if self.post(f"{page}/wrap-up", {"code": "information_given"}, token) != "/console/":
            raise Unexpected("wrap-up did not return to the queue")
        self.wrapped += 1


def test_calls_arriving_together_are_each_taken_once_and_audited(
    load_app: tuple[Flask, Seeded], desk_url: str
) -> None:
    app, seeded = load_app
    deadline = time.monotonic() + DEADLINE_SECONDS
    token = str(TEST_CONFIG["TWILIO_AUTH_TOKEN"])
    lock = threading.Lock()
    queued: list[str] = []
    failures: list[str] = []
    callers_done = threading.Event()
    start = threading.Event()

    def caller(n: int) -> None:
        pid = practitioner_id(n)
        twilio = Twilio(Http(desk_url), token, public_url=desk_url)
        phone = twilio.call(practitioner_phone(n))
        start.wait(timeout=30)
        try:
            phone.dial()
            phone.verify(pid, PIN, pyotp.TOTP(seeded.practitioner_secrets[pid]).now())
            assert phone.enqueue is not None, phone.heard
            phone.wait(position=1)
        except Exception as error:
            with lock:
                failures.append(f"caller {n}: {error!r}")
            return
        with lock:
            queued.append(phone.sid)

    operators = [
        Operator(desk_url, username, secret) for username, secret in seeded.staff_secrets.items()
    ]

    def operate(operator: Operator) -> None:
        try:
            operator.sign_in()
            while time.monotonic() < deadline:
                page = operator.take_one()
                if page is not None:
                    operator.handle(page)
                    continue
                with lock:
                    finished = sum(o.wrapped for o in operators) >= len(queued)
                if callers_done.is_set() and finished:
                    return
                time.sleep(0.05)
        except (Unexpected, requests.RequestException) as error:
            with lock:
                failures.append(f"{operator.username}: {error!r}")

    began = time.monotonic()
    caller_threads = [threading.Thread(target=caller, args=(n,)) for n in range(CALLS)]
    operator_threads = [threading.Thread(target=operate, args=(o,)) for o in operators]
    for thread in caller_threads + operator_threads:
        thread.start()
    start.set()
    for thread in caller_threads:
        thread.join(timeout=max(1.0, deadline - time.monotonic()))
    callers_done.set()
    for thread in operator_threads:
        thread.join(timeout=max(1.0, deadline - time.monotonic() + 5))
    took = time.monotonic() - began
    still_running = [t for t in caller_threads + operator_threads if t.is_alive()]
    print(
        f"\nload: {CALLS} calls, {OPERATORS} operators, {took:.1f}s; "
        f"{sum(o.refused for o in operators)} takes lost to another operator"
    )

    assert not failures, failures
    assert not still_running, f"{len(still_running)} threads still running at the deadline"
    assert len(queued) == CALLS
    assert sum(o.wrapped for o in operators) == CALLS

    with app.app_context():
        calls = db.session.scalars(select(Call)).all()
        handlings = db.session.scalars(select(Handling)).all()
        searches = db.session.scalars(
            select(AuditEvent).where(AuditEvent.kind == "search.made")
        ).all()
        taken = Counter(
            e.call_id
            for e in db.session.scalars(select(AuditEvent).where(AuditEvent.kind == "call.taken"))
        )
        db.engine.dispose()

    # Every call accounted for: completed or abandoned, none left in the IVR or the queue.
    assert {c.sid for c in calls} == set(queued)
    statuses = Counter(c.status for c in calls)
    assert set(statuses) <= {CallStatus.COMPLETED, CallStatus.ABANDONED}, statuses
    assert statuses[CallStatus.COMPLETED] == CALLS

    # None taken twice.
    per_call = Counter(h.call_id for h in handlings)
    assert set(per_call.values()) == {1}
    assert set(per_call) == {c.id for c in calls}
    assert set(taken.values()) == {1} and set(taken) == set(per_call)

    # No operator with two calls at once.
    by_operator: dict[int, list[Handling]] = defaultdict(list)
    for h in handlings:
        assert h.wrapped_up_at is not None
        by_operator[h.operator_id].append(h)
    for held in by_operator.values():
        held.sort(key=lambda h: h.taken_at)
        for before, after in itertools.pairwise(held):
            assert before.wrapped_up_at is not None and before.wrapped_up_at <= after.taken_at

    # Every search audited against both parties.
    practitioner_of = {c.id: c.practitioner_id for c in calls}
    operator_of = {h.call_id: h.operator_id for h in handlings}
    audited: dict[int, list[Any]] = defaultdict(list)
    for event in searches:
        audited[event.call_id or 0].append(event)
    assert set(audited) == set(per_call)
    for call_id, events in audited.items():
        for event in events:
            assert event.operator_id == operator_of[call_id]
            assert event.practitioner_id == practitioner_of[call_id] is not None

    # And the audit log's hash chain holds, checked by the desk's own command.
    verified = subprocess.run(  # noqa: S603  # nosec B603 - fixed arguments, our own flask
        [str(BIN / "flask"), "--app", "wsgi", "audit", "verify"],
        cwd=ROOT,
        env=server_environment(seeded.uri),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert verified.returncode == 0, verified.stderr
    assert "hash chain unbroken" in verified.stdout
