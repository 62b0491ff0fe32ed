"""What the desk says when it will not do something, and what becomes of the refused request.

A refused request's work is rolled back: a refusal changes nothing. The one exception is named:
an `AuditedRefusal` carries the audit row the refusal itself must leave (a refused search, a
sign-off refused to the supervisor who took the call), and that row alone is written and
committed after the rollback. `settle_refusal` is the one place that does it.
"""

from typing import Any

from desk.core.audit.events import Event
from desk.core.audit.service import record
from desk.core.extensions import db


class Refused(Exception):
    """The user may not do this now; args[0] says why, in words for them, and `field` names the
    form field it is about, where there is one, for the page to point at."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field

    @property
    def message(self) -> str:
        return str(self.args[0])


class AuditedRefusal(Refused):
    """A refusal the audit log must keep, though nothing else of its request is kept."""

    def __init__(self, message: str, kind: Event, field: str | None = None, **row: Any) -> None:
        super().__init__(message, field)
        self.kind, self.row = kind, row


def settle_refusal(refusal: Refused) -> None:
    """End a refused request's transaction: undo it, then keep an audited refusal's own row."""
    db.session.rollback()
    if isinstance(refusal, AuditedRefusal):
        record(refusal.kind, **refusal.row)
        db.session.commit()
