"""The operator's later checks of who is on the line: the desk's call-back to a registered
number, and asking the caller to key their code again.

Each goes as taking a call does (desk/console/phone.py): the service saves the recheck and
returns its one REST call; the view commits, makes it with nothing open, then records how it
went and commits again. What the leg keys is checked at the IVR's webhooks (ivr/rechecks.py);
the operator is shown only verified, not verified or locked.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select

from desk.console.handling import audit_call
from desk.console.models import Handling
from desk.console.phone import RingBack
from desk.core.audit.events import Event
from desk.core.extensions import db
from desk.core.refusals import Refused
from desk.staff.models import Staff
from ivr import calls, line, rechecks
from ivr.models import Call, Recheck, RecheckKind, RecheckStatus
from ivr.telephony import Telephony, TelephonyError
from verification.models import PractitionerPhone

STATUS_WORDS = {
    RecheckStatus.ASKED: "Checking…",
    RecheckStatus.KEYING: "Checking…",
    RecheckStatus.VERIFIED: "Verified",
    RecheckStatus.NOT_VERIFIED: "Not verified",
    RecheckStatus.LOCKED: "Locked",
}
NOT_PLACED = "The phone system could not place the call; try again."


@dataclass(frozen=True)
class TakeAside:
    """A committed keypad re-check's REST call: the caller's leg to the desk's questions."""

    recheck_id: int
    call_sid: str
    url: str

    def run(self, adapter: Telephony) -> str | None:
        """None once the caller's leg is on its way; the REST call's refusal otherwise."""
        try:
            adapter.redirect_caller(self.call_sid, self.url)
        except TelephonyError:
            current_app.logger.warning("Twilio would not take the caller out to key again")
            return "refused"
        return None


def _refuse_if_under_way(call: Call) -> None:
    if rechecks.under_way(call) is not None:
        raise Refused("A check of the caller is already under way: wait for its outcome.")


def call_back(operator: Staff, handling: Handling, phone_id: int, now: datetime) -> RingBack:
    """Begin the desk's call-back to one of the practitioner's registered numbers."""
    call = handling.call
    _refuse_if_under_way(call)
    if not rechecks.tries_left(call):
        raise Refused("The desk has called back as often as it may: wrap up the call.")
    phone = db.session.get(PractitionerPhone, phone_id)
    if phone is None or phone.practitioner_id != call.practitioner_id:
        raise Refused("Choose one of the practitioner's registered numbers.")
    return ring_back(operator, call, phone.number, now)


def ring_back(operator: Staff, call: Call, number: str, now: datetime) -> RingBack:
    """Save a call-back to `number` (a registered one) and return its REST call."""
    recheck = Recheck(call=call, kind=RecheckKind.CALL_BACK, operator_id=operator.id, number=number)
    recheck.asked_at = now
    db.session.add(recheck)
    db.session.flush()
    audit_call(Event.CALL_BACK_REQUESTED, operator, call, number=number)
    return RingBack(
        recheck_id=recheck.id,
        to=number,
        answer_url=calls.public_url("ivr.recheck_start", recheck=recheck.public_id),
        status_url=calls.public_url("ivr.recheck_status", recheck=recheck.public_id),
    )


def finish_call_back(work: RingBack, leg_sid: str | None, now: datetime) -> str | None:
    """Record how placing the call-back went; the operator's message if it was not placed."""
    recheck = _locked(work.recheck_id)
    if leg_sid is None:
        _not_placed(recheck, now)
        return NOT_PLACED
    if recheck.leg_sid is None:
        recheck.leg_sid = leg_sid  # unless its answer URL came first and said so
    return None


def ask_to_key(operator: Staff, handling: Handling, now: datetime) -> TakeAside:
    """Begin taking the caller out of the conference to key their code again."""
    call = handling.call
    line.refuse_if_hung_up(call)
    if call.caller_in_conference_at is None:
        raise Refused("The caller is not in the call's conference yet.")
    _refuse_if_under_way(call)
    recheck = Recheck(call=call, kind=RecheckKind.KEYPAD, operator_id=operator.id)
    recheck.asked_at = now
    db.session.add(recheck)
    db.session.flush()
    asks = "pin_and_code" if rechecks.is_pin_asked() else "code"
    audit_call(Event.CALL_RECHECK_REQUESTED, operator, call, asks=asks)
    return TakeAside(
        recheck_id=recheck.id,
        call_sid=call.sid,
        url=calls.public_url("ivr.recheck_start", recheck=recheck.public_id),
    )


def finish_asking(work: TakeAside, refused: str | None, now: datetime) -> str | None:
    """Record how taking the caller aside went; the operator's message if it did not."""
    recheck = _locked(work.recheck_id)
    if refused is None:
        return None
    _not_placed(recheck, now)
    return "The phone system could not take the caller aside; try again."


def _locked(recheck_id: int) -> Recheck:
    return db.session.execute(
        select(Recheck).where(Recheck.id == recheck_id).with_for_update()
    ).scalar_one()


def _not_placed(recheck: Recheck, now: datetime) -> None:
    if recheck.status in rechecks.UNDER_WAY:
        rechecks.fail(recheck, "telephony", now)


def refuse_unless_rechecked(handling: Handling, is_shielded: bool, now: datetime) -> None:
    """Refused where a rule wants a fresh keypad re-check before a record opens: for a
    shielded child (DESK_RECHECK_BEFORE_SHIELDED), or after a time on the line
    (DESK_RECHECK_AFTER_MINUTES, a re-check counting for as long)."""
    config = current_app.config
    minutes = int(config["DESK_RECHECK_AFTER_MINUTES"])
    latest = rechecks.verified(handling.call, RecheckKind.KEYPAD)
    if is_shielded and config["DESK_RECHECK_BEFORE_SHIELDED"] and latest is None:
        raise Refused(
            "This record is shielded: ask the caller to key their code before you open it."
        )
    if minutes <= 0:
        return
    since = latest.finished_at if latest is not None else handling.taken_at
    if since is not None and now - since > timedelta(minutes=minutes):
        raise Refused(
            f"The caller has been on the line over {minutes} minutes since their last check: "
            "ask them to key their code before you open a record."
        )


def identity_state(call: Call) -> dict[str, str] | None:
    """The latest check of who is on the line, as the operator's page shows it."""
    recheck = rechecks.latest(call)
    if recheck is None:
        return None
    what = "Call-back" if recheck.kind == RecheckKind.CALL_BACK else "Keyed again"
    return {
        "kind": recheck.kind.value,
        "status": recheck.status.value,
        "words": f"{what}: {STATUS_WORDS[recheck.status]}",
    }
