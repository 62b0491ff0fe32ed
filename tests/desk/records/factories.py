"""Children for tests, stored the one way the desk stores them: through the importer."""

import copy
import itertools
from typing import Any

from sqlalchemy import select

from desk.core.extensions import db
from desk.records.importer import import_entries
from desk.records.models import Child
from desk.records.parse import parse_entry

_serial = itertools.count(1)

# The example line of docs/design.md, less its ContactPoint number (each child gets its own).
EXAMPLE: dict[str, Any] = {
    "source": "rochdale-ics",
    "given_names": "Amelia Rose",
    "family_name": "O'Neill",
    "former_family_names": ["Smith"],
    "gender": "female",
    "date_of_birth": "2015-03-14",
    "address": {"lines": ["12 Mill Lane"], "town": "Rochdale", "postcode": "OL16 1AA"},
    "shielded": False,
    "local_authority": "E08000005",
    "caf": {
        "exists": True,
        "lead_contact": {
            "name": "J. Patel",
            "organisation": "Rochdale Early Help",
            "phone": "+441706555010",
        },
    },
    "contacts": [
        {
            "kind": "parent",
            "name": "Joanne O'Neill",
            "relationship": "mother",
            "phone": "+447700900111",
        },
        {
            "kind": "school",
            "organisation": "Mill Lane Primary",
            "name": "Office",
            "phone": "+441706555020",
        },
        {
            "kind": "gp",
            "organisation": "Castlemere Surgery",
            "name": "Dr A. Khan",
            "phone": "+441706555030",
        },
        {
            "kind": "lead_professional",
            "organisation": "Rochdale Early Help",
            "name": "J. Patel",
            "phone": "+441706555010",
        },
        {
            "kind": "service",
            "service_type": "sexual health",
            "organisation": "Clinic",
            "name": "Nurse",
            "phone": "+441706555040",
            "sensitive": True,
            "basis": "consent",
        },
    ],
}


def child_line(**overrides: Any) -> dict[str, Any]:
    """An import-format child like docs/design.md's example, its own source ID; override any."""
    line = copy.deepcopy(EXAMPLE)
    line["source_id"] = f"C-{next(_serial)}"
    line.update(overrides)
    return line


def make_child(**overrides: Any) -> Child:
    """A child stored through the importer (and flushed), from `child_line(**overrides)`."""
    line = child_line(**overrides)
    summary = import_entries([parse_entry(line, 1)], by="test")
    assert not summary.errors, summary.errors
    child = db.session.scalar(
        select(Child).where(Child.source == line["source"], Child.source_id == line["source_id"])
    )
    assert child is not None
    return child


def make_children(count: int, **overrides: Any) -> list[Child]:
    """`count` children alike but for their source IDs."""
    return [make_child(**overrides) for _ in range(count)]
