"""When children are purged from the index, the console's rows let go of them first.

The matches that found a purged child stay, with their link to the child set to NULL: they are
the record of what operators did in past calls (a search found so many children, one was
opened, an item was read back), which reviews and reports count, and none of it says who the
child was once unlinked. The free-text reason of a brokered request for the child is blanked,
with the officer's notes of working it, since they may describe them.
"""

from typing import Any

from sqlalchemy import select, update

from desk.console.models import BrokeredRequest, BrokeredStep, Match
from desk.core.extensions import db
from desk.records import retention

PURGED_REASON = "(removed when the child's record was purged)"


def forget_children(sender: Any, *, child_ids: list[int]) -> None:
    """Unlink the console's matches from children about to be purged, and blank their reasons."""
    matches = select(Match.id).where(Match.child_id.in_(child_ids))
    db.session.execute(
        update(BrokeredRequest)
        .where(BrokeredRequest.match_id.in_(matches))
        .values(reason=PURGED_REASON, outcome_note=None)
        .execution_options(synchronize_session=False)
    )
    # An officer's notes of working the request may describe the child as much as the reason.
    requests = select(BrokeredRequest.id).where(BrokeredRequest.match_id.in_(matches))
    db.session.execute(
        update(BrokeredStep)
        .where(BrokeredStep.request_id.in_(requests))
        .values(note=None)
        .execution_options(synchronize_session=False)
    )
    db.session.execute(
        update(Match)
        .where(Match.child_id.in_(child_ids))
        .values(child_id=None)
        .execution_options(synchronize_session=False)
    )


def connect() -> None:
    """Listen for purges (once per process; connecting again changes nothing)."""
    retention.purging.connect(forget_children)
