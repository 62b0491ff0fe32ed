"""The benchmark's operator: calls taken one after another, and lookups timed inside them.

Calls are taken, the caller confirmed and the purpose recorded through the console's own
services, so that a search inside one is a search as the desk makes it. Only the IVR's part is
skipped: each call is stored as verification leaves it, queued.
"""

import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask import current_app
from sqlalchemy import event

from desk.console import handling as handlings
from desk.console import lookup, taking
from desk.console.models import Handling, Purpose, WrapUp
from desk.core.extensions import db
from desk.core.types import utcnow
from desk.records.search import Criteria
from desk.staff import accounts
from desk.staff.models import Role, Staff
from ivr.flow import Stage
from ivr.models import Call, CallStatus
from ivr.telephony import telephony
from verification import registry
from verification.models import Practitioner

OPERATOR = "bench-operator"
PRACTITIONER = "49999999"
PRACTITIONER_PHONE = "+447700900999"
OPERATOR_PHONE = "+447700900998"


def bench_staff() -> tuple[int, str]:
    """The benchmark's operator and practitioner (made on first use), with no call left open."""
    operator = accounts.find(OPERATOR)
    if operator is None:
        operator, _ = accounts.add_staff(
            OPERATOR,
            "Benchmark Operator",
            Role.OPERATOR,
            secrets.token_urlsafe(24),
            phone_leg=OPERATOR_PHONE,
            by="bench",
        )
    if db.session.get(Practitioner, PRACTITIONER) is None:
        registry.register(
            registry.NewPractitioner(
                practitioner_id=PRACTITIONER,
                name="Bench Practitioner",
                organisation="Benchmark Borough Council",
                role="Social worker",
                local_authority="E08000005",  # any listed authority (desk.core.authorities)
                phones=(PRACTITIONER_PHONE,),
                vetted_on=date.today(),
                trained_on=date.today(),
            )
        )
    # A run that was stopped may have left its last call open; the operator can hold only one.
    left_open = handlings.open_handling(operator)
    if left_open is not None:
        hang_up = handlings.wrap_up(operator, left_open, WrapUp.INFORMATION_GIVEN, "", utcnow())
        db.session.commit()
        hang_up.run(telephony())
    db.session.commit()
    return operator.id, PRACTITIONER


def ready_call(operator: Staff, practitioner_id: str) -> str:
    """A new call, taken by the operator, caller confirmed and purpose recorded; its public id.

    Committed. Needs a request context: taking a call builds the URLs Twilio is given.
    """
    now = utcnow()
    call = Call(
        sid="CA" + secrets.token_hex(16),
        caller_number=PRACTITIONER_PHONE,
        status=CallStatus.QUEUED,
        stage=Stage.QUEUED,
        practitioner_id=practitioner_id,
        is_registered_number=True,
        verified_at=now,
        queued_at=now,
    )
    db.session.add(call)
    db.session.flush()
    public_id = call.public_id
    # As the console's take does it: the claim committed, the REST calls, their outcome.
    connect = taking.take_call(operator, public_id, now)
    db.session.commit()
    failed = taking.finish_take(operator, connect, connect.run(telephony()), now)
    if failed:
        raise RuntimeError(failed)
    held = handlings.active_handling(operator, public_id, now)
    handlings.confirm_identity(operator, held, now=now)
    handlings.record_purpose(operator, held, Purpose.FIND_PROFESSIONALS, "", now)
    db.session.commit()
    return public_id


def wrap_up(operator: Staff, public_id: str) -> None:
    """End the operator's call, as the console's wrap-up does; committed, then hung up."""
    held = handlings.active_handling(operator, public_id, utcnow())
    hang_up = handlings.wrap_up(operator, held, WrapUp.INFORMATION_GIVEN, "", utcnow())
    db.session.commit()
    hang_up.run(telephony())


@dataclass(frozen=True)
class Sent:
    """A statement as the driver was given it, and how long the driver took over it."""

    sql: str
    parameters: Any
    seconds: float
    returned_at: float  # time.perf_counter() when the driver gave it back


@dataclass(frozen=True)
class LookupProfile:
    """Where one lookup's time went: its statements' round trips, its commit, and the rest."""

    sent: list[Sent]  # besides the commit
    statement_seconds: float
    commit_seconds: float
    total_seconds: float


class BenchOperator:
    """The benchmark's operator, searching inside calls taken one after another."""

    def __init__(self, operator_id: int, practitioner_id: str) -> None:
        self.operator_id, self.practitioner_id = operator_id, practitioner_id
        self.public_id: str | None = None
        self.searches_left = 0

    def _operator(self) -> Staff:
        operator = db.session.get(Staff, self.operator_id)
        assert operator is not None
        return operator

    def lookup_seconds(self, criteria: Criteria) -> float:
        """How long the search service takes for these criteria, committed as it commits."""
        operator, held = self._request()
        started = time.perf_counter()
        lookup.search_index(operator, held, criteria, utcnow())
        return time.perf_counter() - started

    def lookup_profile(self, criteria: Criteria) -> LookupProfile:
        """The lookup for these criteria taken apart: statements, commit and the rest.

        The commit runs from the last statement's return to the end: its COMMIT is pipelined
        behind that statement, whose return awaits nothing, so the wait for the statement's
        work is in the commit too (and the session's own commit, after the pipeline).
        """
        operator, held = self._request()
        with statements_sent() as sent:
            started = time.perf_counter()
            lookup.search_index(operator, held, criteria, utcnow())
            ended = time.perf_counter()
        return LookupProfile(
            sent=sent,
            statement_seconds=sum(statement.seconds for statement in sent),
            commit_seconds=ended - sent[-1].returned_at,
            total_seconds=ended - started,
        )

    def _request(self) -> tuple[Staff, Handling]:
        """The operator and their call, as the console's search request has them at the service.

        That is: a session of its own, the operator signed in, their call loaded.
        """
        if self.searches_left == 0:
            self.finish()
            self.public_id = ready_call(self._operator(), self.practitioner_id)
            self.searches_left = current_app.config["DESK_SEARCHES_PER_CALL"]
        self.searches_left -= 1
        db.session.close()
        operator = self._operator()
        return operator, handlings.active_handling(operator, self.public_id or "", utcnow())

    def next_call(self) -> None:
        """Wrap up the call in hand; the next lookup takes a new one."""
        self.finish()
        self.searches_left = 0

    def finish(self) -> None:
        """Wrap up the call in hand, if any."""
        if self.public_id is not None:
            wrap_up(self._operator(), self.public_id)
            self.public_id = None


@contextmanager
def statements_sent() -> Iterator[list[Sent]]:
    """The SQL statements sent meanwhile, with their parameters and how long each took."""
    sent: list[Sent] = []
    started: list[float] = []

    def before(conn: Any, cursor: Any, statement: str, parameters: Any, *args: Any) -> None:
        started.append(time.perf_counter())

    def after(conn: Any, cursor: Any, statement: str, parameters: Any, *args: Any) -> None:
        returned_at = time.perf_counter()
        sent.append(Sent(statement, parameters, returned_at - started.pop(), returned_at))

    event.listen(db.engine, "before_cursor_execute", before)
    event.listen(db.engine, "after_cursor_execute", after)
    try:
        yield sent
    finally:
        event.remove(db.engine, "before_cursor_execute", before)
        event.remove(db.engine, "after_cursor_execute", after)
