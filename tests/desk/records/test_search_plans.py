"""Every allowed search is answered from an index, never by reading the whole index of children.

A few hundred synthetic children are loaded and ANALYZEd, then the exact SQL that `search`
sends is EXPLAINed. The planner is left free (no `enable_seqscan = off`): at this size it already
prefers the indexes, so a missing or unusable index shows up as a Seq Scan.
"""

import random
from collections import Counter
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from sqlalchemy import event, select, text

from desk.core.extensions import db
from desk.records import generate
from desk.records.importer import import_entries
from desk.records.models import Child
from desk.records.names import alternate_key, phonetic_key
from desk.records.parse import parse_entry
from desk.records.search import Criteria, search

TODAY = date(2026, 6, 1)
# Enough that reading child_names whole costs more than two index scans joined by a bitmap OR,
# which a search by a name's two sound keys makes.
CHILDREN = 1500


@pytest.fixture
def statements(ctx: object) -> Iterator[list[tuple[str, Any]]]:
    """The SQL statements sent to the database while the test runs, with their parameters."""
    sent: list[tuple[str, Any]] = []

    def capture(conn: Any, cursor: Any, statement: str, parameters: Any, *args: Any) -> None:
        sent.append((statement, parameters))

    engine = db.session.get_bind()
    event.listen(engine, "before_cursor_execute", capture)
    yield sent
    event.remove(engine, "before_cursor_execute", capture)


def test_each_search_form_uses_an_index(ctx: object, statements: list[tuple[str, Any]]) -> None:
    children = generate.children(CHILDREN, seed=2, today=TODAY)
    entries = (parse_entry(child, n, TODAY) for n, child in enumerate(children, start=1))
    import_entries(entries, by="test", rng=random.Random(2))
    db.session.execute(text("ANALYZE children"))
    db.session.execute(text("ANALYZE child_names"))
    # Not shielded, or a search by postcode rightly finds nothing.
    children_found = db.session.scalars(
        select(Child).where(
            Child.postcode.is_not(None),
            Child.is_shielded.is_(False),
            Child.date_of_birth > date(2010, 1, 1),
        )
    ).all()
    # A child with the commonest family name, as at full size: the family name alone then
    # narrows a search to many rows, so the planner must use an index's further columns. It has
    # two sound keys (Smith: SM0 and XMT), so both the primary and the alternate index are asked.
    sounds = Counter(phonetic_key(c.family_name) for c in children_found)
    heard_two_ways = [c for c in children_found if alternate_key(c.family_name)]
    child = max(heard_two_ways, key=lambda c: (sounds[phonetic_key(c.family_name)], -c.id))
    forms = {
        ("ix_child_names_phonetic_birth", "ix_child_names_alternate_birth"): Criteria(
            family_name=child.family_name, date_of_birth=child.date_of_birth
        ),
        ("ix_child_names_phonetic_postcode", "ix_child_names_alternate_postcode"): Criteria(
            family_name=child.family_name,
            given_name=child.given_names,
            postcode=child.postcode or "",
        ),
        ("uq_children_contactpoint_id",): Criteria(contactpoint_number=child.contactpoint_id),
    }
    for indexes, criteria in forms.items():
        statements.clear()
        assert child in search(criteria, TODAY).matches
        [(sql, parameters)] = statements
        plan = "\n".join(
            db.session.connection().exec_driver_sql(f"EXPLAIN {sql}", parameters).scalars()
        )
        assert "Seq Scan" not in plan, plan
        # A name is searched by either of its keys, each through its own index.
        assert all(index in plan for index in indexes), plan
