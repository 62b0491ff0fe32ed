"""Searching the index on a caller's behalf: the desk's search rules and nothing looser.

Only queries: the console service that calls `search` audits every match and commits.
"""

from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from functools import cache
from typing import Any, NamedTuple, Protocol, TypeVar

from sqlalchemy import BindParameter, ColumnElement, Select, bindparam, or_, select
from sqlalchemy.orm import InstrumentedAttribute

from desk.core.extensions import db
from desk.records import contactpoint, postcodes
from desk.records.models import (
    Child,
    ChildName,
    Gender,
    latest_adult_birth_date,
    today_in_england,
)
from desk.records.names import (
    first_given_name,
    has_only_name_characters,
    letter_count,
    name_key,
    sound_keys,
)

MAX_MATCHES = 10

WHAT_TO_ASK = (
    "the ContactPoint number alone, or the family name and date of birth, "
    "or the family name, given name and postcode"
)


class SearchMethod(StrEnum):
    """The forms of search the desk allows; the value is what the audit log records."""

    CONTACTPOINT_NUMBER = "contactpoint_number"
    NAME_AND_DATE_OF_BIRTH = "name_and_date_of_birth"
    NAME_AND_POSTCODE = "name_and_postcode"

    @property
    def label(self) -> str:
        """The form in words, as the review and subject access name it."""
        return {
            "contactpoint_number": "ContactPoint number",
            "name_and_date_of_birth": "family name and date of birth",
            "name_and_postcode": "name and postcode",
        }[self.value]

    @classmethod
    def label_of(cls, code: object, unknown: str) -> str:
        """The label of a form recorded in the audit log, or `unknown` for anything else."""
        return cls(str(code)).label if code in set(cls) else unknown


@dataclass(frozen=True)
class Criteria:
    """What the caller gave, as the operator typed it; empty means not given."""

    contactpoint_number: str = ""
    family_name: str = ""
    given_name: str = ""
    date_of_birth: date | None = None
    gender: str = ""
    postcode: str = ""


class SearchRefused(ValueError):
    """Criteria the desk will not search on; args[0] is a clear message for the operator, and
    `field` the criterion (a Criteria field's name) to change, where there is one."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class SearchResult:
    """The children found; none listed, and no count, when there are too many.

    `match_count` is always `len(matches)`: with more than MAX_MATCHES the desk says only that
    there are too many, never how many, so a count cannot be used to learn about the index.
    """

    form: SearchMethod
    matches: tuple[Child, ...]
    match_count: int
    is_too_many: bool


@dataclass(frozen=True)
class ResultLine:
    """One line of a result list: only what tells children apart. No town for a shielded child."""

    child_id: int  # to open the record the operator picks; never shown
    name: str
    date_of_birth: date
    gender: Gender
    town: str | None
    is_shielded: bool = False  # marked in the list: every contact is brokered
    has_other_services: bool = False  # services the operator may not name are involved


def form_of(criteria: Criteria, today: date | None = None) -> SearchMethod:
    """Which allowed search the criteria make; SearchRefused says what to ask for instead."""
    number = _compact_number(criteria.contactpoint_number)
    family, given = criteria.family_name.strip(), criteria.given_name.strip()
    gender, postcode = criteria.gender.strip(), criteria.postcode.strip()
    born = criteria.date_of_birth
    if number:
        if family or given or born or gender or postcode:
            raise SearchRefused(
                "Search by ContactPoint number on its own: clear the other fields.",
                "contactpoint_number",
            )
        if not contactpoint.is_valid(number):
            raise SearchRefused(
                "That is not a valid ContactPoint number: ask the caller to read the 10 digits "
                "again.",
                "contactpoint_number",
            )
        return SearchMethod.CONTACTPOINT_NUMBER
    if not (family or given or born or gender or postcode):
        raise SearchRefused(
            f"Nothing to search on: ask the caller for {WHAT_TO_ASK}.", "family_name"
        )
    if not family:
        raise SearchRefused(
            f"The family name is needed: ask the caller for {WHAT_TO_ASK}.", "family_name"
        )
    _check_name("family name", family)
    if given:
        _check_name("given name", given)
    if born and postcode:
        # Each form has its own rules (a postcode search hides shielded children): never both.
        raise SearchRefused(
            "Search by date of birth or by postcode, not both: clear one.", "postcode"
        )
    if born:
        if born > (today or today_in_england()):
            raise SearchRefused(
                "The date of birth is in the future: ask the caller again.", "date_of_birth"
            )
        if gender and gender not in set(Gender):
            raise SearchRefused("Gender is female, male, other or unknown.", "gender")
        return SearchMethod.NAME_AND_DATE_OF_BIRTH
    if postcode:
        if gender:
            raise SearchRefused(
                "Gender narrows a search by date of birth only: clear it to search by postcode.",
                "gender",
            )
        if not given:
            raise SearchRefused(
                "A search by postcode needs the given name too: ask the caller for it.",
                "given_name",
            )
        try:
            postcodes.normalise(postcode)
        except ValueError:
            raise SearchRefused(
                "That is not a UK postcode: ask the caller to spell it again.", "postcode"
            ) from None
        return SearchMethod.NAME_AND_POSTCODE
    raise SearchRefused(
        "A name is not enough: ask the caller for the date of birth, or the given name "
        "and postcode.",
        "date_of_birth",
    )


def search(criteria: Criteria, today: date | None = None) -> SearchResult:
    """The live children matching the criteria, or SearchRefused if they are not precise enough."""
    today = today or today_in_england()
    form = form_of(criteria, today)
    shape = shape_of(form, criteria)
    found = in_order(
        criteria,
        list(db.session.scalars(_children_query(shape), search_values(shape, criteria, today))),
    )
    if len(found) > MAX_MATCHES:
        return SearchResult(form=form, matches=(), match_count=0, is_too_many=True)
    return SearchResult(form=form, matches=tuple(found), match_count=len(found), is_too_many=False)


class Shape(NamedTuple):
    """What decides a search's SQL, as distinct from its values: its form and which of the
    optional criteria were given. A handful of shapes, so each one's statement is built once."""

    form: SearchMethod
    has_given_name: bool
    has_gender: bool


def shape_of(form: SearchMethod, criteria: Criteria) -> Shape:
    """The shape of a search of this form on these criteria."""
    if form is SearchMethod.CONTACTPOINT_NUMBER:
        return Shape(form, has_given_name=False, has_gender=False)
    has_gender = form is SearchMethod.NAME_AND_DATE_OF_BIRTH and bool(criteria.gender.strip())
    return Shape(form, bool(first_given_name(criteria.given_name)), has_gender)


def search_values(shape: Shape, criteria: Criteria, today: date) -> dict[str, Any]:
    """The values of the bound parameters of the shape's statement (`_conditions`): the
    shape, not the criteria, says which of the optional ones it has."""
    values: dict[str, Any] = {"adult_born_on_or_before": latest_adult_birth_date(today)}
    if shape.form is SearchMethod.CONTACTPOINT_NUMBER:
        return values | {"contactpoint_id": _compact_number(criteria.contactpoint_number)}
    values["family_keys"] = _keys(criteria.family_name)
    if shape.has_given_name:
        values["given_keys"] = _keys(first_given_name(criteria.given_name))
    if shape.form is SearchMethod.NAME_AND_DATE_OF_BIRTH:
        values["date_of_birth"] = criteria.date_of_birth
        if shape.has_gender:
            values["gender"] = Gender(criteria.gender.strip())
        return values
    return values | {"postcode_compact": postcodes.compact(criteria.postcode)}


@cache
def _children_query(shape: Shape) -> Select[Child]:
    # Built once a shape: building a statement costs more CPU than the index takes to answer it.
    return select(Child).where(*_conditions(shape)).limit(MAX_MATCHES + 1)


class Found(Protocol):
    """What orders a child among the matches: an ORM child or a row of `found_rows`."""

    @property
    def id(self) -> int: ...
    @property
    def family_key(self) -> str: ...
    @property
    def family_name(self) -> str: ...
    @property
    def given_names(self) -> str: ...


F = TypeVar("F", bound=Found)


@cache
def found_rows(shape: Shape) -> Select[int, str, str, str, str]:
    """The search as a Core query of the few columns a lookup records, not whole children.

    At most MAX_MATCHES + 1 rows: one more than may be listed says there are too many. For a
    console lookup, which sends it with its other work in one statement (desk.console.lookup).
    Built once a shape; its values are `search_values`, bound when it is sent.
    """
    columns = (Child.id, Child.contactpoint_id, Child.family_key, Child.family_name)
    return select(*columns, Child.given_names).where(*_conditions(shape)).limit(MAX_MATCHES + 1)


def in_order(criteria: Criteria, found: list[F]) -> list[F]:
    """Exact matches on the current family name first, then in a stable, readable order."""
    family = name_key(criteria.family_name)
    found.sort(key=lambda c: (c.family_key != family, c.family_name, c.given_names, c.id))
    return found


def result_line(child: Child) -> ResultLine:
    """How a matched child is listed for the operator to pick from."""
    return ResultLine(
        child_id=child.id,
        name=f"{child.given_names} {child.family_name}",
        date_of_birth=child.date_of_birth,
        gender=child.gender,
        town=None if child.is_shielded else child.town,
        is_shielded=child.is_shielded,
        has_other_services=not child.is_shielded and any(c.is_sensitive for c in child.contacts),
    )


def _conditions(shape: Shape) -> list[ColumnElement[bool]]:
    """The search's conditions, its values bound parameters named as `search_values` names them."""
    live = [
        Child.archived_at.is_(None),
        Child.date_of_birth > bindparam("adult_born_on_or_before"),
    ]
    if shape.form is SearchMethod.CONTACTPOINT_NUMBER:
        return [Child.contactpoint_id == bindparam("contactpoint_id"), *live]
    # A sound match includes the exact match (desk.records.names), so one index answers both.
    names = select(ChildName.child_id).where(
        _sounds_like(ChildName.family_phonetic, ChildName.family_phonetic_alt, "family_keys")
    )
    if shape.has_given_name:
        names = names.where(
            _sounds_like(ChildName.given_phonetic, ChildName.given_phonetic_alt, "given_keys")
        )
    if shape.form is SearchMethod.NAME_AND_DATE_OF_BIRTH:
        names = names.where(ChildName.date_of_birth == bindparam("date_of_birth"))
        gender = [Child.gender == bindparam("gender")] if shape.has_gender else []
        return [Child.id.in_(names), *live, *gender]
    # A postcode is what a shielded record hides: such a search never returns one, so its
    # answer is the same as for no child at all.
    names = names.where(ChildName.postcode_compact == bindparam("postcode_compact"))
    return [Child.id.in_(names), Child.is_shielded.is_(False), *live]


def _sounds_like(
    primary: InstrumentedAttribute[str],
    alternate: InstrumentedAttribute[str | None],
    keys: str,
) -> ColumnElement[bool]:
    """Rows whose primary or alternate key is any of the bound list `keys` (`_keys`)."""
    listed: BindParameter[str] = bindparam(keys, expanding=True)
    return or_(primary.in_(listed), alternate.in_(listed))


def _keys(name: str) -> list[str]:
    """A name's sound keys (desk.records.names), for `_sounds_like`."""
    return [key for key in sound_keys(name) if key]


def _check_name(label: str, name: str) -> None:
    if not has_only_name_characters(name):
        raise SearchRefused(
            f"The {label} may hold only letters, spaces, apostrophes and hyphens: "
            "no wildcards (%, * or _), digits or other signs.",
            label.replace(" ", "_"),
        )
    if letter_count(name) < 2:
        raise SearchRefused(
            f"The {label} needs at least 2 letters: ask the caller to spell it.",
            label.replace(" ", "_"),
        )


def _compact_number(raw: str) -> str:
    # Callers read numbers in groups ("943 476 5919"); the spaces are not part of the number.
    return "".join(raw.split())
