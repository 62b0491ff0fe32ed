"""Showing a mediated call for review, signing it off, and auditing what supervisors see."""

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select

from desk.console.models import Handling
from desk.core.audit.events import Event
from desk.core.audit.models import AuditEvent
from desk.core.audit.service import record
from desk.core.extensions import db
from desk.core.refusals import AuditedRefusal, Refused
from desk.review.facts import CallFacts, gather
from desk.review.listing import staff_names
from desk.review.models import Review
from desk.review.timeline import TimelineEntry, timeline
from desk.staff.models import Staff
from ivr.models import Call

NOT_YET_ASSESSED = "This call's flags are not yet worked out: sign it off once they are."


def call_events(call: Call) -> list[AuditEvent]:
    """The call's audit trail, in order."""
    return list(
        db.session.scalars(
            select(AuditEvent).where(AuditEvent.call_id == call.id).order_by(AuditEvent.id)
        )
    )


@dataclass(frozen=True)
class CallReview:
    """Everything the review page of one call shows, none of it about a child."""

    call: Call
    handling: Handling
    review: Review | None
    facts: CallFacts
    steps: list[TimelineEntry]
    operator: str
    is_own: bool  # the supervisor looking took the call: they may not sign it off


def call_review(supervisor: Staff, call: Call, handling: Handling, zone: str) -> CallReview:
    """The call as its review page shows it to this supervisor."""
    events = call_events(call)
    names = staff_names(
        {e.operator_id for e in events if e.operator_id}
        | {e.supervisor_id for e in events if e.supervisor_id}
        | {handling.operator_id}
    )
    return CallReview(
        call=call,
        handling=handling,
        review=db.session.scalar(select(Review).where(Review.call_id == call.id)),
        facts=gather([(call, handling)], zone)[call.id],
        steps=timeline(events, call.started_at, names),
        operator=names.get(handling.operator_id, "?"),
        is_own=took_call(supervisor, call, handling),
    )


def took_call(staff: Staff, call: Call, handling: Handling | None) -> bool:
    """Whether this member of staff took the call at any point (the log keeps every take)."""
    if handling is not None and handling.operator_id == staff.id:
        return True
    taken = select(AuditEvent.id).where(
        AuditEvent.call_id == call.id,
        AuditEvent.kind == Event.CALL_TAKEN,
        AuditEvent.operator_id == staff.id,
    )
    return db.session.scalar(taken.limit(1)) is not None


def next_unreviewed(supervisor: Staff, current: Call) -> Call | None:
    """The oldest assessed call, other than this one, still to be signed off that this
    supervisor may sign off: one they never took."""
    taken_by_them = (
        select(AuditEvent.id)
        .where(
            AuditEvent.call_id == Call.id,
            AuditEvent.kind == Event.CALL_TAKEN,
            AuditEvent.operator_id == supervisor.id,
        )
        .exists()
    )
    query = (
        select(Call)
        .join(Handling, Handling.call_id == Call.id)
        .join(Review, Review.call_id == Call.id)
        .where(
            Review.signed_off_at.is_(None),
            Call.id != current.id,
            Handling.operator_id != supervisor.id,
            ~taken_by_them,
        )
        .order_by(Call.started_at, Call.id)
        .limit(1)
    )
    return db.session.scalar(query)


def sign_off(
    supervisor: Staff, call: Call, handling: Handling, comment: str, now: datetime
) -> Review:
    """Sign a wrapped-up call off with a comment; never one the supervisor took."""
    review = db.session.scalar(select(Review).where(Review.call_id == call.id))
    if review is None and handling.is_open:
        raise Refused("This call is still with its operator: sign it off once wrapped up.")
    if review is None:
        raise Refused(NOT_YET_ASSESSED)
    if review.is_signed_off:
        by = review.signed_off_by.name if review.signed_off_by else "another supervisor"
        raise Refused(f"This call has already been signed off by {by}.")
    subjects: dict[str, Any] = {
        "call_id": call.id,
        "practitioner_id": call.practitioner_id,
        "operator_id": handling.operator_id,
        "supervisor_id": supervisor.id,
    }
    if took_call(supervisor, call, handling):
        raise AuditedRefusal(
            "You took this call, so you cannot sign it off: another supervisor must review it.",
            Event.REVIEW_SIGN_OFF_REFUSED,
            **subjects,
            data={"reason": "took_the_call"},
        )
    comment = comment.strip()
    if not comment:
        raise Refused("Write a comment to sign the call off.", field="comment")
    record(
        Event.REVIEW_SIGNED_OFF,
        **subjects,
        data={"comment": comment, "flags": [flag.rule for flag in review.flags]},
    )
    review.signed_off_at, review.signed_off_by_id, review.comment = now, supervisor.id, comment
    return review


def note_view(supervisor: Staff, page: str, call: Call | None = None, **details: Any) -> None:
    """Audit a page a supervisor opened, with what it showed them."""
    record(
        Event.REVIEW_PAGE_VIEWED,
        call_id=call.id if call else None,
        practitioner_id=call.practitioner_id if call else None,
        supervisor_id=supervisor.id,
        data={"page": page, **details},
    )


def note_download(
    supervisor: Staff, first: date, last: date, calls: int, with_purpose_words: bool = False
) -> None:
    """Audit an audit report downloaded: its period, how many calls, and whether it had words."""
    period = {"from": first.isoformat(), "to": last.isoformat()}
    data = {**period, "calls": calls, "with_purpose_words": with_purpose_words}
    record(Event.REVIEW_REPORT_DOWNLOADED, supervisor_id=supervisor.id, data=data)
