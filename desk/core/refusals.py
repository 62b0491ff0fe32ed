"""What the desk says when it will not do something, and what becomes of the refused request.

A refused request's work is rolled back: a refusal changes nothing. The one exception is named:
an `AuditedRefusal`, whose own audit row (a refused search, say) must outlast the refusal, is
committed instead. `settle_refusal` is the one place that tells them apart.
"""

from desk.core.extensions import db


class Refused(Exception):
    """The user may not do this now; args[0] says why, in words for them."""

    @property
    def message(self) -> str:
        return str(self.args[0])


class AuditedRefusal(Refused):
    """A refusal that was itself audited: committed, so that its audit row is kept.

    Raise it only where nothing but that audit row has been written in the request.
    """


def settle_refusal(refusal: Refused) -> None:
    """End a refused request's transaction: keep an audited refusal's row, undo anything else."""
    if isinstance(refusal, AuditedRefusal):
        db.session.commit()
    else:
        db.session.rollback()
