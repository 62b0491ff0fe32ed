"""A mediated call told step by step from its audit trail: what was done, never about whom.

Only forms, counts, outcomes and categories reach a step. Criteria, ContactPoint numbers and
the keys of items read back stay in the audit log: a step is built from named fields of an
event's data, never from the data as a whole, so a field added to an event later stays out.
"""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from desk.console.models import PURPOSE_LABELS, WRAP_UP_LABELS, Purpose, WrapUp
from desk.core.audit.models import AuditEvent

SEARCH_FORMS = {
    "contactpoint_number": "by ContactPoint number",
    "name_and_date_of_birth": "by family name and date of birth",
    "name_and_postcode": "by name and postcode",
}
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
}
ENDED_BY_DESK = {
    "closed": "the desk was closed",
    "number_withheld": "the number was withheld",
    "not_verified": "the caller was not verified",
    "access_not_active": "the practitioner's access is not active",
    "no_usable_entry": "no usable keypad entry",
    "queue_failed": "the queue failed",
}
# Page views would drown the steps; the audit log keeps them all the same.
NOT_SHOWN = {"review.page_viewed"}


@dataclass(frozen=True)
class Step:
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
    form = SEARCH_FORMS.get(str(d.get("form")), "by another form")
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


def _wrapped(r: _Reader, e: AuditEvent, d: Mapping[str, Any]) -> tuple[str, str, str, str]:
    label = outcome_label(str(d.get("code")))
    return ("end", f"Wrapped up: {label}", f"by {r.staff(e.operator_id)}", "")


def _ended(r: _Reader, e: AuditEvent, d: Mapping[str, Any]) -> tuple[str, str, str, str]:
    lasted = f"lasted {duration(d.get('duration_seconds'))}"
    return ("end", f"Call ended ({d.get('status')})", lasted, "")


def _ended_by_desk(r: _Reader, e: AuditEvent, d: Mapping[str, Any]) -> tuple[str, str, str, str]:
    why = ENDED_BY_DESK.get(str(d.get("reason")), str(d.get("reason")))
    return ("end", "The desk ended the call", why, "warn")


def _signed_off(r: _Reader, e: AuditEvent, d: Mapping[str, Any]) -> tuple[str, str, str, str]:
    return ("review", f"Signed off by {r.staff(e.supervisor_id)}", str(d.get("comment", "")), "ok")


def _fixed(stage: str, title: str, tone: str = "") -> Callable[..., tuple[str, str, str, str]]:
    return lambda r, e, d: (stage, title, "", tone)


Describe = Callable[[_Reader, AuditEvent, Mapping[str, Any]], tuple[str, str, str, str]]
DESCRIPTIONS: dict[str, Describe] = {
    "call.started": _started,
    "verification.failed": _failed,
    "verification.succeeded": _verified,
    "verification.inactive": _inactive,
    "practitioner.locked": _fixed("ivr", "Practitioner locked after repeated failures", "bad"),
    "call.queued": _fixed("queue", "Joined the queue"),
    "call.left_queue": _left_queue,
    "call.abandoned": _fixed("queue", "Hung up while waiting", "warn"),
    "call.taken": _taken,
    "call.take_failed": _fixed("operator", "An operator could not be connected", "warn"),
    "call.operator_leg": lambda r, e, d: ("operator", "Operator's phone", str(d.get("status")), ""),
    "call.released": _fixed("queue", "Returned to the queue by the operator"),
    "call.requeued": _fixed("queue", "Back in the queue"),
    "call.identity_confirmed": _identity,
    "call.purpose_recorded": _purpose,
    "search.made": _search,
    "search.refused": _refused,
    "record.opened": _opened,
    "record.read_back": _read_back,
    "record.brokered_contact_requested": _brokered,
    "call.wrapped_up": _wrapped,
    "call.ended": _ended,
    "call.ended_by_desk": _ended_by_desk,
    "review.signed_off": _signed_off,
}


def timeline(
    events: Sequence[AuditEvent], started_at: datetime, staff_names: Mapping[int, str]
) -> list[Step]:
    """The steps of a call, in the order they happened."""
    reader = _Reader(staff_names, {})
    steps = []
    for event in events:
        if event.kind in NOT_SHOWN:
            continue
        # The console audits a record each time it shows it (after every read-back, too):
        # the first opening is the step; the log keeps the rest.
        if event.kind == "record.opened" and event.data.get("contactpoint_id") in reader.letters:
            continue
        stage, title, detail, tone = reader.read(event)
        seconds_in = int((event.occurred_at - started_at).total_seconds())
        steps.append(Step(event.occurred_at, seconds_in, stage, title, detail, tone))
    return steps
