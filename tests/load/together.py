"""Calls arriving together and operators taking them, over HTTP: what the load tests check.

tests/load/test_load.py drives it at one gunicorn, tests/topology at nginx before two.
"""

import itertools
import threading
import time
from collections import Counter, defaultdict
from typing import Any

import pyotp
import requests
from flask import Flask
from sqlalchemy import select

from bench.server import Http
from desk.console.models import Handling
from desk.core.audit.models import AuditEvent
from desk.core.extensions import db
from desk.dev.simulator import Twilio
from ivr.models import Call, CallStatus
from tests.conftest import TEST_CONFIG
from tests.factories import PIN
from tests.load.console import Operator, Unexpected
from tests.load.people import Seeded, practitioner_id, practitioner_phone
from tests.load.server import audit_verify


def arriving_together(
    app: Flask, seeded: Seeded, desk_url: str, calls: int, operators: int, deadline_seconds: float
) -> None:
    """`calls` callers dial at once through `desk_url`, `operators` operators take them; then
    check that every call was taken once, wrapped up, and audited, and the chain holds."""
    deadline = time.monotonic() + deadline_seconds
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

    staff = list(seeded.staff_secrets.items())[:operators]
    at_console = [Operator(desk_url, username, secret) for username, secret in staff]

    def operate(operator: Operator) -> None:
        try:
            operator.sign_in()
            while time.monotonic() < deadline:
                page = operator.take_one()
                if page is not None:
                    operator.handle(page)
                    continue
                with lock:
                    finished = sum(o.wrapped for o in at_console) >= len(queued)
                if callers_done.is_set() and finished:
                    return
                time.sleep(0.05)
        except (Unexpected, requests.RequestException) as error:
            with lock:
                failures.append(f"{operator.username}: {error!r}")

    began = time.monotonic()
    caller_threads = [threading.Thread(target=caller, args=(n,)) for n in range(calls)]
    operator_threads = [threading.Thread(target=operate, args=(o,)) for o in at_console]
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
        f"\nload: {calls} calls, {operators} operators, {took:.1f}s; "
        f"{sum(o.refused for o in at_console)} takes lost to another operator"
    )

    assert not failures, failures
    assert not still_running, f"{len(still_running)} threads still running at the deadline"
    assert len(queued) == calls
    assert sum(o.wrapped for o in at_console) == calls

    with app.app_context():
        call_rows = db.session.scalars(select(Call)).all()
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
    assert {c.sid for c in call_rows} == set(queued)
    statuses = Counter(c.status for c in call_rows)
    assert set(statuses) <= {CallStatus.COMPLETED, CallStatus.ABANDONED}, statuses
    assert statuses[CallStatus.COMPLETED] == calls

    # None taken twice.
    per_call = Counter(h.call_id for h in handlings)
    assert set(per_call.values()) == {1}
    assert set(per_call) == {c.id for c in call_rows}
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
    practitioner_of = {c.id: c.practitioner_id for c in call_rows}
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
    verified = audit_verify(seeded.uri)
    assert verified.returncode == 0, verified.stderr
    assert "hash chain unbroken" in verified.stdout
