"""Faults under load: PostgreSQL stops, as a crash stops it, while calls come in, and restarts.

The desk runs under gunicorn on a PostgreSQL server of this test's own (the machine's shared
server is never touched). Callers keep dialling through the real signed webhooks. While the
database is down each caller hears the safe message, never an error; once it is back, the same
gunicorn, not restarted, takes calls again, and an operator signed in before the outage takes
one. Then what was stored must be whole: each call's row agrees with what its caller heard and
with its audit events, and the audit log's hash chain verifies.
"""

import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import pyotp
from flask import Flask
from sqlalchemy import select

from bench.server import Http
from desk.console.models import Handling
from desk.core.audit import chain
from desk.core.audit.models import AuditEvent
from desk.core.extensions import db
from desk.dev.simulator import Twilio
from ivr import flow
from ivr.flow import ASKS, Stage
from ivr.models import Call, CallStatus
from tests.conftest import TEST_CONFIG, fresh_database
from tests.factories import PIN
from tests.load.callers import KEYPAD, Callers, Exchange, PlacedCall, spoken
from tests.load.console import Operator
from tests.load.people import Seeded, practitioner_id, practitioner_phone, seed
from tests.load.postgres import throwaway_server
from tests.load.server import gunicorn

CALLERS = 3
WORKERS = 2
# Calls put through before the database is stopped, and after it is back.
CALLS_BEFORE = CALLS_AFTER = 6
# Long enough for every caller to dial into the outage more than once.
DOWN_SECONDS = 1.5
# A caller uses a practitioner's token once (a code is accepted once), so each needs several.
PRACTITIONERS = 60
DEADLINE_SECONDS = 60


@dataclass
class Outage:
    """When the database was stopped (asked, then gone) and was back (time.monotonic)."""

    began: float = float("inf")
    stopped: float = float("inf")
    ended: float = float("inf")

    def spans(self, e: Exchange) -> bool:
        return e.answered_at >= self.began and e.sent_at <= self.ended


def wait_for(what: str, condition: Callable[[], bool], deadline: float) -> None:
    while not condition():
        assert time.monotonic() < deadline, f"gave up waiting for {what}"
        time.sleep(0.05)


def test_a_database_restart_mid_load_is_heard_safely_and_leaves_nothing_half_written() -> None:
    deadline = time.monotonic() + DEADLINE_SECONDS
    outage = Outage()
    with throwaway_server() as postgres:
        app = fresh_database("desk_faults", server_url=postgres.url)
        seeded = seed(app, practitioners=PRACTITIONERS, operators=1)
        with gunicorn(seeded.uri, WORKERS) as desk_url:
            twilio = Twilio(Http(desk_url), str(TEST_CONFIG["TWILIO_AUTH_TOKEN"]), desk_url)
            operator = Operator(desk_url, "loadop0", seeded.staff_secrets["loadop0"])
            operator.sign_in()
            callers = Callers(twilio, seeded)
            for n in range(PRACTITIONERS):
                callers.unused.put(n)
            threads = [threading.Thread(target=callers.keep_calling) for _ in range(CALLERS)]
            for thread in threads:
                thread.start()
            try:
                wait_for(
                    f"{CALLS_BEFORE} calls put through before the outage",
                    lambda: callers.count(lambda p: p.is_queued and not p.is_cut) >= CALLS_BEFORE,
                    deadline,
                )
                outage.began = time.monotonic()
                postgres.stop("immediate")
                outage.stopped = time.monotonic()
                probe = callers.place()  # a call dialled with the database certainly gone
                wait_for(
                    "callers to dial into the outage",
                    lambda: (
                        time.monotonic() - outage.stopped >= DOWN_SECONDS
                        and callers.count(lambda p: p.is_cut) > 2 * CALLERS
                    ),
                    deadline,
                )
                postgres.start()
                outage.ended = time.monotonic()
                wait_for(
                    f"{CALLS_AFTER} calls dialled after the restart",
                    lambda: callers.count(lambda p: p.dialled_at > outage.ended) >= CALLS_AFTER,
                    deadline,
                )
            finally:
                callers.stop.set()
                for thread in threads:
                    thread.join(timeout=max(1.0, deadline - time.monotonic()))
            assert not callers.failures, callers.failures

            # A restart while the desk is idle, as for an upgrade: every worker's pooled
            # connections are now dead, and the next caller must not be the one to find out.
            postgres.stop("fast")
            postgres.start()
            # The operator, signed in before both, takes that caller's call through the console.
            last = taken_call(app, twilio, operator, seeded, callers.unused.get_nowait())

        placed = callers.placed
        print(
            f"\nfaults: {len(placed)} calls; {sum(p.is_cut for p in placed)} cut by the outage, "
            f"{sum(not p.answered('status') for p in placed)} of them hung up while it lasted"
        )
        # While the database was down callers heard the safe message, never an error (spoken()
        # fails on anything but TwiML); before and after, every webhook was answered.
        assert probe is not None and not probe.exchanges[0].is_answered
        exchanges = [e for p in placed for e in p.exchanges]
        assert all(e.is_answered for e in exchanges if not outage.spans(e))
        after = [p for p in placed if p.dialled_at > outage.ended]
        assert len(after) >= CALLS_AFTER and all(p.is_queued and not p.is_cut for p in after)

        with app.app_context():
            rows = {c.sid: c for c in db.session.scalars(select(Call))}
            events = list(db.session.scalars(select(AuditEvent).order_by(AuditEvent.id)))
            handlings = list(db.session.scalars(select(Handling)))
            # The audit log's hash chain holds, checked as `flask audit verify` checks it.
            breaks = [result for result in chain.walk() if result is not None]
            db.engine.dispose()
        assert not breaks, breaks
        assert set(rows) <= {p.sid for p in placed} | {last}  # no call from nowhere
        assert_each_row_is_whole(rows.values(), events)
        assert_each_call_is_accounted_for(placed, rows, events, outage)
        assert [h.call_id for h in handlings] == [rows[last].id]
        assert rows[last].status == CallStatus.COMPLETED


def taken_call(app: Flask, twilio: Twilio, operator: Operator, seeded: Seeded, n: int) -> str:
    """Practitioner n calls and waits; the operator takes, handles and wraps up the call."""
    phone = twilio.call(practitioner_phone(n))
    phone.dial()
    assert flow.UNAVAILABLE not in phone.heard, "the first call after a restart was not answered"
    secret = seeded.practitioner_secrets[practitioner_id(n)]
    phone.verify(practitioner_id(n), PIN, pyotp.TOTP(secret).now())
    assert phone.enqueue is not None, phone.heard
    phone.wait(position=1)
    with app.app_context():
        public_id = db.session.scalar(select(Call.public_id).where(Call.sid == phone.sid))
        db.engine.dispose()
    operator.handle(operator.take(str(public_id)))
    ended = twilio.post("/ivr/status", phone.params(CallStatus="completed", CallDuration="60"))
    assert flow.UNAVAILABLE not in spoken(ended)
    return phone.sid


def assert_each_row_is_whole(rows: Iterable[Call], events: list[AuditEvent]) -> None:
    """Each call is in a state the call flow can reach, with exactly the audit events that
    state implies: no transaction was half applied."""
    kinds: dict[int | None, Counter[str]] = defaultdict(Counter)
    for event in events:
        kinds[event.call_id][event.kind] += 1
    for call in rows:
        audited = kinds[call.id]
        assert audited["call.started"] == 1, call
        assert audited["verification.succeeded"] == (call.verified_at is not None), call
        assert audited["call.queued"] == (call.queued_at is not None), call
        assert audited["call.ended"] == (call.ended_at is not None), call
        assert audited["call.abandoned"] == (call.queue_result == "hangup"), call
        assert (call.practitioner_id is not None) == (call.verified_at is not None), call
        if call.status == CallStatus.IN_IVR:
            assert call.stage in ASKS and call.queued_at is None, call
        if call.status in {CallStatus.QUEUED, CallStatus.ABANDONED, CallStatus.COMPLETED}:
            assert call.stage == Stage.QUEUED and call.queued_at is not None, call
        if call.status == CallStatus.ENDED:
            # Ended by its status callback: no caller was turned away by the flow.
            assert call.queued_at is None and call.ended_at is not None, call
    # Nobody was refused, locked out or hung up on by what the outage did to their call.
    refused = {"verification.failed", "practitioner.locked", "call.ended_by_desk"}
    assert not any(set(counted) & refused for counted in kinds.values())


def assert_each_call_is_accounted_for(
    placed: list[PlacedCall], rows: dict[str, Call], events: list[AuditEvent], outage: Outage
) -> None:
    """Each call Twilio placed is stored as far as the desk answered it, and no further."""
    unknown = {e.data["call_sid"] for e in events if e.kind == "call.status_for_unknown_call"}
    for call in placed:
        row = rows.get(call.sid)
        # A webhook answered with the safe message may still have been committed if it was in
        # flight when the server stopped: its reply was lost, not its transaction.
        in_doubt = any(
            not e.is_answered and e.webhook in KEYPAD and e.sent_at < outage.stopped
            for e in call.exchanges
        )
        if row is None:
            assert call.replies == 0, call
            # Its status callback, if the desk took it, was noted against an unknown call.
            assert call.sid in unknown or not call.answered("status"), call
            continue
        assert row.turn in {call.replies, call.replies + in_doubt}, (row, call)
        assert row.caller_number == call.number, call
        if call.is_queued:
            assert row.practitioner_id == call.practitioner and row.queued_at, call
        if call.answered("left-queue"):
            assert row.queue_result == "hangup", call
        if call.answered("status"):
            expected = CallStatus.ABANDONED if row.queued_at else CallStatus.ENDED
            assert row.ended_at is not None and row.status == expected, call
        elif row.ended_at is None:
            # Its caller hung up while the database was down, and Twilio does not send a
            # status callback twice: the row stays as the outage left it.
            assert row.status in {CallStatus.IN_IVR, CallStatus.QUEUED, CallStatus.ABANDONED}
