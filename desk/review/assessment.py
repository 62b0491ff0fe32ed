"""Working out a mediated call's flags once, when it is wrapped up, and keeping them.

The console announces each wrap-up (desk/console/signals.py) and `assess_wrapped_up` assesses
that call in the wrap-up's own transaction, so a call and its flags are committed together.
`flask review assess` runs `assess_pending`, which catches whatever that left: calls wrapped up
before this existed, or whose assessment failed. No page a supervisor opens assesses anything.
"""

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from flask import current_app
from sqlalchemy import Select, func, select, text

from desk.console import signals
from desk.console.models import Handling
from desk.core.audit.events import Event
from desk.core.audit.service import record
from desk.core.extensions import db
from desk.review.facts import gather
from desk.review.flags import Thresholds, flags_for
from desk.review.models import Flag, Review
from ivr.models import Call

# Names the lock that lets one run of `assess_pending` at a time assess calls, on any server.
ASSESS_LOCK = 0x6D61645F72657677


def assess(
    pairs: Sequence[tuple[Call, Handling]], limits: Thresholds, now: datetime
) -> list[Review]:
    """Work out and keep the flags of these wrapped-up calls (the rules of desk/review/flags.py)."""
    facts = gather(pairs, limits.timezone)
    reviews = []
    for call, _ in pairs:
        raised = flags_for(facts[call.id], limits)
        reviews.append(
            Review(
                call_id=call.id,
                assessed_at=now,
                flag_count=len(raised),
                flags=[Flag(rule=flag.rule, detail=flag.detail) for flag in raised],
            )
        )
    db.session.add_all(reviews)
    db.session.flush()
    return reviews


def assess_wrapped_up(sender: object, *, handling: Handling, now: datetime) -> None:
    """Assess a call the moment its operator wraps it up (the console's `call_wrapped_up`)."""
    db.session.flush()  # the wrap-up's own changes: a failure there is the wrap-up's, not ours
    limits = Thresholds.from_config(current_app.config)
    try:
        with db.session.begin_nested():
            assess([(handling.call, handling)], limits, now)
    except Exception:
        # The wrap-up must stand though its flags could not be worked out: the review pages say
        # the call is not yet assessed, and `flask review assess` finds it still pending.
        current_app.logger.exception("Could not assess call %s at its wrap-up", handling.call_id)


def _pending() -> Select[Call, Handling]:
    """Wrapped-up calls with no review yet, oldest first."""
    return (
        select(Call, Handling)
        .join(Handling, Handling.call_id == Call.id)
        .outerjoin(Review, Review.call_id == Call.id)
        .where(Handling.wrapped_up_at.is_not(None), Review.id.is_(None))
        .order_by(Call.id)
    )


def pending_count() -> int:
    """How many wrapped-up calls are not yet assessed (what the review pages warn of)."""
    return db.session.scalar(select(func.count()).select_from(_pending().subquery())) or 0


@dataclass
class Assessed:
    """What one run of `assess_pending` did, in counts: nothing about any call or child."""

    calls: int = 0
    flagged: int = 0
    flags: Counter[str] = field(default_factory=Counter)


def assess_pending(limits: Thresholds, now: datetime, *, by: str, batch: int = 200) -> Assessed:
    """Assess every wrapped-up call not yet assessed, and audit the counts if there were any.

    Safe to run on several servers at once, and again: a second run waits for the first's lock,
    then finds those calls assessed. A run that finds nothing writes nothing.
    """
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": ASSESS_LOCK})
    done = Assessed()
    while pending := [(c, h) for c, h in db.session.execute(_pending().limit(batch)).all()]:
        for review in assess(pending, limits, now):
            done.calls += 1
            done.flagged += bool(review.flag_count)
            done.flags.update(flag.rule for flag in review.flags)
    if done.calls:
        record(
            Event.REVIEW_FLAGS_ASSESSED,
            data={
                "calls": done.calls,
                "flagged": done.flagged,
                "flags": dict(sorted(done.flags.items())),
                "by": by,
            },
        )
    return done


def connect() -> None:
    """Assess each call as it is wrapped up (once per process; connecting again changes nothing)."""
    signals.call_wrapped_up.connect(assess_wrapped_up)
