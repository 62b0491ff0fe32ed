"""The import format (JSON Lines, one child a line: docs/design.md), read into checked entries."""

import json
import re
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from functools import cache
from typing import Any, TypeVar

from desk.core import authorities
from desk.core.phones import to_e164
from desk.records import contactpoint, postcodes
from desk.records.models import ContactKind, Gender, SensitiveBasis, today_in_england

FIELDS = frozenset(
    {
        "source",
        "source_id",
        "contactpoint_id",
        "given_names",
        "family_name",
        "former_family_names",
        "gender",
        "date_of_birth",
        "address",
        "shielded",
        "caf",
        "contacts",
        "local_authority",
    }
)
CONTACT_FIELDS = frozenset(
    {
        "kind",
        "name",
        "organisation",
        "relationship",
        "phone",
        "service_type",
        "sensitive",
        "basis",
    }
)
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")

E = TypeVar("E", Gender, ContactKind)


@dataclass(frozen=True)
class ContactEntry:
    kind: ContactKind
    name: str | None
    organisation: str | None
    relationship: str | None
    phone: str | None  # E.164
    service_type: str | None
    is_sensitive: bool
    basis: SensitiveBasis | None


@dataclass(frozen=True)
class ChildEntry:
    """One line of an import file, checked and normalised, ready to be stored."""

    line: int
    source: str
    source_id: str
    contactpoint_id: str | None
    given_names: str
    family_name: str
    former_family_names: tuple[str, ...]
    gender: Gender
    date_of_birth: date
    address_lines: tuple[str, ...]
    town: str | None
    postcode: str | None
    is_shielded: bool
    has_caf: bool
    caf_lead_name: str | None
    caf_lead_organisation: str | None
    caf_lead_phone: str | None
    contacts: tuple[ContactEntry, ...]
    local_authority: str  # ONS code (desk.core.authorities)


def parse_line(raw: str | bytes, line: int, today: date | None = None) -> ChildEntry:
    """One line of the file as an entry; ValueError gives the reason it cannot be imported."""
    try:
        obj = json.loads(raw)
    except UnicodeDecodeError:
        raise ValueError("not UTF-8 text") from None
    except json.JSONDecodeError as error:
        raise ValueError(f"not JSON ({error.msg} at column {error.colno})") from None
    return parse_entry(obj, line, today)


def parse_entry(obj: Any, line: int, today: date | None = None) -> ChildEntry:
    """One child in the import format as an entry; ValueError gives the reason it is refused."""
    fields = _object(obj, "the line")
    # An unknown field is most likely a misspelt one: "shieled": true must not import a
    # shielded child as unshielded.
    unknown = sorted(set(fields) - FIELDS)
    if unknown:
        raise ValueError(f"unknown field {unknown[0]!r}")
    source = _text(fields.get("source"), "source", 64)
    source_id = _text(fields.get("source_id"), "source_id", 64)
    number = _optional_text(fields.get("contactpoint_id"), "contactpoint_id", 10)
    if number and not contactpoint.is_valid(number):
        raise ValueError(f"contactpoint_id {number!r} is not a valid ContactPoint number")
    given_names = _name(fields.get("given_names"), "given_names")
    family_name = _name(fields.get("family_name"), "family_name")
    former = _list(fields.get("former_family_names"), "former_family_names")
    gender = _choice(Gender, fields.get("gender"), "gender")
    born = _date(fields.get("date_of_birth"), "date_of_birth")
    if born > (today or today_in_england()):
        raise ValueError("date_of_birth is in the future")
    address = _object(fields.get("address") or {}, "address")
    postcode = _optional_text(address.get("postcode"), "address.postcode", 10)
    caf = _object(fields.get("caf") or {}, "caf")
    lead = _object(caf.get("lead_contact") or {}, "caf.lead_contact")
    return ChildEntry(
        line=line,
        source=source,
        source_id=source_id,
        contactpoint_id=number,
        given_names=given_names,
        family_name=family_name,
        former_family_names=tuple(
            _name(name, f"former_family_names[{n}]") for n, name in enumerate(former)
        ),
        gender=gender,
        date_of_birth=born,
        address_lines=tuple(
            _text(text, f"address.lines[{n}]", 200)
            for n, text in enumerate(_list(address.get("lines"), "address.lines"))
        ),
        town=_optional_text(address.get("town"), "address.town", 100),
        postcode=_postcode(postcode) if postcode else None,
        is_shielded=_flag(fields.get("shielded"), "shielded"),
        has_caf=_flag(caf.get("exists"), "caf.exists"),
        caf_lead_name=_optional_text(lead.get("name"), "caf.lead_contact.name", 200),
        caf_lead_organisation=_optional_text(
            lead.get("organisation"), "caf.lead_contact.organisation", 200
        ),
        caf_lead_phone=_phone(lead.get("phone"), "caf.lead_contact.phone"),
        contacts=tuple(
            _contact(c, f"contacts[{n}]")
            for n, c in enumerate(_list(fields.get("contacts"), "contacts"))
        ),
        local_authority=_authority(fields.get("local_authority")),
    )


def _contact(obj: Any, where: str) -> ContactEntry:
    fields = _object(obj, where)
    unknown = sorted(set(fields) - CONTACT_FIELDS)
    if unknown:
        raise ValueError(f"{where}: unknown field {unknown[0]!r}")

    def text(field: str, longest: int) -> str | None:
        return _optional_text(fields.get(field), f"{where}.{field}", longest)

    kind = _choice(ContactKind, fields.get("kind"), f"{where}.kind")
    is_sensitive = _flag(fields.get("sensitive"), f"{where}.sensitive")
    if is_sensitive and fields.get("basis") not in _values(SensitiveBasis):
        raise ValueError(f"{where}: a sensitive service must give basis consent or in_need")
    contact = ContactEntry(
        kind=kind,
        name=text("name", 200),
        organisation=text("organisation", 200),
        relationship=text("relationship", 100),
        phone=_phone(fields.get("phone"), f"{where}.phone"),
        service_type=text("service_type", 100),
        is_sensitive=is_sensitive,
        # The basis is what allows a sensitive service on the record; it means nothing otherwise.
        basis=SensitiveBasis(fields["basis"]) if is_sensitive else None,
    )
    if not (contact.name or contact.organisation):
        raise ValueError(f"{where}: a contact needs a name or an organisation")
    return contact


def _object(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ValueError(f"{where} must be a JSON object")
    return value


def _list(value: Any, where: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise ValueError(f"{where} must be a list")
    return value


def _flag(value: Any, where: str) -> bool:
    if value is None:
        return False
    if not isinstance(value, bool):
        raise ValueError(f"{where} must be true or false")
    return value


def _text(value: Any, where: str, longest: int) -> str:
    found = _optional_text(value, where, longest)
    if found is None:
        raise ValueError(f"{where} is required")
    return found


def _optional_text(value: Any, where: str, longest: int) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{where} must be text")
    if len(value) > longest:
        raise ValueError(f"{where} is longer than {longest} characters")
    return value.strip()


def _name(value: Any, where: str) -> str:
    name = _text(value, where, 200)
    if not any(char.isalpha() for char in name):
        raise ValueError(f"{where} has no letters")
    return name


@cache
def _values(enum: type[StrEnum]) -> frozenset[str]:
    return frozenset(member.value for member in enum)


def _choice(enum: type[E], value: Any, where: str) -> E:
    if value not in _values(enum):
        allowed = ", ".join(member.value for member in enum)
        raise ValueError(f"{where} must be one of {allowed} (got {value!r})")
    return enum(value)


def _date(value: Any, where: str) -> date:
    if not isinstance(value, str) or not ISO_DATE.fullmatch(value):
        raise ValueError(f"{where} must be a date written YYYY-MM-DD (got {value!r})")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{where} {value!r} is not a date") from None


def _authority(value: Any) -> str:
    code = _text(value, "local_authority", 9)
    if not authorities.is_authority(code):
        raise ValueError(
            f"local_authority {code!r} is not the ONS code of an English upper-tier local "
            "authority (e.g. E08000005 for Rochdale; the list is desk/core/authorities.csv)"
        )
    return code


def _postcode(value: str) -> str:
    try:
        return postcodes.normalise(value)
    except ValueError:
        raise ValueError(f"address.postcode {value!r} is not a UK postcode") from None


def _phone(value: Any, where: str) -> str | None:
    text = _optional_text(value, where, 32)
    if text is None:
        return None
    try:
        return to_e164(text)
    except ValueError:
        raise ValueError(f"{where} {text!r} is not a phone number") from None
