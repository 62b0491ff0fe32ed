"""The rules of disclosure as a table: for each record state, exactly what may be read back."""

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import pytest

from desk.core.extensions import db
from desk.records.disclosure import (
    HIDDEN_SERVICES_NOTICE,
    SHIELDED_NOTICE,
    Disclosure,
    RecordArchived,
    disclosable,
    find_item,
    record_for,
)
from desk.records.models import Child, ContactKind
from tests.desk.records.factories import make_child

TODAY = date(2026, 6, 1)

PARENTS = [
    {
        "kind": "parent",
        "name": "Joanne O'Neill",
        "relationship": "mother",
        "phone": "+447700900111",
    },
    {"kind": "parent", "name": "Liam O'Neill", "relationship": "father", "phone": "07700 900112"},
]
CARER = {
    "kind": "carer",
    "name": "Pat Ruddock",
    "relationship": "foster carer",
    "phone": "+447700900113",
}
SCHOOL = {
    "kind": "school",
    "organisation": "Mill Lane Primary",
    "name": "Office",
    "phone": "01706 555020",
}
GP = {
    "kind": "gp",
    "organisation": "Castlemere Surgery",
    "name": "Dr A. Khan",
    "phone": "+441706555030",
}
LEAD = {
    "kind": "lead_professional",
    "organisation": "Rochdale Early Help",
    "name": "J. Patel",
    "phone": "+441706555010",
}
SERVICE = {
    "kind": "service",
    "service_type": "speech and language therapy",
    "organisation": "Rochdale Therapies",
    "name": "M. Byrne",
    "phone": "+441706555050",
}
SENSITIVE = {
    "kind": "service",
    "service_type": "sexual health",
    "organisation": "Brook Clinic",
    "name": "Nurse Okafor",
    "phone": "+441706555040",
    "sensitive": True,
    "basis": "consent",
}
CAF = {
    "exists": True,
    "lead_contact": {"name": "K. Ahmed", "organisation": "Family Hub", "phone": "+441706555060"},
}

EVERYONE = [*PARENTS, CARER, SCHOOL, GP, LEAD, SERVICE]
ALL_CATEGORIES = {
    "address",
    "parent",
    "carer",
    "school",
    "gp",
    "lead_professional",
    "service",
    "caf",
}
SUMMARY_KEYS = ("child.name", "child.gender", "child.date_of_birth", "child.contactpoint_number")

# What a shielded record hides; none of it may appear anywhere in its disclosure.
WHERE_SHE_IS = [
    "12 Mill Lane",
    "Rochdale",
    "OL16",
    "1AA",
    "Mill Lane Primary",
    "Castlemere",
    "Khan",
    "Early Help",
    "Patel",
    "Therapies",
    "Byrne",
    "speech",
    "Family Hub",
    "Ahmed",
    "Pat Ruddock",
    "CAF",
    "Brook",
    "Okafor",
    "sexual",
    # every phone number, in every way it could be written
    "7700",
    "900111",
    "900112",
    "900113",
    "1706",
    "555",
]
# What a sensitive service is; none of it may appear in any disclosure.
SENSITIVE_SERVICE = ["Brook", "Okafor", "sexual", "555040", "555 040", "consent"]


# A valid ContactPoint number with none of `never_shown`'s digits in it.
UNREMARKABLE_NUMBER = "9434765919"


@dataclass(frozen=True)
class State:
    """A record state: how the record is written, and what a disclosure of it must hold."""

    line: dict[str, Any]
    categories: set[str] = field(default_factory=set)
    is_shielded: bool = False
    has_hidden_services: bool = False
    notices: tuple[str, ...] = ()
    never_shown: tuple[str, ...] = ()


STATES = {
    "live": State(
        {"contacts": EVERYONE, "caf": CAF},
        categories=ALL_CATEGORIES,
    ),
    "live, no CAF": State(
        {"contacts": EVERYONE, "caf": {"exists": False}},
        categories=ALL_CATEGORIES - {"caf"},
        never_shown=("CAF", "K. Ahmed", "Family Hub"),
    ),
    "live, CAF without a lead contact": State(
        {"contacts": EVERYONE, "caf": {"exists": True}},
        categories=ALL_CATEGORIES,
    ),
    "sensitive service": State(
        {"contacts": [*EVERYONE, SENSITIVE], "caf": CAF},
        categories=ALL_CATEGORIES,
        has_hidden_services=True,
        notices=(HIDDEN_SERVICES_NOTICE,),
        never_shown=tuple(SENSITIVE_SERVICE),
    ),
    "only a sensitive service": State(
        {"contacts": [*PARENTS, SENSITIVE], "caf": {"exists": False}},
        categories={"address", "parent"},
        has_hidden_services=True,
        notices=(HIDDEN_SERVICES_NOTICE,),
        never_shown=tuple(SENSITIVE_SERVICE),
    ),
    "shielded": State(
        {"contacts": EVERYONE, "caf": CAF, "shielded": True},
        categories={"parent"},
        is_shielded=True,
        notices=(SHIELDED_NOTICE,),
        never_shown=tuple(WHERE_SHE_IS),
    ),
    "shielded, sensitive service": State(
        {"contacts": [*EVERYONE, SENSITIVE], "caf": CAF, "shielded": True},
        categories={"parent"},
        is_shielded=True,
        notices=(SHIELDED_NOTICE,),
        never_shown=tuple(WHERE_SHE_IS + SENSITIVE_SERVICE),
    ),
}


def everything_said(disclosure: Disclosure) -> str:
    items = (*disclosure.child_summary, *disclosure.items)
    return "\n".join([*(f"{i.key} {i.label} {i.value}" for i in items), *disclosure.notices])


@pytest.mark.parametrize("state", STATES.values(), ids=STATES.keys())
def test_what_each_record_state_discloses(ctx: object, state: State) -> None:
    # A number of its own, not drawn: a drawn one may hold "555" or "7700", which the
    # summary rightly shows and `never_shown` would then find.
    child = make_child(former_family_names=[], contactpoint_id=UNREMARKABLE_NUMBER, **state.line)
    disclosure = disclosable(child, TODAY)

    assert tuple(i.key for i in disclosure.child_summary) == SUMMARY_KEYS
    assert [i.value for i in disclosure.child_summary] == [
        "Amelia Rose O'Neill",
        "Female",
        "14 March 2015",
        f"{child.contactpoint_id[:3]} {child.contactpoint_id[3:6]} {child.contactpoint_id[6:]}",
    ]
    assert {i.category for i in disclosure.items} == state.categories
    assert disclosure.is_shielded is state.is_shielded
    assert disclosure.has_hidden_services is state.has_hidden_services
    assert disclosure.notices == state.notices
    said = everything_said(disclosure)
    for hidden in state.never_shown:
        assert hidden not in said, hidden
    # Every contact item is a contact of this child, under its own key; no sensitive one.
    contacts = {f"contact.{c.id}": c for c in child.contacts}
    for item in disclosure.items:
        if item.category in {kind.value for kind in ContactKind}:
            assert item.category == contacts[item.key].kind.value
            assert not contacts[item.key].is_sensitive
    for contact in child.contacts:
        if contact.is_sensitive:
            assert find_item(disclosure, f"contact.{contact.id}") is None


def test_a_live_record_reads_back_whole(ctx: object) -> None:
    child = make_child(former_family_names=[], contacts=EVERYONE, caf=CAF)
    disclosure = disclosable(child, TODAY)
    values = {item.label: item.value for item in disclosure.items}
    assert values == {
        "Address": "12 Mill Lane, Rochdale, OL16 1AA",
        "Parent (mother)": "Joanne O'Neill, 07700 900111",
        "Parent (father)": "Liam O'Neill, 07700 900112",
        "Carer (foster carer)": "Pat Ruddock, 07700 900113",
        "School": "Office, Mill Lane Primary, 01706 555020",
        "GP": "Dr A. Khan, Castlemere Surgery, 01706 555030",
        "Lead professional": "J. Patel, Rochdale Early Help, 01706 555010",
        "Service: speech and language therapy": "M. Byrne, Rochdale Therapies, 01706 555050",
        "CAF assessment": "exists; lead contact: K. Ahmed, Family Hub, 01706 555060",
    }
    assert find_item(disclosure, "child.address") is not None
    assert find_item(disclosure, "caf.lead") is not None
    assert find_item(disclosure, "child.name") == disclosure.child_summary[0]


def test_a_shielded_record_gives_parents_names_and_nothing_else(ctx: object) -> None:
    child = make_child(former_family_names=[], contacts=[*EVERYONE, SENSITIVE], shielded=True)
    disclosure = disclosable(child, TODAY)
    assert [(i.label, i.value) for i in disclosure.items] == [
        ("Parent (mother)", "Joanne O'Neill"),
        ("Parent (father)", "Liam O'Neill"),
    ]
    for key in ("child.address", "caf.lead"):
        assert find_item(disclosure, key) is None
    assert find_item(disclosure, "child.contactpoint_number") is not None


def test_a_caf_without_a_lead_contact_says_so(ctx: object) -> None:
    disclosure = disclosable(make_child(caf={"exists": True}), TODAY)
    caf = find_item(disclosure, "caf.lead")
    assert caf is not None and caf.value == "exists; no lead contact recorded"


@pytest.mark.parametrize(
    "make_archived",
    [
        pytest.param(lambda c: setattr(c, "archived_at", db.func.now()), id="archived"),
        pytest.param(lambda c: setattr(c, "date_of_birth", date(2008, 6, 1)), id="18 today"),
    ],
)
def test_an_archived_record_discloses_nothing(ctx: object, make_archived: Any) -> None:
    child: Child = make_child()
    make_archived(child)
    db.session.flush()
    db.session.refresh(child)
    with pytest.raises(RecordArchived):
        disclosable(child, TODAY)


ROCHDALE, BURY = "E08000005", "E08000002"
# Each role's view of one Rochdale child with a sensitive service: which items, by category,
# it shows. None: nothing of the record at all.
ROLE_TABLE = [
    # role, the authorities it is scoped to, shielded?, what it sees
    ("operator", frozenset(), False, {"address", "parent", "school", "caf"}),
    ("operator", frozenset(), True, {"parent"}),
    ("la_officer", frozenset({ROCHDALE}), False, {"address", "parent", "school", "service", "caf"}),
    (
        "la_officer",
        frozenset({BURY, ROCHDALE}),
        True,
        {"address", "parent", "school", "service", "caf"},
    ),
    ("la_officer", frozenset({BURY}), False, None),
    ("la_officer", frozenset({BURY}), True, None),
    ("la_officer", frozenset(), False, None),
    ("supervisor", frozenset(), False, None),
    ("admin", frozenset(), False, None),
    ("manager", frozenset(), False, None),
    ("manager", frozenset({ROCHDALE}), True, None),
]


@pytest.mark.parametrize(
    ("role", "scopes", "shielded", "sees"),
    ROLE_TABLE,
    ids=[
        f"{r}-{'+'.join(sorted(s)) or 'unscoped'}-{'shielded' if sh else 'open'}"
        for r, s, sh, _ in ROLE_TABLE
    ],
)
def test_what_each_role_sees_of_a_record(
    ctx: object, role: str, scopes: frozenset[str], shielded: bool, sees: set[str] | None
) -> None:
    child = make_child(
        former_family_names=[],
        contacts=[PARENTS[0], SCHOOL, SENSITIVE],
        shielded=shielded,
        local_authority=ROCHDALE,
    )
    shown = record_for(role, scopes, child, TODAY)
    if sees is None:
        assert shown is None
        return
    assert shown is not None
    assert {item.category for item in shown.items} == sees
    said = everything_said(shown)
    # The sensitive service's own details reach the officer, and only the officer.
    assert (SENSITIVE["organisation"] in said) is ("service" in sees)


@pytest.mark.parametrize("role", ["operator", "la_officer", "manager"])
def test_an_archived_record_shows_nobody_anything(ctx: object, role: str) -> None:
    child = make_child(local_authority=ROCHDALE)
    child.archived_at = datetime(2026, 1, 1, tzinfo=UTC)
    with pytest.raises(RecordArchived):
        record_for(role, frozenset({ROCHDALE}), child, TODAY)
