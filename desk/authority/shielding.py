"""Shielding by officers of the child's authority, and lifting a shield with four eyes.

A shield takes effect at once: the child's officer_shielded flag is what the console's
disclosure reads at its next step. Lifting one takes two officers: one asks, a second (never
the one who asked) approves. An import never touches an officer's shield: it sets and clears
only its own (desk.records.models.Child).
"""

from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from desk.authority.scope import audit, child_in_scope
from desk.core.audit.events import Event
from desk.core.extensions import db
from desk.core.refusals import AuditedRefusal, Refused
from desk.records import contactpoint
from desk.records.models import Child, Shield, ShieldReason
from desk.staff.models import Staff


def find_child(officer: Staff, number: str) -> Child:
    """A child of the officer's authorities by ContactPoint number; OutOfScope otherwise."""
    digits = "".join(number.split())
    child = (
        db.session.scalar(select(Child).where(Child.contactpoint_id == digits))
        if contactpoint.is_valid(digits)
        else None
    )
    return child_in_scope(officer, child)


def standing(child: Child) -> Shield | None:
    """The officer's shield on the child now, if there is one."""
    return db.session.scalar(
        select(Shield).where(Shield.child_id == child.id, Shield.lifted_at.is_(None))
    )


def shield(
    officer: Staff, child: Child, reason: ShieldReason, review_on: date, now: datetime
) -> Shield:
    """Shield a child of the officer's authority, at once, until a review date."""
    child_in_scope(officer, child)
    if review_on <= now.date():
        raise Refused("The review date must be in the future.", field="review_on")
    if standing(child) is not None:
        raise Refused("This child is already shielded by an officer.", field="contactpoint_number")
    added = Shield(
        child_id=child.id,
        reason=reason,
        review_on=review_on,
        shielded_by_id=officer.id,
        shielded_at=now,
    )
    try:
        with db.session.begin_nested():
            db.session.add(added)
            db.session.flush()
    except IntegrityError:
        # Another officer's shield went in first (the database allows one standing shield).
        raise Refused(
            "This child is already shielded by an officer.", field="contactpoint_number"
        ) from None
    child.officer_shielded = True
    audit(
        Event.SHIELD_ADDED,
        officer,
        contactpoint_id=child.contactpoint_id,
        shield=added.id,
        reason=reason.value,
        review_on=review_on.isoformat(),
    )
    return added


def _locked(officer: Staff, shield_id: int) -> Shield:
    found = db.session.execute(
        select(Shield).where(Shield.id == shield_id).with_for_update()
    ).scalar_one_or_none()
    if found is None:
        raise Refused("No such shield.")
    db.session.refresh(found)
    child_in_scope(officer, found.child)
    if found.lifted_at is not None:
        raise Refused("That shield has been lifted already.")
    return found


def request_unshield(officer: Staff, shield_id: int, now: datetime) -> Shield:
    """Ask for a shield to be lifted: it stands until a second officer approves."""
    found = _locked(officer, shield_id)
    if found.unshield_requested_by_id is not None:
        raise Refused("Lifting this shield has been asked for already: a second officer approves.")
    found.unshield_requested_by_id, found.unshield_requested_at = officer.id, now
    audit(
        Event.SHIELD_UNSHIELD_REQUESTED,
        officer,
        contactpoint_id=found.child.contactpoint_id,
        shield=found.id,
    )
    return found


def approve_unshield(officer: Staff, shield_id: int, now: datetime) -> Shield:
    """A second officer approves lifting the shield: the child is unshielded (unless the
    import shields it too)."""
    found = _locked(officer, shield_id)
    if found.unshield_requested_by_id is None:
        raise Refused("Nobody has asked for this shield to be lifted.")
    if found.unshield_requested_by_id == officer.id:
        # Kept in the log though the request is undone: one officer trying both halves.
        raise AuditedRefusal(
            "A second officer must approve: you asked for this shield to be lifted.",
            Event.SHIELD_REFUSED,
            supervisor_id=officer.id,
            data={
                "officer": officer.username,
                "contactpoint_id": found.child.contactpoint_id,
                "shield": found.id,
                "reason": "same_officer",
            },
        )
    found.lifted_by_id, found.lifted_at = officer.id, now
    found.child.officer_shielded = False
    audit(
        Event.SHIELD_LIFTED,
        officer,
        contactpoint_id=found.child.contactpoint_id,
        shield=found.id,
        requested_by=found.unshield_requested_by_id,
    )
    return found


def shields_of(officer: Staff, today: date) -> tuple[list[Shield], list[Shield]]:
    """The standing shields of the officer's authorities' children: those due for review (by
    `today`), soonest first, and the rest."""
    found = list(
        db.session.scalars(
            select(Shield)
            .join(Child, Child.id == Shield.child_id)
            .where(
                Shield.lifted_at.is_(None),
                Child.local_authority.in_(sorted(officer.authorities)),
            )
            .order_by(Shield.review_on, Shield.id)
        )
    )
    return [s for s in found if s.review_on <= today], [s for s in found if s.review_on > today]
