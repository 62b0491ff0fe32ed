"""The rules of disclosure, in one place: what an operator may read back from a child's record.

Nothing reaches a Disclosure unless it may be read back to a verified caller, so the console
can show and read back every item it is given and nothing else.
"""

from dataclasses import dataclass
from datetime import date

import phonenumbers

from desk.records.models import Child, Contact, ContactKind, today_in_england

HIDDEN_SERVICES_NOTICE = (
    "Other services are involved with this child. Their details are held by the local "
    "authority ContactPoint team: offer the caller a brokered contact request."
)
SHIELDED_NOTICE = (
    "This record is shielded. Give no address, phone number or service. Contact with anyone "
    "working with this child is only through the local authority ContactPoint team: offer the "
    "caller a brokered contact request."
)

LABELS = {
    ContactKind.PARENT: "Parent",
    ContactKind.CARER: "Carer",
    ContactKind.SCHOOL: "School",
    ContactKind.GP: "GP",
    ContactKind.LEAD_PROFESSIONAL: "Lead professional",
    ContactKind.SERVICE: "Service",
}


class RecordArchived(LookupError):
    """The record is archived (or the child is 18): the desk discloses nothing from it."""


@dataclass(frozen=True)
class Item:
    """One thing the operator may read back, under a key that names it in the audit log."""

    key: str  # stable: "child.address", "contact.<id>", "caf.lead"
    category: str  # "child", "address", a contact kind, "caf"
    label: str
    value: str


@dataclass(frozen=True)
class Disclosure:
    """Everything that may be read back from one record, and what the caller must be told."""

    child_summary: tuple[Item, ...]  # name, gender, date of birth, ContactPoint number
    items: tuple[Item, ...]
    is_shielded: bool
    has_hidden_services: bool
    notices: tuple[str, ...]


def disclosable(child: Child, today: date | None = None) -> Disclosure:
    """What may be read back from this child's record; RecordArchived if nothing may."""
    if child.is_archived_on(today or today_in_england()):
        raise RecordArchived("this record is archived: the desk discloses nothing from it")
    summary = (
        Item("child.name", "child", "Name", f"{child.given_names} {child.family_name}"),
        Item("child.gender", "child", "Gender", child.gender.value.capitalize()),
        Item("child.date_of_birth", "child", "Date of birth", _spoken_date(child.date_of_birth)),
        Item(
            "child.contactpoint_number",
            "child",
            "ContactPoint number",
            _spoken_number(child.contactpoint_id),
        ),
    )
    if child.is_shielded:
        # Parents' names only. Not carers: a carer is who a child lives with, and naming them
        # could locate the child. Sensitive services go unmentioned: all contact with anyone
        # working with a shielded child is brokered anyway, so there is nothing to add.
        parents = tuple(
            Item(f"contact.{c.id}", c.kind.value, _label(c), c.name)
            for c in child.contacts
            if c.kind is ContactKind.PARENT and c.name and not c.is_sensitive
        )
        return Disclosure(
            child_summary=summary,
            items=parents,
            is_shielded=True,
            has_hidden_services=False,
            notices=(SHIELDED_NOTICE,),
        )
    items: list[Item] = []
    address = ", ".join(p for p in (*child.address_lines, child.town, child.postcode) if p)
    if address:
        items.append(Item("child.address", "address", "Address", address))
    # Any contact marked sensitive is withheld, whatever its kind: the rule fails closed.
    items += [_contact_item(c) for c in child.contacts if not c.is_sensitive]
    if child.has_caf:
        lead = _joined(child.caf_lead_name, child.caf_lead_organisation, child.caf_lead_phone)
        items.append(
            Item(
                "caf.lead",
                "caf",
                "CAF assessment",
                f"exists; lead contact: {lead}" if lead else "exists; no lead contact recorded",
            )
        )
    has_hidden = any(c.is_sensitive for c in child.contacts)
    return Disclosure(
        child_summary=summary,
        items=tuple(items),
        is_shielded=False,
        has_hidden_services=has_hidden,
        notices=(HIDDEN_SERVICES_NOTICE,) if has_hidden else (),
    )


def find_item(disclosure: Disclosure, key: str) -> Item | None:
    """The item under `key` if it may be read back, else None."""
    return next((i for i in (*disclosure.child_summary, *disclosure.items) if i.key == key), None)


def _contact_item(contact: Contact) -> Item:
    value = _joined(contact.name, contact.organisation, contact.phone)
    return Item(f"contact.{contact.id}", contact.kind.value, _label(contact), value)


def _label(contact: Contact) -> str:
    label = LABELS[contact.kind]
    if contact.kind is ContactKind.SERVICE and contact.service_type:
        return f"{label}: {contact.service_type}"
    if contact.relationship:
        return f"{label} ({contact.relationship})"
    return label


def _joined(name: str | None, organisation: str | None, phone: str | None) -> str:
    return ", ".join(p for p in (name, organisation, _spoken_phone(phone)) if p)


def _spoken_phone(phone: str | None) -> str | None:
    # Read back as a caller dials it: "01706 555010" at home, "+33 1 23 45 67 89" from abroad.
    if not phone:
        return None
    parsed = phonenumbers.parse(phone, "GB")
    if parsed.country_code == 44:
        return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL)
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def _spoken_date(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


def _spoken_number(number: str) -> str:
    # Grouped 3-3-4, as NHS numbers are printed and read aloud.
    return f"{number[:3]} {number[3:6]} {number[6:]}"
