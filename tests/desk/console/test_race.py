"""Operators pressing Take, or Take next, at the same moment, on separate connections."""

import threading
from collections.abc import Callable

from flask import Flask
from sqlalchemy import func, select

from desk.console import states, taking
from desk.core.extensions import db
from desk.core.refusals import Refused
from desk.core.types import utcnow
from desk.dev.simulator import Twilio
from desk.staff.models import Staff
from ivr.models import Call, CallStatus
from ivr.telephony import Leg, LocalTelephony
from tests.desk.conftest import queued_call
from tests.factories import make_practitioner, make_staff
from tests.races import together
from tests.stored import stored_call


class SlowTelephony(LocalTelephony):
    """Holds the winner inside its take until the loser has had its answer (or 5 seconds)."""

    def __init__(self) -> None:
        super().__init__()
        self.connecting = threading.Event()
        self.loser_answered = threading.Event()
        self.was_loser_told_first = False

    def connect_caller(self, leg: Leg) -> None:
        self.connecting.set()
        self.was_loser_told_first = self.loser_answered.wait(timeout=3)
        super().connect_caller(leg)


def test_one_of_two_racing_operators_wins_and_the_other_is_told_at_once(
    committed_app: Flask,
) -> None:
    app = committed_app
    with app.app_context():
        make_practitioner(practitioner_id="42000001", totp_secret="MZXW6YTBOJUWU23MNU3DEMZUGQ4DK")
        ids = [
            make_staff(username=name, name=name.title(), phone_leg="+447700900001").id
            for name in ("rita", "rory")
        ]
    phone = queued_call(
        Twilio(app.test_client(), app.config["TWILIO_AUTH_TOKEN"]),
        "42000001",
        secret="MZXW6YTBOJUWU23MNU3DEMZUGQ4DK",
    )
    public_id = stored_call(app, phone.sid).public_id
    phones = SlowTelephony()
    app.extensions["desk.telephony"] = {"adapter": phones}
    outcomes: dict[int, str] = {}

    def take(staff_id: int, first: bool) -> None:
        if not first:
            phones.connecting.wait(timeout=5)  # the other operator holds the call's row now
        with app.test_request_context():
            operator = db.session.get(Staff, staff_id)
            try:
                # As the console's take: the claim committed, then the REST calls, the outcome.
                work = taking.take_call(operator, public_id, utcnow())
                db.session.commit()
                failed = taking.finish_take(operator, work, work.run(phones), utcnow())
                db.session.commit()
                outcomes[staff_id] = failed or "taken"
            except Refused as refusal:
                db.session.rollback()
                outcomes[staff_id] = refusal.message
                phones.loser_answered.set()

    threads = [
        threading.Thread(target=take, args=(ids[0], True)),
        threading.Thread(target=take, args=(ids[1], False)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=15)
    app.extensions.pop("desk.telephony", None)

    assert outcomes[ids[0]] == "taken"
    assert "taken by another operator" in outcomes[ids[1]]
    # Told while the winner was still connecting: SKIP LOCKED, not a wait for the row.
    assert phones.was_loser_told_first
    assert [action[0] for action in phones.actions] == ["connect_caller", "dial_operator"]


def test_operators_taking_next_at_the_same_moment_each_get_a_different_caller(
    committed_app: Flask,
) -> None:
    app = committed_app
    callers = {"47100001": "NBSWY3DPO5XXE3DEMFZGS5DFON2A", "47100002": "ORSXG5BAMNXWIZLTON2GC4TU"}
    with app.app_context():
        for number, secret in callers.items():
            make_practitioner(practitioner_id=number, phones=(), totp_secret=secret)
        ids = [
            make_staff(username=name, name=name.title(), phone_leg="+447700900002").id
            for name in ("tara", "theo")
        ]
        for staff_id in ids:
            operator = db.session.get(Staff, staff_id)
            assert operator is not None
            states.choose(operator, states.Status.AVAILABLE, utcnow())
        db.session.commit()
    twilio = Twilio(app.test_client(), app.config["TWILIO_AUTH_TOKEN"])
    for number, secret in callers.items():
        queued_call(twilio, number, secret=secret)
    with app.app_context():
        waiting = db.session.scalar(
            select(func.count()).select_from(Call).where(Call.status == CallStatus.QUEUED)
        )
    app.extensions["desk.telephony"] = {"adapter": LocalTelephony()}

    def take_next(n: int, go: Callable[[], None]) -> int:
        with app.test_request_context():
            operator = db.session.get(Staff, ids[n])
            assert operator is not None
            go()
            work = taking.take_next(operator, utcnow())
            db.session.commit()
            return work.call_id

    taken = together(2, take_next)
    app.extensions.pop("desk.telephony", None)
    assert all(isinstance(call_id, int) for call_id in taken), taken
    assert taken[0] != taken[1]
    with app.app_context():
        left = db.session.scalar(
            select(func.count()).select_from(Call).where(Call.status == CallStatus.QUEUED)
        )
        assert left == (waiting or 0) - 2
