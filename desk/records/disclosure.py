"""The rules of disclosure, in one place: what each role may see of a child's record.

An operator sees what may be read back to a verified caller (`disclosable`): nothing reaches
that Disclosure unless it may, so the console can show and read back every item it is given
and nothing else. A local authority officer sees the whole record, sensitive services and a
shielded child's address included, of the children of their own authorities only
(`whole_record`), to broker contact and to shield. Supervisors, administrators and managers
see no child's record at all. `record_for` is the whole table, by role.
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
        items.append(_caf_item(child))
    has_hidden = any(c.is_sensitive for c in child.contacts)
    return Disclosure(
        child_summary=summary,
        items=tuple(items),
        is_shielded=False,
        has_hidden_services=has_hidden,
        notices=(HIDDEN_SERVICES_NOTICE,) if has_hidden else (),
    )


def whole_record(child: Child, today: date | None = None) -> Disclosure:
    """Everything on the record, for an officer of the child's authority: sensitive services
    (with the basis they are held on) and a shielded child's address and carers included."""
    if child.is_archived_on(today or today_in_england()):
        raise RecordArchived("this record is archived: the desk discloses nothing from it")
    shown = disclosable(child, today)
    items: list[Item] = []
    address = ", ".join(p for p in (*child.address_lines, child.town, child.postcode) if p)
    if address:
        items.append(Item("child.address", "address", "Address", address))
    for contact in child.contacts:
        item = _contact_item(contact)
        if contact.is_sensitive:
            basis = contact.basis.value.replace("_", " ") if contact.basis else "none recorded"
            item = Item(
                item.key, item.category, f"{item.label} (sensitive; basis: {basis})", item.value
            )
        items.append(item)
    if child.has_caf:
        items.append(_caf_item(child))
    return Disclosure(
        child_summary=shown.child_summary,
        items=tuple(items),
        is_shielded=child.is_shielded,
        has_hidden_services=any(c.is_sensitive for c in child.contacts),
        notices=(),
    )


def may_see_whole_record(scopes: frozenset[str], child: Child) -> bool:
    """Whether an officer scoped to these authorities may see the child's whole record."""
    return child.local_authority is not None and child.local_authority in scopes


# Which view of a record each role gets; a role not named sees nothing. Keyed by the roles'
# values (desk.staff.models.Role, a layer this one cannot import).
OPERATOR_ROLES = frozenset({"operator"})
OFFICER_ROLES = frozenset({"la_officer"})


def record_for(
    role: str, scopes: frozenset[str], child: Child, today: date | None = None
) -> Disclosure | None:
    """What a member of staff in `role` (scoped to `scopes`) may see of the record: None for
    nothing. RecordArchived when the record is archived, whoever asks."""
    if role in OPERATOR_ROLES:
        return disclosable(child, today)
    if role in OFFICER_ROLES and may_see_whole_record(scopes, child):
        return whole_record(child, today)
    if child.is_archived_on(today or today_in_england()):
        raise RecordArchived("this record is archived: the desk discloses nothing from it")
    return None


def find_item(disclosure: Disclosure, key: str) -> Item | None:
    """The item under `key` if it may be read back, else None."""
    return next((i for i in (*disclosure.child_summary, *disclosure.items) if i.key == key), None)


def _caf_item(child: Child) -> Item:
    lead = _joined(child.caf_lead_name, child.caf_lead_organisation, child.caf_lead_phone)
    return Item(
        "caf.lead",
        "caf",
        "CAF assessment",
        f"exists; lead contact: {lead}" if lead else "exists; no lead contact recorded",
    )


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
