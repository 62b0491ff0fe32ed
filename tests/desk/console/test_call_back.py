"""The desk's own call-back: a caller on an unregistered number is rung on a registered one,
keys their PIN and a fresh code there, and that leg becomes the call."""

import json

from flask import Flask

from desk.dev.simulator import Twilio
from ivr import flow
from ivr.models import CallStatus, RecheckStatus
from ivr.telephony import LocalTelephony, TelephonyError
from tests.desk.conftest import (
    Console,
    called_back,
    flashed,
    press_call_back,
    queued_call,
    registered_choice,
)
from tests.factories import PHONE, PIN, fresh_code, make_practitioner
from tests.stored import audit_data, audit_events, stored_call, stored_practitioner

UNREGISTERED = "+447700900999"


def taken_from_elsewhere(twilio: Twilio, sam: str, console: Console) -> str:
    phone = queued_call(twilio, sam, caller=UNREGISTERED)
    console.take(phone)
    return phone.sid


def line(console: Console) -> dict[str, object]:
    answer = console.client.get(f"{console.page}/line", headers={"Accept": "application/json"})
    return dict(json.loads(answer.data))


def test_the_desk_calls_back_and_the_verified_leg_becomes_the_call(
    app: Flask, sam: str, twilio: Twilio, console: Console, phones: LocalTelephony
) -> None:
    first_sid = taken_from_elsewhere(twilio, sam, console)
    console.post("identity", {"is_confirmed": "y"})
    assert audit_events(app, "call.identity_confirmed") == []  # not before the call-back

    leg = press_call_back(console)
    assert ("call_back", PHONE) in phones.actions
    assert leg.said_last() == [
        "This is the ContactPoint mediated access desk, calling back for Sam Field.",
        flow.QUESTION[flow.Field.PRESS],
    ]
    gather = leg.last.find("Gather") if leg.last is not None else None
    assert gather is not None and gather.attrib["numDigits"] == "1"
    assert line(console)["identity"] == {
        "kind": "call_back",
        "status": "keying",
        "words": "Call-back: Checking…",
    }

    leg.key("1")
    assert leg.said_last() == [flow.JUST_THE_PIN]
    leg.key(PIN)
    leg.key(fresh_code())
    conference = leg.last.find("Dial/Conference") if leg.last is not None else None
    assert conference is not None and conference.text == f"desk-call-{console.public_id}"
    assert conference.attrib["participantLabel"] == "caller"
    # The first leg is ended once the call-back's leg is the caller's.
    assert phones.actions[-1] == ("hang_up", first_sid)
    call = stored_call(app, leg.sid)
    assert call.status == CallStatus.CONNECTED and call.caller_number == UNREGISTERED
    assert line(console)["identity"]["words"] == "Call-back: Verified"  # type: ignore[index]

    console.post("identity", {"is_confirmed": "y"})
    [confirmed] = audit_data(app, "call.identity_confirmed")
    assert confirmed == {"is_called_back": True}
    [connected] = audit_data(app, "call.call_back_connected")
    assert connected == {"number": PHONE}
    [checked] = audit_data(app, "call.recheck_checked")
    assert checked == {"kind": "call_back", "attempt": 1, "outcome": "verified", "reasons": []}


def test_the_first_caller_may_hang_up_and_the_call_goes_on_when_called_back(
    app: Flask, sam: str, twilio: Twilio, console: Console, phones: LocalTelephony
) -> None:
    first_sid = taken_from_elsewhere(twilio, sam, console)
    first = twilio.call(UNREGISTERED)
    first.sid = first_sid
    twilio.post("/ivr/status", first.params(CallStatus="completed", CallDuration="40"))
    assert line(console)["is_over"] is True

    leg = called_back(console)
    assert line(console)["is_over"] is False
    events = f"/ivr/conference/events?call={console.public_id}"
    joined = {"StatusCallbackEvent": "participant-join", "ParticipantLabel": "caller"}
    twilio.post(events, leg.params(ConferenceSid="CF" + "1" * 32, **joined))
    assert line(console)["caller"] == "on_line"
    # The first leg's late reports are not the new caller's.
    twilio.post(
        events,
        first.params(StatusCallbackEvent="participant-leave", ParticipantLabel="caller"),
    )
    assert line(console)["is_over"] is False
    assert stored_call(app, leg.sid).status == CallStatus.CONNECTED

    # When the called-back practitioner hangs up, the call is over.
    ringing_status = f"/ivr/recheck/{recheck_id(app)}/status"
    twilio.post(ringing_status, leg.params(CallStatus="completed", CallDuration="95"))
    ended = stored_call(app, leg.sid)
    assert ended.ended_at is not None and ended.duration_seconds == 95


def recheck_id(app: Flask) -> str:
    from sqlalchemy import select

    from desk.core.extensions import db
    from ivr.models import Recheck

    with app.app_context():
        found = db.session.scalar(select(Recheck.public_id).order_by(Recheck.id.desc()))
        assert found is not None
        return found


def test_a_voicemail_that_never_presses_1_is_never_asked_for_a_pin(
    app: Flask, sam: str, twilio: Twilio, console: Console, phones: LocalTelephony
) -> None:
    taken_from_elsewhere(twilio, sam, console)
    leg = press_call_back(console)
    for _ in range(flow.RETRIES_PER_QUESTION):
        assert leg.said_last()[-1] == flow.QUESTION[flow.Field.PRESS]
        leg.key("")
    assert leg.is_hung_up and leg.said_last() == [flow.CALL_BACK_GAVE_UP]
    assert not any("PIN" in said for said in leg.heard)
    assert line(console)["identity"]["words"] == "Call-back: Not verified"  # type: ignore[index]


def test_wrong_details_on_the_call_back_sound_like_the_ivrs_and_count_towards_lockout(
    app: Flask, sam: str, twilio: Twilio, console: Console, phones: LocalTelephony
) -> None:
    taken_from_elsewhere(twilio, sam, console)
    before = stored_practitioner(app, sam).failed_attempts
    leg = press_call_back(console)
    leg.key("1")
    leg.key("000000")
    leg.key(fresh_code())
    assert leg.said_last() == [flow.TRY_AGAIN, flow.JUST_THE_PIN]
    leg.key(PIN)
    leg.key("000000")  # a wrong code sounds the same as a wrong PIN
    assert leg.said_last() == [flow.TRY_AGAIN, flow.JUST_THE_PIN]
    assert stored_practitioner(app, sam).failed_attempts == before + 2
    reasons = [d["reasons"] for d in audit_data(app, "call.recheck_checked")]
    assert reasons == [["wrong_pin"], ["wrong_or_reused_code"]]
    leg.key(PIN)
    leg.key("111111")
    assert leg.is_hung_up and leg.said_last() == [flow.NOT_VERIFIED]
    assert line(console)["identity"]["words"] == "Call-back: Not verified"  # type: ignore[index]
    console.post("identity", {"is_confirmed": "y"})
    assert audit_events(app, "call.identity_confirmed") == []


def test_failures_on_call_backs_lock_the_account_as_the_ivrs_do(
    app: Flask, sam: str, twilio: Twilio, console: Console, phones: LocalTelephony
) -> None:
    taken_from_elsewhere(twilio, sam, console)
    for _ in range(2):
        leg = press_call_back(console)
        leg.key("1")
        for _ in range(3):
            leg.key("000000")
            leg.key(fresh_code())
        assert leg.is_hung_up and leg.said_last() == [flow.NOT_VERIFIED]
    # Five failures lock the account; the sixth is refused as locked, and said the same way.
    assert stored_practitioner(app, sam).is_locked
    assert len(audit_events(app, "practitioner.locked")) == 1
    assert line(console)["identity"]["words"] == "Call-back: Locked"  # type: ignore[index]


def test_only_the_practitioners_registered_numbers_can_be_called(
    app: Flask, sam: str, twilio: Twilio, console: Console, phones: LocalTelephony
) -> None:
    taken_from_elsewhere(twilio, sam, console)
    with app.app_context():
        other = make_practitioner(practitioner_id="40000009", phones=("+447700900555",))
        other_phone = other.phones[0].id
    page = console.client.get(console.page).text
    assert registered_choice(page, PHONE) and "+447700900555" not in page
    refused = console.post("call-back", {"phone": str(other_phone)})
    assert "Choose" in " ".join(flashed(console.client.get(refused.location)))
    console.post("call-back", {"phone": "+447700900555"})
    assert [a for a in phones.actions if a[0] == "call_back"] == []


def test_a_call_back_twilio_refuses_is_not_verified_and_can_be_tried_again(
    app: Flask, sam: str, twilio: Twilio, console: Console, phones: LocalTelephony
) -> None:
    taken_from_elsewhere(twilio, sam, console)
    phones.failure = TelephonyError("refused")
    choice = registered_choice(console.client.get(console.page).text, PHONE)
    response = console.post("call-back", {"phone": choice})
    assert "could not place the call" in " ".join(flashed(console.client.get(response.location)))
    [failed] = audit_data(app, "call.recheck_failed")
    assert failed == {"kind": "call_back", "reason": "telephony"}
    called_back(console)
    assert line(console)["identity"]["words"] == "Call-back: Verified"  # type: ignore[index]


def test_a_webhook_from_another_leg_cannot_key_for_the_call_back(
    app: Flask, sam: str, twilio: Twilio, console: Console, phones: LocalTelephony
) -> None:
    taken_from_elsewhere(twilio, sam, console)
    leg = press_call_back(console)
    intruder = twilio.call(PHONE)
    intruder.last = leg.last
    intruder.key("1")
    assert intruder.is_hung_up
    with app.app_context():
        from ivr import rechecks

        recheck = rechecks.find(recheck_id(app))
        assert recheck is not None and recheck.status == RecheckStatus.KEYING
        assert recheck.turn == 1


def test_a_call_back_still_keying_when_the_call_is_wrapped_up_goes_no_further(
    app: Flask, sam: str, twilio: Twilio, console: Console, phones: LocalTelephony
) -> None:
    taken_from_elsewhere(twilio, sam, console)
    leg = press_call_back(console)
    leg.key("1")
    console.wrap_up()
    leg.key(PIN)
    assert leg.is_hung_up
    with app.app_context():
        from ivr import rechecks

        recheck = rechecks.find(recheck_id(app))
        assert recheck is not None and recheck.status == RecheckStatus.NOT_VERIFIED
    [failed] = audit_data(app, "call.recheck_failed")
    assert failed == {"kind": "call_back", "reason": "wrapped_up"}


def test_an_answer_before_the_call_back_was_answered_is_not_taken(
    app: Flask, sam: str, twilio: Twilio, console: Console, phones: LocalTelephony
) -> None:
    taken_from_elsewhere(twilio, sam, console)
    choice = registered_choice(console.client.get(console.page).text, PHONE)
    console.post("call-back", {"phone": choice})
    ringing = phones.take_ringing(PHONE)
    assert ringing is not None
    early = twilio.call(PHONE)
    early.sid = ringing.sid
    answer = f"/ivr/recheck/{recheck_id(app)}/answer?turn=0"
    assert early.follow(twilio.post(answer, early.params(Digits="1"))).find("Hangup") is not None
    assert audit_data(app, "call.recheck_checked") == []
