"""Sample search criteria from a demo desk's synthetic index, so the tour needs no database tool.

Only for a development desk (the command refuses elsewhere): these children are the demo seed's
made-up ones, and printing them is the point.
"""

from dataclasses import dataclass

from sqlalchemy import ColumnElement, exists, select, true

from desk.core.authorities import label
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
        name = f"{child.given_names} {child.family_name}"
        found.append(Sample("ContactPoint number", f"{child.contactpoint_id} ({name})"))
    if child := _first(plain, skip=1):
        found.append(Sample("Family name and date of birth", f"{child.family_name}, {_day(child)}"))
    if child := _first(plain, Child.postcode.is_not(None), skip=2):
        given = first_given_name(child.given_names)
        found.append(
            Sample(
                "Family name, given name and postcode",
                f"{child.family_name}, {given}, {child.postcode}",
            )
        )
    # The seed's shielded children may all be another town's: any shows the shielded view.
    if child := _first(rochdale & Child.is_shielded) or _first(true() & Child.is_shielded):
        found.append(
            Sample(
                f"A shielded child of {label(child.local_authority)}",
                f"{child.family_name}, {_day(child)}",
            )
        )
    if child := _first(rochdale, ~Child.is_shielded, _has_sensitive_service()):
        found.append(
            Sample(
                "A child with a sensitive service, for brokered contact to Rochdale's officers",
                f"{child.family_name}, {_day(child)}",
            )
        )
    if child := _first(plain, skip=3):
        found.append(
            Sample(
                "A child for a Rochdale officer to shield",
                f"ContactPoint number {child.contactpoint_id}",
            )
        )
    return found
