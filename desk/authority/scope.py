"""What an officer may reach: the children, requests and shields of their own authorities.

Anything outside an officer's authorities is answered as if it did not exist (OutOfScope, a
404), so an officer of another authority learns nothing of a child, not even that it is there.
"""

from typing import Any

from desk.core.audit.events import Event
from desk.core.audit.service import record
from desk.records.models import Child
from desk.staff.models import Staff


class OutOfScope(LookupError):
    """Not in the officer's authorities, or not there at all: the same answer to both."""


def in_scope(officer: Staff, authority: str | None) -> bool:
    return authority is not None and authority in officer.authorities


def child_in_scope(officer: Staff, child: Child | None) -> Child:
    """The child, if it is one of the officer's authorities'; else OutOfScope."""
    if child is None or not in_scope(officer, child.local_authority):
        raise OutOfScope("no such child in your authorities")
    return child


def audit(
    kind: Event,
    officer: Staff,
    *,
    call_id: int | None = None,
    practitioner_id: str | None = None,
    **data: Any,
) -> None:
    """Audit an officer's step, against the officer (the log's supervisor column, as for every
    member of staff who does not take calls), and the call and practitioner it concerns."""
    record(
        kind,
        call_id=call_id,
        practitioner_id=practitioner_id,
        supervisor_id=officer.id,
        data={"officer": officer.username, **data},
    )
