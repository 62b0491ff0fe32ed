"""Calls for a benchmark's operator to search in: taken, identity confirmed, purpose recorded.

Made through the console's own services, so that a search inside one is a search as the desk
makes it. Only the IVR's part is skipped: each call is stored as verification leaves it, queued.
"""

import secrets
from datetime import date

from desk.console import handling as handlings
from desk.console.models import Purpose, WrapUp
from desk.extensions import db
from desk.staff import accounts
from desk.staff.models import Role, Staff
from desk.types import utcnow
from ivr.flow import Stage
from ivr.models import Call, CallStatus
from verification import registry
from verification.models import Practitioner

OPERATOR = "bench-operator"
PRACTITIONER = "49999999"
PRACTITIONER_PHONE = "+447700900999"
OPERATOR_PHONE = "+447700900998"


def bench_staff() -> tuple[int, str]:
    """The benchmark's operator and practitioner (made on first use), with no call left open."""
    operator = accounts.find(OPERATOR)
    if operator is None:
        operator, _ = accounts.add_staff(
            OPERATOR,
            "Benchmark Operator",
            Role.OPERATOR,
            secrets.token_urlsafe(24),
            phone_leg=OPERATOR_PHONE,
            by="bench",
        )
    if db.session.get(Practitioner, PRACTITIONER) is None:
        registry.register(
            registry.NewPractitioner(
                practitioner_id=PRACTITIONER,
                name="Bench Practitioner",
                organisation="Benchmark Borough Council",
                role="Social worker",
                local_authority="Benchmark",
                phones=(PRACTITIONER_PHONE,),
                vetted_on=date.today(),
                trained_on=date.today(),
            )
        )
    # A run that was stopped may have left its last call open; the operator can hold only one.
    left_open = handlings.open_handling(operator)
    if left_open is not None:
        handlings.wrap_up(operator, left_open, WrapUp.INFORMATION_GIVEN, "", utcnow())
    db.session.commit()
    return operator.id, PRACTITIONER


def ready_call(operator: Staff, practitioner_id: str) -> str:
    """A new call, taken by the operator, caller confirmed and purpose recorded; its public id.

    Committed. Needs a request context: taking a call builds the URLs Twilio is given.
    """
    now = utcnow()
    call = Call(
        sid="CA" + secrets.token_hex(16),
        caller_number=PRACTITIONER_PHONE,
        status=CallStatus.QUEUED,
        stage=Stage.QUEUED,
        practitioner_id=practitioner_id,
        is_registered_number=True,
        verified_at=now,
        queued_at=now,
    )
    db.session.add(call)
    db.session.flush()
    held = handlings.take_call(operator, call.public_id, now)
    handlings.confirm_identity(operator, held, is_called_back=False, now=now)
    handlings.record_purpose(operator, held, Purpose.FIND_PROFESSIONALS, "", now)
    db.session.commit()
    return call.public_id


def wrap_up(operator: Staff, public_id: str) -> None:
    """End the operator's call, as the console's wrap-up does; committed."""
    held = handlings.active_handling(operator, public_id)
    handlings.wrap_up(operator, held, WrapUp.INFORMATION_GIVEN, "", utcnow())
    db.session.commit()
