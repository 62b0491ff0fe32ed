"""A mediated call told step by step from its audit trail: what was done, never about whom.

Only forms, counts, outcomes and categories reach a step. Criteria, ContactPoint numbers and
the keys of items read back stay in the audit log: a step is built from named fields of an
event's data, never from the data as a whole, so a field added to an event later stays out.
"""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from desk.console.models import (
    BROKERED_OUTCOME_LABELS,
    PURPOSE_LABELS,
    STEP_LABELS,
    WRAP_UP_LABELS,
    BrokeredOutcome,
    Purpose,
    StepKind,
    WrapUp,
)
from desk.core.audit.events import Event
from desk.core.audit.models import AuditEvent
from desk.records.search import SearchMethod

CATEGORIES = {
    "child": "the child's name, gender, date of birth or number",
    "address": "the child's address",
    "parent": "a parent's contact",
    "carer": "a carer's contact",
    "school": "the school's contact",
    "gp": "the GP's contact",
    "lead_professional": "the lead professional's contact",
    "service": "a service's contact",
    "caf": "the CAF lead contact",
}
VERIFICATION_REASONS = {
    "unknown_id": "ID not recognised",
    "wrong_pin": "wrong PIN",
    "wrong_or_reused_code": "wrong or reused token code",
    "locked": "account locked",
    "caller_throttled": "calling number throttled",
    "suspended": "access suspended",
    "vetting_expired": "vetting expired",
    "untrained": "not trained",
    "training_expired": "training expired",
    "no_token": "no working token (lost, retired or not yet given)",  # nosec B105 - words
}
ENDED_BY_DESK = {
    "closed": "the desk was closed",
    "number_withheld": "the number was withheld",
    "not_verified": "the caller was not verified",
    "access_not_active": "the practitioner's access is not active",
    "no_usable_entry": "no usable keypad entry",
    "pin_not_set": "the PIN being chosen was not set",
    "queue_failed": "the queue failed",
}
# Page views would drown the steps; the audit log keeps them all the same.
NOT_SHOWN = {Event.REVIEW_PAGE_VIEWED}


@dataclass(frozen=True)
class TimelineEntry:
    """One line of the timeline."""

    at: datetime
    seconds_in: int  # since the call started
    stage: str  # ivr, queue, operator, search, record, end, review
    title: str
    detail: str = ""
    tone: str = ""  # ok, warn or bad: how the step's badge looks


def duration(seconds: int | None) -> str:
    """Seconds as a person says them: '4 min 05 s', '42 s', or '—'."""
    if seconds is None:
        return "—"
    minutes, rest = divmod(max(int(seconds), 0), 60)
    hours, minutes = divmod(minutes, 60)
    if hours:
        return f"{hours} h {minutes:02d} min"
    return f"{minutes} min {rest:02d} s" if minutes else f"{rest} s"


def purpose_label(code: str | None) -> str:
    """A purpose code in the console's words."""
    if not code:
        return ""
    if code == Purpose.OTHER:
        return "Other"  # the console's label, "Other (describe)", speaks to the operator
    return PURPOSE_LABELS[Purpose(code)] if code in set(Purpose) else code


def outcome_label(code: str | None) -> str:
    """A wrap-up code in the console's words; no code yet means the call is in progress."""
    if not code:
        return "In progress"
    return WRAP_UP_LABELS[WrapUp(code)] if code in set(WrapUp) else code


def _words(codes: Sequence[str], names: Mapping[str, str]) -> str:
    return ", ".join(names.get(code, code.replace("_", " ")) for code in codes)


@dataclass
class _Reader:
    """Turns events into steps, remembering records by the letter they were first opened as."""

    staff_names: Mapping[int, str]
    letters: dict[str, str]

    def record(self, data: Mapping[str, Any]) -> str:
        number = str(data.get("contactpoint_id") or "")
        if number not in self.letters:
            self.letters[number] = chr(ord("A") + len(self.letters) % 26)
        return f"Record {self.letters[number]}"

    def staff(self, staff_id: int | None) -> str:
        return self.staff_names.get(staff_id or 0, f"staff #{staff_id}")

    def read(self, event: AuditEvent) -> tuple[str, str, str, str]:
        """(stage, title, detail, tone) for one event."""
        d = event.data
        describe = DESCRIPTIONS.get(event.kind)
        if describe is None:
            return ("other", event.kind, "", "")
        return describe(self, event, d)


def _started(r: _Reader, e: AuditEvent, d: Mapping[str, Any]) -> tuple[str, str, str, str]:
    withheld = "Number withheld. " if d.get("is_number_withheld") else ""
    hours = "The desk was open." if d.get("is_open", True) else "The desk was closed."
    return ("ivr", "Call arrived", withheld + hours, "")


def _failed(r: _Reader, e: AuditEvent, d: Mapping[str, Any]) -> tuple[str, str, str, str]:
    reasons = _words(d.get("reasons") or (), VERIFICATION_REASONS)
    return ("ivr", f"Keypad verification failed (attempt {d.get('attempt')})", reasons, "bad")


def _verified(r: _Reader, e: AuditEvent, d: Mapping[str, Any]) -> tuple[str, str, str, str]:
    registered = d.get("is_registered_number")
    number = "Registered number." if registered else "Not a registered number."
    tone = "ok" if registered else "warn"
    return ("ivr", f"Verified by keypad (attempt {d.get('attempt')})", number, tone)


RECHECK_KINDS = {"call_back": "Call-back", "keypad": "Keypad re-check"}


def _rechecked(r: _Reader, e: AuditEvent, d: Mapping[str, Any]) -> tuple[str, str, str, str]:
    kind = RECHECK_KINDS.get(str(d.get("kind")), "Check")
    if d.get("outcome") == "verified":
        return ("operator", f"{kind}: verified (attempt {d.get('attempt')})", "", "ok")
    reasons = _words(d.get("reasons") or (), VERIFICATION_REASONS)
    return ("operator", f"{kind}: not verified (attempt {d.get('attempt')})", reasons, "bad")


def _inactive(r: _Reader, e: AuditEvent, d: Mapping[str, Any]) -> tuple[str, str, str, str]:
    reasons = _words(d.get("reasons") or (), VERIFICATION_REASONS)
    return ("ivr", "Verified, but access not active", reasons, "bad")


def _taken(r: _Reader, e: AuditEvent, d: Mapping[str, Any]) -> tuple[str, str, str, str]:
    waited = f"after waiting {duration(d.get('waited_seconds'))}"
    return ("operator", f"Taken by {r.staff(e.operator_id)}", waited, "")


def _left_queue(r: _Reader, e: AuditEvent, d: Mapping[str, Any]) -> tuple[str, str, str, str]:
    how = {"bridged": "connected", "redirected": "moved to the operator's conference"}
    result = how.get(str(d.get("result")), str(d.get("result")))
    return ("queue", "Left the queue", f"{result}, after {duration(d.get('queue_seconds'))}", "")


def _identity(r: _Reader, e: AuditEvent, d: Mapping[str, Any]) -> tuple[str, str, str, str]:
    how = "after calling back on a registered number" if d.get("is_called_back") else ""
    return ("operator", "Caller's identity confirmed", how, "ok")


def _purpose(r: _Reader, e: AuditEvent, d: Mapping[str, Any]) -> tuple[str, str, str, str]:
    purpose = str(d.get("purpose"))
    label = purpose_label(purpose)
    tone = "warn" if purpose == Purpose.OTHER else ""
    return ("operator", f"Purpose: {label}", str(d.get("detail") or ""), tone)


def _search(r: _Reader, e: AuditEvent, d: Mapping[str, Any]) -> tuple[str, str, str, str]:
    form = "by " + SearchMethod.label_of(d.get("form"), "another form")
    count = int(d.get("match_count") or 0)
    if d.get("is_too_many"):
        # The desk never counts past its limit, so neither can the timeline.
        return ("search", f"Search {form}", "too many matches: none listed", "warn")
    found = "no match" if count == 0 else f"{count} match" + ("" if count == 1 else "es")
    return ("search", f"Search {form}", found, "")


def _refused(r: _Reader, e: AuditEvent, d: Mapping[str, Any]) -> tuple[str, str, str, str]:
    # The reasons are the console's own fixed sentences; they never repeat what was typed.
    return ("search", "Search refused", str(d.get("reason") or ""), "warn")


def _opened(r: _Reader, e: AuditEvent, d: Mapping[str, Any]) -> tuple[str, str, str, str]:
    notes = [
        note
        for note, applies in (
            ("shielded", d.get("is_shielded")),
            ("has services shown only through the local authority", d.get("has_hidden_services")),
        )
        if applies
    ]
    tone = "bad" if d.get("is_shielded") else ""
    return ("record", f"{r.record(d)} opened", "; ".join(notes), tone)


def _read_back(r: _Reader, e: AuditEvent, d: Mapping[str, Any]) -> tuple[str, str, str, str]:
    category = CATEGORIES.get(str(d.get("category")), "another item")
    return ("record", f"{r.record(d)}: read back {category}", "", "")


def _brokered(r: _Reader, e: AuditEvent, d: Mapping[str, Any]) -> tuple[str, str, str, str]:
    to = "to the local authority ContactPoint team"
    return ("record", f"{r.record(d)}: brokered contact requested", to, "")


def _brokered_step(r: _Reader, e: AuditEvent, d: Mapping[str, Any]) -> tuple[str, str, str, str]:
    # The officers' notes are theirs: the call's timeline says what was done, not what was said.
    request, by = str(d.get("request", "")), f"by {r.staff(e.supervisor_id)}"
    kind = e.kind
    if kind == Event.BROKERED_CLAIMED:
        return ("record", f"Brokered request {request} claimed", by, "")
    if kind == Event.BROKERED_RECORD_VIEWED:
        return ("record", f"Brokered request {request}: record seen by the officer", by, "")
    if kind == Event.BROKERED_STEP_LOGGED:
        step = STEP_LABELS.get(StepKind(d["step"]), "") if d.get("step") in set(StepKind) else ""
        return ("record", f"Brokered request {request}: {step or 'step logged'}", by, "")
    if kind == Event.BROKERED_CLOSED:
        outcome = str(d.get("outcome", ""))
        label = (
            BROKERED_OUTCOME_LABELS[BrokeredOutcome(outcome)]
            if outcome in set(BrokeredOutcome)
            else outcome
        )
        return ("end", f"Brokered request {request} closed: {label}", by, "ok")
    if kind == Event.BROKERED_SMS_SENT:
        return ("end", f"Brokered request {request}: outcome texted to the practitioner", "", "")
    return (
        "end",
        f"Brokered request {request}: the outcome could not be texted",
        str(d.get("reason", "")),
        "warn",
    )


def _wrapped(r: _Reader, e: AuditEvent, d: Mapping[str, Any]) -> tuple[str, str, str, str]:
    label = outcome_label(str(d.get("code")))
    return ("end", f"Wrapped up: {label}", f"by {r.staff(e.operator_id)}", "")


def _ended(r: _Reader, e: AuditEvent, d: Mapping[str, Any]) -> tuple[str, str, str, str]:
    lasted = f"lasted {duration(d.get('duration_seconds'))}"
    return ("end", f"Call ended ({d.get('status')})", lasted, "")


def _ended_by_desk(r: _Reader, e: AuditEvent, d: Mapping[str, Any]) -> tuple[str, str, str, str]:
    why = ENDED_BY_DESK.get(str(d.get("reason")), str(d.get("reason")))
    return ("end", "The desk ended the call", why, "warn")


PARTIES = {"caller": "Caller", "operator": "Operator", "supervisor": "Supervisor"}
CONFERENCE_EVENTS = {
    "conference-start": "the conference started",
    "conference-end": "the conference ended",
    "participant-join": "joined the conference",
    "participant-leave": "left the conference",
    "participant-hold": "put on hold",
    "participant-unhold": "taken off hold",
    "participant-mute": "muted",
    "participant-unmute": "unmuted",
}
LISTEN_MODES = {
    "listen": "listening",
    "coach": "coaching the operator",
    "barge": "speaking to both",
}


def _conference(r: _Reader, e: AuditEvent, d: Mapping[str, Any]) -> tuple[str, str, str, str]:
    event, party = str(d.get("event")), str(d.get("party"))
    what = CONFERENCE_EVENTS.get(event, event)
    if party not in PARTIES:
        return ("line", what[0].upper() + what[1:], "", "")
    tone = "warn" if event == "participant-leave" and party == "caller" else ""
    return ("line", f"{PARTIES[party]} {what}", "", tone)


def _listen_in(r: _Reader, e: AuditEvent, d: Mapping[str, Any]) -> tuple[str, str, str, str]:
    mode = LISTEN_MODES.get(str(d.get("mode")), str(d.get("mode")))
    who = r.staff(e.supervisor_id)
    if e.kind == Event.CALL_LISTEN_IN_STARTED:
        return (
            "line",
            f"{who} joined the call, {mode}",
            "a disclosure: they heard the call",
            "warn",
        )
    return ("line", f"{who} left the call", str(d.get("reason") or "").replace("_", " "), "")


def _signed_off(r: _Reader, e: AuditEvent, d: Mapping[str, Any]) -> tuple[str, str, str, str]:
    return ("review", f"Signed off by {r.staff(e.supervisor_id)}", str(d.get("comment", "")), "ok")


def _fixed(stage: str, title: str, tone: str = "") -> Callable[..., tuple[str, str, str, str]]:
    return lambda r, e, d: (stage, title, "", tone)


Describe = Callable[[_Reader, AuditEvent, Mapping[str, Any]], tuple[str, str, str, str]]
# Every event that can be about a call has words here (a test holds it so); the rest are about
# accounts, the index or the log, and never reach a call's timeline.
DESCRIPTIONS: dict[str, Describe] = {
    Event.CALL_STARTED: _started,
    Event.VERIFICATION_FAILED: _failed,
    Event.VERIFICATION_SUCCEEDED: _verified,
    Event.VERIFICATION_INACTIVE: _inactive,
    Event.PRACTITIONER_LOCKED: _fixed("ivr", "Practitioner locked after repeated failures", "bad"),
    Event.PRACTITIONER_ACTIVATED: _fixed("ivr", "Practitioner chose their PIN by keypad", "ok"),
    Event.CALL_QUEUED: _fixed("queue", "Joined the queue"),
    Event.CALL_LEFT_QUEUE: _left_queue,
    Event.CALL_ABANDONED: lambda r, e, d: (
        ("queue", f"Not reached by call-back ({d.get('attempts')} attempts)", "", "warn")
        if d.get("result") == "callback_unanswered"
        else ("queue", "Hung up while waiting", "", "warn")
    ),
    Event.CALL_TAKEN: _taken,
    Event.CALL_TAKE_FAILED: _fixed("operator", "An operator could not be connected", "warn"),
    Event.CALL_OPERATOR_LEG: lambda r, e, d: (
        "operator",
        "Operator's phone",
        str(d.get("status")),
        "",
    ),
    Event.CALL_RELEASED: _fixed("queue", "Returned to the queue by the operator"),
    Event.CALL_RELEASE_FAILED: _fixed(
        "operator", "The phone system could not return the call to the queue", "warn"
    ),
    Event.CALL_REQUEUED: _fixed("queue", "Back in the queue"),
    Event.CALL_IDENTITY_CONFIRMED: _identity,
    Event.CALL_PURPOSE_RECORDED: _purpose,
    Event.SEARCH_MADE: _search,
    Event.SEARCH_REFUSED: _refused,
    Event.RECORD_OPENED: _opened,
    Event.RECORD_READ_BACK: _read_back,
    Event.RECORD_BROKERED_CONTACT_REQUESTED: _brokered,
    Event.CALL_WRAPPED_UP: _wrapped,
    Event.BROKERED_CLAIMED: _brokered_step,
    Event.BROKERED_RECORD_VIEWED: _brokered_step,
    Event.BROKERED_STEP_LOGGED: _brokered_step,
    Event.BROKERED_CLOSED: _brokered_step,
    Event.BROKERED_SMS_SENT: _brokered_step,
    Event.BROKERED_SMS_FAILED: _brokered_step,
    Event.CALL_ENDED: _ended,
    Event.CALL_ENDED_BY_DESK: _ended_by_desk,
    Event.CALL_RECONCILED: lambda r, e, d: (
        "end",
        "Put right from Twilio's record (a status callback was lost)",
        f"the desk had it {str(d.get('was')).replace('_', ' ')}; "
        f"Twilio said {d.get('twilio_status')}",
        "warn",
    ),
    Event.CALL_CONFERENCE: _conference,
    Event.CALL_BACK_REQUESTED: lambda r, e, d: (
        "operator",
        f"{r.staff(e.operator_id)} asked the desk to call back on a registered number",
        str(d.get("number") or ""),
        "",
    ),
    Event.CALL_BACK_CONNECTED: _fixed(
        "operator", "Identity confirmed by call-back: the registered number joined the call", "ok"
    ),
    Event.CALL_RECHECK_REQUESTED: lambda r, e, d: (
        "operator",
        f"{r.staff(e.operator_id)} asked the caller to key their code",
        "PIN and code" if d.get("asks") == "pin_and_code" else "Token code",
        "",
    ),
    Event.CALL_RECHECK_CHECKED: _rechecked,
    Event.CALL_CALLBACK_REQUESTED: _fixed(
        "queue", "Chose to be called back instead of holding, keeping their place"
    ),
    Event.CALL_RECHECK_FAILED: lambda r, e, d: (
        "operator",
        f"{RECHECK_KINDS.get(str(d.get('kind')), 'Check')} did not go ahead",
        str(d.get("reason") or "").replace("_", " "),
        "warn",
    ),
    Event.CALL_HOLD_REQUESTED: lambda r, e, d: (
        "line",
        "The operator put the caller on hold"
        if d.get("hold")
        else "The operator resumed the caller",
        "",
        "",
    ),
    Event.CALL_MUTE_REQUESTED: lambda r, e, d: (
        "line",
        "The operator muted their phone" if d.get("muted") else "The operator unmuted their phone",
        "",
        "",
    ),
    Event.CALL_LISTEN_IN_STARTED: _listen_in,
    Event.CALL_LISTEN_IN_ENDED: _listen_in,
    Event.REVIEW_SIGNED_OFF: _signed_off,
    Event.REVIEW_SIGN_OFF_REFUSED: _fixed(
        "review", "A sign-off was refused: the supervisor had taken the call", "warn"
    ),
}


def timeline(
    events: Sequence[AuditEvent], started_at: datetime, staff_names: Mapping[int, str]
) -> list[TimelineEntry]:
    """The steps of a call, in the order they happened."""
    reader = _Reader(staff_names, {})
    steps = []
    for event in events:
        if event.kind in NOT_SHOWN:
            continue
        # The console audits a record each time it shows it (after every read-back, too):
        # the first opening is the step; the log keeps the rest.
        if (
            event.kind == Event.RECORD_OPENED
            and event.data.get("contactpoint_id") in reader.letters
        ):
            continue
        stage, title, detail, tone = reader.read(event)
        seconds_in = int((event.occurred_at - started_at).total_seconds())
        steps.append(TimelineEntry(event.occurred_at, seconds_in, stage, title, detail, tone))
    return steps
