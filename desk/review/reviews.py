"""Assessing wrapped-up calls, showing one for review, and signing it off; all audited."""

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select, text

from desk.console.models import Handling
from desk.core.audit.events import Event
from desk.core.audit.models import AuditEvent
from desk.core.audit.service import record
from desk.core.extensions import db
from desk.review.facts import CallFacts, gather
from desk.review.flags import Thresholds, flags_for
from desk.review.listing import staff_names
from desk.review.models import Flag, Review
from desk.review.timeline import TimelineEntry, timeline
from desk.staff.models import Staff
from ivr.models import Call

# Names the lock that lets one request at a time assess new calls (see assess_pending).
ASSESS_LOCK = 0x6D61645F72657677


class ReviewRefused(Exception):
    """The supervisor may not do this; args[0] says why, in words for them."""

    @property
    def message(self) -> str:
        return str(self.args[0])


def assess_pending(limits: Thresholds, now: datetime, batch: int = 200) -> int:
    """Work out and keep the flags of every wrapped-up call not yet assessed; how many."""
    if db.session.get_bind().dialect.name == "postgresql":
        # Two supervisors opening the list together would otherwise assess the same calls.
        db.session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": ASSESS_LOCK})
    assessed = 0
    while True:
        pending = [
            (call, handling)
            for call, handling in db.session.execute(
                select(Call, Handling)
                .join(Handling, Handling.call_id == Call.id)
                .outerjoin(Review, Review.call_id == Call.id)
                .where(Handling.wrapped_up_at.is_not(None), Review.id.is_(None))
                .order_by(Call.id)
                .limit(batch)
            ).all()
        ]
        if not pending:
            return assessed
        facts = gather(pending, limits.timezone)
        for call, _ in pending:
            raised = flags_for(facts[call.id], limits)
            db.session.add(
                Review(
                    call_id=call.id,
                    assessed_at=now,
                    flag_count=len(raised),
                    flags=[Flag(rule=flag.rule, detail=flag.detail) for flag in raised],
                )
            )
        db.session.flush()
        assessed += len(pending)


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


def sign_off(
    supervisor: Staff, call: Call, handling: Handling, comment: str, now: datetime
) -> Review:
    """Sign a wrapped-up call off with a comment; never one the supervisor took."""
    review = db.session.scalar(select(Review).where(Review.call_id == call.id))
    if review is None:
        raise ReviewRefused("This call is still with its operator: sign it off once wrapped up.")
    if review.is_signed_off:
        by = review.signed_off_by.name if review.signed_off_by else "another supervisor"
        raise ReviewRefused(f"This call has already been signed off by {by}.")
    subjects: dict[str, Any] = {
        "call_id": call.id,
        "practitioner_id": call.practitioner_id,
        "operator_id": handling.operator_id,
        "supervisor_id": supervisor.id,
    }
    if took_call(supervisor, call, handling):
        record(Event.REVIEW_SIGN_OFF_REFUSED, **subjects, data={"reason": "took_the_call"})
        raise ReviewRefused(
            "You took this call, so you cannot sign it off: another supervisor must review it."
        )
    comment = comment.strip()
    if not comment:
        raise ReviewRefused("Write a comment to sign the call off.")
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


def note_download(supervisor: Staff, first: date, last: date, calls: int) -> None:
    """Audit an audit report downloaded: its period and how many calls it holds."""
    record(
        Event.REVIEW_REPORT_DOWNLOADED,
        supervisor_id=supervisor.id,
        data={"from": first.isoformat(), "to": last.isoformat(), "calls": calls},
    )
