"""The import format (JSON Lines, one child a line: docs/design.md), read into checked entries.

A line is decoded and type-checked in one step by msgspec into the structs below (unknown
fields, wrong types, lengths and the gender and contact kinds); what is left (required fields,
blank text, dates, numbers, postcodes, phones, authorities) is checked here. A msgspec error is
reworded as this module's own, so a bad line names its field as it always has. Nothing here
imports the ORM: the importer's worker processes import this module alone.
"""

import json
import re
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any

import msgspec

from desk.core import authorities
from desk.core.phones import to_e164
from desk.records import contactpoint, postcodes
from desk.records.values import ContactKind, Gender, SensitiveBasis, today_in_england

ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


# Text of at most so many characters, checked as it is decoded.
Text9 = Annotated[str, msgspec.Meta(max_length=9)]
Text10 = Annotated[str, msgspec.Meta(max_length=10)]
Text32 = Annotated[str, msgspec.Meta(max_length=32)]
Text64 = Annotated[str, msgspec.Meta(max_length=64)]
Text100 = Annotated[str, msgspec.Meta(max_length=100)]
Text200 = Annotated[str, msgspec.Meta(max_length=200)]


class _ContactLine(msgspec.Struct, forbid_unknown_fields=True, gc=False):
    kind: ContactKind | None = None
    name: Text200 | None = None
    organisation: Text200 | None = None
    relationship: Text100 | None = None
    phone: Text32 | None = None
    service_type: Text100 | None = None
    sensitive: bool | None = None
    basis: Any = None  # means nothing unless the service is sensitive; checked then


# Unknown fields are refused on a line and a contact, where a misspelt one would change what
# is stored ("shieled": true); inside the address and CAF they have always been ignored.
class _Lead(msgspec.Struct, gc=False):
    name: Text200 | None = None
    organisation: Text200 | None = None
    phone: Text32 | None = None


class _Caf(msgspec.Struct, gc=False):
    exists: bool | None = None
    lead_contact: _Lead | None = None


class _Address(msgspec.Struct, gc=False):
    lines: list[Text200] | None = None
    town: Text100 | None = None
    postcode: Text10 | None = None


class _ChildLine(msgspec.Struct, forbid_unknown_fields=True, gc=False):
    source: Text64 | None = None
    source_id: Text64 | None = None
    contactpoint_id: Text10 | None = None
    given_names: Text200 | None = None
    family_name: Text200 | None = None
    former_family_names: list[Text200] | None = None
    gender: Gender | None = None
    date_of_birth: Any = None  # reworded here, with the value given
    address: _Address | None = None
    shielded: bool | None = None
    caf: _Caf | None = None
    contacts: list[_ContactLine] | None = None
    local_authority: Text9 | None = None


FIELDS = frozenset(_ChildLine.__struct_fields__)
CONTACT_FIELDS = frozenset(_ContactLine.__struct_fields__)
_DECODER = msgspec.json.Decoder(_ChildLine)


@dataclass(frozen=True)
class BadLine:
    """A line of the file that cannot be imported, and why."""

    line: int
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.reason}"


class ContactEntry(msgspec.Struct, frozen=True, gc=False):
    kind: ContactKind
    name: str | None
    organisation: str | None
    relationship: str | None
    phone: str | None  # E.164
    service_type: str | None
    is_sensitive: bool
    basis: SensitiveBasis | None


class ChildEntry(msgspec.Struct, frozen=True, gc=False):
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
        fields = _DECODER.decode(raw)
    except msgspec.ValidationError as error:
        raise ValueError(_reason(error, json.loads(raw))) from None
    except msgspec.DecodeError:
        # Rare, so worded by the standard library, whose messages say what is wrong and where.
        try:
            json.loads(raw)
        except UnicodeDecodeError:
            raise ValueError("not UTF-8 text") from None
        except json.JSONDecodeError as error:
            raise ValueError(f"not JSON ({error.msg} at column {error.colno})") from None
        raise
    return _entry(fields, line, today)


def parse_entry(obj: Any, line: int, today: date | None = None) -> ChildEntry:
    """One child in the import format as an entry; ValueError gives the reason it is refused."""
    try:
        fields = msgspec.convert(obj, _ChildLine)
    except msgspec.ValidationError as error:
        raise ValueError(_reason(error, obj)) from None
    return _entry(fields, line, today)


# msgspec's wording of a type error, and this module's for the same thing.
_EXPECTED = {
    "object": "must be a JSON object",
    "array": "must be a list",
    "bool": "must be true or false",
    "str": "must be text",
}
_MESSAGE = re.compile(r"(?P<message>.*?)(?: - at `\$(?P<path>[^`]*)`)?")
_STEP = re.compile(r"\.(\w+)|\[(\d+)\]")
_LONGER = re.compile(r"Expected `str` of length <= (\d+)")
_UNKNOWN = re.compile(r"Object contains unknown field `(.*)`")


def _reason(error: msgspec.ValidationError, obj: Any) -> str:
    """msgspec's error as the reason this module gives: the field and what is wrong with it."""
    found = _MESSAGE.fullmatch(str(error))
    assert found is not None  # the pattern matches any message
    message, path = found["message"], found["path"] or ""
    where = path.lstrip(".") or "the line"
    value = _value_at(obj, path)
    leaf = path.rsplit(".", 1)[-1]
    if leaf == "gender":
        return _choice_reason(Gender, value, where)
    if leaf == "kind":
        return _choice_reason(ContactKind, value, where)
    if unknown := _UNKNOWN.fullmatch(message):
        name = unknown[1]
        return f"unknown field {name!r}" if not path else f"{where}: unknown field {name!r}"
    if longest := _LONGER.fullmatch(message):
        return f"{where} is longer than {longest[1]} characters"
    if value is None and message.startswith("Expected `str`"):
        return f"{where} is required"
    expected = message.removeprefix("Expected `").split("`")[0].split(" | ")[0]
    return f"{where} {_EXPECTED.get(expected, 'is not valid')}"


def _value_at(obj: Any, path: str) -> Any:
    for name, index in _STEP.findall(path):
        try:
            obj = obj[name] if name else obj[int(index)]
        except (KeyError, IndexError, TypeError):
            return None
    return obj


def _choice_reason(enum: type[Gender] | type[ContactKind], value: Any, where: str) -> str:
    allowed = ", ".join(member.value for member in enum)
    return f"{where} must be one of {allowed} (got {value!r})"


def _entry(fields: _ChildLine, line: int, today: date | None) -> ChildEntry:
    source = _text(fields.source, "source")
    source_id = _text(fields.source_id, "source_id")
    number = _optional_text(fields.contactpoint_id, "contactpoint_id")
    if number and not contactpoint.is_valid(number):
        raise ValueError(f"contactpoint_id {number!r} is not a valid ContactPoint number")
    given_names = _name(fields.given_names, "given_names")
    family_name = _name(fields.family_name, "family_name")
    if fields.gender is None:
        raise ValueError(_choice_reason(Gender, None, "gender"))
    born = _date(fields.date_of_birth, "date_of_birth")
    if born > (today or today_in_england()):
        raise ValueError("date_of_birth is in the future")
    address = fields.address or _NO_ADDRESS
    postcode = _optional_text(address.postcode, "address.postcode")
    caf = fields.caf or _NO_CAF
    lead = caf.lead_contact or _NO_LEAD
    return ChildEntry(
        line=line,
        source=source,
        source_id=source_id,
        contactpoint_id=number,
        given_names=given_names,
        family_name=family_name,
        former_family_names=tuple(
            _name(name, f"former_family_names[{n}]")
            for n, name in enumerate(fields.former_family_names or ())
        ),
        gender=fields.gender,
        date_of_birth=born,
        address_lines=tuple(
            _text(text, f"address.lines[{n}]") for n, text in enumerate(address.lines or ())
        ),
        town=_optional_text(address.town, "address.town"),
        postcode=_postcode(postcode) if postcode else None,
        is_shielded=bool(fields.shielded),
        has_caf=bool(caf.exists),
        caf_lead_name=_optional_text(lead.name, "caf.lead_contact.name"),
        caf_lead_organisation=_optional_text(lead.organisation, "caf.lead_contact.organisation"),
        caf_lead_phone=_phone(lead.phone, "caf.lead_contact.phone"),
        contacts=tuple(_contact(c, f"contacts[{n}]") for n, c in enumerate(fields.contacts or ())),
        local_authority=_authority(fields.local_authority),
    )


_NO_ADDRESS = _Address()
_NO_CAF = _Caf()
_NO_LEAD = _Lead()
_BASES = frozenset(SensitiveBasis)


def _contact(fields: _ContactLine, where: str) -> ContactEntry:
    if fields.kind is None:
        raise ValueError(_choice_reason(ContactKind, None, f"{where}.kind"))
    is_sensitive = bool(fields.sensitive)
    if is_sensitive and fields.basis not in _BASES:
        raise ValueError(f"{where}: a sensitive service must give basis consent or in_need")
    contact = ContactEntry(
        kind=fields.kind,
        name=_optional_text(fields.name, f"{where}.name"),
        organisation=_optional_text(fields.organisation, f"{where}.organisation"),
        relationship=_optional_text(fields.relationship, f"{where}.relationship"),
        phone=_phone(fields.phone, f"{where}.phone"),
        service_type=_optional_text(fields.service_type, f"{where}.service_type"),
        is_sensitive=is_sensitive,
        # The basis is what allows a sensitive service on the record; it means nothing otherwise.
        basis=SensitiveBasis(fields.basis) if is_sensitive else None,
    )
    if not (contact.name or contact.organisation):
        raise ValueError(f"{where}: a contact needs a name or an organisation")
    return contact


def _text(value: str | None, where: str) -> str:
    found = _optional_text(value, where)
    if found is None:
        raise ValueError(f"{where} is required")
    return found


def _optional_text(value: str | None, where: str) -> str | None:
    # Type and length were checked by msgspec; blank text is not text.
    if not value:
        return None
    stripped = value.strip()
    if not stripped:
        raise ValueError(f"{where} must be text")
    return stripped


def _name(value: str | None, where: str) -> str:
    name = _text(value, where)
    if not any(char.isalpha() for char in name):
        raise ValueError(f"{where} has no letters")
    return name


def _date(value: Any, where: str) -> date:
    if not isinstance(value, str) or not ISO_DATE.fullmatch(value):
        raise ValueError(f"{where} must be a date written YYYY-MM-DD (got {value!r})")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{where} {value!r} is not a date") from None


def _authority(value: str | None) -> str:
    code = _text(value, "local_authority")
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


def _phone(value: str | None, where: str) -> str | None:
    text = _optional_text(value, where)
    if text is None:
        return None
    try:
        return to_e164(text)
    except ValueError:
        raise ValueError(f"{where} {text!r} is not a phone number") from None
