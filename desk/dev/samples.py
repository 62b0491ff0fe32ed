"""Sample search criteria from a demo desk's synthetic index, so the tour needs no database tool.

Only for a development desk (the command refuses elsewhere): these children are the demo seed's
made-up ones, and printing them is the point.
"""

from dataclasses import dataclass

from sqlalchemy import ColumnElement, exists, select

from desk.core.extensions import db
from desk.records.models import Child, Contact, latest_adult_birth_date, today_in_england
from desk.records.names import first_given_name

ROCHDALE = "E08000005"  # the demo officers' authority


@dataclass(frozen=True)
class Sample:
    """One search the operator can make, and what it is good for in the tour."""

    what: str
    criteria: str


def _findable() -> ColumnElement[bool]:
    """Children a search can find today: not archived, not yet 18."""
    return Child.archived_at.is_(None) & (
        Child.date_of_birth > latest_adult_birth_date(today_in_england())
    )


def _has_sensitive_service() -> ColumnElement[bool]:
    return exists().where(Contact.child_id == Child.id, Contact.is_sensitive)


def _first(*conditions: ColumnElement[bool], skip: int = 0) -> Child | None:
    return db.session.scalars(
        select(Child).where(_findable(), *conditions).order_by(Child.id).offset(skip).limit(1)
    ).first()


def _day(child: Child) -> str:
    return f"{child.date_of_birth.day} {child.date_of_birth:%B %Y}"


def samples() -> list[Sample]:
    """A search of each form the desk allows, on Rochdale's children, and the special cases."""
    rochdale = Child.local_authority == ROCHDALE
    plain = rochdale & ~Child.is_shielded & ~_has_sensitive_service()
    found: list[Sample] = []
    if child := _first(plain):
        found.append(
            Sample(
                "ContactPoint number",
                f"{child.contactpoint_id} ({child.given_names} {child.family_name})",
            )
        )
    if child := _first(plain, skip=1):
        found.append(Sample("Family name and date of birth", f"{child.family_name}, {_day(child)}"))
    if (child := _first(plain, Child.postcode.is_not(None), skip=2)) is not None:
        found.append(
            Sample(
                "Family name, given name and postcode",
                f"{child.family_name}, {first_given_name(child.given_names)}, {child.postcode}",
            )
        )
    if child := _first(rochdale, Child.is_shielded):
        found.append(
            Sample(
                "A shielded child (brokered contact only)",
                f"{child.family_name}, {_day(child)}; ContactPoint number {child.contactpoint_id}",
            )
        )
    if child := _first(rochdale, ~Child.is_shielded, _has_sensitive_service()):
        found.append(
            Sample(
                "A child with a sensitive service (brokered contact)",
                f"{child.family_name}, {_day(child)}",
            )
        )
    if child := _first(plain, skip=3):
        found.append(
            Sample(
                "A child for an officer to shield", f"ContactPoint number {child.contactpoint_id}"
            )
        )
    return found
