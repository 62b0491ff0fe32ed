"""Twilio is called only after the commit: while it is slow, nobody waits for the call's row.

Each test stalls one REST call of a console request and, meanwhile, locks the call's row and its
handling from another connection with NOWAIT, which fails at once if anyone holds them.
"""

import itertools
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import psycopg
import pyotp
import pytest
from flask import Flask
from psycopg import pq
from sqlalchemy import event, select, text
from sqlalchemy.exc import OperationalError
from werkzeug.test import TestResponse

from desk.console import lookup
from desk.console.models import Handling
from desk.core.audit.service import append_parameters
from desk.core.extensions import db
from desk.dev.simulator import Phone, Twilio
from ivr.models import CallStatus
from ivr.telephony import Leg, LocalTelephony
from tests.desk.conftest import OPERATOR_PHONE, Console, flashed, queued_call
from tests.factories import make_practitioner, make_staff
from tests.pages import sign_in, submit
from tests.stored import audit_events, stored_call

numbers = itertools.count(1)


class SlowTelephony(LocalTelephony):
    """Twilio taking its time: the named request waits until the test lets it go on."""

    def __init__(self) -> None:
        super().__init__()
        self.slow: str | None = None
        self.waiting = threading.Event()
        self.go_on = threading.Event()
        self.was_in_transaction: bool | None = None

    def _stall(self, request: str) -> None:
        if request == self.slow:
            # The request's own session, as the desk left it for the REST call.
            self.was_in_transaction = db.session().in_transaction()
            self.waiting.set()
            self.go_on.wait(timeout=10)

    def connect_caller(self, leg: Leg) -> None:
        self._stall("connect_caller")
        super().connect_caller(leg)

    def requeue_caller(self, leg: Leg, queue_url: str) -> None:
        self._stall("requeue_caller")
        super().requeue_caller(leg, queue_url)

    def hang_up(self, call_sid: str) -> None:
        self._stall("hang_up")
        super().hang_up(call_sid)


@dataclass
class Desk:
    app: Flask
    twilio: Twilio
    phones: SlowTelephony
    console: Console
    phone: Phone

    @property
    def call_id(self) -> int:
        return stored_call(self.app, self.phone.sid).id

    def while_twilio_is_slow(
        self, request: str, act: Callable[[], TestResponse], meanwhile: Callable[[], None]
    ) -> TestResponse:
        """Run `act` in the background, stalled at `request`; `meanwhile` runs during the stall."""
        self.phones.slow = request
        done: list[TestResponse] = []
        worker = threading.Thread(target=lambda: done.append(act()))
        worker.start()
        try:
            assert self.phones.waiting.wait(timeout=10), f"{request} was never made"
            meanwhile()
        finally:
            self.phones.go_on.set()
            worker.join(timeout=15)
        [response] = done
        return response

    def row_locks_are_free(self) -> bool:
        """Whether another connection can lock the call's row and its handling's, at once."""
        with self.app.app_context(), db.engine.connect() as other:
            try:
                for table, column in (("calls", "id"), ("handlings", "call_id")):
                    other.execute(
                        text(f"SELECT 1 FROM {table} WHERE {column} = :id FOR UPDATE NOWAIT"),  # noqa: S608
                        {"id": self.call_id},
                    )
            except OperationalError:
                return False
            finally:
                other.rollback()
        return True

    def handling(self) -> Handling | None:
        with self.app.app_context():
            found = db.session.scalar(select(Handling).where(Handling.call_id == self.call_id))
            if found is not None:
                db.session.expunge(found)
            return found


@pytest.fixture
def desk(committed_app: Flask) -> Iterator[Desk]:
    """A caller of their own queued on the committed desk, and an operator of their own."""
    app, n = committed_app, next(numbers)
    secret = pyotp.random_base32()
    with app.app_context():
        make_practitioner(practitioner_id=f"{47000000 + n}", name="Pat Slow", totp_secret=secret)
        make_staff(username=f"slow-{n}", name="Sol Slow", phone_leg=OPERATOR_PHONE)
    phones = SlowTelephony()
    app.extensions["desk.telephony"] = {"adapter": phones}
    twilio = Twilio(app.test_client(), app.config["TWILIO_AUTH_TOKEN"])
    phone = queued_call(twilio, f"{47000000 + n}", secret=secret)
    client = app.test_client()
    assert sign_in(client, username=f"slow-{n}").status_code == 302
    try:
        yield Desk(app, twilio, phones, Console(client, app), phone)
    finally:
        app.extensions.pop("desk.telephony", None)
        # The caller hangs up, so that no test after this one finds them waiting.
        twilio.post("/ivr/status", phone.params(CallStatus="completed", CallDuration="1"))


def test_the_probe_sees_a_row_lock_that_is_held(desk: Desk) -> None:
    with desk.app.app_context(), db.engine.connect() as holder:
        holder.execute(text("SELECT 1 FROM calls WHERE id = :id FOR UPDATE"), {"id": desk.call_id})
        assert not desk.row_locks_are_free()
        holder.rollback()
    assert desk.row_locks_are_free()


def test_while_twilio_connects_a_taken_call_its_row_is_free_and_its_steps_wait(
    desk: Desk,
) -> None:
    seen: dict[str, object] = {}
    other_tab = desk.app.test_client()  # the same operator, signed in, in another tab
    cookie = desk.console.client.get_cookie(desk.app.config["SESSION_COOKIE_NAME"])
    assert cookie is not None
    other_tab.set_cookie(cookie.key, cookie.value)

    def meanwhile() -> None:
        seen["free"] = desk.row_locks_are_free()
        # The claim is committed before Twilio is asked anything.
        seen["status"] = stored_call(desk.app, desk.phone.sid).status
        seen["taken"] = len(audit_events(desk.app, "call.taken", call_sid=desk.phone.sid))
        seen["page"] = other_tab.get(desk.console.page).status_code
        submit(other_tab, desk.console.page, {"is_confirmed": "y"}, f"{desk.console.page}/identity")
        seen["step"] = flashed(other_tab.get(desk.console.page))

    response = desk.while_twilio_is_slow(
        "connect_caller", lambda: desk.console.take(desk.phone), meanwhile
    )

    assert seen["free"] is True and desk.phones.was_in_transaction is False
    assert (seen["status"], seen["taken"], seen["page"]) == (CallStatus.CONNECTED, 1, 200)
    assert seen["step"] == ["The phone system is still busy with this call: try again in a moment."]
    assert audit_events(desk.app, "call.identity_confirmed", call_sid=desk.phone.sid) == []
    assert response.status_code == 302 and response.location == desk.console.page
    held = desk.handling()
    assert held is not None and held.operator_call_sid and held.rest_calls_since is None
    assert [action[0] for action in desk.phones.actions] == ["connect_caller", "dial_operator"]


def test_while_twilio_returns_a_call_to_the_queue_its_row_is_free(desk: Desk) -> None:
    desk.console.take(desk.phone)
    seen: dict[str, object] = {}

    def meanwhile() -> None:
        seen["free"] = desk.row_locks_are_free()
        # Still the operator's until Twilio has put the caller back: nobody else can take it.
        seen["status"] = stored_call(desk.app, desk.phone.sid).status

    response = desk.while_twilio_is_slow(
        "requeue_caller", lambda: desk.console.post("release", {}), meanwhile
    )

    assert seen == {"free": True, "status": CallStatus.CONNECTED}
    assert desk.phones.was_in_transaction is False
    assert response.status_code == 302 and response.location == "/console/"
    assert stored_call(desk.app, desk.phone.sid).status == CallStatus.QUEUED
    assert desk.handling() is None
    assert len(audit_events(desk.app, "call.released", call_sid=desk.phone.sid)) == 1


def test_while_twilio_hangs_up_at_wrap_up_its_row_is_free_and_the_wrap_up_is_committed(
    desk: Desk,
) -> None:
    desk.console.take(desk.phone)
    seen: dict[str, object] = {}

    def meanwhile() -> None:
        seen["free"] = desk.row_locks_are_free()
        seen["status"] = stored_call(desk.app, desk.phone.sid).status
        held = desk.handling()
        seen["wrapped"] = held is not None and held.wrapped_up_at is not None

    response = desk.while_twilio_is_slow(
        "hang_up", lambda: desk.console.wrap_up("call_dropped"), meanwhile
    )

    assert seen == {"free": True, "status": CallStatus.COMPLETED, "wrapped": True}
    assert desk.phones.was_in_transaction is False
    assert response.status_code == 302 and response.location == "/console/"
    assert [action[0] for action in desk.phones.actions[-2:]] == ["hang_up", "hang_up"]


def test_a_search_gives_its_connection_back_to_the_pool_out_of_pipeline_mode(desk: Desk) -> None:
    # A search's statement goes in a pipeline with its COMMIT behind it. A connection given
    # back to the pool before the pipeline ended could be taken, still in pipeline mode, by
    # another thread of the same process (a threaded worker, a test's), and fail there.
    desk.console.take(desk.phone)
    desk.console.ready_to_search()
    modes: list[pq.PipelineStatus] = []

    def given_back(connection: Any, _: object) -> None:
        modes.append(connection.pgconn.pipeline_status)

    with desk.app.app_context():
        engine = db.engine
    event.listen(engine, "checkin", given_back)
    try:
        desk.console.search(family_name="Nobody", date_of_birth="2015-03-14")
    finally:
        event.remove(engine, "checkin", given_back)
    assert len(audit_events(desk.app, "search.made", call_sid=desk.phone.sid)) == 1
    assert modes and set(modes) == {pq.PipelineStatus.OFF}, modes


def test_a_search_whose_audit_append_fails_stores_nothing_and_the_next_one_works(
    desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    desk.console.take(desk.phone)
    desk.console.ready_to_search()

    def unreadable(kind: str, **subjects: Any) -> dict[str, Any]:
        return {**append_parameters(kind, **subjects), "data_json": "not json"}

    monkeypatch.setattr(lookup, "append_parameters", unreadable)
    # The test client lets the error through; a browser gets the error page.
    with pytest.raises(psycopg.Error):
        desk.console.post("search", {"family_name": "Nobody", "date_of_birth": "2015-03-14"})
    assert audit_events(desk.app, "search.made", call_sid=desk.phone.sid) == []
    monkeypatch.undo()
    desk.console.search(family_name="Nobody", date_of_birth="2015-03-14")
    assert len(audit_events(desk.app, "search.made", call_sid=desk.phone.sid)) == 1
    with desk.app.app_context():
        handling = db.session.scalar(select(Handling).where(Handling.call_id == desk.call_id))
        assert handling is not None and len(handling.searches) == 1
