"""The wallboard's numbers, counted as docs/design.md 4.6 says, and the page that shows them."""

import secrets
from datetime import UTC, datetime, timedelta

from flask import Flask

from desk.console.models import Handling
from desk.console.states import OperatorState, Status
from desk.core.extensions import db
from desk.review.wallboard import InProgress, board
from ivr.models import Call, CallStatus
from tests.desk.review.conftest import Reviewer
from tests.factories import make_staff
from tests.pages import sign_in

NOON = datetime(2026, 3, 4, 12, 0, tzinfo=UTC)


def _call(
    practitioner: str,
    queued: timedelta,
    status: CallStatus,
    *,
    left_after: int | None = None,
    taken_after: int | None = None,
    operator: int | None = None,
    is_open: bool = False,
) -> None:
    queued_at = NOON - queued
    call = Call(
        sid="CA" + secrets.token_hex(16),
        status=status,
        practitioner_id=practitioner,
        started_at=queued_at - timedelta(seconds=40),
        queued_at=queued_at,
        left_queue_at=queued_at + timedelta(seconds=left_after) if left_after else None,
    )
    db.session.add(call)
    if taken_after is not None:
        taken_at = queued_at + timedelta(seconds=taken_after)
        db.session.add(
            Handling(
                call=call,
                operator_id=operator,
                taken_at=taken_at,
                wrapped_up_at=None if is_open else taken_at + timedelta(minutes=5),
            )
        )
    db.session.flush()


def test_the_board_counts_the_queue_service_level_abandons_and_operators(
    app: Flask, sam: str
) -> None:
    app.config.update(DESK_SERVICE_LEVEL_SECONDS=20, DESK_SHORT_ABANDON_SECONDS=5)
    with app.app_context():
        olive = make_staff(username="olive", name="Olive Operator").id
        ona = make_staff(username="ona", name="Ona Available").id
        make_staff(username="oscar", name="Oscar Never-chose")
        db.session.add(OperatorState(staff_id=ona, status=Status.AVAILABLE, since=NOON))
        minutes = timedelta(minutes=30)
        _call(sam, minutes, CallStatus.COMPLETED, taken_after=10, operator=olive)  # in time
        _call(sam, minutes, CallStatus.COMPLETED, taken_after=30, operator=olive)  # too late
        _call(sam, minutes, CallStatus.ABANDONED, left_after=40)  # abandoned
        _call(sam, minutes, CallStatus.ABANDONED, left_after=2)  # a short abandon
        _call(sam, timedelta(seconds=65), CallStatus.QUEUED)  # waiting now
        _call(  # being handled now, taken after 30 s
            sam,
            timedelta(minutes=5),
            CallStatus.CONNECTED,
            taken_after=30,
            operator=olive,
            is_open=True,
        )
        _call(sam, timedelta(days=1), CallStatus.ABANDONED, left_after=60)  # yesterday's
        shown = board(NOON)
    assert (shown.waiting, shown.longest_wait_seconds) == (1, 65)
    assert (shown.offered, shown.answered_in_time, shown.abandoned) == (4, 1, 1)
    assert shown.short_abandons == 1
    assert (shown.service_level_percent, shown.abandon_rate_percent) == (25, 25)
    assert shown.is_target_met is False
    assert shown.operators == {"available": 1, "on_call": 1, "after_call_work": 0, "away": 1}
    assert shown.in_progress == [InProgress("Olive Operator", 270)]


def test_an_empty_day_has_no_rates_rather_than_zero(app: Flask) -> None:
    with app.app_context():
        shown = board(NOON)
    assert (shown.service_level_percent, shown.abandon_rate_percent) == (None, None)
    assert shown.is_target_met is None and shown.waiting == 0


def test_supervisors_see_the_board_and_its_json_and_operators_do_not(
    app: Flask, reviewer: Reviewer, sam: str
) -> None:
    page = reviewer.client.get("/review/wallboard")
    assert page.status_code == 200
    assert 'src="/static/wallboard.js"' in page.text and "Calls waiting" in page.text
    data = reviewer.client.get("/review/wallboard.json").get_json()
    assert {"waiting", "longest_wait_seconds", "service_level_percent", "operators"} <= set(data)
    with app.app_context():
        make_staff(username="olive", name="Olive Operator")
    operator = app.test_client()
    sign_in(operator)
    assert operator.get("/review/wallboard.json").status_code in (302, 403)
