"""Reconciliation: calls whose status callback was lost are put right from Twilio's own word."""

from datetime import UTC, datetime, timedelta

from flask import Flask
from sqlalchemy import select

from desk.core.audit.models import AuditEvent
from desk.core.extensions import db
from desk.core.types import utcnow
from desk.dev.simulator import Twilio
from ivr import reconcile
from ivr.models import Call, CallStatus
from ivr.telephony import CallerGone, LineStatus, LocalTelephony, TelephonyError
from tests.desk.conftest import ALEX_SECRET, queued_call
from tests.factories import make_practitioner
from tests.ivr.test_telephony import BASE, RecordingHttpClient, adapter


def _age(app: Flask, sid: str, minutes: int) -> None:
    """Make the call look as if it began (and was queued) this many minutes ago."""
    with app.app_context():
        call = db.session.scalar(select(Call).where(Call.sid == sid))
        assert call is not None
        then = utcnow() - timedelta(minutes=minutes)
        call.started_at = then
        call.queued_at = then if call.queued_at else None
        db.session.commit()


def _alex(app: Flask, twilio: Twilio) -> str:
    """A second caller queued now (a code is accepted once per token, so another token)."""
    with app.app_context():
        make_practitioner(
            practitioner_id="40000002", phones=("+447700900777",), totp_secret=ALEX_SECRET
        )
    return queued_call(twilio, "40000002", caller="+447700900777", secret=ALEX_SECRET).sid


def _call(app: Flask, sid: str) -> Call:
    with app.app_context():
        call = db.session.scalar(select(Call).where(Call.sid == sid))
        assert call is not None
        db.session.expunge(call)
        return call


def _reconciled(app: Flask) -> list[dict[str, object]]:
    with app.app_context():
        kind = AuditEvent.kind == "call.reconciled"
        return [e.data for e in db.session.scalars(select(AuditEvent).where(kind))]


def test_twilio_is_asked_for_the_call_with_one_get() -> None:
    http = RecordingHttpClient(
        body={
            "sid": "CA" + "a" * 32,
            "status": "completed",
            "duration": "42",
            "end_time": "Wed, 02 Dec 2026 04:00:00 +0000",
        }
    )
    line = adapter(http).line_status("CA" + "a" * 32)
    assert http.requests == [("GET", f"{BASE}/Calls/{'CA' + 'a' * 32}.json", {})]
    assert line == LineStatus("completed", 42, datetime(2026, 12, 2, 4, 0, tzinfo=UTC))


def test_a_queued_caller_whose_hang_up_was_lost_is_abandoned(
    app: Flask, twilio: Twilio, sam: str, phones: LocalTelephony
) -> None:
    phone = queued_call(twilio, sam)
    _age(app, phone.sid, 31)
    phones.lines[phone.sid] = LineStatus("completed", 1860)
    result = app.test_cli_runner().invoke(args=["calls", "reconcile"])
    assert result.exit_code == 0, result.output
    assert "Checked 1 open calls with Twilio, ended 1." in result.output
    call = _call(app, phone.sid)
    assert (call.status, call.duration_seconds) == (CallStatus.ABANDONED, 1860)
    assert call.ended_at is not None
    assert _reconciled(app) == [{"was": "queued", "now": "abandoned", "twilio_status": "completed"}]
    # Run again: nothing is open, so Twilio is not asked and nothing is written.
    again = app.test_cli_runner().invoke(args=["calls", "reconcile"])
    assert "Checked 0 open calls with Twilio, ended 0." in again.output
    assert len(_reconciled(app)) == 1


def test_live_and_recent_calls_are_left_alone(
    app: Flask, twilio: Twilio, sam: str, phones: LocalTelephony
) -> None:
    live = queued_call(twilio, sam)
    _age(app, live.sid, 45)
    recent = _alex(app, twilio)  # queued a moment ago: below the threshold
    with app.app_context():
        done = reconcile.reconcile(utcnow())
    assert (done.checked, done.ended) == (1, 0)
    assert phones.actions == [("line_status", live.sid)]
    assert _call(app, live.sid).status == _call(app, recent).status == CallStatus.QUEUED
    assert _reconciled(app) == []


def test_a_call_twilio_does_not_know_is_ended_and_a_failed_fetch_changes_nothing(
    app: Flask, twilio: Twilio, sam: str, phones: LocalTelephony
) -> None:
    ghost = queued_call(twilio, sam)
    _age(app, ghost.sid, 60)
    phones.failure = CallerGone("Twilio 20404")
    with app.app_context():
        done = reconcile.reconcile(utcnow())
        db.session.commit()
    assert (done.checked, done.ended, done.failed) == (1, 1, 0)
    assert _call(app, ghost.sid).status == CallStatus.ABANDONED
    assert _reconciled(app)[-1]["twilio_status"] == "not_found"

    other = _alex(app, twilio)
    _age(app, other, 60)
    phones.failure = TelephonyError("Twilio could not be reached")
    result = app.test_cli_runner().invoke(args=["calls", "reconcile"])
    assert result.exit_code == 1
    assert "Twilio could not be asked about 1" in result.output
    assert _call(app, other).status == CallStatus.QUEUED


def test_through_the_twilio_adapter_the_exact_requests_are_made(
    app: Flask, twilio: Twilio, sam: str
) -> None:
    phone = queued_call(twilio, sam)
    _age(app, phone.sid, 40)
    http = RecordingHttpClient(body={"sid": phone.sid, "status": "no-answer", "duration": "0"})
    app.extensions["desk.telephony"] = {"adapter": adapter(http)}
    try:
        result = app.test_cli_runner().invoke(args=["calls", "reconcile"])
    finally:
        app.extensions.pop("desk.telephony", None)
    assert result.exit_code == 0, result.output
    assert http.requests == [("GET", f"{BASE}/Calls/{phone.sid}.json", {})]
    assert _call(app, phone.sid).status == CallStatus.ABANDONED
