"""How long the index keeps a child: archived at 18, purged six years after that.

Purging removes the child, their names and their contacts. Before each batch goes, the
`purging` signal names the children, so that what refers to them from the layers above (the
console's matches and brokered requests) lets go of them first; this package knows nothing of
those. The audit log keeps the ContactPoint numbers it recorded: it is append-only by design, the
accountability record that subject access requests are answered from.
"""

from collections.abc import Callable
from datetime import date, datetime
from typing import Any, cast

from blinker import Namespace
from sqlalchemy import CursorResult, delete, func, select, update

from desk.core.audit.events import Event
from desk.core.audit.service import record
from desk.core.extensions import db
from desk.records.models import (
    ARCHIVE_AGE,
    Child,
    ChildName,
    Contact,
    Shield,
    latest_adult_birth_date,
    latest_birth_date_at_age,
)

PURGE_AFTER_YEARS = 6

# Sent with `child_ids` (a list) inside the purge's transaction, before those children go.
purging = Namespace().signal("children-purging")


def archive(today: date, now: datetime, *, by: str) -> int:
    """Archive every child who has had their 18th birthday by `today`; how many, this time."""
    born_by = latest_adult_birth_date(today)
    result = db.session.execute(
        update(Child)
        .where(Child.date_of_birth <= born_by, Child.archived_at.is_(None))
        .values(archived_at=now)
        .execution_options(synchronize_session=False)
    )
    archived = cast(CursorResult[Any], result).rowcount
    record(
        Event.RECORDS_ARCHIVED,
        data={"children": archived, "born_on_or_before": born_by.isoformat(), "by": by},
    )
    return archived


def purge_birth_date(today: date) -> date:
    """The latest date of birth of a child due to be purged by `today`."""
    return latest_birth_date_at_age(today, ARCHIVE_AGE + PURGE_AFTER_YEARS)


def due_for_purge(today: date) -> int:
    """How many children are due to be purged."""
    born_by = purge_birth_date(today)
    due = select(func.count()).select_from(Child).where(Child.date_of_birth <= born_by)
    return db.session.scalar(due) or 0


def purge(
    today: date, *, by: str, batch: int = 1000, progress: Callable[[int], None] | None = None
) -> int:
    """Remove every child six years past their 18th birthday, a batch at a time; how many."""
    born_by = purge_birth_date(today)
    purged = 0
    while ids := list(
        db.session.scalars(select(Child.id).where(Child.date_of_birth <= born_by).limit(batch))
    ):
        purging.send(None, child_ids=ids)
        for table in (ChildName, Contact, Shield):
            db.session.execute(
                delete(table)
                .where(table.child_id.in_(ids))
                .execution_options(synchronize_session=False)
            )
        db.session.execute(
            delete(Child).where(Child.id.in_(ids)).execution_options(synchronize_session=False)
        )
        purged += len(ids)
        if progress is not None:
            progress(len(ids))
    db.session.expire_all()  # rows removed behind the session's back must not be served from it
    record(
        Event.RECORDS_PURGED,
        data={"children": purged, "born_on_or_before": born_by.isoformat(), "by": by},
    )
    return purged
