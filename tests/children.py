"""A small children's index for tests: one child of each kind the rules treat differently."""

import json
from typing import Any

from desk.core.extensions import db
from desk.records import importer

ROCHDALE = "E08000005"


def child(source_id: str, given: str, family: str, born: str, **fields: Any) -> dict[str, Any]:
    return {
        "source": "tests",
        "source_id": source_id,
        "given_names": given,
        "family_name": family,
        "gender": fields.pop("gender", "female"),
        "date_of_birth": born,
        "address": fields.pop(
            "address", {"lines": ["12 Mill Lane"], "town": "Rochdale", "postcode": "OL16 1AA"}
        ),
        "shielded": fields.pop("shielded", False),
        "contacts": fields.pop("contacts", []),
        "local_authority": fields.pop("local_authority", ROCHDALE),
        **fields,
    }


PARENT = {
    "kind": "parent",
    "name": "Joanne O'Neill",
    "relationship": "mother",
    "phone": "+447700900111",
}
SCHOOL = {
    "kind": "school",
    "organisation": "Mill Lane Primary",
    "name": "Office",
    "phone": "+441706555020",
}
GP = {
    "kind": "gp",
    "organisation": "Castlemere Surgery",
    "name": "Dr A. Khan",
    "phone": "+441706555030",
}
CLINIC = {
    "kind": "service",
    "service_type": "sexual health",
    "organisation": "Harbour Clinic",
    "name": "Nurse Fox",
    "phone": "+441706555040",
    "sensitive": True,
    "basis": "consent",
}

CHILDREN = [
    child(
        "amelia",
        "Amelia Rose",
        "O'Neill",
        "2015-03-14",
        former_family_names=["Smith"],
        contacts=[PARENT, SCHOOL, GP],
        caf={
            "exists": True,
            "lead_contact": {
                "name": "J. Patel",
                "organisation": "Rochdale Early Help",
                "phone": "+441706555010",
            },
        },
    ),
    child(
        "noah",
        "Noah",
        "Brennan",
        "2016-06-01",
        gender="male",
        shielded=True,
        address={"lines": ["3 Hill Street"], "town": "Heywood", "postcode": "OL10 2BB"},
        contacts=[
            {
                "kind": "parent",
                "name": "Kate Brennan",
                "relationship": "mother",
                "phone": "+447700900222",
            },
            GP,
        ],
    ),
    child("lily", "Lily", "Carter", "2014-09-09", contacts=[SCHOOL, CLINIC]),
    *(
        child(f"taylor-{n}", name, "Taylor", "2017-01-01")
        for n, name in enumerate(
            ["Ava", "Ben", "Cara", "Dan", "Eve", "Finn", "Gus", "Hana", "Ivy", "Jack", "Kit"]
        )
    ),
]


def load_children(entries: list[dict[str, Any]] = CHILDREN) -> None:
    """Import the children through the desk's own importer, and commit."""
    lines = [json.dumps(entry) for entry in entries]
    summary = importer.import_entries(importer.parse_lines(lines), by="tests")
    assert not summary.errors, summary.errors
    db.session.commit()
