"""What an officer may reach: the children, requests and shields of their own authorities.

Anything outside an officer's authorities is answered as if it did not exist (OutOfScope, a
404), so an officer of another authority learns nothing of a child, not even that it is there.
"""

from typing import Any

from werkzeug.exceptions import NotFound

from desk.core.audit.events import Event
from desk.core.audit.service import record
from desk.records.models import Child
from desk.staff.models import Staff
from ivr.models import Call


class OutOfScope(NotFound):
    """Not in the officer's authorities, or not there at all: the same answer to both, the
    desk's 404 page (and nothing of the request kept)."""


def in_scope(officer: Staff, authority: str | None) -> bool:
    return authority is not None and authority in officer.authorities


def child_in_scope(officer: Staff, child: Child | None) -> Child:
    """The child, if it is one of the officer's authorities'; else OutOfScope."""
    if child is None or not in_scope(officer, child.local_authority):
        raise OutOfScope("no such child in your authorities")
    return child


def audit(kind: Event, officer: Staff, call: Call | None = None, **data: Any) -> None:
    """Audit an officer's step, against the officer (the log's supervisor column, as for every
    member of staff who does not take calls), and the call (and so the practitioner) it
    concerns: a brokered request's, so that the call's timeline shows what came of it."""
    record(
        kind,
        call_id=call.id if call else None,
        practitioner_id=call.practitioner_id if call else None,
        supervisor_id=officer.id,
        data={"officer": officer.username, **data},
    )
